/*
 * The memory manager inside starmm-run: exec and the memory calls (fork.c has fork, faults.c
 * the signal stops; space.h the address space they share).
 *
 * Each address space of the program has a struct tr_as: its model (struct mm, imported from
 * /proc/PID/smaps at the exec stop), its trampoline (installed at the exec stop, in the
 * VMAR's reserved slot, the same address in every process of the run so that one filter
 * serves them all), the remote-call session and the ptrace backend. Threads and CLONE_VM
 * children share their creator's tr_as; it goes when its last user exits or execs. At the
 * exec stop, before the new program runs, the kernel's anonymous memory (bss, heap, the main
 * stack) is adopted into VMOs unless --no-adopt.
 *
 * A trapped memory call is emulated in one session: begin at the seccomp stop, mm_* (whose
 * plan is one batch), end with the model's result in rax, then the signals that arrived
 * meanwhile are queued again. shmat and shmdt run as they are and the model takes the range
 * they changed from /proc/PID/smaps at their syscall-exit (System V segments are SPECIAL).
 * process_madvise aimed at the process itself is madvise, vector by vector (another process
 * may only be given hints: those run as they are). Calls the model does not cover yet
 * (remap_file_pages, map_shadow_stack, prctl(PR_SET_VMA/PR_SET_MM), personality,
 * arch_prctl) run as they are. A
 * program that uses ptrace, or installs a seccomp filter that would block the trampoline, is
 * refused. Injected faults (--fault, --fault-op) get their --fault-log line once the call is
 * answered.
 *
 * Invariants: see space.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fault/inject.h"
#include "mm/mm.h"
#include "tracer/givefd.h"
#include "tracer/model.h"
#include "tracer/space.h"
#include "tracer/proc.h"
#include "tracer/progfilter.h"
#include "tracer/ptrace_backend.h"
#include "tracer/remote.h"
#include "tracer/tramp.h"
#include "tracer/verify.h"
#include "vmo/vmo.h"

#ifndef SYS_mseal
#define SYS_mseal 462 /* Linux 6.10 */
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429 /* Linux 5.2 */
#endif

/* Where the slot goes: far below where exec puts anything (PIE binaries near 0x5555..., the
 * mmap area and stack in the top terabytes), randomised per run over 64 GiB unless
 * --aslr=off. */
#define SLOT_BASE	  0x100000000000ULL
#define SLOT_RANDOM_PAGES (1ULL << 24)
void tr_as_put(struct tr_ctx *ctx, struct tr_as *as)
{
	if (!as || --as->users > 0)
		return;
	if (ctx->opt->maps) {
		fprintf(ctx->out, "starmm-run: address space of pid %d at its end:\n", as->tgid);
		mm_dump(&as->mm, ctx->out);
	}
	if (as->mm.failed)
		ctx->stats.starmm_failed = true;
	ctx->stats.batches += as->be.batches;
	ctx->stats.injected_calls += as->be.calls;
	ctx->stats.fds_given += as->be.given;
	mm_destroy(&as->mm);
	if (as->have_tramp)
		tr_tramp_release(&as->tramp);
	tr_ptrace_backend_release(&as->be);
	tr_remote_release(&as->r);
	free(as);
}

/* Fields of /proc/PID/stat by number (1-based, as proc(5) counts them). */
static int stat_fields(pid_t pid, const int *which, uint64_t *out, int n)
{
	char path[64], buf[4096], *p;
	ssize_t len;
	int fd, field = 2;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -EIO;
	buf[len] = 0;
	p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (!p)
		return -EIO;
	for (p++; *p; field++) {
		while (*p == ' ')
			p++;
		for (int i = 0; i < n; i++)
			if (which[i] == field + 1)
				out[i] = strtoull(p, NULL, 10);
		while (*p && *p != ' ')
			p++;
	}
	return 0;
}

/* The memory manager is about to do what other threads must not see half done. */
int tr_as_quiesce(void *arg)
{
	struct tr_as *as = arg;

	return tr_world_stop(as->ctx, as->cur);
}

/* The model of t's new address space, at its exec stop. */
static int as_import(struct tr_ctx *ctx, struct tr_task *t, struct tr_as **out)
{
	static const int fields[] = {28, 45, 46, 47}; /* startstack, start/end_data, start_brk */
	const struct tr_options *o = ctx->opt;
	uint64_t v[4] = {0};
	struct mm_config cfg = {.be = &tr_ptrace_backend_ops};
	struct rlimit stack = {.rlim_cur = 8 << 20};
	char path[64], *smaps;
	struct tr_as *as;
	int e, bad = 0;

	as = calloc(1, sizeof(*as));
	if (!as)
		return -ENOMEM;
	as->users = 1;
	as->tgid = t->tid;
	as->ctx = ctx;
	e = stat_fields(t->tid, fields, v, 4);
	if (e)
		goto fail;
	prlimit(t->tid, RLIMIT_STACK, NULL, &stack);
	e = vmar_user_config(&cfg.vmar, o->vmar_half ? VMAR_HALF : VMAR_FULL,
			     (v[0] + TR_PAGE - 1) & ~(uint64_t)(TR_PAGE - 1), stack.rlim_cur,
			     ctx->code_page, TR_SIZE, o->aslr, o->seed ^ (uint64_t)t->tid);
	if (e)
		goto fail;
	e = tr_ptrace_backend_init(&as->be, t->tid, &as->r, &as->tramp);
	if (e)
		goto fail;
	as->be.give |= t->no_openat;
	as->be.quiesce = tr_as_quiesce;
	as->be.quiesce_arg = as;
	cfg.be_ctx = &as->be;
	cfg.split = o->split == TR_SPLIT_OFFSET ? MM_SPLIT_OFFSET : MM_SPLIT_SNAPSHOT;
	cfg.start_data = v[1];
	cfg.end_data = v[2];
	cfg.start_brk = v[3];
	snprintf(path, sizeof(path), "/proc/%d/smaps", t->tid);
	smaps = tr_proc_read(path);
	if (!smaps) {
		e = -EIO;
		goto fail_be;
	}
	e = mm_import(&as->mm, &cfg, smaps, &bad);
	free(smaps);
	if (e) {
		tr_fail(ctx, "cannot model the address space of %s after exec (smaps line %d: %s)",
			ctx->prog, bad, strerror(-e));
		goto fail_be;
	}
	*out = as;
	return 0;
fail_be:
	tr_ptrace_backend_release(&as->be);
fail:
	free(as);
	return e;
}

/*
 * Ends the session on as opened for t: registers back (rax = result, or TR_REMOTE_KEEP), the
 * threads t stopped resumed, a death or exit stop the session consumed handed back to the
 * loop, the signals it kept queued again. 0, or -ESRCH (the thread is gone).
 */
int tr_session_end(struct tr_ctx *ctx, struct tr_as *as, struct tr_task *t, long result)
{
	int e = tr_remote_end(&as->r, result);

	tr_world_resume(ctx, t);
	if (as->r.wstatus_owed) {
		as->r.wstatus_owed = false;
		tr_queue_status(ctx, as->r.tid, as->r.wstatus);
	}
	return e ? e : tr_remote_redeliver(&as->r);
}

/*
 * After a trapped call was answered (outcome "returned", result what the program saw), or a
 * process was killed (outcome "killed", result the signal): a fault injected meanwhile gets
 * its --fault-log line, with what --verify finds now. The design note's invariant is what
 * is tested: after a fault the model and the kernel must still agree.
 */
void tr_log_fault(struct tr_ctx *ctx, struct tr_as *as, pid_t tid, long nr, const uint64_t *args,
		  const char *outcome, long result)
{
	static const uint64_t none[6];
	const char *point, *verify = "not run";
	int err;

	if (!tr_faultlog_take(&ctx->faults, &point, &err))
		return;
	if (as && !strcmp(outcome, "returned")) {
		bool same = tr_verify(ctx, &as->mm, tid) == 0;

		verify = same ? "ok" : "differs";
		if (!same)
			tr_fail(ctx,
				"--fault %s: afterwards the model of pid %d differs from the "
				"kernel's view",
				point, tid);
	}
	tr_faultlog_write(&ctx->faults, tid, nr, args ? args : none, point, err, outcome, result,
			  verify, !strcmp(outcome, "returned"));
}

/* A failure past the kernel's point of no return (exec has replaced the address space, the
 * kernel has forked): the process must not run with its memory half set up. An injected
 * fault kills it as Linux kills a process whose exec fails late; anything else is starmm's
 * own failure. */
void tr_fail_late(struct tr_ctx *ctx, struct tr_task *t, const char *when, int e)
{
	if (ctx->faults.fired) {
		kill(t->tid, SIGKILL);
		fprintf(stderr,
			"starmm-run: pid %d killed: an injected fault failed its set-up %s\n",
			t->tid, when);
		tr_log_fault(ctx, NULL, t->tid, -1, NULL, "killed", SIGKILL);
		return;
	}
	tr_fail(ctx, "cannot set up pid %d's memory %s: %s", t->tid, when, strerror(-e));
}

/* A new address space's trampoline, then the kernel's anonymous memory into VMOs. The
 * session is open. */
static int setup(struct tr_ctx *ctx, struct tr_as *as)
{
	int e;

	as->tramp.give_only = as->be.give;
	e = tr_tramp_install(&as->tramp, &as->r, ctx->code_page);
	if (e)
		return e;
	as->have_tramp = true;
	as->r.t = &as->tramp;
	if (!ctx->opt->no_adopt) {
		e = (int)mm_adopt(&as->mm, false);
		if (e)
			return e;
	}
	return 0;
}

/* At the exec stop: the trampoline (poked in: the thread is still inside execve), then the
 * kernel's anonymous memory into VMOs unless --no-adopt, before the new program runs. */
static int on_exec(struct tr_ctx *ctx, struct tr_task *t)
{
	struct tr_as *as;
	int e;

	tr_as_put(ctx, t->data);
	t->data = NULL;
	e = as_import(ctx, t, &as);
	if (e)
		return e == -ESRCH ? TR_RESUME : e;
	t->data = as;
	if (tr_remote_begin(&as->r, t->tid, NULL))
		return TR_RESUME; /* gone */
	as->r.at_exec = true;
	as->be.tid = t->tid;
	as->cur = t;
	e = setup(ctx, as);
	tr_session_end(ctx, as, t, 0); /* execve's own result */
	if (e && e != -ESRCH)
		tr_fail_late(ctx, t, "after exec", e);
	return TR_RESUME;
}

/* Sets the trapped call's result without running it (orig_rax = -1: skipped). */
int tr_skip_with(struct tr_task *t, long result)
{
	struct user_regs_struct regs = t->regs;

	regs.orig_rax = (uint64_t)-1;
	regs.rax = (uint64_t)result;
	if (ptrace(PTRACE_SETREGS, t->tid, 0L, &regs) < 0)
		return errno == ESRCH ? TR_RESUME : -errno;
	return TR_RESUME;
}

/* The end of the /proc/PID/smaps line that starts at addr, or 0. */
static uint64_t line_end_at(const char *smaps, uint64_t addr)
{
	for (const char *p = smaps; *p; p = strchrnul(p, '\n'), p += *p == '\n') {
		unsigned long s, e;

		if (sscanf(p, "%lx-%lx ", &s, &e) == 2 && s == addr)
			return e;
	}
	return 0;
}

/*
 * shmat/shmdt ran as they are (System V segments are the kernel's objects, SPECIAL in the
 * model): the model takes the range they changed from /proc/PID/smaps. shmat: the new
 * mapping at its result; shmdt: the segment's mappings from addr on, as the model had them.
 */
static void shm_resync(struct tr_ctx *ctx, struct tr_as *as, struct tr_task *t, long rval)
{
	uint64_t lo, hi = 0;
	struct mapping *m;
	char path[64], *smaps;
	int e;

	if (t->regs.orig_rax == SYS_shmat) {
		lo = (uint64_t)rval;
	} else {
		lo = t->regs.rdi;
		for (m = mm_find(&as->mm, lo);
		     m && m->kind == MK_SPECIAL && m->start == (hi ? hi : lo);
		     m = mm_next(&as->mm, m))
			hi = m->end;
		if (!hi)
			return;
	}
	snprintf(path, sizeof(path), "/proc/%d/smaps", t->tgid);
	smaps = tr_proc_read(path);
	if (!smaps)
		return; /* the process is gone */
	if (!hi)
		hi = line_end_at(smaps, lo);
	e = hi ? mm_import_range(&as->mm, smaps, lo, hi) : -EINVAL;
	free(smaps);
	if (e)
		tr_fail(ctx, "cannot model pid %d's %s at %#lx", t->tid,
			t->regs.orig_rax == SYS_shmat ? "shmat" : "shmdt", (unsigned long)lo);
	else if (ctx->opt->verify == TR_VERIFY_OP && tr_verify(ctx, &as->mm, t->tid) == -1)
		tr_fail(ctx, "--verify: the model of pid %d differs from the kernel's view",
			t->tid);
}

/* The syscall-exit of a call whose seccomp stop asked for it: a fork's clone that returned
 * without a fork event (it failed, or will be restarted), a System V attach or detach. */
/* Whether nr may change which /proc a program sees (its filter table entries say so). */
static bool changes_proc(long nr)
{
	return nr == SYS_mount || nr == SYS_umount2 || nr == SYS_move_mount || nr == SYS_chroot ||
	       nr == SYS_pivot_root || nr == SYS_unshare || nr == SYS_setns;
}

/* After a mount or namespace change: every address space whose program no longer sees the
 * supervisor's /proc gets its VMOs by tr_give_fd from now on (tracer/givefd.h). A mount is
 * seen by every process of the mount namespace, so all are asked. */
static void recheck_proc(struct tr_ctx *ctx)
{
	struct tr_task *t, *tmp;

	HASH_ITER(hh, ctx->tasks, t, tmp) {
		struct tr_as *as = t->data;

		if (as && !as->be.give && !tr_proc_fd_usable(t->tid))
			as->be.give = true;
	}
}

static int on_syscall_exit(struct tr_ctx *ctx, struct tr_task *t, long rval)
{
	struct tr_as *as = t->data;

	if (changes_proc((long)t->regs.orig_rax) && rval == 0)
		recheck_proc(ctx);
	if (as && as->forker == t)
		tr_fork_drop(ctx, as);
	else if (as && (t->regs.orig_rax == SYS_shmat || t->regs.orig_rax == SYS_shmdt) &&
		 (unsigned long)rval < -4095UL)
		shm_resync(ctx, as, t, rval);
	return TR_RESUME;
}

/* --verify=exit (and op): the last comparison, while the process is still whole. */
static void on_exiting(struct tr_ctx *ctx, struct tr_task *t)
{
	struct tr_as *as = t->data;

	if (!as || t->tid != as->tgid || as->torn || ctx->opt->verify == TR_VERIFY_OFF)
		return;
	if (tr_verify(ctx, &as->mm, t->tid) == -1)
		tr_fail(ctx,
			"--verify: at its exit, the model of pid %d differs from the kernel's "
			"view",
			t->tid);
}

static void on_task_exit(struct tr_ctx *ctx, struct tr_task *t)
{
	struct tr_as *as = t->data;

	if (as && as->forker == t)
		tr_fork_drop(ctx, as);
	tr_as_put(ctx, t->data);
	t->data = NULL;
}

/* seccomp()/prctl(PR_SET_SECCOMP): a filter that would block the trampoline is refused. */
static int on_filter_call(struct tr_ctx *ctx, struct tr_task *t, long nr, const uint64_t *a)
{
	char why[128];
	int e = tr_progfilter_check(t->tid, nr, a, tr_tramp_syscall_ip(ctx->code_page), why,
				    sizeof(why));

	if (e < 0)
		return e;
	if (e == 2) { /* only openat denied: the VMOs go by tr_give_fd from now on */
		t->no_openat = true;
		if (t->data)
			((struct tr_as *)t->data)->be.give = true;
		return TR_RESUME;
	}
	if (e > 0)
		tr_fail(ctx,
			"%s installs a seccomp filter that would block starmm-run's own calls "
			"(%s): it cannot run under starmm-run",
			ctx->prog, why);
	return TR_RESUME;
}

static long emulate(struct tr_as *as, long nr, const uint64_t *a)
{
	struct mm *mm = &as->mm;

	switch (nr) {
	case SYS_mmap:
		return mm_mmap(mm, a[0], a[1], (int)a[2], (int)a[3], (int)a[4], a[5]);
	case SYS_munmap:
		return mm_munmap(mm, a[0], a[1]);
	case SYS_mprotect:
		return mm_mprotect(mm, a[0], a[1], (int)a[2]);
	case SYS_pkey_mprotect:
		return mm_pkey_mprotect(mm, a[0], a[1], (int)a[2], (int)a[3]);
	case SYS_brk:
		return mm_brk(mm, a[0]);
	case SYS_mremap:
		return mm_mremap(mm, a[0], a[1], a[2], (int)a[3], a[4]);
	case SYS_madvise:
		return mm_madvise(mm, a[0], a[1], (int)a[2]);
	case SYS_mlock:
		return mm_mlock(mm, a[0], a[1], 0);
	case SYS_mlock2:
		return mm_mlock(mm, a[0], a[1], (unsigned)a[2]);
	case SYS_munlock:
		return mm_munlock(mm, a[0], a[1]);
	case SYS_mlockall:
		return mm_mlockall(mm, (int)a[0]);
	case SYS_munlockall:
		return mm_munlockall(mm);
	case SYS_msync:
		return mm_msync(mm, a[0], a[1], (int)a[2]);
	case SYS_mincore:
		return mm_mincore(mm, a[0], a[1], a[2]);
	case SYS_mseal:
		return mm_mseal(mm, a[0], a[1], a[2]);
	case SYS_process_madvise:
		return mm_process_madvise(mm, a[1], a[2], (int)a[3], a[4]);
	}
	return -ENOSYS;
}

static bool emulated(long nr)
{
	static const long nrs[] = {SYS_mmap,   SYS_munmap,  SYS_mprotect, SYS_pkey_mprotect,
				   SYS_brk,    SYS_mremap,  SYS_madvise,  SYS_mlock,
				   SYS_mlock2, SYS_munlock, SYS_mlockall, SYS_munlockall,
				   SYS_msync,  SYS_mincore,  SYS_mseal,    SYS_process_madvise};

	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		if (nrs[i] == nr)
			return true;
	return false;
}

/* --trace: the call, its result, and the VMO work it became (steps: its plan's steps, 0 when
 * it changed nothing in the kernel: nothing a --fault-op could fail). */
static void trace(struct tr_ctx *ctx, struct tr_task *t, struct tr_as *as, long nr,
		  const uint64_t *a, long result, uint64_t steps)
{
	struct vmo_stats st;

	vmo_stats_get(&st);
	tr_trace_line(ctx->out, t->tid, nr, a, result, true);
	fprintf(ctx->out,
		"    model: %lu mappings; VMOs live %lu, created %lu, bytes copied %lu; "
		"plans %lu, steps %lu, rollbacks %lu; this call: %lu plan steps\n",
		(unsigned long)as->mm.count, (unsigned long)st.live, (unsigned long)st.created,
		(unsigned long)st.bytes_copied, (unsigned long)as->mm.stats.plans,
		(unsigned long)as->mm.stats.steps, (unsigned long)as->mm.stats.rollbacks,
		(unsigned long)steps);
}

/* Whether the program's descriptor pidfd is a pidfd of the process of as itself (its fdinfo,
 * through a copy taken with pidfd_getfd, names as's thread-group id). */
static bool pidfd_is_self(struct tr_as *as, uint64_t pidfd)
{
	char path[64], *info, *pid;
	int copy;
	bool self = false;

	if (pidfd > INT32_MAX)
		return false;
	copy = (int)syscall(SYS_pidfd_getfd, as->be.pidfd, (int)pidfd, 0);
	if (copy < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", copy);
	info = tr_proc_read(path);
	pid = info ? strstr(info, "\nPid:") : NULL;
	self = pid && strtol(pid + 5, NULL, 10) == as->tgid;
	free(info);
	close(copy);
	return self;
}

static int on_syscall(struct tr_ctx *ctx, struct tr_task *t)
{
	struct tr_as *as = t->data;
	long nr = (long)t->regs.orig_rax, result;
	uint64_t a[6] = {t->regs.rdi, t->regs.rsi, t->regs.rdx,
			 t->regs.r10, t->regs.r8,  t->regs.r9};
	uint64_t steps;

	switch (nr) {
	case SYS_clone:
	case SYS_clone3:
	case SYS_fork:
	case SYS_vfork:
		return tr_fork_call(ctx, t);
	case SYS_seccomp:
	case SYS_prctl:
		return on_filter_call(ctx, t, nr, a);
	case SYS_shmat:
	case SYS_shmdt:
		t->exit_stop = as != NULL; /* the model follows at the syscall-exit */
		return TR_RESUME;
	case SYS_mount:
	case SYS_umount2:
	case SYS_move_mount:
	case SYS_chroot:
	case SYS_pivot_root:
	case SYS_unshare:
	case SYS_setns:
		t->exit_stop = true; /* which /proc the programs see is asked again then */
		return TR_RESUME;
	case SYS_process_madvise:
		/* Another process: only hints are allowed there, the kernel's to carry out. */
		if (!as || !pidfd_is_self(as, a[0]))
			return TR_RESUME;
		break;
	case SYS_ptrace:
		tr_fail(ctx,
			"%s uses ptrace (a debugger or tracer): it cannot run under starmm-run, "
			"which is its tracer; run it outside starmm-run",
			ctx->prog);
		return TR_RESUME;
	}
	if (!as || !as->have_tramp || !emulated(nr))
		return TR_RESUME;
	if (tr_remote_begin_at(&as->r, t->tid, &as->tramp, &t->regs))
		return TR_RESUME; /* gone */
	as->be.tid = t->tid;
	as->cur = t;
	/* --fault-op: this operation fails at its plan's batch, the last fallible step before
	 * its commit point (an operation without a plan does not fire). */
	as->be.fail_plan = ++ctx->memory_ops == ctx->opt->fault_op;
	steps = as->mm.stats.steps;
	result = emulate(as, nr, a);
	steps = as->mm.stats.steps - steps;
	as->be.fail_plan = false;
	tr_grow_ahead(as, t->regs.rsp);
	t->emulated = true;
	if (ctx->opt->trace)
		trace(ctx, t, as, nr, a, result, steps);
	if (tr_session_end(ctx, as, t, result) == -ESRCH) {
		as->torn = true;
		return TR_RESUME;
	}
	tr_log_fault(ctx, as, t->tid, nr, a, "returned", result);
	if (as->mm.failed) {
		tr_fail(ctx, "the memory manager failed on pid %d's %s call (see above)", t->tid,
			nr == SYS_mmap ? "mmap" : "memory");
		return TR_RESUME;
	}
	if (ctx->opt->verify == TR_VERIFY_OP && tr_verify(ctx, &as->mm, t->tid) == -1)
		tr_fail(ctx, "--verify: the model of pid %d differs from the kernel's view",
			t->tid);
	return TR_RESUME;
}

int tr_model_attach(struct tr_ctx *ctx)
{
	uint64_t r = 0;

	if (ctx->opt->aslr && getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint64_t)getpid();
	if (ctx->opt->seed_set)
		r = ctx->opt->seed;
	ctx->code_page = SLOT_BASE + (ctx->opt->aslr ? r % SLOT_RANDOM_PAGES : 0) * TR_PAGE;
	ctx->hooks.on_syscall = on_syscall;
	ctx->hooks.on_exec = on_exec;
	ctx->hooks.on_clone = tr_fork_on_clone;
	ctx->hooks.on_syscall_exit = on_syscall_exit;
	ctx->hooks.on_signal = tr_faults_on_signal;
	ctx->hooks.on_exit = on_task_exit;
	ctx->hooks.on_exiting = on_exiting;
	return 0;
}

void tr_model_finish(struct tr_ctx *ctx)
{
	struct vmo_stats st;

	vmo_stats_get(&st);
	ctx->stats.vmos_created = st.created;
	ctx->stats.vmos_live_at_exit = st.live;
	ctx->stats.vmos_peak = st.peak;
	ctx->stats.bytes_copied = st.bytes_copied;
}
