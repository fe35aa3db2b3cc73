/*
 * The generator's mremap: shapes drawn against the model's table, each with an intent that
 * says what it aims at (the outcome label is what happened, see run_mremap.c).
 *
 * Valid shapes: shrink (in place, over mapping ends and into holes), grow with the old range
 * ending its mapping (in place when there is room above, else ENOMEM without MREMAP_MAYMOVE
 * or a move with it), grow from the middle of a mapping (a move), MREMAP_FIXED to an address
 * of the ops window (same, smaller or larger size; the target may hold mappings), the
 * MREMAP_DONTUNMAP move, old_len 0 (an alias of a shared mapping; EINVAL on a private one)
 * and a same-size FIXED move over several mappings and holes. Invalid ones, one thing wrong
 * at a time: unknown flags, FIXED without MAYMOVE, DONTUNMAP without MAYMOVE or resizing, an
 * unaligned address or target, new_len 0 or beyond TASK_SIZE, a wrapping old range, a FIXED
 * target overlapping the old range or beyond TASK_SIZE, the old range in a hole, the old
 * range leaving its mapping while growing.
 *
 * Invariant (native.c checks it again): every range a call could touch lies in the ops
 * window: the old range, addr + new_len for growth in place, and a FIXED target; or the call
 * fails before touching anything (the invalid shapes above).
 */
#include <inttypes.h>
#include <string.h>
#include <linux/mman.h>
#include <sys/mman.h>

#include "tests/difftest/dt.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define P DT_PAGE

static uint64_t hole_page(void)
{
	for (int i = 0; i < 16; i++) {
		uint64_t a = gen_rnd(DT_OPS_END / P) * P;
		bool free = true;

		for (int k = 0; k < dt.nmv && free; k++)
			free = !(dt.mv[k].start <= a && a < dt.mv[k].end);
		if (free)
			return a;
	}
	return gen_rnd(DT_OPS_END / P) * P;
}

/* The model mapping holding rel, or NULL. */
static const struct mview *mapping_at(uint64_t rel)
{
	for (int i = 0; i < dt.nmv; i++)
		if (dt.mv[i].start <= rel && rel < dt.mv[i].end)
			return &dt.mv[i];
	return NULL;
}

/* A start in m and an old length that stays inside m (page multiples). */
static void inside(const struct mview *m, uint64_t *addr, uint64_t *old)
{
	uint64_t mp = (m->end - m->start) / P;

	*addr = gen_pct(50) ? m->start : m->start + gen_rnd(mp) * P;
	*old = (1 + gen_rnd((m->end - *addr) / P)) * P;
}

/* The cases DT_SKIP_MREMAP_* keep away from (dt.h): reshaped into their in-mapping form. */
static void avoid_model_bugs(struct op *op)
{
	const struct mview *m = mapping_at(op->addr);
	uint64_t old = DT_PAGE_ALIGN(op->len), nl = DT_PAGE_ALIGN(op->new_len);

	if (DT_SKIP_DONTUNMAP_LOCKED && (op->flags & MREMAP_DONTUNMAP)) {
		for (int i = 0; i < dt.nmv; i++)
			if (dt.mv[i].start < op->addr + old && op->addr < dt.mv[i].end &&
			    (dt.mv[i].flags & MF_LOCKED))
				op->flags &= ~MREMAP_DONTUNMAP;
	}
	if (DT_SKIP_DONTUNMAP_UNALIGNED && (op->flags & MREMAP_DONTUNMAP) && old == nl)
		op->new_len = op->len;
	if (DT_SKIP_MREMAP_ALIAS_SELF && op->len == 0 && (op->flags & MREMAP_FIXED) &&
	    !op->abs_new && op->new_addr <= op->addr && op->addr < op->new_addr + nl)
		op->new_addr = op->addr >= nl + P ? op->addr - nl - P : op->addr + P;
	if ((op->flags & (MREMAP_FIXED | MREMAP_MAYMOVE)) != (MREMAP_FIXED | MREMAP_MAYMOVE) ||
	    !m || op->addr & (P - 1) || old <= m->end - op->addr)
		return;
	if ((DT_SKIP_MREMAP_MULTI && old == nl) || (DT_SKIP_MREMAP_FIXED_SHRINK && nl < old)) {
		op->len = m->end - op->addr;
		if (DT_PAGE_ALIGN(op->new_len) > op->len || old == nl)
			op->new_len = op->len;
	}
}

/* Keeps every range the call may touch inside the ops window (see the top comment). */
static void clamp(struct op *op)
{
	uint64_t a = op->addr & ~(P - 1), na = op->new_addr & ~(P - 1);

	if (a >= DT_OPS_END)
		op->addr = a = DT_OPS_END - P;
	if (DT_PAGE_ALIGN(op->len) > DT_OPS_END - a)
		op->len = DT_OPS_END - a;
	if (!(op->flags & MREMAP_FIXED) && DT_PAGE_ALIGN(op->new_len) > DT_OPS_END - a)
		op->new_len = DT_OPS_END - a;
	if ((op->flags & MREMAP_FIXED) && !op->abs_new) {
		if (na >= DT_OPS_END)
			op->new_addr = na = DT_OPS_END - P;
		if (DT_PAGE_ALIGN(op->new_len) > DT_OPS_END - na)
			op->new_len = DT_OPS_END - na;
	}
}

/* One thing wrong, on an otherwise valid move. */
static void make_invalid(struct op *op)
{
	unsigned r = (unsigned)gen_rnd(12);

	switch (r) {
	case 0:
		op->intent = "bad-flags";
		op->flags |= 8u << gen_rnd(3);
		break;
	case 1:
		op->intent = "fixed-no-maymove";
		op->flags = MREMAP_FIXED;
		op->new_addr = gen_map_addr();
		break;
	case 2:
		op->intent = "dontunmap-resize";
		op->flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		op->new_len = op->len + (1 + gen_rnd(3)) * P;
		break;
	case 3:
		op->intent = "dontunmap-no-maymove";
		op->flags = MREMAP_DONTUNMAP;
		op->new_len = op->len;
		break;
	case 4:
		op->intent = "unaligned";
		op->addr += 1 + gen_rnd(P - 1);
		break;
	case 5:
		op->intent = "new-len0";
		op->new_len = 0;
		break;
	case 6:
		op->intent = "fixed-unaligned";
		op->flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		op->new_addr = gen_map_addr() + 1 + gen_rnd(P - 1);
		break;
	case 7:
		op->intent = "fixed-overlap";
		op->flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		op->new_addr = op->addr + gen_rnd(DT_PAGE_ALIGN(op->len) / P + 1) * P;
		if (op->new_addr > op->addr && gen_pct(40))
			op->new_addr = op->addr > P ? op->addr - P : op->addr;
		if (op->new_len < 2 * P)
			op->new_len = 2 * P;
		break;
	case 8:
		op->intent = "huge-len";
		op->new_len = gen_pct(50) ? 1ULL << 47 : ~0ULL - gen_rnd(P);
		break;
	case 9:
		op->intent = "fixed-beyond-task-size";
		op->flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		op->abs_new = true;
		op->new_addr = gen_pct(50) ? DT_TASK_SIZE - P : DT_TASK_SIZE + gen_rnd(16) * P;
		op->new_len = 2 * P;
		break;
	case 10:
		op->intent = "old-wrap";
		op->len = ~0ULL - P + 1 - gen_rnd(2) * P;
		break;
	default:
		op->intent = "dontunmap-hole";
		op->flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		op->addr = hole_page();
		op->new_len = op->len;
		break;
	}
}

void gen_mremap(struct op *op)
{
	const struct mview *m = gen_pick_mapping(0, false);
	unsigned r = (unsigned)gen_rnd(100);
	uint64_t old;

	op->kind = OP_MREMAP;
	op->flags = gen_pct(50) ? MREMAP_MAYMOVE : 0;
	if (!m || r >= 90) { /* the old range in a hole */
		op->intent = "hole";
		op->addr = hole_page();
		op->len = gen_pages() * P;
		op->new_len = gen_pages() * P;
		if (gen_pct(30))
			op->flags = MREMAP_MAYMOVE | MREMAP_FIXED, op->new_addr = gen_map_addr();
		clamp(op);
		return;
	}
	inside(m, &op->addr, &old);
	op->len = old;
	op->new_len = old;
	if (r < 14) {
		op->intent = "shrink";
		if (gen_pct(50))
			op->len = old = m->end - op->addr;
		op->new_len = old > P ? old - (1 + gen_rnd(old / P - 1)) * P : old;
	} else if (r < 32) {
		op->intent = "grow";
		op->len = m->end - op->addr;
		op->new_len = op->len + gen_pages() * P;
	} else if (r < 38) {
		op->intent = "grow-middle";
		op->flags = MREMAP_MAYMOVE;
		op->new_len = old + gen_pages() * P;
	} else if (r < 50) {
		op->intent = "fixed";
		op->flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		op->new_addr = gen_map_addr();
		op->new_len = gen_pct(35) ? old : gen_pages() * P;
	} else if (r < 58) {
		op->intent = "dontunmap";
		op->flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		if (gen_pct(35))
			op->flags |= MREMAP_FIXED, op->new_addr = gen_map_addr();
	} else if (r < 64) {
		const struct mview *s = gen_pick_mapping(MF_SHARED, false);

		op->intent = "alias";
		if (s && gen_pct(75))
			inside(s, &op->addr, &old);
		op->len = 0;
		op->new_len = gen_pages() * P;
		op->flags = gen_pct(85) ? MREMAP_MAYMOVE : 0;
		if (gen_pct(25))
			op->flags = MREMAP_MAYMOVE | MREMAP_FIXED, op->new_addr = gen_map_addr();
	} else if (r < 68) {
		op->intent = "multi";
		gen_range(&op->addr, &op->len);
		if (!mapping_at(op->addr))
			op->addr = m->start;
		op->len = DT_PAGE_ALIGN(op->len);
		op->new_len = op->len;
		op->flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		op->new_addr = gen_map_addr();
	} else if (r < 76) {
		op->intent = "across";
		op->len = m->end - op->addr + gen_pages() * P;
		op->new_len = gen_pct(60) ? op->len + gen_pages() * P : P;
		if (gen_pct(30))
			op->flags = MREMAP_MAYMOVE | MREMAP_FIXED, op->new_addr = gen_map_addr();
	} else {
		op->new_len = gen_pct(50) ? old + gen_pages() * P : old;
		make_invalid(op);
	}
	if (gen_pct(15))
		op->len = gen_unalign_len(op->len);
	if (gen_pct(15))
		op->new_len = gen_unalign_len(op->new_len);
	if (op->intent && (!strcmp(op->intent, "huge-len") || !strcmp(op->intent, "old-wrap")))
		return;
	/* clamping may turn a growth into a shrink: avoid after it, and clamp what it moved */
	clamp(op);
	avoid_model_bugs(op);
	clamp(op);
}

void mremap_print(FILE *f, const struct op *op)
{
	fprintf(f, "mremap(B+%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", flags=%#x", op->addr,
		op->len, op->new_len, op->flags);
	if (op->flags & MREMAP_FIXED)
		fprintf(f, ", new_addr=%s%#" PRIx64, op->abs_new ? "" : "B+", op->new_addr);
	fprintf(f, ")");
	if (op->intent)
		fprintf(f, " [%s]", op->intent);
}
