/*
 * Remote calls: syscalls run inside a stopped tracee thread, as one session.
 *
 *	tr_remote_begin		at a stop: save every register
 *	tr_remote_batch ...	run batches of calls through the trampoline (one stop each)
 *	tr_remote_end		restore every register, rax = the emulated result
 *	tr_remote_pending	signals that arrived meanwhile, for the caller to deliver
 *
 * Invariants: between begin and end the program never runs its own code: signals that
 * arrive while a batch runs become signal-delivery stops, are recorded (siginfo, in arrival
 * order, real-time ones each kept, never merged) and suppressed, so no handler ever sees the
 * trampoline's context; the FP/vector state is not saved because syscalls do not touch it.
 * "The tracee died" is a normal result: -ESRCH from any call, after which only end (which
 * then does nothing but return -ESRCH) is allowed. Tracee addresses are uint64_t.
 *
 * Stops other than signal-delivery ones while a batch runs:
 *  - a group-stop (PTRACE_EVENT_STOP with a stop signal: another thread took SIGSTOP) is
 *    recorded in group_stop and the thread is continued (PTRACE_CONT), so the batch ends
 *    instead of hanging until a SIGCONT; the caller re-enters it after end (tgkill SIGSTOP,
 *    then PTRACE_LISTEN at the resulting PTRACE_EVENT_STOP);
 *  - a PTRACE_INTERRUPT stop and a seccomp stop (a program filter tracing a call of the
 *    trampoline, or an injected call outside it) are continued;
 *  - PTRACE_EVENT_EXIT: -ESRCH, the thread is left there (for a crash report); the wait
 *    status of the last stop or of the exit is kept in wstatus (it was consumed here).
 */
#ifndef STARMM_TRACER_REMOTE_H
#define STARMM_TRACER_REMOTE_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "tracer/tramp.h"

/* tr_remote_end's result meaning "restore every register as saved, orig_rax included": for
 * sessions opened at a stop that is not a syscall stop (signal-delivery, exec). */
#define TR_REMOTE_KEEP LONG_MIN

struct tr_call {
	long nr;
	uint64_t arg[6];
	uint8_t chain[6]; /* TR_NO_CHAIN, or TR_CHAIN(k): arg[j] = result of call k (k < this) */
	long result;	  /* set for the calls that ran: [0, r->done) */
};

struct tr_remote {
	pid_t tid;
	struct tr_tramp *t;
	struct user_regs_struct saved; /* the program's registers at begin */
	bool active;		       /* between begin and end */
	bool dead;		       /* the tracee died or is exiting: every call gives -ESRCH */
	bool regs_set;		       /* the batch registers are loaded (rip moves only) */
	bool at_exec;		       /* begun at an exec stop (set by the caller after begin):
					  tr_remote_inject pokes its call at rip */
	int done;		       /* calls run by the last batch (the failing one included) */
	int group_stop;		       /* a group-stop's signal seen during the session, or 0 */
	int wstatus;		       /* the last wait status this session consumed */
	bool wstatus_owed;	       /* wstatus is the thread's death or exit stop: its owner
					  (the event loop) must still be given it */
	int nsigs, capsigs;
	siginfo_t *sigs; /* recorded signals, in arrival order */
	uint64_t stops;	 /* stops taken by this session (statistics) */
};

/*
 * waitpid(tid, __WALL) that cannot hang on a thread that died without a report to come: a
 * thread-group leader killed while other threads of its process still stop for the tracer is a
 * zombie whose death the kernel reports only with the last of them. Sleeps on SIGCHLD between
 * non-blocking waits (the first call blocks SIGCHLD in the calling thread, for good) and checks
 * whether the thread died only after 10 ms without one. The tid, or -1 with errno (ESRCH:
 * dead, no report now).
 */
pid_t tr_wait_thread(pid_t tid, int *status);

/* Opens a session on the stopped thread tid: saves its registers. t may be NULL until the
 * trampoline is installed (only tr_remote_inject works then). 0, or -ESRCH. */
int tr_remote_begin(struct tr_remote *r, pid_t tid, struct tr_tramp *t);
/* The same with the registers the caller has just read at this stop (no PTRACE_GETREGS). */
int tr_remote_begin_at(struct tr_remote *r, pid_t tid, struct tr_tramp *t,
		       const struct user_regs_struct *regs);

/* Runs calls[0..n) (1 <= n <= TR_MAX_RECS) through the trampoline in one stop, stopping at
 * the first that fails. The number of calls that succeeded (n when all did), -ESRCH (the
 * tracee died: r->done and the results of the calls that ran are still set), or -EINVAL
 * (n out of range, a chain not naming an earlier call, no trampoline). */
int tr_remote_batch(struct tr_remote *r, struct tr_call *calls, int n);

/* One call without the trampoline, by re-running the syscall instruction the session's stop
 * is at (rip - 2; the session must have begun at a syscall stop), or at an exec stop
 * (at_exec) by running `mov $nr,%eax; syscall; int3` poked at rip (the bytes are restored).
 * Costs two or three stops; for bootstrapping only. The call's result, -ESRCH, or -EINVAL
 * (not at a syscall instruction). The call may be trapped by the supervisor's own filter:
 * that seccomp stop is continued. */
long tr_remote_inject(struct tr_remote *r, long nr, const uint64_t arg[6]);

/* Ends the session: every register back as saved, with rax = result and orig_rax = -1 (so
 * the kernel's restart logic cannot rewind rip by 2), or exactly as saved with
 * TR_REMOTE_KEEP. The thread stays stopped; the caller resumes it, then delivers the
 * recorded signals. 0, or -ESRCH. */
int tr_remote_end(struct tr_remote *r, long result);

/* Copies up to max recorded signals (arrival order) to out; returns how many were recorded.
 * They stay available until the next begin or tr_remote_redeliver. */
int tr_remote_pending(const struct tr_remote *r, siginfo_t *out, int max);

/* Queues the recorded signals back on the thread (still stopped, after end), so that each
 * comes back as an ordinary signal-delivery stop once it runs: rt_tgsigqueueinfo with the
 * recorded siginfo when the kernel allows it (si_code < 0 and not SI_TKILL), else tgkill
 * (the sender's pid/uid then read as the supervisor's). Signals queued by the kernel after a
 * recorded one may be delivered before it. 0, or -ESRCH. */
int tr_remote_redeliver(struct tr_remote *r);

/* Frees what the session holds (the recorded signals). */
void tr_remote_release(struct tr_remote *r);

#endif
