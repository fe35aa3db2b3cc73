/*
 * Launch: the program becomes a seized tracee before its first trapped call.
 *
 * What it models: the order the kernel requires (PTRACE-NOTES.md, "The filter"): a trapped
 * call with no tracer, or a tracer without PTRACE_O_TRACESECCOMP, fails with ENOSYS. So:
 *   child:  restore RLIMIT_NOFILE, raise(SIGSTOP)
 *   parent: wait for that stop, PTRACE_SEIZE with TR_PTRACE_OPTIONS, wait for the trap,
 *           SIGCONT (to end the group-stop for job control too), PTRACE_CONT
 *   child:  PR_SET_NO_NEW_PRIVS, load the filter, execvp(PROGRAM)
 * Invariants: from the filter on, every call of the child is served by the loop (its execve
 * attempts are trapped calls), so the supervisor never blocks on the child: a failed exec is
 * reported by the child through a close-on-exec pipe (a successful exec closes it) and read
 * only once the child is dead (tr_launch_report()). The program gets the supervisor's
 * original RLIMIT_NOFILE and signal dispositions; the supervisor keeps the raised limit (one
 * memfd per VMO) and ignores the terminal's signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/seccomp.h>

#include "tracer/filter.h"
#include "tracer/launch.h"
#include "tracer/proc.h"

#ifndef __x86_64__
#error "starmm-run supports x86-64 only"
#endif

/* What the child writes to the report pipe when it cannot reach its exec. */
enum stage { STAGE_NO_NEW_PRIVS = 1, STAGE_FILTER, STAGE_EXEC };

struct report {
	int stage;
	int err;
};

static void __attribute__((noreturn))
child(int fd, const struct rlimit *nofile, char *const argv[], const struct sock_fprog *prog)
{
	struct report r = {0, 0};
	int ret;

	setrlimit(RLIMIT_NOFILE, nofile); /* lowering a soft limit cannot fail */
	raise(SIGSTOP);			  /* the supervisor seizes us meanwhile */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = (struct report){STAGE_NO_NEW_PRIVS, errno};
		goto out;
	}
	ret = tr_filter_load(prog);
	if (ret < 0) {
		r = (struct report){STAGE_FILTER, -ret};
		goto out;
	}
	execvp(argv[0], argv);
	r = (struct report){STAGE_EXEC, errno};
out:
	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(TR_EXIT_FAILED);
	_exit(r.stage != STAGE_EXEC ? TR_EXIT_FAILED
	      : r.err == ENOENT	    ? TR_EXIT_NOT_FOUND
				    : TR_EXIT_CANNOT_RUN);
}

static pid_t tracer_of(pid_t pid)
{
	uint64_t tracer;

	return tr_proc_status(pid, "TracerPid", 10, &tracer) ? (pid_t)tracer : 0;
}

int tr_launch_check_self(void)
{
	pid_t tracer = tracer_of(getpid());
	uint64_t mode = 0;

	/* Traced and filtered: under starmm-run or a supervisor like it, whose filter traps
	 * ptrace and whose trampoline this process's own would not get past. A debugger alone
	 * (gdb on starmm-run) is fine. */
	if (tracer && tr_proc_status(getpid(), "Seccomp", 10, &mode) &&
	    mode == SECCOMP_MODE_FILTER) {
		fprintf(stderr,
			"starmm-run: already running under a supervisor (tracer pid %d, with a "
			"seccomp filter): starmm-run cannot run inside starmm-run; run it "
			"directly\n",
			tracer);
		return -EPERM;
	}
	return 0;
}

static void cannot_trace(const char *prog, pid_t pid, int err)
{
	pid_t tracer = tracer_of(pid);

	if (err == EPERM && tracer && tracer != getpid())
		fprintf(stderr,
			"starmm-run: cannot trace %s: it is already being traced (run it outside "
			"gdb/strace)\n",
			prog);
	else if (err == EPERM)
		fprintf(stderr,
			"starmm-run: cannot trace %s: ptrace is not permitted here (check "
			"kernel.yama.ptrace_scope and the container's seccomp profile)\n",
			prog);
	else
		fprintf(stderr, "starmm-run: cannot trace %s: %s\n", prog, strerror(err));
}

/* The terminal sends these to the whole foreground process group: the program gets its own
 * copy, and the supervisor must outlive the program to serve it. */
static void ignore_terminal_signals(void)
{
	static const int sigs[] = {SIGINT, SIGQUIT, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
	struct sigaction ign = {.sa_handler = SIG_IGN};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &ign, NULL);
}

static int check_machine(void)
{
	struct utsname u;

	if (uname(&u) == 0 && strcmp(u.machine, "x86_64")) {
		fprintf(stderr, "starmm-run: this machine is %s; starmm-run supports x86-64 only\n",
			u.machine);
		return -ENOEXEC;
	}
	return 0;
}

int tr_launch(struct tr_ctx *ctx, char *const argv[], const struct sock_fprog *prog)
{
	struct rlimit nofile, raised;
	struct tr_task *t;
	int fds[2], status, err;
	pid_t pid;

	err = check_machine();
	if (err)
		return err;
	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return -errno;
	raised = nofile;
	raised.rlim_cur = raised.rlim_max;
	setrlimit(RLIMIT_NOFILE, &raised); /* best effort: the model reports EMFILE itself */
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	t = tr_task_add(ctx, 0);
	if (!t) {
		err = -ENOMEM;
		goto out_pipe;
	}
	fflush(NULL); /* nothing buffered may be written twice */
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out_task;
	}
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], &nofile, argv, prog);
	}
	close(fds[1]);
	fds[1] = -1;
	ignore_terminal_signals();
	/* Seize only once it is stopped: one path, whatever the scheduling (seized before its
	 * raise(), the SIGSTOP would be a signal-delivery stop instead). */
	if (waitpid(pid, &status, WUNTRACED) < 0 || !WIFSTOPPED(status)) {
		fprintf(stderr, "starmm-run: cannot start %s: it died before its exec\n", argv[0]);
		err = -ECHILD;
		goto out_task;
	}
	if (ptrace(PTRACE_SEIZE, pid, 0L, (long)TR_PTRACE_OPTIONS) < 0) {
		err = -errno;
		cannot_trace(argv[0], pid, -err);
		goto out_kill;
	}
	/* Seizing a stopped task makes it report a group-stop trap. */
	while (waitpid(pid, &status, __WALL) < 0)
		if (errno != EINTR) {
			err = -errno;
			goto out_kill;
		}
	/*
	 * End the group-stop with SIGCONT, not only with PTRACE_CONT: PTRACE_CONT would run the
	 * task but leave its process "stopped" for job control, and every thread it creates
	 * later would start in a group-stop (PTRACE_EVENT_STOP with SIGSTOP), waiting forever
	 * for a SIGCONT. The stops this SIGCONT causes are the loop's.
	 */
	if (!WIFSTOPPED(status) || kill(pid, SIGCONT) < 0 || ptrace(PTRACE_CONT, pid, 0L, 0L) < 0) {
		err = WIFSTOPPED(status) ? -errno : -ECHILD;
		fprintf(stderr, "starmm-run: cannot start %s: %s\n", argv[0], strerror(-err));
		goto out_kill;
	}
	/* Rekey the first task, added before the fork so that no allocation can fail after. */
	HASH_DEL(ctx->tasks, t);
	t->tid = t->tgid = pid;
	t->flags = TR_TASK_SEEN | TR_TASK_ANNOUNCED;
	HASH_ADD_INT(ctx->tasks, tid, t);
	ctx->main_pid = pid;
	ctx->launch_fd = fds[0];
	return 0;
out_kill:
	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
out_task:
	HASH_DEL(ctx->tasks, t);
	free(t);
	ctx->stats.tasks = 0;
out_pipe:
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return err;
}

int tr_launch_report(struct tr_ctx *ctx)
{
	struct report r = {0, 0};
	int status = ctx->main_status;

	if (ctx->launch_fd < 0 || read(ctx->launch_fd, &r, sizeof(r)) != sizeof(r)) {
		/* Killed before its exec (or a report lost): its own status. */
		return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	}
	close(ctx->launch_fd);
	ctx->launch_fd = -1;
	switch (r.stage) {
	case STAGE_EXEC:
		if (r.err == ENOENT && !strchr(ctx->prog, '/')) {
			fprintf(stderr, "starmm-run: %s: command not found\n", ctx->prog);
			return TR_EXIT_NOT_FOUND;
		}
		fprintf(stderr, "starmm-run: %s: %s\n", ctx->prog, strerror(r.err));
		return r.err == ENOENT ? TR_EXIT_NOT_FOUND : TR_EXIT_CANNOT_RUN;
	case STAGE_NO_NEW_PRIVS:
		fprintf(stderr, "starmm-run: cannot run %s: PR_SET_NO_NEW_PRIVS failed: %s\n",
			ctx->prog, strerror(r.err));
		break;
	default:
		fprintf(stderr,
			"starmm-run: cannot run %s: loading the seccomp filter failed: %s\n",
			ctx->prog, strerror(r.err));
	}
	ctx->failed = true;
	return TR_EXIT_FAILED;
}
