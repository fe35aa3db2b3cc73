/*
 * tr_give_fd (givefd.h): the pidfd_getfd route. Layout of the scratch area in the tracee:
 *
 *	0	int sv[2]		socketpair's result
 *	16	struct msghdr		for recvmsg
 *	72	struct iovec		one byte
 *	88	char byte
 *	96	cmsg buffer		CMSG_SPACE(sizeof(int))
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tracer/givefd.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

#define OFF_MSG	 16u
#define OFF_IOV	 72u
#define OFF_BYTE 88u
#define OFF_CMSG 96u

_Static_assert(OFF_MSG + sizeof(struct msghdr) <= OFF_IOV, "scratch layout");
_Static_assert(OFF_IOV + sizeof(struct iovec) <= OFF_BYTE, "scratch layout");
_Static_assert(OFF_CMSG + CMSG_SPACE(sizeof(int)) <= TR_GIVE_SCRATCH, "scratch layout");

bool tr_give_needed(long err)
{
	/* out of descriptors or memory, or gone: the other way would fail alike */
	return err < 0 && err != -EMFILE && err != -ENFILE && err != -ENOMEM && err != -ESRCH;
}

bool tr_proc_fd_usable(pid_t tid)
{
	struct stat theirs, ours;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/root/proc", tid);
	return stat(path, &theirs) == 0 && stat("/proc", &ours) == 0 &&
	       theirs.st_dev == ours.st_dev;
}

#define FD_ROOM 4 /* the openat, or the socketpair's two and the one received */

int tr_fd_room(pid_t tid, struct rlimit *old)
{
	struct rlimit raised;

	if (prlimit(tid, RLIMIT_NOFILE, NULL, old) < 0)
		return -errno;
	raised = *old;
	if (raised.rlim_cur > RLIM_INFINITY - FD_ROOM)
		return -EMFILE;
	raised.rlim_cur += FD_ROOM;
	if (raised.rlim_max < raised.rlim_cur)
		raised.rlim_max = raised.rlim_cur;
	return prlimit(tid, RLIMIT_NOFILE, &raised, NULL) < 0 ? -errno : 0;
}

void tr_fd_room_end(pid_t tid, const struct rlimit *old)
{
	prlimit(tid, RLIMIT_NOFILE, old, NULL);
}

/* One call in the tracee: its result (negative: -errno). */
static long call(struct tr_remote *r, bool inject, unsigned *ncalls, long nr, uint64_t a0,
		 uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct tr_call c = {.nr = nr, .arg = {a0, a1, a2, a3}};
	int got;

	++*ncalls;
	if (inject)
		return tr_remote_inject(r, nr, c.arg);
	got = tr_remote_batch(r, &c, 1);
	if (got < 0)
		return got;
	return c.result;
}

/* The supervisor's side: fd sent over the tracee's socket end peer (its number in the
 * tracee), taken with pidfd_getfd. 0 or -errno. */
static int send_fd(pid_t tid, int peer, int fd)
{
	char byte = 'F';
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int pidfd = (int)syscall(SYS_pidfd_open, tid, 0), s, e = 0;

	if (pidfd < 0 && errno == EINVAL) /* not a thread-group leader */
		pidfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	if (pidfd < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	s = (int)syscall(SYS_pidfd_getfd, pidfd, peer, 0);
	close(pidfd);
	if (s < 0)
		return -errno;
	memset(u.buf, 0, sizeof(u.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(s, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) != 1)
		e = -errno;
	close(s);
	return e;
}

/* The recvmsg header for the tracee, its pointers at the tracee's addresses. */
static void recv_header(uint64_t scratch, char *out)
{
	struct iovec iov = {.iov_base = (void *)(scratch + OFF_BYTE), .iov_len = 1};
	struct msghdr msg = {.msg_iov = (void *)(scratch + OFF_IOV),
			     .msg_iovlen = 1,
			     .msg_control = (void *)(scratch + OFF_CMSG),
			     .msg_controllen = CMSG_SPACE(sizeof(int))};

	memset(out, 0, TR_GIVE_SCRATCH);
	memcpy(out + OFF_MSG, &msg, sizeof(msg));
	memcpy(out + OFF_IOV, &iov, sizeof(iov));
}

/* The descriptor the tracee received, from the scratch area read back; -EIO if none. */
static long received_fd(const char *in)
{
	struct cmsghdr cm;
	int fd;

	memcpy(&cm, in + OFF_CMSG, sizeof(cm));
	if (cm.cmsg_level != SOL_SOCKET || cm.cmsg_type != SCM_RIGHTS ||
	    cm.cmsg_len != CMSG_LEN(sizeof(int)))
		return -EIO;
	memcpy(&fd, in + OFF_CMSG + CMSG_LEN(0), sizeof(fd));
	return fd;
}

long tr_give_fd(struct tr_remote *r, int fd, uint64_t scratch, bool inject, unsigned *ncalls)
{
	char mem_path[64], buf[TR_GIVE_SCRATCH];
	int sv[2], mem;
	long res, got = -EIO;

	*ncalls = 0;
	snprintf(mem_path, sizeof(mem_path), "/proc/%d/mem", r->tid);
	mem = open(mem_path, O_RDWR | O_CLOEXEC);
	if (mem < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	res = call(r, inject, ncalls, SYS_socketpair, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
		   scratch);
	if (res < 0)
		goto out;
	if (pread(mem, sv, sizeof(sv), (off_t)scratch) != sizeof(sv)) {
		res = -EIO;
		goto out; /* the two descriptors cannot be named: the tracee keeps them */
	}
	res = send_fd(r->tid, sv[1], fd);
	call(r, inject, ncalls, SYS_close, (uint64_t)sv[1], 0, 0, 0);
	if (res == 0) {
		recv_header(scratch, buf);
		if (pwrite(mem, buf, sizeof(buf), (off_t)scratch) != sizeof(buf))
			res = -EIO;
	}
	if (res == 0)
		res = call(r, inject, ncalls, SYS_recvmsg, (uint64_t)sv[0], scratch + OFF_MSG,
			   MSG_CMSG_CLOEXEC | MSG_DONTWAIT, 0);
	call(r, inject, ncalls, SYS_close, (uint64_t)sv[0], 0, 0, 0);
	if (res == 1)
		got = pread(mem, buf, sizeof(buf), (off_t)scratch) == sizeof(buf) ? received_fd(buf)
										 : -EIO;
	else if (res >= 0)
		got = -EIO;
	else
		got = res;
	res = got;
out:
	close(mem);
	return r->dead ? -ESRCH : res;
}
