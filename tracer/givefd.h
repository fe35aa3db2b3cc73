/*
 * Handing one of the supervisor's descriptors to a tracee without /proc.
 *
 * The usual way is an injected openat("/proc/<supervisor>/fd/N"): one call, but the kernel
 * lets the tracee open it only when the tracee may ptrace-read the supervisor. A program that
 * dropped its privileges (setuid to another user after starting as root), or that runs where
 * /proc is not mounted, cannot. The pidfd_getfd route works whatever the tracee's
 * credentials: the tracee makes a socketpair, the supervisor takes a copy of one end with
 * pidfd_getfd (it traces the tracee, so it may), sends the descriptor over it (SCM_RIGHTS),
 * and the tracee receives it: four calls in the tracee, and the tracee's memory for the
 * socketpair's two numbers and the message.
 *
 * Invariant: whatever fails, the tracee is left with no descriptor it did not have, except
 * the one returned.
 */
#ifndef STARMM_TRACER_GIVEFD_H
#define STARMM_TRACER_GIVEFD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "tracer/remote.h"

/* Bytes of the tracee's writable memory tr_give_fd works in. */
#define TR_GIVE_SCRATCH 128u

/*
 * Gives the tracee of the open session r a close-on-exec descriptor of the supervisor's fd.
 * scratch: TR_GIVE_SCRATCH writable bytes of the tracee (read and written through
 * /proc/<tid>/mem); inject: run the tracee's calls with tr_remote_inject (no trampoline yet,
 * or not this address space's) instead of as batches; *ncalls: how many calls it ran in the
 * tracee. The tracee's descriptor, or -errno (-ESRCH: the tracee died).
 */
long tr_give_fd(struct tr_remote *r, int fd, uint64_t scratch, bool inject, unsigned *ncalls);

/* Whether an openat of /proc/<supervisor>/fd/N that failed with err means the tracee cannot
 * open it that way, so that tr_give_fd may: any error but a lack of descriptors or memory
 * and the tracee's death (EACCES for another user, ENOENT without /proc, whatever a seccomp
 * filter of the program answers). */
bool tr_give_needed(long err);

/* Whether the path /proc/<supervisor>/fd/N names the supervisor's descriptor for the tracee:
 * the /proc it sees (through its root and mount namespace) is the supervisor's procfs. In a
 * procfs of another pid namespace the same path could name another process's descriptor:
 * then descriptors must go by tr_give_fd. Asked when an address space is set up (exec,
 * fork) and after every call that may change what a program sees (mount, unshare...). */
bool tr_proc_fd_usable(pid_t tid);

/*
 * A program at its RLIMIT_NOFILE can still mmap, which takes no descriptor; handing it a VMO
 * takes one for a moment (EMFILE otherwise). tr_fd_room raises the soft limit of the tracee's
 * process (tid: any of its threads) by a few descriptors, and the hard limit with it when it
 * must (which needs CAP_SYS_RESOURCE), keeping the old limits in *old; tr_fd_room_end puts
 * them back. 0 or -errno. Other threads of the program could take the room meanwhile.
 */
int tr_fd_room(pid_t tid, struct rlimit *old);
void tr_fd_room_end(pid_t tid, const struct rlimit *old);

#endif
