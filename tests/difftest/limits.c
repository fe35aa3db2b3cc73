/*
 * RLIMIT_MEMLOCK around each side's calls, so that both regions, which live in one process
 * with one locked_vm, meet the limit as if each were alone (dt.h explains why).
 *
 *	memlock_model(op)	before the model's call: mm.ext_locked_pages = 0 (the model
 *				checks its own locked pages, as the native side will); the model
 *				reads RLIMIT_MEMLOCK = DT_MEMLOCK (0 for an op drawn with
 *				memlock0) through the backend; the real soft limit is the hard
 *				one, so that the calls the model passes through never meet it.
 *	memlock_native(op)	before a native call: the real soft limit is DT_MEMLOCK (or 0)
 *				plus what the rest of the process has locked (VmLck minus the
 *				native region's locked pages), which cancels the model region's
 *				real locks out of the kernel's check (and any locked_vm the
 *				kernel counts beyond its "lo" VMAs, as after a DONTUNMAP move of
 *				a locked range: see DT_SKIP_DONTUNMAP_LOCKED).
 *	memlock_done()		after it: back to the hard limit.
 *
 * With CAP_IPC_LOCK no limit applies and nothing is changed. When the hard limit cannot be
 * lifted by a region's worth (memlock_ok false), the mlock family is not run at all (so the
 * model region holds no real lock, the self backend never passing MAP_LOCKED down) and the
 * soft limit stays at DT_MEMLOCK throughout.
 */
#include <linux/capability.h>
#include <sys/resource.h>

#include "tests/difftest/dt.h"

static bool zero; /* this operation runs with RLIMIT_MEMLOCK 0 on both sides */

static void set_soft(uint64_t bytes)
{
	struct rlimit rl = {.rlim_max = dt.memlock_hard};

	rl.rlim_cur = bytes > dt.memlock_hard ? dt.memlock_hard : bytes;
	setrlimit(RLIMIT_MEMLOCK, &rl);
}

static bool lifting(void)
{
	return !dt.capable_lock && dt.memlock_ok;
}

void memlock_setup(void)
{
	struct rlimit rl;

	getrlimit(RLIMIT_MEMLOCK, &rl);
	dt.memlock_hard = rl.rlim_max;
	dt.capable_lock = self_backend_ops.capable(NULL, CAP_IPC_LOCK);
	dt.memlock_ok = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= DT_MEMLOCK + 2 * DT_REGION;
	set_soft(DT_MEMLOCK);
}

uint64_t layout_locked_pages(const struct layout *l)
{
	uint64_t pages = 0;

	for (int i = 0; i < l->n; i++)
		if (l->s[i].attr & A_LOCKED)
			pages += (l->s[i].end - l->s[i].start) / DT_PAGE;
	return pages;
}

static bool lock_op(const struct op *op)
{
	return op->kind == OP_MLOCK || op->kind == OP_MLOCK2 || op->kind == OP_MLOCKALL;
}

void memlock_model(const struct op *op)
{
	dt.mm.ext_locked_pages = 0;
	zero = op->memlock0 && lock_op(op) && !dt.capable_lock && dt.memlock_ok;
	dt.memlock_override = true;
	dt.memlock_limit = zero ? 0 : DT_MEMLOCK;
	if (lifting())
		set_soft(dt.memlock_hard);
}

void memlock_native(const struct op *op)
{
	long kb;
	uint64_t rest, own;

	(void)op;
	dt.memlock_override = false;
	if (!lifting())
		return;
	if (zero) {
		set_soft(0);
		return;
	}
	kb = status_field_kb("VmLck");
	own = layout_locked_pages(&dt.nat);
	rest = kb > 0 && (uint64_t)kb / 4 > own ? (uint64_t)kb / 4 - own : 0;
	/* a forked probe lacks the DONTFORK ranges' locked pages (run_mremap.c) */
	set_soft(DT_MEMLOCK + rest * DT_PAGE > dt.memlock_missing * DT_PAGE
		     ? DT_MEMLOCK + rest * DT_PAGE - dt.memlock_missing * DT_PAGE
		     : 0);
}

void memlock_done(void)
{
	if (lifting())
		set_soft(dt.memlock_hard);
}
