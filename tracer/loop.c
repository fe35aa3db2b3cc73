/*
 * The event loop: one waitpid(-1, __WALL) loop serves every traced task of the program's
 * process tree until the last one is gone.
 *
 * What it models: the kernel's ptrace stops, each turned into one decision (resume, resume
 * with a signal, listen, or hand to a hook). The kinds of stop (ptrace(2), "Stopped states"):
 *   seccomp stop (PTRACE_EVENT_SECCOMP)   a trapped call: on_syscall
 *   exec, exit, clone/fork/vfork events   bookkeeping, on_exec, on_clone
 *   group-stop (PTRACE_EVENT_STOP + stop signal)   PTRACE_LISTEN, so job control works
 *   trap stop (PTRACE_EVENT_STOP + SIGTRAP)        a new task's first stop, or an interrupt
 *   syscall stop (SIGTRAP|0x80)           only for --trace of a call that runs as it is
 *   signal-delivery stop                  on_signal; by default delivered unchanged
 *
 * Invariants:
 * - Every task in ctx->tasks is traced and alive (possibly a zombie not yet reported); a task
 *   leaves the table only when waitpid reports its death, or when an exec from another thread
 *   of its process takes over its identity.
 * - A new task runs only after its creator's event announced it (its first stop may be seen
 *   before that event: it is held, TR_TASK_HELD), so the model always knows a task's mm
 *   before the task can make a trapped call.
 * - Every stop is answered exactly once: resumed here, or by the hook that returned TR_KEEP.
 * - A task that died under us (ESRCH) is not an error: its death report follows.
 * - CLONE_UNTRACED is stripped from every clone: a child that escaped tracing would get ENOSYS
 *   from each trapped call (PTRACE-NOTES.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tracer/filter.h"
#include "tracer/launch.h"
#include "tracer/loop.h"
#include "tracer/remote.h"

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

void tr_ctx_init(struct tr_ctx *ctx, const struct tr_options *opt, FILE *out)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->opt = opt;
	ctx->out = out;
	ctx->prog = opt->argv ? opt->argv[0] : "PROGRAM";
	ctx->launch_fd = -1;
	ctx->queue_tail = &ctx->queue;
	tr_stats_start(&ctx->stats);
}

struct tr_task *tr_task_find(struct tr_ctx *ctx, pid_t tid)
{
	struct tr_task *t;

	HASH_FIND_INT(ctx->tasks, &tid, t);
	return t;
}

struct tr_task *tr_task_add(struct tr_ctx *ctx, pid_t tid)
{
	struct tr_task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->tid = tid;
	t->tgid = tid;
	HASH_ADD_INT(ctx->tasks, tid, t);
	ctx->stats.tasks++;
	return t;
}

static void task_del(struct tr_ctx *ctx, struct tr_task *t)
{
	if (ctx->hooks.on_exit)
		ctx->hooks.on_exit(ctx, t);
	HASH_DEL(ctx->tasks, t);
	free(t);
}

int tr_task_resume(struct tr_ctx *ctx, struct tr_task *t, int sig)
{
	/* --trace keeps the task stopping at its syscall-exit until the line is printed; so does
	 * a hook that wants the call's result. */
	int req = t->trace_pending || t->exit_stop ? PTRACE_SYSCALL : PTRACE_CONT;

	(void)ctx;
	if (ptrace(req, t->tid, 0L, (long)sig) < 0 && errno != ESRCH)
		return -errno;
	return 0;
}

void tr_fail(struct tr_ctx *ctx, const char *fmt, ...)
{
	struct tr_task *t, *tmp;
	va_list ap;

	fputs("starmm-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ctx->failed = true;
	HASH_ITER(hh, ctx->tasks, t, tmp)
	kill(t->tid, SIGKILL);
}

/* The trace arguments of a task's current call. */
static void call_args(const struct tr_task *t, uint64_t args[6])
{
	const struct user_regs_struct *r = &t->regs;

	args[0] = r->rdi;
	args[1] = r->rsi;
	args[2] = r->rdx;
	args[3] = r->r10;
	args[4] = r->r8;
	args[5] = r->r9;
}

static void trace_unfinished(struct tr_ctx *ctx, struct tr_task *t)
{
	uint64_t args[6];

	if (!t->trace_pending)
		return;
	call_args(t, args);
	tr_trace_line(ctx->out, t->tid, (long)t->regs.orig_rax, args, 0, false);
	t->trace_pending = false;
}

/*
 * Note the flags of a clone/fork/vfork before it runs, and strip CLONE_UNTRACED (at a seccomp
 * stop the arguments may still be changed: the call has not started).
 */
static int note_clone(struct tr_task *t)
{
	struct user_regs_struct *r = &t->regs;
	long word;

	switch (r->orig_rax) {
	case SYS_fork:
		t->next_clone = SIGCHLD;
		return 0;
	case SYS_vfork:
		t->next_clone = CLONE_VM | CLONE_VFORK | SIGCHLD;
		return 0;
	case SYS_clone:
		t->next_clone = r->rdi;
		if (!(r->rdi & CLONE_UNTRACED))
			return 0;
		r->rdi &= ~(unsigned long long)CLONE_UNTRACED;
		return ptrace(PTRACE_SETREGS, t->tid, 0L, r) < 0 ? -errno : 0;
	case SYS_clone3:
		/* struct clone_args starts with the 64-bit flags. */
		errno = 0;
		word = ptrace(PTRACE_PEEKDATA, t->tid, (long)r->rdi, 0L);
		if (errno) /* a bad pointer: clone3 fails with EFAULT by itself */
			return 0;
		t->next_clone = (unsigned long)word & ~0xffUL;
		if (!(word & CLONE_UNTRACED))
			return 0;
		word &= ~(long)CLONE_UNTRACED;
		return ptrace(PTRACE_POKEDATA, t->tid, (long)r->rdi, word) < 0 ? -errno : 0;
	}
	return 0;
}

static int trace_call(struct tr_ctx *ctx, struct tr_task *t);

static int refuse_foreign(struct tr_ctx *ctx, struct tr_task *t)
{
	ctx->stats.foreign_calls++;
	fprintf(stderr,
		"starmm-run: %s made an i386 (int 0x80) or x32 system call; starmm-run supports "
		"x86-64 system calls only\n",
		ctx->prog);
	if (t->tgid == ctx->main_pid)
		ctx->refused = true;
	/* The whole process: its other threads share the address space starmm cannot serve. */
	if (kill(t->tgid, SIGKILL) < 0 && errno != ESRCH)
		return -errno;
	return TR_KEEP;
}

static int seccomp_stop(struct tr_ctx *ctx, struct tr_task *t)
{
	unsigned long msg = 0;
	int ret;

	if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0L, &msg) < 0)
		return errno == ESRCH ? TR_KEEP : -errno;
	if (msg == TR_FILTER_FOREIGN)
		return refuse_foreign(ctx, t);
	if (ptrace(PTRACE_GETREGS, t->tid, 0L, &t->regs) < 0)
		return errno == ESRCH ? TR_KEEP : -errno;
	tr_stats_trapped(&ctx->stats, (long)t->regs.orig_rax);
	ret = note_clone(t);
	if (ret < 0)
		return ret == -ESRCH ? TR_KEEP : ret;
	t->emulated = false;
	ret = ctx->hooks.on_syscall ? ctx->hooks.on_syscall(ctx, t) : TR_RESUME;
	if (ret == TR_RESUME && ctx->opt->trace && !t->emulated)
		ret = trace_call(ctx, t);
	return ret;
}

/*
 * --trace after on_syscall let the task go on (a hook that set t->emulated printed the line
 * itself). A call the hook skipped has orig_rax = -1 and its result in rax (the register
 * rules of PTRACE-NOTES.md): its line is printed now. A call that runs as it is gets its line
 * at its syscall-exit stop: the task is resumed with PTRACE_SYSCALL (one more stop, only with
 * --trace).
 */
static int trace_call(struct tr_ctx *ctx, struct tr_task *t)
{
	struct user_regs_struct regs;
	uint64_t args[6];

	if (ptrace(PTRACE_GETREGS, t->tid, 0L, &regs) < 0)
		return errno == ESRCH ? TR_KEEP : -errno;
	if (regs.orig_rax != (unsigned long long)-1) {
		t->trace_pending = true;
		return TR_RESUME;
	}
	call_args(t, args);
	tr_trace_line(ctx->out, t->tid, (long)t->regs.orig_rax, args, (int64_t)regs.rax, true);
	return TR_RESUME;
}

/*
 * A syscall stop (SIGTRAP|0x80): only --trace asks for them. The exit of the traced call
 * prints its line; an entry stop means the call did not complete where it was trapped (a
 * hook made it restart): its next seccomp stop traces it again.
 */
static int syscall_stop(struct tr_ctx *ctx, struct tr_task *t)
{
	struct __ptrace_syscall_info info;
	uint64_t args[6];
	int ret = TR_RESUME;

	if (!t->trace_pending && !t->exit_stop)
		return TR_RESUME;
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (long)sizeof(info), &info) < 0)
		return errno == ESRCH ? TR_KEEP : -errno;
	if (info.op != PTRACE_SYSCALL_INFO_EXIT)
		return TR_RESUME;
	if (t->trace_pending) {
		call_args(t, args);
		tr_trace_line(ctx->out, t->tid, (long)t->regs.orig_rax, args, info.exit.rval, true);
		t->trace_pending = false;
	}
	if (t->exit_stop) {
		t->exit_stop = false;
		if (ctx->hooks.on_syscall_exit)
			ret = ctx->hooks.on_syscall_exit(ctx, t, (long)info.exit.rval);
	}
	return ret;
}

static int exec_stop(struct tr_ctx *ctx, struct tr_task *t)
{
	unsigned long former = 0;
	struct tr_task *old;

	/* An exec from a non-leader thread: it now has the leader's tid (t); its old entry goes,
	 * and its state (the call being traced) moves into t. */
	if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0L, &former) < 0)
		return errno == ESRCH ? TR_KEEP : -errno;
	old = (pid_t)former != t->tid ? tr_task_find(ctx, (pid_t)former) : NULL;
	if (old) {
		t->regs = old->regs;
		t->trace_pending = old->trace_pending;
		old->trace_pending = false;
		task_del(ctx, old);
	}
	t->tgid = t->tid;
	t->flags &= ~TR_TASK_EXITING;
	/* --trace: execve has succeeded; its syscall-exit stop may be consumed by the hook's
	 * work at this stop. */
	if (t->trace_pending) {
		uint64_t args[6];

		call_args(t, args);
		tr_trace_line(ctx->out, t->tid, (long)t->regs.orig_rax, args, 0, true);
		t->trace_pending = false;
	}
	if (t->tid == ctx->main_pid)
		ctx->main_exec_seen = true;
	return ctx->hooks.on_exec ? ctx->hooks.on_exec(ctx, t) : TR_RESUME;
}

int tr_task_wait_first(struct tr_ctx *ctx, struct tr_task *t)
{
	int status, sig;
	pid_t r;

	if (t->flags & TR_TASK_SEEN)
		return 0;
	r = tr_wait_thread(t->tid, &status);
	if (r < 0)
		return -ESRCH;
	if (!WIFSTOPPED(status) || status >> 16 != PTRACE_EVENT_STOP) {
		tr_queue_status(ctx, t->tid, status); /* its death (nothing else comes first) */
		return -ESRCH;
	}
	ctx->stats.stops++;
	sig = WSTOPSIG(status);
	t->flags |= TR_TASK_SEEN | TR_TASK_HELD | (is_stop_signal(sig) ? TR_TASK_HELD_GROUP : 0);
	return 0;
}

/* A new task whose first stop comes now: run it if its creator announced it, else hold it. */
static int first_stop(struct tr_ctx *ctx, struct tr_task *t, int sig)
{
	int ret;

	t->flags |= TR_TASK_SEEN;
	if (!(t->flags & TR_TASK_ANNOUNCED)) {
		t->flags |= TR_TASK_HELD | (is_stop_signal(sig) ? TR_TASK_HELD_GROUP : 0);
		return TR_KEEP;
	}
	if (is_stop_signal(sig))
		return ptrace(PTRACE_LISTEN, t->tid, 0L, 0L) < 0 && errno != ESRCH ? -errno
										   : TR_KEEP;
	/* Resumed here, so TR_KEEP: tr_task_resume()'s 0 is TR_RESUME, and serve() would resume
	 * the task again, which lets its next stop (its first trapped call) run unserved. */
	ret = tr_task_resume(ctx, t, 0);
	return ret < 0 ? ret : TR_KEEP;
}

static int release_held(struct tr_ctx *ctx, struct tr_task *t)
{
	long ret;

	if (!(t->flags & TR_TASK_HELD))
		return 0;
	if (t->flags & TR_TASK_HELD_GROUP)
		ret = ptrace(PTRACE_LISTEN, t->tid, 0L, 0L);
	else
		ret = tr_task_resume(ctx, t, 0);
	t->flags &= ~(TR_TASK_HELD | TR_TASK_HELD_GROUP);
	return ret < 0 && errno != ESRCH ? -errno : 0;
}

static int new_task_stop(struct tr_ctx *ctx, struct tr_task *parent, int event)
{
	unsigned long tid = 0, flags = parent->next_clone;
	struct tr_task *child;
	int ret;

	if (ptrace(PTRACE_GETEVENTMSG, parent->tid, 0L, &tid) < 0)
		return errno == ESRCH ? TR_KEEP : -errno;
	child = tr_task_find(ctx, (pid_t)tid);
	if (!child && !(child = tr_task_add(ctx, (pid_t)tid)))
		return -ENOMEM;
	/* Which event reports a child depends on its exit signal, not on CLONE_VM; the flags
	 * read at the seccomp stop say what the child shares. */
	if (!flags)
		flags = event == PTRACE_EVENT_VFORK  ? CLONE_VM | CLONE_VFORK | SIGCHLD
			: event == PTRACE_EVENT_FORK ? SIGCHLD
						     : CLONE_VM | CLONE_THREAD;
	parent->next_clone = 0;
	child->parent_tid = parent->tid;
	child->no_openat = parent->no_openat;
	child->clone_flags = flags;
	child->tgid = flags & CLONE_THREAD ? parent->tgid : child->tid;
	child->flags |= TR_TASK_ANNOUNCED;
	if (event == PTRACE_EVENT_VFORK)
		parent->flags |= TR_TASK_VFORKING;
	ret = ctx->hooks.on_clone ? ctx->hooks.on_clone(ctx, parent, child) : TR_RESUME;
	if (ret != TR_RESUME)
		return ret;
	ret = release_held(ctx, child);
	return ret < 0 ? ret : TR_RESUME;
}

/*
 * The program stopped for job control. When its first process stops on a terminal's
 * SIGTSTP/SIGTTIN/SIGTTOU, starmm-run stops itself with the same signal, so the shell sees the
 * job stopped; the shell's SIGCONT to the process group resumes both. Only with a controlling
 * terminal: elsewhere no one would continue starmm-run.
 */
static void mirror_stop(struct tr_ctx *ctx, struct tr_task *t, int sig)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
	int fd;

	if (t->tid != ctx->main_pid || sig == SIGSTOP)
		return;
	fd = open("/dev/tty", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	close(fd);
	fflush(ctx->out);
	sigaction(sig, &dfl, &old);
	raise(sig);
	sigaction(sig, &old, NULL);
}

static int event_stop(struct tr_ctx *ctx, struct tr_task *t, int sig)
{
	if (!is_stop_signal(sig)) /* PTRACE_INTERRUPT, or a SIGCONT ending a LISTEN */
		return TR_RESUME;
	if (ptrace(PTRACE_LISTEN, t->tid, 0L, 0L) < 0 && errno != ESRCH)
		return -errno;
	mirror_stop(ctx, t, sig);
	return TR_KEEP;
}

static int signal_stop(struct tr_ctx *ctx, struct tr_task *t, int sig)
{
	int ret = TR_RESUME;

	ctx->stats.signal_stops++;
	if (ctx->hooks.on_signal)
		ret = ctx->hooks.on_signal(ctx, t, &sig);
	if (ret != TR_RESUME)
		return ret;
	ret = tr_task_resume(ctx, t, sig);
	return ret < 0 ? ret : TR_KEEP;
}

static int stopped(struct tr_ctx *ctx, struct tr_task *t, int status)
{
	int event = (unsigned)status >> 16, sig = WSTOPSIG(status);

	if (!(t->flags & TR_TASK_SEEN)) {
		if (event == PTRACE_EVENT_STOP)
			return first_stop(ctx, t, sig);
		t->flags |= TR_TASK_SEEN; /* cannot happen; serve the stop anyway */
	}
	switch (event) {
	case PTRACE_EVENT_SECCOMP:
		return seccomp_stop(ctx, t);
	case PTRACE_EVENT_EXEC:
		return exec_stop(ctx, t);
	case PTRACE_EVENT_EXIT: {
		unsigned long msg = 0;

		t->flags |= TR_TASK_EXITING;
		if (ptrace(PTRACE_GETEVENTMSG, t->tid, 0L, &msg) == 0)
			t->exit_code = (int)msg;
		if (ctx->hooks.on_exiting)
			ctx->hooks.on_exiting(ctx, t);
		return TR_RESUME;
	}
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		return new_task_stop(ctx, t, event);
	case PTRACE_EVENT_VFORK_DONE:
		t->flags &= ~TR_TASK_VFORKING;
		return TR_RESUME;
	case PTRACE_EVENT_STOP:
		return event_stop(ctx, t, sig);
	case 0:
		if (sig == (SIGTRAP | 0x80))
			return syscall_stop(ctx, t);
		return signal_stop(ctx, t, sig);
	}
	return TR_RESUME; /* an event we did not ask for */
}

static void died(struct tr_ctx *ctx, pid_t tid, int status)
{
	struct tr_task *t = tr_task_find(ctx, tid);

	if (tid == ctx->main_pid) {
		ctx->main_status = status;
		ctx->main_done = true;
	}
	if (!t)
		return;
	trace_unfinished(ctx, t);
	task_del(ctx, t);
}

/* Serve one waitpid report. Returns 0 or -errno (a starmm failure). */
static int serve(struct tr_ctx *ctx, pid_t tid, int status)
{
	struct tr_task *t;
	int ret;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		died(ctx, tid, status);
		return 0;
	}
	if (!WIFSTOPPED(status))
		return 0;
	ctx->stats.stops++;
	t = tr_task_find(ctx, tid);
	/* A new task seen before its creator's event. */
	if (!t && !(t = tr_task_add(ctx, tid)))
		return -ENOMEM;
	ret = stopped(ctx, t, status);
	if (ret == TR_RESUME)
		ret = tr_task_resume(ctx, t, 0);
	return ret < 0 ? ret : 0;
}

/* starmm-run's exit status once every task is gone. */
static int exit_status(struct tr_ctx *ctx)
{
	if (ctx->failed || ctx->refused)
		return TR_EXIT_FAILED;
	if (!ctx->main_done)
		return TR_EXIT_FAILED;
	if (!ctx->main_exec_seen)
		return tr_launch_report(ctx);
	if (WIFSIGNALED(ctx->main_status))
		return 128 + WTERMSIG(ctx->main_status);
	return WEXITSTATUS(ctx->main_status);
}

/* The next wait status: a queued one first (held back by a world stop), else
 * waitpid's. Returns the tid, or -errno. */
static pid_t next_status(struct tr_ctx *ctx, int *status)
{
	struct tr_queued *q = ctx->queue;
	struct tr_task *t;
	pid_t tid;

	if (q) {
		ctx->queue = q->next;
		if (!ctx->queue)
			ctx->queue_tail = &ctx->queue;
		tid = q->tid;
		*status = q->status;
		free(q);
		if ((t = tr_task_find(ctx, tid)))
			t->flags &= ~TR_TASK_QUEUED;
		return tid;
	}
	do
		tid = waitpid(-1, status, __WALL);
	while (tid < 0 && errno == EINTR);
	return tid < 0 ? -errno : tid;
}

int tr_loop_run(struct tr_ctx *ctx)
{
	int status, ret;
	pid_t tid;

	while (ctx->tasks) {
		tid = next_status(ctx, &status);
		if (tid < 0) {
			if (tid != -ECHILD)
				tr_fail(ctx, "waitpid: %s", strerror(-tid));
			else if (!ctx->failed)
				tr_fail(ctx, "lost track of %u traced tasks",
					HASH_COUNT(ctx->tasks));
			break;
		}
		ret = serve(ctx, tid, status);
		if (ret < 0 && !ctx->failed)
			tr_fail(ctx, "serving task %d: %s", tid, strerror(-ret));
	}
	while (ctx->tasks) { /* only after ECHILD: nothing left to wait for */
		struct tr_task *t = ctx->tasks;

		task_del(ctx, t);
	}
	ret = exit_status(ctx);
	ctx->stats.exit_status = ret;
	ctx->stats.starmm_failed = ctx->failed || ctx->refused || !ctx->main_done;
	return ret;
}
