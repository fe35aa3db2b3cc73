/*
 * World stops: every other thread of an address space held still while one operation of its
 * memory manager runs (DESIGN.md section 3, atomicity).
 *
 * What it models: the mmap lock. On Linux no thread sees a mapping half-changed; here an
 * operation that copies memory or changes mappings in several kernel calls could be seen
 * half done, so mm/ asks its backend to quiesce first (mm_backend.quiesce) and the model
 * resumes the world once the trapped call is answered. Operations of one kernel call do not
 * stop anyone: an interrupt is not invisible (epoll_wait and friends return EINTR after it).
 *
 * How: PTRACE_INTERRUPT to each running task of the address space, then waitpid on each until
 * it is in a ptrace stop. The stop it reports is either the interrupt's (PTRACE_EVENT_STOP
 * with SIGTRAP: resumed at tr_world_resume) or a stop that was already on its way (a trapped
 * call, a signal, an event, its death): that one is kept with the task (TR_TASK_DEFERRED)
 * and handed to the loop's queue when the world resumes, so nothing of that address space
 * runs or is served meanwhile; the interrupt left pending then shows up as one more
 * PTRACE_EVENT_STOP, which the loop resumes.
 *
 * Tasks that cannot run already count as stopped and are left alone: not yet seen or held at
 * their first stop, holding a deferred or queued stop, exiting (past PTRACE_EVENT_EXIT), and a
 * parent blocked in vfork (between PTRACE_EVENT_VFORK and VFORK_DONE: it sleeps until the child
 * execs or exits, so an interrupt would never be answered).
 *
 * Invariants: a world stop belongs to the task that made it (TR_TASK_WORLD) and covers the
 * tasks sharing its data; it may last over several stops of other processes (a fork waits for
 * its event); every task it stopped is resumed, or its deferred stop queued, at
 * tr_world_resume.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "tracer/loop.h"
#include "tracer/remote.h"

static bool cannot_run(const struct tr_task *t)
{
	return !(t->flags & TR_TASK_SEEN) ||
	       (t->flags & (TR_TASK_HELD | TR_TASK_EXITING | TR_TASK_VFORKING | TR_TASK_DEFERRED |
			    TR_TASK_QUEUED));
}

void tr_queue_status(struct tr_ctx *ctx, pid_t tid, int status)
{
	struct tr_queued *q = malloc(sizeof(*q));
	struct tr_task *t = tr_task_find(ctx, tid);

	if (!q) { /* the stop would be lost: the task would wait forever */
		tr_fail(ctx, "out of memory while stopping threads");
		return;
	}
	if (t)
		t->flags |= TR_TASK_QUEUED;
	q->tid = tid;
	q->status = status;
	q->next = NULL;
	*ctx->queue_tail = q;
	ctx->queue_tail = &q->next;
}

/* Waits until t is in a ptrace stop (or dead). */
static int wait_stopped(struct tr_ctx *ctx, struct tr_task *t)
{
	int status;
	pid_t r;

	r = tr_wait_thread(t->tid, &status);
	if (r < 0) /* dead (its report comes later) or reaped: nothing to resume */
		return errno == ECHILD || errno == ESRCH ? 0 : -errno;
	if (WIFSTOPPED(status) && status >> 16 == PTRACE_EVENT_STOP &&
	    WSTOPSIG(status) == SIGTRAP) {
		ctx->stats.stops++;
		t->world = TR_WORLD_INTERRUPTED;
		return 0;
	}
	t->flags |= TR_TASK_DEFERRED;
	t->deferred_status = status;
	return 0;
}

static bool same_space(const struct tr_task *t, const struct tr_task *self)
{
	return t != self && t->data == self->data;
}

int tr_world_stop(struct tr_ctx *ctx, struct tr_task *self)
{
	struct tr_task *t, *tmp;
	unsigned others = 0;
	int e = 0;

	if (self->flags & TR_TASK_WORLD)
		return 0;
	self->flags |= TR_TASK_WORLD;
	HASH_ITER(hh, ctx->tasks, t, tmp)
	{
		if (!same_space(t, self))
			continue;
		others++;
		if (cannot_run(t))
			continue;
		if (ptrace(PTRACE_INTERRUPT, t->tid, 0L, 0L) < 0) {
			if (errno != ESRCH)
				e = -errno;
			continue; /* dead: its report comes to the loop */
		}
		t->world = TR_WORLD_WAITING;
	}
	HASH_ITER(hh, ctx->tasks, t, tmp)
	{
		if (t->world != TR_WORLD_WAITING)
			continue;
		t->world = TR_WORLD_NONE;
		if (!e)
			e = wait_stopped(ctx, t);
	}
	if (others)
		ctx->stats.world_stops++;
	return e;
}

void tr_world_resume(struct tr_ctx *ctx, struct tr_task *self)
{
	struct tr_task *t, *tmp;
	int e;

	if (!(self->flags & TR_TASK_WORLD))
		return;
	self->flags &= ~TR_TASK_WORLD;
	HASH_ITER(hh, ctx->tasks, t, tmp)
	{
		if (!same_space(t, self))
			continue;
		if (t->flags & TR_TASK_DEFERRED) {
			t->flags &= ~TR_TASK_DEFERRED;
			tr_queue_status(ctx, t->tid, t->deferred_status);
		}
		if (t->world != TR_WORLD_INTERRUPTED)
			continue;
		t->world = TR_WORLD_NONE;
		e = tr_task_resume(ctx, t, 0);
		if (e < 0 && !ctx->failed)
			tr_fail(ctx, "resuming task %d: %s", t->tid, strerror(-e));
	}
}
