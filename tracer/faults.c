/*
 * Signal-delivery stops in starmm-run (DESIGN.md section 4): each SIGSEGV/SIGBUS goes to
 * fault/ (fault_classify). A growth Linux would make is made by the memory manager
 * (mm_grow_down) and the signal suppressed; a mismatch (the model has memory where the kernel
 * faulted) is reported loudly and fails the run; the program's own fault is delivered
 * unchanged, with a crash report first when the process will die of it. At every signal stop
 * the thread's growsdown stack is also grown ahead of its stack pointer (GROW_AHEAD), for the
 * signal frame and the kernel's own accesses.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include "fault/crash.h"
#include "fault/decide.h"
#include "tracer/proc.h"
#include "tracer/space.h"
#include "tracer/verify.h"

/* Whether t's stack, when it is a growsdown stack, is mapped less than GROW_AHEAD below rsp. */
static bool needs_ahead(struct tr_as *as, uint64_t rsp)
{
	struct mapping *m = mm_find_after(&as->mm, rsp);

	return m && (m->flags & MF_GROWSDOWN) && rsp >= GROW_AHEAD &&
	       mm_stack_bottom(&as->mm, m)->start > rsp - GROW_AHEAD;
}

/* Grows the stack ahead of rsp (the session is open); a refusal is left to the fault. */
void tr_grow_ahead(struct tr_as *as, uint64_t rsp)
{
	if (needs_ahead(as, rsp))
		mm_grow_down(&as->mm, rsp - GROW_AHEAD, GROW_STEP);
}

/* Whether sig, about to be delivered to t, kills the process: a signal whose default action
 * terminates it (with a core, as the faults do) that the process neither catches nor
 * ignores. */
static bool fatal(pid_t tgid, int sig)
{
	static const int core_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
	uint64_t caught, ignored;
	bool core = false;

	for (size_t i = 0; i < sizeof(core_sigs) / sizeof(core_sigs[0]); i++)
		core |= core_sigs[i] == sig;
	if (!core || !tr_proc_status(tgid, "SigCgt", 16, &caught) ||
	    !tr_proc_status(tgid, "SigIgn", 16, &ignored))
		return false;
	return !((caught | ignored) >> (sig - 1) & 1);
}

/*
 * A signal-delivery stop, classified by fault/ (fault_classify). A fault where the model has
 * memory and the kernel has none is a mismatch: reported loudly (the mapping, its VMO, both
 * views, the backtrace), and starmm-run fails. A SIGSEGV for an unmapped address below a
 * growsdown mapping is a stack growth Linux would make: the model grows the stack (in 64 KiB steps
 * while the limits hold), the signal is suppressed and the instruction restarts. Anything else is
 * delivered unchanged, growth refused included (the SIGSEGV Linux gives), after the thread's stack
 * has been grown ahead of its stack pointer (the kernel pushes the signal frame there); a signal
 * the process will die of gets a crash report first (fault/crash.h).
 */
int tr_faults_on_signal(struct tr_ctx *ctx, struct tr_task *t, int *sig)
{
	struct tr_as *as = t->data;
	enum fault_kind kind = FAULT_PROGRAM;
	struct user_regs_struct regs;
	long e = -EFAULT;
	siginfo_t si;
	bool fault;

	if (!as || !as->have_tramp || ptrace(PTRACE_GETREGS, t->tid, 0L, &regs) < 0)
		return TR_RESUME;
	if ((*sig == SIGSEGV || *sig == SIGBUS) && ptrace(PTRACE_GETSIGINFO, t->tid, 0L, &si) == 0)
		kind = fault_classify(&as->mm, *sig, &si);
	if (kind == FAULT_MISMATCH) {
		fprintf(
		    ctx->out,
		    "starmm-run: MISMATCH: pid %d faulted at %p where the kernel has no mapping "
		    "(SEGV_MAPERR) but the model has one:\n",
		    t->tid, si.si_addr);
		fault_crash_report(ctx->out, t->tid, &si, &as->mm);
		tr_verify(ctx, &as->mm, t->tid); /* both views, when they differ */
		tr_fail(ctx, "pid %d: the model and the kernel disagree about %p (see above)",
			t->tid, si.si_addr);
		return TR_RESUME;
	}
	fault = kind == FAULT_GROWTH;
	if (fault || needs_ahead(as, regs.rsp)) {
		if (tr_remote_begin_at(&as->r, t->tid, &as->tramp, &regs))
			return TR_RESUME;
		as->be.tid = t->tid;
		as->cur = t;
		if (fault)
			e = mm_grow_down(&as->mm, (uint64_t)si.si_addr, GROW_STEP);
		tr_grow_ahead(as, regs.rsp);
		if (tr_session_end(ctx, as, t, TR_REMOTE_KEEP) == -ESRCH)
			return TR_RESUME;
		tr_log_fault(ctx, as, t->tid, -1, NULL, "returned", e);
		if (as->mm.failed) {
			tr_fail(ctx, "the memory manager failed growing pid %d's stack (see above)",
				t->tid);
			return TR_RESUME;
		}
		if (fault && e == 0) {
			ctx->stats.faults_handled++;
			*sig = 0;
		}
	}
	/* The process dies of this signal: its crash report, taken while it is whole. */
	if (*sig && fatal(t->tgid, *sig))
		fault_crash_report(ctx->out, t->tid, NULL, &as->mm);
	return TR_RESUME;
}
