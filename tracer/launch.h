/*
 * Starting the program under the supervisor: fork, seize, filter, exec.
 */
#ifndef TRACER_LAUNCH_H
#define TRACER_LAUNCH_H

#include <linux/filter.h>

#include "tracer/loop.h"

/* Refuses (a message on stderr, -EPERM) when starmm-run itself runs under a supervisor that
 * traces and filters it, such as another starmm-run. 0 otherwise. */
int tr_launch_check_self(void);

/*
 * Start argv (PROGRAM found like execvp) as a seized tracee with TR_PTRACE_OPTIONS and the
 * seccomp filter prog, and add it to ctx as its first task (ctx->main_pid). The supervisor's
 * RLIMIT_NOFILE soft limit is raised to the hard limit; the program gets the original. From
 * here on, the supervisor ignores SIGINT, SIGQUIT, SIGHUP, SIGPIPE and the terminal stop
 * signals (the terminal sends them to the program directly; see tr_loop_run()).
 * The program is left running towards its exec: tr_loop_run() serves it.
 * On failure prints why to stderr (the machine is not x86-64; the program is already traced;
 * ptrace is not permitted) and returns -errno: starmm-run exits TR_EXIT_FAILED.
 */
int tr_launch(struct tr_ctx *ctx, char *const argv[], const struct sock_fprog *prog);

/*
 * The program's first process died before its exec succeeded: print why (from the report the
 * child left in ctx->launch_fd) and return the exit status: TR_EXIT_NOT_FOUND,
 * TR_EXIT_CANNOT_RUN, or TR_EXIT_FAILED (and ctx->failed) when the filter could not be set up.
 * A death with no report (killed before exec) gives 128+N or its exit code.
 */
int tr_launch_report(struct tr_ctx *ctx);

#endif
