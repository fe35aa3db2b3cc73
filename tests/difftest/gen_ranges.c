/*
 * The generator's range operations that change no layout by themselves, or only flags:
 * madvise, mlock / mlock2 / munlock / munlockall (mlockall: fork.c and --faults), msync and
 * mincore.
 *
 * Ranges come from gen_range(): whole mappings, heads, tails, middles, from a hole into a
 * mapping, across holes and mapping boundaries (partial effects, then ENOMEM). Each kind has
 * its invalid arguments, one at a time: an unaligned start (mlock/munlock round it down
 * instead), a length of zero, a wrapping length, a range beyond TASK_SIZE (absolute), unknown
 * flags or advice. Some advice is aimed at the mappings it is about: REMOVE at shared and
 * private, anonymous and file mappings (success, EINVAL, EACCES), WIPEONFORK at private
 * anonymous memory, msync(MS_INVALIDATE) at locked mappings (EBUSY).
 *
 * MADV_HWPOISON and MADV_SOFT_OFFLINE would really poison pages with CAP_SYS_ADMIN on a
 * kernel with CONFIG_MEMORY_FAILURE: there they are only drawn with an unaligned start.
 */
#include <inttypes.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/difftest/dt.h"

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

#define P DT_PAGE

static const struct {
	int advice;
	const char *name;
	unsigned weight;
} advices[] = {
    {MADV_NORMAL, "NORMAL", 2},
    {MADV_RANDOM, "RANDOM", 2},
    {MADV_SEQUENTIAL, "SEQUENTIAL", 2},
    {MADV_WILLNEED, "WILLNEED", 3},
    {MADV_DONTNEED, "DONTNEED", 10},
    {MADV_FREE, "FREE", 10},
    {MADV_REMOVE, "REMOVE", 8},
    {MADV_DONTFORK, "DONTFORK", 6},
    {MADV_DOFORK, "DOFORK", 3},
    {MADV_MERGEABLE, "MERGEABLE", 1},
    {MADV_UNMERGEABLE, "UNMERGEABLE", 1},
    {MADV_HUGEPAGE, "HUGEPAGE", 3},
    {MADV_NOHUGEPAGE, "NOHUGEPAGE", 3},
    {MADV_DONTDUMP, "DONTDUMP", 2},
    {MADV_DODUMP, "DODUMP", 2},
    {MADV_WIPEONFORK, "WIPEONFORK", 8},
    {MADV_KEEPONFORK, "KEEPONFORK", 3},
    {MADV_COLD, "COLD", 2},
    {MADV_PAGEOUT, "PAGEOUT", 2},
    {MADV_POPULATE_READ, "POPULATE_READ", 4},
    {MADV_POPULATE_WRITE, "POPULATE_WRITE", 4},
    {MADV_DONTNEED_LOCKED, "DONTNEED_LOCKED", 4},
    {MADV_COLLAPSE, "COLLAPSE", 2},
    {MADV_HWPOISON, "HWPOISON", 1},
    {MADV_SOFT_OFFLINE, "SOFT_OFFLINE", 1},
    {MADV_GUARD_INSTALL, "GUARD_INSTALL", 8},
    {MADV_GUARD_REMOVE, "GUARD_REMOVE", 4},
};
#define NADVICES (sizeof(advices) / sizeof(advices[0]))

/* Advice numbers no kernel knows (5 was MADV_SPACEAVAIL, removed; 6, 7 never used). */
static const int unknown_advice[] = {-1, 5, 6, 7, 26, 27, 64, 99, 104, 200, 1 << 20};

const char *advice_name(int advice)
{
	static char buf[16];

	for (size_t i = 0; i < NADVICES; i++)
		if (advices[i].advice == advice)
			return advices[i].name;
	snprintf(buf, sizeof(buf), "unknown%d", advice);
	return buf;
}

/* Whether HWPOISON/SOFT_OFFLINE could really act (CAP_SYS_ADMIN, CONFIG_MEMORY_FAILURE). */
static bool poison_armed(void)
{
	static int armed = -1;

	if (armed < 0)
		armed = self_backend_ops.capable(NULL, CAP_SYS_ADMIN) &&
			syscall(SYS_madvise, 0UL, 0UL, MADV_HWPOISON) == 0;
	return armed;
}

static int draw_advice(void)
{
	unsigned total = 0, r;

	for (size_t i = 0; i < NADVICES; i++)
		total += advices[i].weight;
	for (;;) {
		r = (unsigned)gen_rnd(total);
		for (size_t i = 0; i < NADVICES; i++) {
			if (r < advices[i].weight) {
				int a = advices[i].advice;

				if (DT_SKIP_MADV_GUARD &&
				    (a == MADV_GUARD_INSTALL || a == MADV_GUARD_REMOVE))
					break;
				return a;
			}
			r -= advices[i].weight;
		}
	}
}

/* Invalid range arguments shared by the range operations; true when one was applied. */
static bool invalid_range(struct op *op, unsigned r)
{
	if (r < 4) {
		op->intent = "unaligned";
		op->addr += 1 + gen_rnd(P - 1);
	} else if (r < 7) {
		op->intent = "len0";
		op->len = 0;
	} else if (r < 9) {
		op->intent = "wrap";
		op->len = ~0ULL - P + 1 - gen_rnd(2) * P;
	} else if (r < 11) {
		op->intent = "beyond-task-size";
		op->abs = true;
		op->addr = DT_TASK_SIZE + gen_rnd(16) * P;
		op->len = gen_pages() * P;
	} else {
		return false;
	}
	return true;
}

/* The whole of a mapping with these flags (any when none), for aimed advice; with
 * private_anon, a private anonymous one if a few draws find one. */
static void aim(struct op *op, unsigned want, bool private_anon)
{
	const struct mview *m = gen_pick_mapping(want, false);

	for (int i = 0; private_anon && i < 8 && m; i++) {
		if (m->kind == MK_ANON && !(m->flags & MF_SHARED))
			break;
		m = gen_pick_mapping(want, false);
	}
	if (m) {
		op->addr = m->start;
		op->len = m->end - m->start;
	}
}

void gen_madvise(struct op *op)
{
	unsigned r = (unsigned)gen_rnd(100);

	op->kind = OP_MADVISE;
	op->advice = draw_advice();
	gen_range(&op->addr, &op->len);
	if (op->advice == MADV_REMOVE && gen_pct(50))
		aim(op, gen_pct(50) ? MF_SHARED : 0, false);
	else if ((op->advice == MADV_FREE || op->advice == MADV_WIPEONFORK ||
		  op->advice == MADV_DONTNEED) &&
		 gen_pct(50))
		aim(op, 0, true);
	if (op->advice == MADV_HWPOISON || op->advice == MADV_SOFT_OFFLINE) {
		if (poison_armed()) {
			op->intent = "unaligned";
			op->addr += 1 + gen_rnd(P - 1);
		}
		return;
	}
	if (r < 5) {
		op->intent = "unknown-advice";
		op->advice = unknown_advice[gen_rnd(sizeof(unknown_advice) / sizeof(int))];
		return;
	}
	invalid_range(op, r - 5);
}

void gen_mlock(struct op *op)
{
	unsigned r = (unsigned)gen_rnd(100), k = (unsigned)gen_rnd(100);

	op->kind = k < 45 ? OP_MLOCK : k < 70 ? OP_MLOCK2 : k < 96 ? OP_MUNLOCK : OP_MUNLOCKALL;
	if (dt.faults && k >= 98)
		op->kind = OP_MLOCKALL;
	if (op->kind == OP_MUNLOCKALL)
		return;
	if (op->kind == OP_MLOCKALL) {
		uint64_t rng = gen_rnd(~0ULL);

		fork_mlockall_flags(&rng, &op->flags);
		return;
	}
	gen_range(&op->addr, &op->len);
	if (op->kind == OP_MLOCK2) {
		op->flags = gen_pct(60) ? MLOCK_ONFAULT : 0;
		if (gen_pct(6))
			op->flags |= 2 << gen_rnd(4), op->intent = "bad-flags";
	}
	if (op->kind != OP_MUNLOCK && gen_pct(8))
		op->memlock0 = true;
	if (r < 6) { /* mlock rounds an unaligned start down: valid (same end) */
		uint64_t o = 1 + gen_rnd(P - 1);

		op->intent = "unaligned-start";
		op->addr += o;
		op->len = op->len > o ? op->len - o : 1;
		return;
	}
	invalid_range(op, r < 10 ? 100 : r - 6);
}

void gen_msync(struct op *op)
{
	static const int flag_sets[] = {
	    MS_ASYNC,
	    MS_ASYNC,
	    MS_SYNC,
	    MS_INVALIDATE,
	    MS_ASYNC | MS_INVALIDATE,
	    MS_SYNC | MS_INVALIDATE,
	    0,
	    MS_ASYNC | MS_SYNC,
	    8,
	};
	unsigned r = (unsigned)gen_rnd(100);

	op->kind = OP_MSYNC;
	op->flags = flag_sets[gen_rnd(sizeof(flag_sets) / sizeof(flag_sets[0]))];
	gen_range(&op->addr, &op->len);
	if ((op->flags & MS_INVALIDATE) && gen_pct(40))
		aim(op, MF_LOCKED, false);
	if (op->flags == (MS_ASYNC | MS_SYNC) || op->flags == 8)
		op->intent = "bad-flags";
	invalid_range(op, r);
}

void gen_mincore(struct op *op)
{
	unsigned r = (unsigned)gen_rnd(100), v = (unsigned)gen_rnd(100);

	op->kind = OP_MINCORE;
	gen_range(&op->addr, &op->len);
	op->vec_mode = v < 88 ? VEC_OK : v < 92 ? VEC_NULL : v < 96 ? VEC_READONLY : VEC_BEYOND;
	invalid_range(op, r);
}

void ranges_print(FILE *f, const struct op *op)
{
	static const char *const vecs[] = {"vec", "NULL", "read-only", "beyond-task-size"};
	const char *base = op->abs ? "" : "B+";

	switch (op->kind) {
	case OP_MADVISE:
		fprintf(f, "madvise(%s%#" PRIx64 ", %#" PRIx64 ", %s)", base, op->addr, op->len,
			advice_name(op->advice));
		break;
	case OP_MLOCK:
	case OP_MUNLOCK:
		fprintf(f, "%s(%s%#" PRIx64 ", %#" PRIx64 ")", op_kind_name(op->kind), base,
			op->addr, op->len);
		break;
	case OP_MLOCK2:
		fprintf(f, "mlock2(%s%#" PRIx64 ", %#" PRIx64 ", %#x)", base, op->addr, op->len,
			op->flags);
		break;
	case OP_MLOCKALL:
		fprintf(f, "mlockall(%#x)", op->flags);
		break;
	case OP_MUNLOCKALL:
		fprintf(f, "munlockall()");
		break;
	case OP_MSYNC:
		fprintf(f, "msync(%s%#" PRIx64 ", %#" PRIx64 ", %#x)", base, op->addr, op->len,
			op->flags);
		break;
	case OP_MINCORE:
		fprintf(f, "mincore(%s%#" PRIx64 ", %#" PRIx64 ", %s)", base, op->addr, op->len,
			vecs[op->vec_mode]);
		break;
	default:
		break;
	}
	if (op->intent)
		fprintf(f, " [%s]", op->intent);
	if (op->memlock0)
		fprintf(f, " [RLIMIT_MEMLOCK 0]");
}
