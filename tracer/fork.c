/*
 * fork in starmm-run (DESIGN.md, fork): a clone without CLONE_VM is decided at its seccomp stop
 * from its flags. The other threads of the address space are stopped and mm_snapshot makes
 * every copy before the kernel forks (a failure is ENOMEM from the clone, and nothing forks);
 * the parent then runs the clone with its syscall-exit watched. At the fork event the child,
 * held at its first stop, gets its own trampoline data page (tr_tramp_fork) and runs the
 * snapshot's plan, which re-points its private ranges at the copies; only then do parent,
 * child and threads go on. A clone that returns without the event drops the snapshot.
 *
 * Invariant: at most one fork in flight per address space (its world is stopped meanwhile).
 */
#include <errno.h>
#include <linux/sched.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/space.h"

/* A fork that will not happen (the clone failed, or is being restarted): its snapshot goes,
 * and the parent's address space runs again. */
void tr_fork_drop(struct tr_ctx *ctx, struct tr_as *as)
{
	struct tr_task *t = as->forker;

	if (!as->fork_child)
		return;
	tr_as_put(ctx, as->fork_child);
	free(as->fork_plan.steps);
	as->fork_child = NULL;
	as->forker = NULL;
	t->exit_stop = false;
	tr_world_resume(ctx, t);
}

/*
 * A fork (clone without CLONE_VM) at its seccomp stop: every other thread of the address space
 * stopped, the snapshot taken (every copy made before the kernel forks: a failure is ENOMEM
 * and nothing forks); the world stays stopped until the fork event, where the child is set up
 * (fork_child_ready), or until the call returns without one (on_syscall_exit).
 */
static int fork_prepare(struct tr_ctx *ctx, struct tr_task *t, struct tr_as *as)
{
	struct tr_as *c;
	long e;

	tr_fork_drop(ctx, as); /* a clone restarted after a signal is prepared again */
	as->cur = t;
	c = calloc(1, sizeof(*c));
	if (!c)
		return tr_skip_with(t, -ENOMEM);
	c->users = 1;
	c->ctx = ctx;
	c->be.mem_fd = c->be.pidfd = -1;
	e = tr_world_stop(ctx, t);
	if (!e)
		e = mm_snapshot(&as->mm, &c->mm, &tr_ptrace_backend_ops, &c->be, &as->fork_plan);
	if (e) {
		uint64_t a[6] = {t->regs.rdi, t->regs.rsi, t->regs.rdx,
				 t->regs.r10, t->regs.r8,  t->regs.r9};

		free(c);
		tr_world_resume(ctx, t);
		e = tr_skip_with(t, -ENOMEM);
		tr_log_fault(ctx, as, t->tid, (long)t->regs.orig_rax, a, "returned", -ENOMEM);
		return (int)e;
	}
	as->fork_child = c;
	as->forker = t;
	t->exit_stop = true;
	return TR_RESUME;
}

/* The forked child, at its first stop: its own trampoline data page, then its private
 * ranges re-pointed at the snapshot's VMOs, before it or its parent runs. */
static int fork_child_setup(struct tr_ctx *ctx, struct tr_as *parent, struct tr_as *c,
			    struct tr_task *child)
{
	size_t done;
	int e;

	e = tr_ptrace_backend_init(&c->be, child->tid, &c->r, &c->tramp);
	if (e)
		return e;
	c->be.give |= parent->be.give || child->no_openat;
	c->tramp.give_only = c->be.give;
	c->be.quiesce = tr_as_quiesce;
	c->be.quiesce_arg = c;
	c->cur = child;
	if (tr_remote_begin(&c->r, child->tid, NULL))
		return -ESRCH;
	c->r.at_exec = true; /* not at a syscall: calls are poked in */
	e = tr_tramp_fork(&c->tramp, &parent->tramp, &c->r);
	if (!e) {
		c->have_tramp = true;
		done = c->mm.be->run(c->mm.be_ctx, &parent->fork_plan);
		if (done < parent->fork_plan.n)
			e = (int)parent->fork_plan.steps[done].result;
	}
	tr_session_end(ctx, c, child, TR_REMOTE_KEEP);
	return e;
}

/* clone/clone3/fork/vfork at its seccomp stop: threads and vfork go on (the loop has read the
 * flags into next_clone and stripped CLONE_UNTRACED); a fork is prepared. */
int tr_fork_call(struct tr_ctx *ctx, struct tr_task *t)
{
	struct tr_as *as = t->data;

	if ((t->next_clone & CLONE_VM) || !as || !as->have_tramp)
		return TR_RESUME;
	return fork_prepare(ctx, t, as);
}

int tr_fork_on_clone(struct tr_ctx *ctx, struct tr_task *parent, struct tr_task *child)
{
	struct tr_as *as = parent->data, *c;
	int e;

	if (as && (child->clone_flags & CLONE_VM)) {
		as->users++;
		child->data = as;
		return TR_RESUME;
	}
	if (!as || as->forker != parent)
		return TR_RESUME;
	c = as->fork_child;
	as->fork_child = NULL;
	as->forker = NULL;
	parent->exit_stop = false;
	c->tgid = child->tid;
	child->data = c;
	e = tr_task_wait_first(ctx, child);
	if (!e)
		e = fork_child_setup(ctx, as, c, child);
	free(as->fork_plan.steps);
	memset(&as->fork_plan, 0, sizeof(as->fork_plan));
	tr_world_resume(ctx, parent);
	if (e && e != -ESRCH)
		tr_fail_late(ctx, child, "after fork", e);
	return TR_RESUME;
}
