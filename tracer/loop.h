/*
 * The supervisor's event loop: every traced task, every ptrace stop, and the hooks through
 * which the memory manager (and later the signal and fork handling) take part.
 */
#ifndef TRACER_LOOP_H
#define TRACER_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/user.h>
#include <uthash.h>

#include "tracer/faultlog.h"
#include "tracer/options.h"
#include "tracer/stats.h"

/* Ptrace options of every task (the launcher sets them; auto-attached children inherit). */
#define TR_PTRACE_OPTIONS                                                                          \
	(PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACEFORK |    \
	 PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEVFORKDONE | PTRACE_O_EXITKILL | \
	 PTRACE_O_TRACESYSGOOD)

/* Task flags. */
#define TR_TASK_SEEN	   0x1	/* its first stop was seen (the first task: at launch) */
#define TR_TASK_ANNOUNCED  0x2	/* its creator's FORK/VFORK/CLONE event was seen */
#define TR_TASK_HELD	   0x4	/* stopped at its first stop, waiting to be announced */
#define TR_TASK_HELD_GROUP 0x8	/* ... and that first stop was a group-stop (resume: LISTEN) */
#define TR_TASK_EXITING	   0x10 /* PTRACE_EVENT_EXIT seen */
#define TR_TASK_VFORKING   0x20 /* blocked in vfork: between PTRACE_EVENT_VFORK and VFORK_DONE */
#define TR_TASK_DEFERRED   0x40 /* stopped, its stop held back by a world stop (deferred_status) */
#define TR_TASK_WORLD	   0x80 /* it has stopped the other tasks of its address space */
#define TR_TASK_QUEUED	   0x100 /* stopped, its stop in ctx->queue, not yet served */

/* Where a task is in a world stop (tracer/world.c). */
enum tr_world {
	TR_WORLD_NONE,
	TR_WORLD_WAITING,     /* interrupted, its stop not yet seen */
	TR_WORLD_INTERRUPTED, /* in the interrupt's stop: tr_world_resume resumes it */
};

/* A traced thread. Its addresses in the program are uint64_t, never pointers. */
struct tr_task {
	pid_t tid;
	pid_t tgid;		   /* its process (known once announced; the first task: itself) */
	pid_t parent_tid;	   /* the task whose clone made it; 0 for the first task */
	unsigned long clone_flags; /* the flags it was created with (0 for the first task) */
	unsigned long next_clone;  /* flags of the clone/fork/vfork it is making now */
	unsigned int flags;	   /* TR_TASK_* */
	struct user_regs_struct regs; /* at its last seccomp stop */
	bool trace_pending;	      /* --trace: its line is printed at the syscall-exit stop */
	bool emulated;		      /* the hook emulated the trapped call (and traced it) */
	bool exit_stop;		      /* the hook wants this call's syscall-exit (on_syscall_exit) */
	int exit_code;		      /* PTRACE_EVENT_EXIT's message (a wait status) */
	bool no_openat;		      /* a seccomp filter of the program denies it openat: the
					 VMOs reach it by tr_give_fd only (tasks it creates
					 inherit this, as they inherit the filter; exec keeps it) */
	enum tr_world world;
	int deferred_status; /* TR_TASK_DEFERRED: the wait status held back */
	void *data;		      /* the model's per-task data */
	UT_hash_handle hh;
};

struct tr_ctx;

/* What a hook returns: the loop resumes the task (a negative -errno: starmm-run fails). */
#define TR_RESUME 0
/* ... or the hook resumed the task itself, or keeps it stopped (it resumes it later). */
#define TR_KEEP 1

struct tr_hooks {
	/* A trapped system call (t->regs holds the call). Default: let it run unchanged. */
	int (*on_syscall)(struct tr_ctx *ctx, struct tr_task *t);
	/* The syscall-exit of a call whose seccomp stop set t->exit_stop; rval is its result. */
	int (*on_syscall_exit)(struct tr_ctx *ctx, struct tr_task *t, long rval);
	/* PTRACE_EVENT_EXEC: t has a new address space (t->tid is its process's tid). */
	int (*on_exec)(struct tr_ctx *ctx, struct tr_task *t);
	/* A signal-delivery stop; set *sig to the signal to deliver (0: suppress it). */
	int (*on_signal)(struct tr_ctx *ctx, struct tr_task *t, int *sig);
	/*
	 * parent's clone/fork/vfork made child (child->clone_flags says which; CLONE_VM: shared
	 * mm). TR_RESUME: the loop resumes the parent now and the child at its first stop;
	 * TR_KEEP: the hook resumes both (tr_task_resume()) when it is ready.
	 */
	int (*on_clone)(struct tr_ctx *ctx, struct tr_task *parent, struct tr_task *child);
	/* t is exiting (PTRACE_EVENT_EXIT): its address space is still whole. */
	void (*on_exiting)(struct tr_ctx *ctx, struct tr_task *t);
	/* t is gone (exited, killed, or replaced at a non-leader exec); release t->data. */
	void (*on_exit)(struct tr_ctx *ctx, struct tr_task *t);
};

/* A wait status to serve before waiting again (one a world stop held back). */
struct tr_queued {
	pid_t tid;
	int status;
	struct tr_queued *next;
};

struct tr_ctx {
	const struct tr_options *opt;
	FILE *out;	     /* trace, stats and maps go here (-o FILE or stderr) */
	const char *prog;    /* PROGRAM as typed, for messages */
	uint64_t code_page;  /* the trampoline's code page, as in the filter (0: none yet) */
	pid_t main_pid;	     /* the program's first process: its status is ours */
	int launch_fd;	     /* the launcher's report pipe, read if main dies before exec */
	bool main_exec_seen; /* main's first exec succeeded */
	int main_status;     /* main's wait status, once main_done */
	bool main_done;
	bool refused;	       /* a foreign system call was refused */
	bool failed;	       /* starmm-run failed: everything killed, exit TR_EXIT_FAILED */
	struct tr_task *tasks; /* by tid */
	struct tr_queued *queue, **queue_tail; /* statuses to serve before the next waitpid */
	struct tr_hooks hooks;
	struct tr_stats stats;
	struct tr_faultlog faults; /* --fault firings, --fault-log */
	uint64_t memory_ops;	   /* trapped memory calls emulated so far (--fault-op) */
	void *model; /* the lead's */
};

/* Initialise ctx for a session (no tasks, default hooks). */
void tr_ctx_init(struct tr_ctx *ctx, const struct tr_options *opt, FILE *out);

/* The task tid, or NULL. */
struct tr_task *tr_task_find(struct tr_ctx *ctx, pid_t tid);

/* Add a task (zeroed but for tid and tgid = tid). Returns it, or NULL when out of memory. */
struct tr_task *tr_task_add(struct tr_ctx *ctx, pid_t tid);

/* Wait for the first stop of a new task not seen yet (it is then held: TR_TASK_HELD, resumed
 * by the loop once announced). 0, or -ESRCH when it died first (its death is queued). */
int tr_task_wait_first(struct tr_ctx *ctx, struct tr_task *t);

/* Resume a stopped task delivering sig (0: none); a task that died meanwhile is no error.
 * Returns 0 or -errno. */
int tr_task_resume(struct tr_ctx *ctx, struct tr_task *t, int sig);

/* starmm-run failed: say why on stderr, kill every task; the loop drains them and
 * tr_loop_run() returns TR_EXIT_FAILED. */
void tr_fail(struct tr_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Queue a wait status for the loop to serve before it waits again. */
void tr_queue_status(struct tr_ctx *ctx, pid_t tid, int status);

/* Stop every other task that shares self's address space (t->data) until tr_world_resume;
 * tasks that cannot run count as stopped. A no-op while self's world stop is in force. Counts
 * a world stop in the statistics when self is not alone. 0 or -errno. */
int tr_world_stop(struct tr_ctx *ctx, struct tr_task *self);
/* Resume what self's world stop stopped (stops it held back go to the queue). */
void tr_world_resume(struct tr_ctx *ctx, struct tr_task *self);

/* Serve every traced task until the last one is gone. Returns starmm-run's exit status:
 * main's exit code, 128+N if it died of signal N, 126/127 if it could not be executed,
 * TR_EXIT_FAILED if starmm-run failed or refused the program. */
int tr_loop_run(struct tr_ctx *ctx);

#endif
