/*
 * The ptrace backend (ptrace_backend.h): mm's plans as batches of injected calls, mirroring
 * the self backend (mm/self.c) call for call, minus its region checks and placeholders: the
 * tracee's whole address space is the model's, and an unmapped range is really unmapped.
 *
 * A VMO reaches the tracee by an injected openat("/proc/<supervisor>/fd/N"). When the tracee
 * may not open it (it dropped root for another user, has no /proc, or a seccomp filter of its
 * own refuses the openat: tr_give_needed, before anything was mapped), or its filter is known
 * to deny openat (give set by the caller), the backend uses tr_give_fd for good (givefd.h):
 * that step, and each later one that needs a descriptor, runs in a batch of its own after the
 * descriptor was handed over. When it fails with EMFILE (the program used every descriptor
 * RLIMIT_NOFILE allows), the step is run again with room made for the plan's time
 * (tr_fd_room).
 *
 * Invariant: a descriptor the batch opens in the tracee, or was given, is closed before run()
 * returns, whatever failed (a follow-up batch when the failure came between its open and
 * close).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fault/inject.h"
#include "mm/mm.h"
#include "tracer/givefd.h"
#include "tracer/proc.h"
#include "tracer/ptrace_backend.h"
#include "vmo/vmo.h"

#define MAX_STEP_RECS 4 /* open, map, close, guard markers */

/* Where a step's records sit in a batch. */
struct step_recs {
	int first, n; /* records [first, first + n) */
	int main;     /* the record whose result is the step's */
	int fd_rec;   /* the openat record, or -1 */
};

static struct tr_call *add(struct tr_call *c, int *n, long nr)
{
	struct tr_call *x = &c[(*n)++];

	memset(x, 0, sizeof(*x));
	x->nr = nr;
	return x;
}

/* Appends an openat of the supervisor's fd through /proc: the record index, or -ENOSPC. */
static int add_open(struct tr_ptrace_backend *b, struct tr_call *c, int *n, int fd, int oflags)
{
	char path[64];
	uint64_t at;
	struct tr_call *x;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", b->sup, fd);
	at = tr_tramp_str(b->t, path);
	if (!at)
		return -ENOSPC;
	x = add(c, n, SYS_openat);
	x->arg[0] = (uint64_t)AT_FDCWD;
	x->arg[1] = at;
	x->arg[2] = (uint64_t)(oflags | O_CLOEXEC);
	return *n - 1;
}

/* The supervisor's descriptor a map step needs the tracee to have, or -1 (a file the
 * program holds itself, or no map step). */
static int needed_fd(const struct plan_step *s)
{
	if (s->op == PLAN_MAP_VMO)
		return vmo_fd(s->vmo);
	if (s->op == PLAN_MAP_FILE && s->file->prog_fd < 0)
		return s->file->fd;
	return -1;
}

/* The records of step s, appended to c[*n...]; a map step maps `given` (a descriptor the
 * tracee already has, closed after) when it is not -1. 0, -ENOSPC (no room left in this
 * batch), or another -errno that fails the step before the kernel sees it. */
static int build_step(struct tr_ptrace_backend *b, const struct plan_step *s, struct tr_call *c,
		      int *n, struct step_recs *sr, long given)
{
	int save = *n, fd = -1, open = -1, flags = s->map_flags;
	struct tr_call *x;

	if (*n + MAX_STEP_RECS > (int)TR_MAX_RECS)
		return -ENOSPC;
	sr->first = *n;
	sr->fd_rec = -1;
	switch (s->op) {
	case PLAN_MAP_VMO:
		if (given >= 0)
			fd = (int)given;
		else
			open = add_open(b, c, n, vmo_fd(s->vmo), O_RDWR);
		flags |= MAP_SHARED;
		break;
	case PLAN_MAP_FILE:
		if (s->file->prog_fd >= 0)
			fd = s->file->prog_fd;
		else if (given >= 0)
			fd = (int)given;
		else if (s->file->fd >= 0)
			open = add_open(b, c, n, s->file->fd, s->file->oflags & O_ACCMODE);
		else
			return -EBADF;
		break;
	case PLAN_UNMAP:
		x = add(c, n, SYS_munmap);
		x->arg[0] = s->addr;
		x->arg[1] = s->len;
		break;
	case PLAN_PROTECT:
		x = add(c, n, SYS_mprotect);
		x->arg[0] = s->addr;
		x->arg[1] = s->len;
		x->arg[2] = (uint64_t)s->prot;
		break;
	case PLAN_GROW:
		x = add(c, n, SYS_mremap);
		x->arg[0] = s->addr - TR_PAGE;
		x->arg[1] = TR_PAGE;
		x->arg[2] = TR_PAGE + s->len;
		break;
	case PLAN_MOVE:
		x = add(c, n, SYS_mremap);
		x->arg[0] = s->addr;
		x->arg[1] = s->len;
		x->arg[2] = s->new_len;
		x->arg[3] = MREMAP_MAYMOVE | MREMAP_FIXED | (s->dontunmap ? MREMAP_DONTUNMAP : 0);
		x->arg[4] = s->new_addr;
		break;
	case PLAN_SYSCALL:
		x = add(c, n, s->nr);
		memcpy(x->arg, s->args, sizeof(x->arg));
		break;
	default:
		return -EINVAL;
	}
	if (open == -ENOSPC) {
		*n = save;
		return -ENOSPC;
	}
	if (s->op == PLAN_MAP_VMO || s->op == PLAN_MAP_FILE) {
		x = add(c, n, SYS_mmap);
		x->arg[0] = s->addr;
		x->arg[1] = s->len;
		x->arg[2] = (uint64_t)s->prot;
		x->arg[3] = (uint64_t)(flags | MAP_FIXED);
		x->arg[4] = (uint64_t)fd;
		x->arg[5] = s->off;
		if (open >= 0) {
			x->chain[4] = TR_CHAIN(open);
			sr->fd_rec = open;
			x = add(c, n, SYS_close);
			x->chain[0] = TR_CHAIN(open);
		} else if (given >= 0) {
			x = add(c, n, SYS_close);
			x->arg[0] = (uint64_t)given;
		}
		sr->main = open >= 0 || given >= 0 ? *n - 2 : *n - 1;
		if (s->guard) {
			x = add(c, n, SYS_madvise);
			x->arg[0] = s->addr;
			x->arg[1] = s->len;
			x->arg[2] = MADV_GUARD_INSTALL;
		}
	} else {
		sr->main = *n - 1;
	}
	sr->n = *n - sr->first;
	return 0;
}

/* Closes, in a batch of its own, a descriptor a failed batch left open in the tracee. */
static void close_left_open(struct tr_ptrace_backend *b, long fd)
{
	struct tr_call c = {.nr = SYS_close, .arg = {(uint64_t)fd}};

	if (tr_remote_batch(b->r, &c, 1) == 1) {
		b->batches++;
		b->calls++;
	}
}

static bool failed(long result)
{
	return (unsigned long)result >= -4095UL;
}

/* Sets the results of the batch's steps from its records (done of them ran; err is the
 * batch's own error, -ESRCH); how many steps succeeded. */
static size_t settle(struct tr_ptrace_backend *b, struct plan_step *steps, size_t nsteps,
		     const struct step_recs *sr, const struct tr_call *c, int done, int err)
{
	int f = done > 0 && failed(c[done - 1].result) ? done - 1 : -1; /* the failed record */

	for (size_t k = 0; k < nsteps; k++) {
		struct plan_step *s = &steps[k];
		int last = sr[k].first + sr[k].n - 1, fd = sr[k].fd_rec;

		if (done > last && (f < 0 || f > last)) {
			s->result = s->op == PLAN_SYSCALL ? c[sr[k].main].result : 0;
			s->touched = false;
			continue;
		}
		if (f >= sr[k].first) {
			s->result = c[f].result;
			s->touched = f != fd;
		} else { /* the batch stopped before this step ended: the tracee died */
			s->result = err ? err : -EIO;
			s->touched = done > sr[k].first;
		}
		/* An fd opened, its close not run: close it (the mmap failed). */
		if (fd >= 0 && done > fd && !failed(c[fd].result) && done <= last && !b->r->dead)
			close_left_open(b, c[fd].result);
		return k;
	}
	return nsteps;
}

/* Whether a map step that failed with err before the kernel saw it can be retried with room
 * for its descriptor (the program is at its RLIMIT_NOFILE): then the room is made. */
static bool make_room(struct tr_ptrace_backend *b, long err, struct rlimit *old, bool *roomy)
{
	if (err != -EMFILE || *roomy || tr_fd_room(b->tid, old) < 0)
		return false;
	*roomy = true;
	return true;
}

static size_t run_steps(struct tr_ptrace_backend *b, struct plan *p, struct rlimit *old,
			bool *roomy)
{
	struct tr_call c[TR_MAX_RECS];
	struct step_recs sr[TR_MAX_RECS];
	size_t i = 0;
	long given;

	_Static_assert(TR_STR_SIZE >= TR_GIVE_SCRATCH, "tr_give_fd's scratch area");
	if (!b->r->t)
		b->r->t = b->t; /* a session begun before the install */
	while (i < p->n) {
		size_t k = 0, ok;
		int n = 0, e, got;

		e = b->fail_plan ? fault_force("remote.batch") : fault_hit("remote.batch");
		b->fail_plan = false;
		if (e) {
			p->steps[i].result = e;
			p->steps[i].touched = false;
			return i;
		}
		tr_tramp_str_reset(b->t);
		given = -1;
		if (b->give && needed_fd(&p->steps[i]) >= 0) {
			/* the scratch area is the strings': this batch has none */
			unsigned ncalls;

			given = tr_give_fd(b->r, needed_fd(&p->steps[i]),
					   b->t->addr + TR_PAGE + TR_STR_OFF, false, &ncalls);
			b->batches += ncalls; /* one call per batch */
			b->calls += ncalls;
			b->given += given >= 0;
			if (make_room(b, given, old, roomy))
				continue;
			if (given < 0) {
				p->steps[i].result = given;
				p->steps[i].touched = false;
				return i;
			}
		}
		while (i + k < p->n) {
			if (k && b->give && needed_fd(&p->steps[i + k]) >= 0)
				break; /* its descriptor is given in a batch of its own */
			e = build_step(b, &p->steps[i + k], c, &n, &sr[k], k ? -1 : given);
			if (e == -ENOSPC && k)
				break;
			if (e) {
				p->steps[i + k].result = e == -ENOSPC ? -E2BIG : e;
				p->steps[i + k].touched = false;
				break;
			}
			k++;
		}
		if (!k)
			return i;
		got = tr_remote_batch(b->r, c, n);
		b->batches++;
		b->calls += (uint64_t)b->r->done;
		ok = settle(b, &p->steps[i], k, sr, c, b->r->done, got < 0 ? got : 0);
		if (given >= 0 && !ok && b->r->done <= sr[0].main + 1 && !b->r->dead)
			close_left_open(b, given); /* its mmap failed before the close */
		i += ok;
		if (ok < k && needed_fd(&p->steps[i]) >= 0 && !p->steps[i].touched) {
			if (!b->give && tr_give_needed(p->steps[i].result)) {
				b->give = true; /* the openat was refused: hand the VMO over */
				continue;
			}
			if (make_room(b, p->steps[i].result, old, roomy))
				continue;
		}
		if (ok < k)
			return i;
		if (e && e != -ENOSPC)
			return i; /* the step that could not be built */
	}
	return p->n;
}

static size_t ptrace_run(void *ctx, struct plan *p)
{
	struct tr_ptrace_backend *b = ctx;
	struct rlimit old;
	bool roomy = false;
	size_t done = run_steps(b, p, &old, &roomy);

	if (roomy)
		tr_fd_room_end(b->tid, &old);
	return done;
}

/* Filesystem facts mmap depends on, from the superblock's magic number (as mm/self.c). */
static int ptrace_file_get(void *ctx, int fd, struct mm_file **out)
{
	struct tr_ptrace_backend *b = ctx;
	char link[64];
	int copy;

	if (fd < 0)
		return -EBADF;
	copy = (int)syscall(SYS_pidfd_getfd, b->pidfd, fd, 0); /* close-on-exec */
	if (copy < 0)
		return errno == EBADF ? -EBADF : errno == ESRCH ? -ESRCH : -errno;
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", b->tid, fd);
	return mm_file_from_fd(copy, fd, link, out);
}

static int ptrace_rlimit(void *ctx, int resource, struct rlimit *out)
{
	struct tr_ptrace_backend *b = ctx;

	return prlimit(b->tgid, (enum __rlimit_resource)resource, NULL, out) < 0 ? -errno : 0;
}

static bool ptrace_capable(void *ctx, int cap)
{
	struct tr_ptrace_backend *b = ctx;
	uint64_t eff;

	if (cap < 0 || cap > 63 || !tr_proc_status(b->tid, "CapEff", 16, &eff))
		return false;
	return eff >> cap & 1;
}

static bool ptrace_pkeys(void *ctx)
{
	return ((struct tr_ptrace_backend *)ctx)->pkeys;
}

static bool ptrace_advice_known(void *ctx, int advice)
{
	(void)ctx;
	return mm_kernel_knows_advice(advice);
}

static long ptrace_mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return mm_mem_read(((struct tr_ptrace_backend *)ctx)->mem_fd, addr, buf, len);
}

static long ptrace_mem_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	return mm_mem_write(((struct tr_ptrace_backend *)ctx)->mem_fd, addr, buf, len);
}

static int ptrace_quiesce(void *ctx)
{
	struct tr_ptrace_backend *b = ctx;

	return b->quiesce ? b->quiesce(b->quiesce_arg) : 0;
}

const struct mm_backend tr_ptrace_backend_ops = {
    .name = "ptrace",
    .run = ptrace_run,
    .file_get = ptrace_file_get,
    .rlimit = ptrace_rlimit,
    .capable = ptrace_capable,
    .pkeys = ptrace_pkeys,
    .advice_known = ptrace_advice_known,
    .mem_read = ptrace_mem_read,
    .mem_write = ptrace_mem_write,
    .quiesce = ptrace_quiesce,
};

int tr_ptrace_backend_init(struct tr_ptrace_backend *b, pid_t tid, struct tr_remote *r,
			   struct tr_tramp *t)
{
	char path[64];
	uint64_t tgid;
	int e;

	memset(b, 0, sizeof(*b));
	b->tid = tid;
	b->tgid = tr_proc_status(tid, "Tgid", 10, &tgid) ? (pid_t)tgid : tid;
	b->sup = getpid();
	b->r = r;
	b->t = t;
	b->pidfd = -1;
	snprintf(path, sizeof(path), "/proc/%d/mem", tid);
	b->mem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (b->mem_fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	b->pidfd = (int)syscall(SYS_pidfd_open, b->tgid, 0);
	if (b->pidfd < 0) {
		e = -errno;
		close(b->mem_fd);
		b->mem_fd = -1;
		return e;
	}
	b->pkeys = mm_kernel_has_pkeys();
	b->give = !tr_proc_fd_usable(tid);
	return 0;
}

void tr_ptrace_backend_release(struct tr_ptrace_backend *b)
{
	if (b->mem_fd >= 0)
		close(b->mem_fd);
	if (b->pidfd >= 0)
		close(b->pidfd);
	b->mem_fd = b->pidfd = -1;
}
