/*
 * An address space of the program as starmm-run's model holds it (struct tr_as), shared by
 * the three parts of the model: model.c (exec, the memory calls, sessions, the fault log),
 * fork.c (fork snapshots) and faults.c (signal stops: stack growth, mismatches, crash
 * reports). Private to them.
 *
 * Invariants: a task's data is its tr_as or NULL (before the first exec); threads and CLONE_VM
 * children share their creator's (users counts them); batches of one address space never
 * overlap (one session at a time); every session ends through tr_session_end.
 */
#ifndef STARMM_TRACER_SPACE_H
#define STARMM_TRACER_SPACE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mm/mm.h"
#include "tracer/loop.h"
#include "tracer/ptrace_backend.h"
#include "tracer/remote.h"
#include "tracer/tramp.h"

/* Stack growth is rounded to this (fewer faults), within Linux's limits. */
#define GROW_STEP (64ULL << 10)
/* Grow-ahead: at each stop of a thread whose stack pointer is in (or just below) a growsdown
 * stack, the stack is kept mapped at least this far below it, so the kernel's own accesses
 * (a read(2) into a stack buffer not touched yet, a signal frame) find memory there. */
#define GROW_AHEAD (256ULL << 10)

struct tr_as {
	int users;
	pid_t tgid;
	struct tr_ctx *ctx;
	struct tr_task *cur; /* the task whose trapped call is being served */
	struct mm mm;
	bool have_tramp;
	bool torn; /* a thread died in the middle of an operation: the kernel may hold part of
		      it, which no longer matters (the process is dying), so no exit verify */
	/* A fork in flight (between its clone's seccomp stop and its event): the child's
	 * address space, snapshot taken, and the plan that re-points its private ranges. */
	struct tr_as *fork_child;
	struct plan fork_plan;
	struct tr_task *forker;
	struct tr_tramp tramp;
	struct tr_remote r;
	struct tr_ptrace_backend be;
};

/* Drops one user of as; the last one frees it (--maps prints it then). */
void tr_as_put(struct tr_ctx *ctx, struct tr_as *as);
/* mm_backend.quiesce of an address space (arg: its tr_as): stops its other threads. */
int tr_as_quiesce(void *arg);
/* Ends the session on as opened for t: registers back (rax = result, or TR_REMOTE_KEEP), the
 * threads t stopped resumed, a death or exit stop the session consumed handed back to the
 * loop, the signals it kept queued again. 0, or -ESRCH (the thread is gone). */
int tr_session_end(struct tr_ctx *ctx, struct tr_as *as, struct tr_task *t, long result);
/* After a call was answered ("returned", result what the program saw) or a process killed
 * ("killed", result the signal): the --fault-log line of a fault injected meanwhile, with
 * --verify's comparison (a difference is a starmm failure). */
void tr_log_fault(struct tr_ctx *ctx, struct tr_as *as, pid_t tid, long nr, const uint64_t *args,
		  const char *outcome, long result);
/* A failure past the kernel's point of no return (after exec, after the kernel forked): an
 * injected fault kills that process; anything else is starmm's own failure. */
void tr_fail_late(struct tr_ctx *ctx, struct tr_task *t, const char *when, int e);
/* Sets the trapped call's result without running it. TR_RESUME, or -errno. */
int tr_skip_with(struct tr_task *t, long result);

/* fork.c */
/* clone/clone3/fork/vfork at its seccomp stop: a fork is prepared (snapshot taken). */
int tr_fork_call(struct tr_ctx *ctx, struct tr_task *t);
/* The clone/fork/vfork event: CLONE_VM children share the mm; a fork's child is set up. */
int tr_fork_on_clone(struct tr_ctx *ctx, struct tr_task *parent, struct tr_task *child);
/* A prepared fork that will not happen (the clone returned without an event, the forker
 * died): its snapshot goes, the parent's address space runs again. */
void tr_fork_drop(struct tr_ctx *ctx, struct tr_as *as);

/* faults.c */
/* The signal-delivery stop hook: growth, grow-ahead, mismatches, crash reports. */
int tr_faults_on_signal(struct tr_ctx *ctx, struct tr_task *t, int *sig);
/* Grows t's growsdown stack GROW_AHEAD ahead of rsp when needed (the session is open). */
void tr_grow_ahead(struct tr_as *as, uint64_t rsp);

#endif
