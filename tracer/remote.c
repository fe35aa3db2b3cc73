/*
 * Remote calls (remote.h): a session of injected syscalls in one stopped tracee thread.
 *
 * Every resume of the thread goes through run_until(), the one place that waits: it resumes
 * with PTRACE_CONT (a batch) or PTRACE_SINGLESTEP (tr_remote_inject) and takes stops until
 * rip reaches the expected address after a trap. The rules for the other stops are in
 * remote.h. Registers: the batch runs with the saved registers except rip (the trampoline),
 * orig_rax = -1 (the trapped call is skipped, and a suppressed signal cannot make the kernel
 * rewind rip) and TF cleared (a program single-stepping itself would trap in the routine).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracer/proc.h"
#include "tracer/remote.h"

#define X86_EFLAGS_TF 0x100UL
#define SYSCALL_INSN  0x050fUL /* 0f 05, little-endian */
#define RIP_OFF	      offsetof(struct user_regs_struct, rip)

static int gone(struct tr_remote *r)
{
	r->dead = true;
	return -ESRCH;
}

/* A ptrace request whose failure means the thread is gone (ESRCH: dead or not stopped). */
static int pt(struct tr_remote *r, int req, void *addr, void *data)
{
	if (ptrace(req, r->tid, addr, data) == 0)
		return 0;
	return errno == ESRCH ? gone(r) : -errno;
}

/* Whether thread tid is dead (a zombie, or gone from /proc). */
static bool thread_dead(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

pid_t tr_wait_thread(pid_t tid, int *status)
{
	static const struct timespec tick = { 0, 10 * 1000 * 1000 };
	static bool blocked;
	sigset_t chld;
	pid_t w;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (!blocked) /* pending, SIGCHLD wakes sigtimedwait (waitpid needs no handler) */
		blocked = sigprocmask(SIG_BLOCK, &chld, NULL) == 0;
	for (;;) {
		w = waitpid(tid, status, __WALL | WNOHANG);
		if (w > 0 || (w < 0 && errno != EINTR))
			return w;
		/* /proc is read only after a quiet tick: not on the path of every batch. */
		if (sigtimedwait(&chld, NULL, &tick) < 0 && errno == EAGAIN && thread_dead(tid)) {
			errno = ESRCH;
			return -1;
		}
	}
}

static void record_signal(struct tr_remote *r, const siginfo_t *si)
{
	if (r->nsigs == r->capsigs) {
		int cap = r->capsigs ? 2 * r->capsigs : 16;
		siginfo_t *n = realloc(r->sigs, (size_t)cap * sizeof(*n));

		if (!n) {
			fprintf(stderr, "starmm: lost signal %d of thread %d: out of memory\n",
				si->si_signo, r->tid);
			return;
		}
		r->sigs = n;
		r->capsigs = cap;
	}
	r->sigs[r->nsigs++] = *si;
}

/*
 * Resumes the thread with req (PTRACE_CONT or PTRACE_SINGLESTEP) until a SIGTRAP stop of the
 * kernel's own (int3, single step) finds rip == want. 0, or -ESRCH.
 */
static int run_until(struct tr_remote *r, int req, uint64_t want)
{
	int status, sig, ev, e;
	unsigned long rip;
	siginfo_t si;
	pid_t w;

	for (;;) {
		e = pt(r, req, NULL, NULL);
		if (e)
			return e;
		r->stops++;
		w = tr_wait_thread(r->tid, &status);
		if (w < 0)
			return gone(r);
		r->wstatus = status;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			r->wstatus_owed = true;
			return gone(r);
		}
		if (!WIFSTOPPED(status))
			continue;
		sig = WSTOPSIG(status);
		ev = status >> 16;
		if (ev == PTRACE_EVENT_EXIT) {
			r->wstatus_owed = true;
			return gone(r);
		}
		if (ev == PTRACE_EVENT_STOP) {
			if (sig != SIGTRAP)
				r->group_stop = sig;
			continue;
		}
		if (ev || sig == (SIGTRAP | 0x80))
			continue; /* seccomp, syscall stops: let the call run */
		if (pt(r, PTRACE_GETSIGINFO, NULL, &si))
			return -ESRCH;
		if (sig == SIGTRAP && si.si_code > 0) {
			errno = 0;
			rip = (unsigned long)ptrace(PTRACE_PEEKUSER, r->tid, (void *)RIP_OFF, NULL);
			if (errno)
				return gone(r);
			if (rip == want)
				return 0;
			if (req == PTRACE_SINGLESTEP)
				continue; /* a step on the way */
		}
		record_signal(r, &si);
	}
}

int tr_remote_begin_at(struct tr_remote *r, pid_t tid, struct tr_tramp *t,
		       const struct user_regs_struct *regs)
{
	siginfo_t *sigs = r->sigs;
	int capsigs = r->capsigs;

	memset(r, 0, sizeof(*r));
	r->sigs = sigs;
	r->capsigs = capsigs;
	r->tid = tid;
	r->t = t;
	if (regs)
		r->saved = *regs;
	else if (pt(r, PTRACE_GETREGS, NULL, &r->saved))
		return -ESRCH;
	r->active = true;
	return 0;
}

int tr_remote_begin(struct tr_remote *r, pid_t tid, struct tr_tramp *t)
{
	return tr_remote_begin_at(r, tid, t, NULL);
}

static int load_regs(struct tr_remote *r, uint64_t rip)
{
	struct user_regs_struct regs = r->saved;

	regs.rip = rip;
	regs.orig_rax = (unsigned long)-1;
	regs.eflags &= ~X86_EFLAGS_TF;
	return pt(r, PTRACE_SETREGS, NULL, &regs);
}

int tr_remote_batch(struct tr_remote *r, struct tr_call *calls, int n)
{
	struct tr_data *d;
	int i, j, e, ok;

	if (r->dead)
		return -ESRCH;
	if (!r->active || !r->t || n < 1 || n > (int)TR_MAX_RECS)
		return -EINVAL;
	d = r->t->data;
	for (i = 0; i < n; i++) {
		struct tr_rec *rec = &d->rec[i];

		rec->nr = calls[i].nr;
		rec->result = 0;
		for (j = 0; j < 6; j++) {
			if (calls[i].chain[j] > i)
				return -EINVAL;
			rec->arg[j] = calls[i].arg[j];
			rec->chain[j] = calls[i].chain[j];
		}
	}
	d->n = (uint32_t)n;
	d->done = 0;
	r->done = 0;
	/* The first batch loads every register; later ones only move rip back to the entry. */
	if (!r->regs_set)
		e = load_regs(r, tr_tramp_entry(r->t));
	else
		e = pt(r, PTRACE_POKEUSER, (void *)RIP_OFF, (void *)tr_tramp_entry(r->t));
	if (e)
		return e;
	r->regs_set = true;
	e = run_until(r, PTRACE_CONT, tr_tramp_trap(r->t));
	/* The data page is ours too: the results are readable even if the tracee died. */
	r->done = d->done <= (uint32_t)n ? (int)d->done : n;
	for (i = 0; i < r->done; i++)
		calls[i].result = d->rec[i].result;
	if (e)
		return e;
	for (ok = 0; ok < r->done && (unsigned long)calls[ok].result < -4095UL; ok++)
		;
	return ok;
}

/* The registers of an injected call: the saved ones with rip, the call and its arguments. */
static int load_call(struct tr_remote *r, uint64_t rip, long nr, const uint64_t arg[6])
{
	struct user_regs_struct regs = r->saved;

	regs.rip = rip;
	regs.orig_rax = (unsigned long)-1;
	regs.eflags &= ~X86_EFLAGS_TF;
	regs.rax = (unsigned long)nr;
	regs.rdi = arg[0];
	regs.rsi = arg[1];
	regs.rdx = arg[2];
	regs.r10 = arg[3];
	regs.r8 = arg[4];
	regs.r9 = arg[5];
	r->regs_set = false;
	return pt(r, PTRACE_SETREGS, NULL, &regs);
}

static long result_rax(struct tr_remote *r)
{
	struct user_regs_struct regs;
	int e = pt(r, PTRACE_GETREGS, NULL, &regs);

	return e ? e : (long)regs.rax;
}

/*
 * At an exec stop the thread is still inside execve, which writes its own result into rax on
 * the way out (PTRACE-NOTES.md): the call number cannot go in a register. The eight bytes at
 * rip become `mov $nr,%eax; syscall; int3` for the one call, then get their bytes back.
 */
static long inject_poked(struct tr_remote *r, long nr, const uint64_t arg[6])
{
	uint64_t at = r->saved.rip;
	uint64_t code = 0xb8 | (uint64_t)(uint32_t)nr << 8 | 0x050fULL << 40 | 0xccULL << 56;
	long word, res;
	int e;

	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, r->tid, (void *)at, NULL);
	if (errno)
		return errno == ESRCH ? gone(r) : -EINVAL;
	e = pt(r, PTRACE_POKETEXT, (void *)at, (void *)code);
	if (e)
		return e;
	e = load_call(r, at, nr, arg);
	if (!e)
		e = run_until(r, PTRACE_CONT, at + 8);
	res = e ? e : result_rax(r);
	if (!r->dead)
		pt(r, PTRACE_POKETEXT, (void *)at, (void *)word);
	return res;
}

long tr_remote_inject(struct tr_remote *r, long nr, const uint64_t arg[6])
{
	uint64_t insn = r->saved.rip - 2;
	long word;
	int e;

	if (r->dead)
		return -ESRCH;
	if (!r->active)
		return -EINVAL;
	if (r->at_exec)
		return inject_poked(r, nr, arg);
	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, r->tid, (void *)insn, NULL);
	if (errno)
		return errno == ESRCH ? gone(r) : -EINVAL;
	if ((word & 0xffff) != SYSCALL_INSN)
		return -EINVAL;
	e = load_call(r, insn, nr, arg);
	if (!e)
		e = run_until(r, PTRACE_SINGLESTEP, insn + 2);
	return e ? e : result_rax(r);
}

int tr_remote_end(struct tr_remote *r, long result)
{
	struct user_regs_struct regs = r->saved;

	if (!r->active)
		return r->dead ? -ESRCH : -EINVAL;
	r->active = false;
	if (r->dead)
		return -ESRCH;
	if (result != TR_REMOTE_KEEP) {
		regs.rax = (unsigned long)result;
		regs.orig_rax = (unsigned long)-1;
	}
	return pt(r, PTRACE_SETREGS, NULL, &regs);
}

int tr_remote_pending(const struct tr_remote *r, siginfo_t *out, int max)
{
	for (int i = 0; i < r->nsigs && i < max; i++)
		out[i] = r->sigs[i];
	return r->nsigs;
}

static pid_t tgid_of(pid_t tid)
{
	uint64_t tgid;

	return tr_proc_status(tid, "Tgid", 10, &tgid) ? (pid_t)tgid : tid;
}

int tr_remote_redeliver(struct tr_remote *r)
{
	pid_t tgid;
	long e;

	if (r->dead)
		return -ESRCH;
	if (!r->nsigs)
		return 0;
	tgid = tgid_of(r->tid);
	for (int i = 0; i < r->nsigs; i++) {
		siginfo_t *si = &r->sigs[i];

		if (si->si_code < 0 && si->si_code != SI_TKILL)
			e = syscall(SYS_rt_tgsigqueueinfo, tgid, r->tid, si->si_signo, si);
		else
			e = syscall(SYS_tgkill, tgid, r->tid, si->si_signo);
		if (e < 0 && errno == ESRCH)
			return gone(r);
	}
	r->nsigs = 0;
	return 0;
}

void tr_remote_release(struct tr_remote *r)
{
	free(r->sigs);
	r->sigs = NULL;
	r->nsigs = r->capsigs = 0;
}
