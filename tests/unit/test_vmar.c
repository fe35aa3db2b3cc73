/*
 * Unit tests of vmo/vmar: configuration, exact and automatic placement (top-down first fit,
 * hints, guard gaps, alignment, the 32-bit window), release, seeds, the fault point, the
 * tree's augmentation across rotations, a randomized comparison with a page-bitmap reference
 * model, and the logarithmic cost of placement.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fault/inject.h"
#include "tests/unit/testutil.h"
#include "vmo/vmar.h"

#define PG	    VMAR_PAGE_SIZE
#define MiB	    (1ULL << 20)
#define GiB	    (1ULL << 30)
#define GUARD_PAGES (VMAR_GUARD_GAP / PG)

/* ck_assert logs every passing check to a file; hot loops check with this instead. */
#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

static void assert_valid(struct vmar *v)
{
	char msg[256] = "";

	EXPECT(vmar_check(v, msg, sizeof(msg)) == 0, "vmar_check: %s", msg);
}

static long alloc(struct vmar *v, uint64_t size, uint64_t hint, uint64_t align, unsigned flags)
{
	struct vmar_req r = {.size = size, .hint = hint, .align = align, .flags = flags};
	long a = vmar_alloc(v, &r);

	assert_valid(v);
	return a;
}

/* 1 GiB at 4 GiB, a one-page slot in the middle, placement anywhere, top 64 MiB below the
 * end, no ASLR. */
static struct vmar_config small_cfg(void)
{
	struct vmar_config c = {
	    .base = 4 * GiB,
	    .size = GiB,
	    .slot = 4 * GiB + 512 * MiB,
	    .slot_size = PG,
	    .place_lo = 4 * GiB,
	    .place_hi = 5 * GiB,
	    .top = 5 * GiB - 64 * MiB,
	    .seed = 1,
	};
	return c;
}

/* A 47-bit user range, as on x86-64, covering the MAP_32BIT window. */
static struct vmar_config user_cfg(bool aslr, uint64_t seed)
{
	struct vmar_config c = {
	    .base = 0x10000,
	    .size = (1ULL << 47) - 0x10000 - PG,
	    .slot = (1ULL << 47) - 0x1000000,
	    .slot_size = 2 * PG,
	    .place_lo = 0x10000,
	    .place_hi = (1ULL << 47) - 0x10000000,
	    .top = 0x7f0000000000,
	    .aslr = aslr,
	    .seed = seed,
	};
	return c;
}

static void init_ok(struct vmar *v, const struct vmar_config *c)
{
	ck_assert_int_eq(vmar_init(v, c), 0);
}

START_TEST(test_init_rejects_bad_config)
{
	struct vmar_config good = small_cfg(), c;
	struct vmar v;
	int rejected = 0;

	for (int i = 0; i < 15; i++) {
		c = good;
		switch (i) {
		case 0:
			c.base += 1;
			break;
		case 1:
			c.size = 0;
			break;
		case 2:
			c.size += 100;
			break;
		case 3:
			c.slot = good.base + good.size;
			break;
		case 4:
			c.slot = good.base + good.size - PG;
			c.slot_size = 2 * PG;
			break;
		case 5:
			c.slot += 8;
			break;
		case 6:
			c.place_lo = good.base - PG;
			break;
		case 7:
			c.place_hi = good.base + good.size + PG;
			break;
		case 8:
			c.place_hi = c.place_lo;
			break;
		case 9:
			c.top = c.place_hi + PG;
			break;
		case 10:
			c.place_lo = c.top + PG;
			break;
		case 11:
			c.top += 16;
			break;
		case 12:
			c.base = -GiB;
			c.size = 2 * GiB;
			c.place_lo = c.base;
			c.place_hi = c.top = c.base + PG;
			c.slot_size = 0;
			break;
		case 13:
			c.slot_size = 3;
			break;
		case 14:
			c.place_hi += 8;
			break;
		}
		ck_assert_msg(vmar_init(&v, &c) == -EINVAL, "case %d accepted", i);
		rejected++;
	}
	ck_assert_int_eq(rejected, 15);
	init_ok(&v, &good);
	c = good;
	c.slot_size = 0; /* no slot: its address does not matter */
	c.slot = 1;
	init_ok(&v, &c);
}
END_TEST

START_TEST(test_origin_is_top_without_aslr_and_random_below_it_with)
{
	struct vmar_config c = small_cfg();
	uint64_t first = 0;
	bool differ = false;
	struct vmar v;

	init_ok(&v, &c);
	ck_assert_uint_eq(v.origin, c.top);
	c = user_cfg(true, 0);
	for (uint64_t seed = 0; seed < 32; seed++) {
		c.seed = seed;
		init_ok(&v, &c);
		ck_assert_uint_le(v.origin, c.top);
		ck_assert_uint_ge(v.origin, c.place_lo);
		ck_assert_uint_lt(c.top - v.origin, (1ULL << VMAR_ASLR_BITS) * PG);
		ck_assert_uint_eq(v.origin % PG, 0);
		if (seed == 0)
			first = v.origin;
		else if (v.origin != first)
			differ = true;
	}
	ck_assert(differ);
	/* A window narrower than the entropy: the origin stays inside it. */
	c.place_lo = c.top - 10 * PG;
	differ = false; /* here: some origin was clamped */
	for (uint64_t seed = 0; seed < 32; seed++) {
		c.seed = seed;
		init_ok(&v, &c);
		ck_assert_uint_ge(v.origin, c.place_lo);
		ck_assert_uint_le(v.origin, c.top);
		differ |= v.origin == c.place_lo;
	}
	ck_assert(differ);
}
END_TEST

START_TEST(test_exact_alloc_and_its_errors)
{
	struct vmar_config c = small_cfg();
	uint64_t x = c.base + 100 * PG;
	struct vmar v;

	init_ok(&v, &c);
	ck_assert_int_eq(alloc(&v, 4 * PG, x, 0, VMAR_EXACT), (long)x);
	ck_assert_ptr_nonnull(vmar_find(&v, x + 3 * PG));
	ck_assert_uint_eq(vmar_find(&v, x)->start, x);
	ck_assert_ptr_null(vmar_find(&v, x + 4 * PG));
	ck_assert_int_eq(alloc(&v, 2 * PG, x + 3 * PG, 0, VMAR_EXACT), -EEXIST);
	ck_assert_int_eq(alloc(&v, 8 * PG, x - 4 * PG, 0, VMAR_EXACT), -EEXIST);
	ck_assert_uint_eq(v.count, 1);
	/* The slot, and ranges leaving the VMAR: -ENOMEM, even with REPLACE. */
	ck_assert_int_eq(alloc(&v, PG, c.slot, 0, VMAR_EXACT), -ENOMEM);
	ck_assert_int_eq(alloc(&v, 4 * PG, c.slot - 2 * PG, 0, VMAR_EXACT | VMAR_REPLACE), -ENOMEM);
	ck_assert_int_eq(alloc(&v, 2 * PG, c.base - PG, 0, VMAR_EXACT), -ENOMEM);
	ck_assert_int_eq(alloc(&v, 2 * PG, c.base + c.size - PG, 0, VMAR_EXACT), -ENOMEM);
	ck_assert_int_eq(alloc(&v, 2 * PG, -2 * PG, 0, VMAR_EXACT), -ENOMEM);
	ck_assert_int_eq(alloc(&v, PG, c.slot - PG, 0, VMAR_EXACT), (long)(c.slot - PG));
	ck_assert_int_eq(alloc(&v, PG, c.slot + PG, 0, VMAR_EXACT), (long)(c.slot + PG));
	ck_assert_int_eq(alloc(&v, PG, c.base + c.size - PG, 0, VMAR_EXACT),
			 (long)(c.base + c.size - PG));
	ck_assert_int_eq(alloc(&v, PG, c.base, 0, VMAR_EXACT), (long)c.base);
	ck_assert_uint_eq(v.count, 5);
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_replace_takes_over_allocated_parts)
{
	struct vmar_config c = small_cfg();
	uint64_t x = c.base + 100 * PG;
	struct vmar_node *n;
	struct vmar v;

	init_ok(&v, &c);
	alloc(&v, 4 * PG, x, 0, VMAR_EXACT);
	alloc(&v, 4 * PG, x + 6 * PG, 0, VMAR_EXACT | VMAR_GUARD);
	alloc(&v, 2 * PG, x + 20 * PG, 0, VMAR_EXACT);
	ck_assert_int_eq(alloc(&v, 6 * PG, x + 2 * PG, 0, VMAR_EXACT | VMAR_REPLACE),
			 (long)(x + 2 * PG));
	n = vmar_first(&v);
	ck_assert(n->start == x && n->end == x + 2 * PG && !n->guard);
	n = vmar_next(&v, n);
	ck_assert(n->start == x + 2 * PG && n->end == x + 8 * PG && !n->guard);
	n = vmar_next(&v, n);
	ck_assert(n->start == x + 8 * PG && n->end == x + 10 * PG && n->guard);
	n = vmar_next(&v, n);
	ck_assert(n->start == x + 20 * PG);
	ck_assert_ptr_null(vmar_next(&v, n));
	ck_assert_uint_eq(v.count, 4);
	/* REPLACE over free space is a plain exact allocation. */
	ck_assert_int_eq(alloc(&v, PG, x + 30 * PG, 0, VMAR_EXACT | VMAR_REPLACE | VMAR_GUARD),
			 (long)(x + 30 * PG));
	ck_assert(vmar_find(&v, x + 30 * PG)->guard);
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_bad_requests_are_einval)
{
	struct vmar_config c = small_cfg();
	uint64_t x = c.base + 64 * MiB;
	struct vmar v;

	init_ok(&v, &c);
	ck_assert_int_eq(alloc(&v, 0, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(alloc(&v, PG + 1, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(alloc(&v, PG, 0, 3 * PG, 0), -EINVAL);
	ck_assert_int_eq(alloc(&v, PG, 0, PG / 2, 0), -EINVAL);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0x100), -EINVAL);
	ck_assert_int_eq(alloc(&v, PG, x, 0, VMAR_REPLACE), -EINVAL);
	ck_assert_int_eq(alloc(&v, PG, x + 8, 0, VMAR_EXACT), -EINVAL);
	ck_assert_int_eq(alloc(&v, PG, x + PG, 2 * MiB, VMAR_EXACT), -EINVAL);
	ck_assert_uint_eq(v.count, 0);
	ck_assert_int_eq(alloc(&v, PG, x, 2 * MiB, VMAR_EXACT), (long)x);
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_topdown_first_fit_goes_down_from_top_adjacently)
{
	struct vmar_config c = small_cfg();
	uint64_t sizes[] = {PG, 3 * PG, 16 * PG, 2 * PG, 5 * PG}, at = c.top;
	long got[5];
	struct vmar v;

	init_ok(&v, &c);
	for (int i = 0; i < 5; i++) {
		at -= sizes[i];
		got[i] = alloc(&v, sizes[i], 0, 0, 0);
		ck_assert_int_eq(got[i], (long)at);
	}
	/* A hole of 16 pages: a fitting request fills it from its top, a larger goes below. */
	ck_assert_int_eq(vmar_release(&v, got[2], 16 * PG), 0);
	ck_assert_int_eq(alloc(&v, 17 * PG, 0, 0, 0), (long)(at - 17 * PG));
	ck_assert_int_eq(alloc(&v, 10 * PG, 0, 0, 0), got[2] + 6 * (long)PG);
	ck_assert_int_eq(alloc(&v, 6 * PG, 0, 0, 0), got[2]);
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_topdown_uses_space_above_origin_when_below_is_full)
{
	struct vmar_config c = small_cfg();
	struct vmar v;

	c.place_lo = c.top - 4 * PG;
	init_ok(&v, &c);
	ck_assert_int_eq(alloc(&v, 4 * PG, 0, 0, 0), (long)c.place_lo);
	ck_assert_int_eq(alloc(&v, 2 * PG, 0, 0, 0), (long)(c.place_hi - 2 * PG));
	/* Straddling the origin is allowed once nothing fits on one side. */
	ck_assert_int_eq(vmar_release(&v, c.top - 2 * PG, 2 * PG), 0);
	alloc(&v, c.place_hi - c.top - 4 * PG, c.top + 2 * PG, 0, VMAR_EXACT);
	ck_assert_int_eq(alloc(&v, 4 * PG, 0, 0, 0), (long)(c.top - 2 * PG));
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), -ENOMEM);
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_hint_honoured_only_when_free)
{
	struct vmar_config c = small_cfg();
	uint64_t h = c.base + 256 * MiB;
	struct vmar v;

	init_ok(&v, &c);
	ck_assert_int_eq(alloc(&v, 4 * PG, h, 0, 0), (long)h);
	/* Taken, overlapping, unaligned, misaligned, the slot: top-down instead. */
	ck_assert_int_eq(alloc(&v, 4 * PG, h, 0, 0), (long)(c.top - 4 * PG));
	ck_assert_int_eq(alloc(&v, 4 * PG, h - 2 * PG, 0, 0), (long)(c.top - 8 * PG));
	ck_assert_int_eq(alloc(&v, PG, h + 100 * PG + 12, 0, 0), (long)(c.top - 9 * PG));
	ck_assert_int_eq(alloc(&v, PG, h + 101 * PG, 2 * MiB, 0), (long)(c.top - 2 * MiB));
	ck_assert_int_eq(alloc(&v, PG, c.slot, 0, 0), (long)(c.top - 10 * PG));
	ck_assert_int_eq(alloc(&v, 2 * PG, c.slot - PG, 0, 0), (long)(c.top - 12 * PG));
	/* Above the origin is fine for a hint; outside the window is not. */
	ck_assert_int_eq(alloc(&v, PG, c.top + PG, 0, 0), (long)(c.top + PG));
	vmar_destroy(&v);

	c.place_hi = c.base + c.size / 2; /* half mode */
	c.top = c.place_hi;
	init_ok(&v, &c);
	ck_assert_int_eq(alloc(&v, PG, c.place_hi, 0, 0), (long)(c.place_hi - PG));
	ck_assert_int_eq(alloc(&v, 2 * PG, c.place_hi - PG, 0, 0), (long)(c.place_hi - 3 * PG));
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_hint_respects_guard_of_next_node)
{
	struct vmar_config c = small_cfg();
	uint64_t g = c.base + 256 * MiB;
	struct vmar v;

	init_ok(&v, &c);
	alloc(&v, 16 * PG, g, 0, VMAR_EXACT | VMAR_GUARD);
	ck_assert_int_eq(alloc(&v, PG, g - PG, 0, 0), (long)(c.top - PG));
	ck_assert_int_eq(alloc(&v, PG, g - VMAR_GUARD_GAP, 0, 0), (long)(c.top - 2 * PG));
	ck_assert_int_eq(alloc(&v, PG, g - VMAR_GUARD_GAP - PG, 0, 0),
			 (long)(g - VMAR_GUARD_GAP - PG));
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_guard_gap_kept_for_automatic_placement_only)
{
	struct vmar_config c = small_cfg();
	uint64_t g = c.top - 10 * PG;
	struct vmar v;

	init_ok(&v, &c);
	alloc(&v, 10 * PG, g, 0, VMAR_EXACT | VMAR_GUARD);
	ck_assert(vmar_find(&v, g)->guard);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), (long)(g - VMAR_GUARD_GAP - PG));
	/* An exact allocation may go into the gap. */
	ck_assert_int_eq(alloc(&v, PG, g - PG, 0, VMAR_EXACT), (long)(g - PG));
	ck_assert(vmar_is_free(&v, g - 2 * PG, PG));
	/* Now the unguarded node bounds the gap: automatic placement goes right below it. */
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), (long)(g - 2 * PG));
	/* A guarded automatic allocation keeps its own gap from the next one. */
	ck_assert_int_eq(alloc(&v, PG, 0, 0, VMAR_GUARD), (long)(g - 3 * PG));
	ck_assert(vmar_find(&v, g - 3 * PG)->guard);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), (long)(g - VMAR_GUARD_GAP - 2 * PG));
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_set_guard_changes_placement_below)
{
	struct vmar_config c = small_cfg();
	uint64_t g = c.top - 10 * PG;
	struct vmar v;

	init_ok(&v, &c);
	alloc(&v, 10 * PG, g, 0, VMAR_EXACT);
	vmar_set_guard(&v, g, 10 * PG, true);
	assert_valid(&v);
	ck_assert(vmar_find(&v, g)->guard);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), (long)(g - VMAR_GUARD_GAP - PG));
	vmar_set_guard(&v, g + PG, 9 * PG, false); /* does not contain the node: no change */
	ck_assert(vmar_find(&v, g)->guard);
	vmar_set_guard(&v, g - PG, 12 * PG, false);
	assert_valid(&v);
	ck_assert(!vmar_find(&v, g)->guard);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), (long)(g - PG));
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_alignment_gives_highest_aligned_fit)
{
	struct vmar_config c = small_cfg();
	long a;
	struct vmar v;

	init_ok(&v, &c);
	ck_assert_int_eq(c.top % (2 * MiB), 0);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), (long)(c.top - PG));
	ck_assert_int_eq(alloc(&v, PG, 0, 2 * MiB, 0), (long)(c.top - 2 * MiB));
	/* The hole [top - 2 MiB + PG, top - PG) takes 64 KiB-aligned pieces from its top. */
	ck_assert_int_eq(alloc(&v, 4 * PG, 0, 64 * 1024, 0), (long)(c.top - 64 * 1024));
	ck_assert_int_eq(alloc(&v, 16 * PG, 0, 64 * 1024, 0), (long)(c.top - 128 * 1024));
	ck_assert_int_eq(alloc(&v, 15 * PG, 0, 0, 0), (long)(c.top - 128 * 1024 - 15 * PG));
	a = alloc(&v, 3 * PG, 0, 1 * GiB, 0);
	ck_assert_int_eq(a % GiB, 0);
	ck_assert_int_eq(a, (long)(4 * GiB)); /* the only 1 GiB-aligned address */
	ck_assert_int_eq(alloc(&v, PG, 0, 1 * GiB, 0), -ENOMEM);
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_32bit_lowest_fit_without_aslr)
{
	struct vmar_config c = user_cfg(false, 0);
	struct vmar v;

	init_ok(&v, &c);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, VMAR_32BIT), (long)VMAR_32BIT_LO);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, VMAR_32BIT), (long)(VMAR_32BIT_LO + PG));
	alloc(&v, PG, VMAR_32BIT_LO + 3 * PG, 0, VMAR_EXACT);
	ck_assert_int_eq(alloc(&v, 2 * PG, 0, 0, VMAR_32BIT), (long)(VMAR_32BIT_LO + 4 * PG));
	ck_assert_int_eq(alloc(&v, PG, 0, 0, VMAR_32BIT), (long)(VMAR_32BIT_LO + 2 * PG));
	ck_assert_int_eq(alloc(&v, PG, 0, 2 * MiB, VMAR_32BIT), (long)(VMAR_32BIT_LO + 2 * MiB));
	/* A free hint inside the window is honoured; outside it, not. */
	ck_assert_int_eq(alloc(&v, PG, VMAR_32BIT_LO + MiB, 0, VMAR_32BIT),
			 (long)(VMAR_32BIT_LO + MiB));
	ck_assert_int_eq(alloc(&v, PG, VMAR_32BIT_HI, 0, VMAR_32BIT),
			 (long)(VMAR_32BIT_LO + 6 * PG));
	/* Only the top page of the window left. */
	alloc(&v, VMAR_32BIT_HI - VMAR_32BIT_LO - PG, VMAR_32BIT_LO, 0, VMAR_EXACT | VMAR_REPLACE);
	ck_assert_int_eq(alloc(&v, 2 * PG, 0, 0, VMAR_32BIT), -ENOMEM);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, VMAR_32BIT), (long)(VMAR_32BIT_HI - PG));
	ck_assert_int_eq(alloc(&v, PG, 0, 0, VMAR_32BIT), -ENOMEM);
	vmar_destroy(&v);

	c = small_cfg(); /* [4 GiB, 5 GiB) has no 32-bit window */
	init_ok(&v, &c);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, VMAR_32BIT), -ENOMEM);
}
END_TEST

START_TEST(test_32bit_spread_with_aslr)
{
	struct vmar_config c = user_cfg(true, 7);
	uint64_t lo = UINT64_MAX, hi = 0;
	struct vmar v;
	long a;

	init_ok(&v, &c);
	for (int i = 0; i < 200; i++) {
		a = alloc(&v, 16 * PG, 0, 0, VMAR_32BIT);
		EXPECT(a >= (long)VMAR_32BIT_LO && a + 16 * PG <= VMAR_32BIT_HI, "at %#lx", a);
		lo = (uint64_t)a < lo ? (uint64_t)a : lo;
		hi = (uint64_t)a > hi ? (uint64_t)a : hi;
	}
	ck_assert_uint_eq(v.count, 200);
	ck_assert_uint_gt(hi - lo, 768 * MiB);
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_32bit_random_is_uniform_over_fitting_positions)
{
	struct vmar_config c = user_cfg(true, 11);
	uint64_t a1 = VMAR_32BIT_LO + 100 * MiB, a3 = VMAR_32BIT_LO + 700 * MiB;
	int hits[4] = {0}, two[2] = {0};
	struct vmar v;
	long a;

	init_ok(&v, &c);
	alloc(&v, VMAR_32BIT_HI - VMAR_32BIT_LO, VMAR_32BIT_LO, 0, VMAR_EXACT);
	vmar_release(&v, a1, PG);
	vmar_release(&v, a3, 3 * PG);
	for (int i = 0; i < 4000; i++) {
		a = alloc(&v, PG, 0, 0, VMAR_32BIT);
		EXPECT(a == (long)a1 || (a >= (long)a3 && a < (long)(a3 + 3 * PG)),
		       "outside the holes: %#lx", a);
		hits[a == (long)a1 ? 0 : 1 + (a - (long)a3) / (long)PG]++;
		vmar_release(&v, a, PG);
	}
	for (int i = 0; i < 4; i++)
		ck_assert_msg(hits[i] > 850 && hits[i] < 1150, "position %d: %d of 4000", i,
			      hits[i]);
	for (int i = 0; i < 1000; i++) {
		a = alloc(&v, 2 * PG, 0, 0, VMAR_32BIT);
		EXPECT(a == (long)a3 || a == (long)(a3 + PG), "at %#lx", a);
		two[a == (long)a3 ? 0 : 1]++;
		vmar_release(&v, a, 2 * PG);
	}
	ck_assert_int_gt(two[0], 400);
	ck_assert_int_gt(two[1], 400);
	ck_assert_int_eq(alloc(&v, 4 * PG, 0, 0, VMAR_32BIT), -ENOMEM);
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_release_splits_and_skips_holes)
{
	struct vmar_config c = small_cfg();
	uint64_t x = c.base + 100 * PG;
	struct vmar_node *n;
	struct vmar v;

	init_ok(&v, &c);
	alloc(&v, 10 * PG, x, 0, VMAR_EXACT | VMAR_GUARD);
	alloc(&v, 2 * PG, x + 20 * PG, 0, VMAR_EXACT);
	ck_assert_int_eq(vmar_release(&v, x + 3 * PG, 2 * PG), 0);
	assert_valid(&v);
	n = vmar_first(&v);
	ck_assert(n->start == x && n->end == x + 3 * PG && n->guard);
	n = vmar_next(&v, n);
	ck_assert(n->start == x + 5 * PG && n->end == x + 10 * PG && n->guard);
	ck_assert_uint_eq(v.count, 3);
	/* Over a hole and two nodes' edges. */
	ck_assert_int_eq(vmar_release(&v, x + 2 * PG, 4 * PG), 0);
	assert_valid(&v);
	ck_assert(vmar_find(&v, x + PG)->end == x + 2 * PG);
	ck_assert(vmar_find(&v, x + 6 * PG)->start == x + 6 * PG);
	ck_assert(vmar_is_free(&v, x + 2 * PG, 4 * PG));
	/* Starting before the range and covering everything, holes included. */
	ck_assert_int_eq(vmar_release(&v, c.base - GiB, 2 * GiB + 16 * PG), 0);
	assert_valid(&v);
	ck_assert_uint_eq(v.count, 0);
	ck_assert_ptr_null(vmar_first(&v));
	ck_assert_int_eq(vmar_release(&v, x, 4 * PG), 0); /* nothing there */
	ck_assert_int_eq(vmar_release(&v, x + 1, PG), -EINVAL);
	ck_assert_int_eq(vmar_release(&v, x, PG + 1), -EINVAL);
	ck_assert_int_eq(vmar_release(&v, x, 0), -EINVAL);
	ck_assert_int_eq(vmar_release(&v, -2 * PG, 4 * PG), -EINVAL);
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_is_free_and_find)
{
	struct vmar_config c = small_cfg();
	uint64_t x = c.base + 100 * PG;
	struct vmar v;

	init_ok(&v, &c);
	alloc(&v, 2 * PG, x, 0, VMAR_EXACT);
	ck_assert(vmar_is_free(&v, c.base, 100 * PG));
	ck_assert(!vmar_is_free(&v, c.base, 101 * PG));
	ck_assert(!vmar_is_free(&v, x + PG, PG));
	ck_assert(vmar_is_free(&v, x + 2 * PG, PG));
	ck_assert(!vmar_is_free(&v, c.slot - PG, 2 * PG));
	ck_assert(!vmar_is_free(&v, c.base - PG, PG));
	ck_assert(!vmar_is_free(&v, c.base + c.size - PG, 2 * PG));
	ck_assert(!vmar_is_free(&v, -PG, 2 * PG));
	ck_assert_ptr_null(vmar_find(&v, x - 1));
	ck_assert_uint_eq(vmar_find(&v, x + 2 * PG - 1)->start, x);
	vmar_destroy(&v);
}
END_TEST

static void run_sequence(uint64_t seed, long out[60])
{
	struct vmar_config c = user_cfg(true, seed);
	struct vmar v;

	init_ok(&v, &c);
	for (int i = 0; i < 60; i++)
		out[i] = alloc(&v, (1 + i % 5) * PG, 0, 0, i % 3 == 0 ? VMAR_32BIT : 0);
	vmar_destroy(&v);
}

START_TEST(test_same_seed_same_placements)
{
	long a[60], b[60], d[60];

	run_sequence(42, a);
	run_sequence(42, b);
	run_sequence(43, d);
	for (int i = 0; i < 60; i++)
		ck_assert_int_gt(a[i], 0);
	ck_assert_mem_eq(a, b, sizeof(a));
	ck_assert(memcmp(a, d, sizeof(a)) != 0);
	/* The first topdown placement differs (origin) and so does some 32-bit one. */
	ck_assert_int_ne(a[1], d[1]);
	ck_assert(a[0] != d[0] || a[3] != d[3] || a[6] != d[6]);
}
END_TEST

START_TEST(test_enomem_when_full)
{
	struct vmar_config c = {
	    .base = 16 * MiB,
	    .size = 16 * PG,
	    .slot = 16 * MiB + 5 * PG,
	    .slot_size = PG,
	    .place_lo = 16 * MiB,
	    .place_hi = 16 * MiB + 16 * PG,
	    .top = 16 * MiB + 8 * PG,
	};
	struct vmar v;
	long a;

	init_ok(&v, &c);
	for (int i = 0; i < 15; i++) {
		a = alloc(&v, PG, 0, 0, 0);
		ck_assert_int_ge(a, (long)c.base);
		ck_assert_int_ne(a, (long)c.slot);
	}
	ck_assert_uint_eq(v.count, 15);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), -ENOMEM);
	ck_assert_int_eq(alloc(&v, 17 * PG, 0, 0, 0), -ENOMEM);
	vmar_release(&v, c.base + 9 * PG, PG);
	ck_assert_int_eq(alloc(&v, 2 * PG, 0, 0, 0), -ENOMEM);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), (long)(c.base + 9 * PG));
	/* The slot splits free space: a page each side is no room for two pages. */
	vmar_release(&v, c.base + 4 * PG, PG);
	vmar_release(&v, c.base + 6 * PG, PG);
	ck_assert_int_eq(alloc(&v, 2 * PG, 0, 0, 0), -ENOMEM);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), (long)(c.base + 6 * PG));
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), (long)(c.base + 4 * PG));
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), -ENOMEM);
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_fault_point_fails_alloc_without_allocating)
{
	struct vmar_config c = small_cfg();
	struct vmar v;

	fault_disarm();
	init_ok(&v, &c);
	ck_assert_int_eq(fault_arm("vmar.alloc:nth=1"), 0);
	/* Argument errors come first and do not reach the point. */
	ck_assert_int_eq(alloc(&v, 0, 0, 0, 0), -EINVAL);
	ck_assert_uint_eq(fault_calls("vmar.alloc"), 0);
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), -ENOMEM);
	ck_assert_uint_eq(fault_fired("vmar.alloc"), 1);
	ck_assert_uint_eq(v.count, 0);
	ck_assert_ptr_null(vmar_first(&v));
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), (long)(c.top - PG));
	fault_disarm();
	ck_assert_int_eq(fault_arm("vmar.alloc:nth=1:errno=EAGAIN"), 0);
	ck_assert_int_eq(alloc(&v, PG, c.base, 0, VMAR_EXACT | VMAR_REPLACE), -EAGAIN);
	ck_assert_uint_eq(v.count, 1);
	fault_disarm();
	vmar_destroy(&v);
}
END_TEST

/* Root values computed from a plain walk, not by the tree. */
static void assert_root_matches_walk(struct vmar *v)
{
	struct vmar_node *n, *prev = NULL, *root = RB_ROOT(&v->tree);
	uint64_t gap = 0, first = 0, end = 0;

	for (n = vmar_first(v); n; prev = n, n = vmar_next(v, n)) {
		uint64_t cs = n->guard ? n->start - VMAR_GUARD_GAP : n->start;

		if (!prev)
			first = cs;
		else if (cs > prev->end && cs - prev->end > gap)
			gap = cs - prev->end;
		end = n->end;
	}
	ck_assert_uint_eq(root->min_start, first);
	ck_assert_uint_eq(root->max_end, end);
	ck_assert_uint_eq(root->max_gap, gap);
}

/* Node i of the rotation test: one page, gaps of 2 or 3 pages. */
static uint64_t rot_at(uint64_t x, uint64_t i)
{
	return x + (3 * i + i % 2) * PG;
}

START_TEST(test_augmentation_survives_rotations)
{
	struct vmar_config c = small_cfg();
	uint64_t x = c.base + 256 * MiB, n = 2000;
	struct vmar v;

	init_ok(&v, &c);
	/* Ascending inserts rotate at almost every step. */
	for (uint64_t i = 0; i < n; i++) {
		alloc(&v, PG, rot_at(x, i), 0, VMAR_EXACT | (i % 5 == 0 ? VMAR_GUARD : 0));
		EXPECT(v.count == i + 1, "node %lu not inserted", i);
	}
	ck_assert_ptr_ne(RB_ROOT(&v.tree), vmar_first(&v));
	assert_root_matches_walk(&v);
	/* Widen one gap so the largest moves, then remove in an order that rebalances. */
	vmar_release(&v, rot_at(x, 1), rot_at(x, 6) - rot_at(x, 1));
	assert_valid(&v);
	assert_root_matches_walk(&v);
	for (uint64_t i = 0; i < n; i += 3) {
		vmar_release(&v, rot_at(x, i), PG);
		assert_valid(&v);
	}
	assert_root_matches_walk(&v);
	for (uint64_t i = n; i-- > 0;) {
		vmar_release(&v, rot_at(x, i), PG);
		assert_valid(&v);
		if (v.count)
			assert_root_matches_walk(&v);
	}
	ck_assert_uint_eq(v.count, 0);
	/* Descending inserts rotate the other way. */
	for (uint64_t i = n; i-- > 0;)
		alloc(&v, PG, rot_at(x, i), 0, VMAR_EXACT | (i % 3 ? VMAR_GUARD : 0));
	assert_root_matches_walk(&v);
	vmar_destroy(&v);
	ck_assert_uint_eq(v.count, 0);
}
END_TEST

/* --- Reference model: a bitmap of pages over a small VMAR, aslr off ------------------- */

#define REF_PAGES 4096

struct ref {
	uint64_t base;
	bool used[REF_PAGES], guard[REF_PAGES];
	int bad[REF_PAGES + 1]; /* unusable pages for automatic placement in [0, i) */
	uint64_t slot, slot_n, lo, hi, origin; /* pages */
};

static uint64_t ref_rng;

static uint64_t rnd(uint64_t n)
{
	uint64_t z = (ref_rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) % n;
}

static bool in_slot(const struct ref *m, uint64_t p)
{
	return p >= m->slot && p < m->slot + m->slot_n;
}

/* Unusable: allocated, the slot, or free within the guard gap below a guarded node. */
static void ref_claims(struct ref *m)
{
	bool bad[REF_PAGES];

	for (uint64_t p = 0; p < REF_PAGES; p++)
		bad[p] = m->used[p] || in_slot(m, p);
	for (uint64_t q = 1; q < REF_PAGES; q++) {
		if (!m->used[q] || !m->guard[q] || m->used[q - 1])
			continue;
		for (uint64_t p = q; p-- > 0 && q - p <= GUARD_PAGES && !m->used[p];)
			bad[p] = true;
	}
	m->bad[0] = 0;
	for (uint64_t p = 0; p < REF_PAGES; p++)
		m->bad[p + 1] = m->bad[p] + bad[p];
}

static bool ref_fits(const struct ref *m, uint64_t a, uint64_t n)
{
	return a + n <= REF_PAGES && m->bad[a + n] == m->bad[a];
}

/* Highest aligned fit with lo <= A, A + n <= hi; -1 if none. */
static long ref_down(const struct ref *m, uint64_t n, uint64_t al, uint64_t lo, uint64_t hi)
{
	if (hi < lo + n)
		return -1;
	for (long a = (long)((hi - n) / al * al); a >= (long)lo; a -= al)
		if (ref_fits(m, a, n))
			return a;
	return -1;
}

static long ref_auto(struct ref *m, uint64_t n, uint64_t al, uint64_t hint, uint64_t hint_off)
{
	long a;

	ref_claims(m);
	if (!hint_off && hint % al == 0 && hint >= m->lo && hint + n <= m->hi &&
	    ref_fits(m, hint, n))
		return hint;
	a = ref_down(m, n, al, m->lo, m->origin);
	return a >= 0 ? a : ref_down(m, n, al, m->lo, m->hi);
}

/* MAP_32BIT without ASLR: the lowest fit (the whole reference VMAR lies in the window). */
static long ref_32bit(struct ref *m, uint64_t n, uint64_t al, uint64_t hint, uint64_t hint_off)
{
	ref_claims(m);
	if (hint && !hint_off && hint % al == 0 && ref_fits(m, hint, n))
		return hint;
	for (uint64_t a = 0; a + n <= REF_PAGES; a += al)
		if (ref_fits(m, a, n))
			return a;
	return -1;
}

static void ref_set(struct ref *m, uint64_t a, uint64_t n, bool used, bool guard)
{
	for (uint64_t p = a; p < a + n; p++) {
		m->used[p] = used;
		m->guard[p] = used && guard;
	}
}

/* Exact: pages may start below 0 (negative) to test ranges leaving the VMAR. */
static long ref_exact(struct ref *m, long a, uint64_t n, bool replace)
{
	if (a < 0 || a + n > REF_PAGES)
		return -ENOMEM;
	for (uint64_t p = a; p < a + n; p++)
		if (in_slot(m, p))
			return -ENOMEM;
	for (uint64_t p = a; p < a + n; p++)
		if (m->used[p] && !replace)
			return -EEXIST;
	return a;
}

static void ref_compare(struct ref *m, struct vmar *v)
{
	uint64_t pages = 0, used = 0;

	for (struct vmar_node *n = vmar_first(v); n; n = vmar_next(v, n)) {
		for (uint64_t p = (n->start - m->base) / PG; p < (n->end - m->base) / PG; p++) {
			EXPECT(m->used[p], "page %lu allocated, free in the model", p);
			EXPECT(m->guard[p] == n->guard, "page %lu: guard differs", p);
		}
		pages += (n->end - n->start) / PG;
	}
	for (uint64_t p = 0; p < REF_PAGES; p++)
		used += m->used[p];
	EXPECT(pages == used, "%lu pages allocated, the model has %lu", pages, used);
}

static void ref_step(struct ref *m, struct vmar *v, int stats[4])
{
	uint64_t n = 1 + rnd(rnd(8) == 0 ? 600 : 24), op = rnd(100);
	uint64_t al = rnd(4) ? 1 : 1ULL << rnd(5);
	unsigned flags = rnd(5) == 0 ? VMAR_GUARD : 0;
	bool guard = flags;
	long want, got;

	if (op < 45) {
		uint64_t hint = rnd(3) ? 0 : rnd(REF_PAGES), off = rnd(10) == 0 ? 8 : 0;

		flags |= rnd(8) == 0 ? VMAR_32BIT : 0;
		if (flags & VMAR_32BIT)
			want = ref_32bit(m, n, al, hint, off);
		else
			want = ref_auto(m, n, al, hint, off);
		got = alloc(v, n * PG, hint ? m->base + hint * PG + off : 0, al > 1 ? al * PG : 0,
			    flags);
		EXPECT(got == (want < 0 ? -ENOMEM : (long)(m->base + want * PG)),
		       "auto %lu pages align %lu hint %lu flags %#x: got %#lx, model %ld", n, al,
		       hint, flags, got, want);
		if (want >= 0)
			ref_set(m, want, n, true, guard);
		stats[want < 0 ? 1 : hint && want == (long)hint ? 2 : 0]++;
	} else if (op < 65) {
		long a = (long)rnd(REF_PAGES + 64) - 32;
		bool replace = rnd(2);

		want = ref_exact(m, a, n, replace);
		got = alloc(v, n * PG, m->base + a * PG, 0,
			    VMAR_EXACT | flags | (replace ? VMAR_REPLACE : 0));
		EXPECT(got == (want < 0 ? want : (long)(m->base + a * PG)),
		       "exact page %ld, %lu pages: got %ld, model %ld", a, n, got, want);
		if (want >= 0)
			ref_set(m, want, n, true, guard);
		stats[3] += want == -EEXIST;
	} else {
		long a = (long)rnd(REF_PAGES + 64) - 32;
		uint64_t len = rnd(30) == 0 ? 1024 : 1 + rnd(64);

		EXPECT(vmar_release(v, m->base + a * PG, len * PG) == 0, "release failed");
		for (long p = a; p < a + (long)len; p++)
			if (p >= 0 && p < REF_PAGES)
				ref_set(m, p, 1, false, false);
	}
	assert_valid(v);
	ref_compare(m, v);
}

START_TEST(test_placement_matches_reference_model)
{
	static struct ref m;
	struct vmar_config c;
	int stats[4] = {0};
	struct vmar v;

	memset(&m, 0, sizeof(m));
	m.base = VMAR_32BIT_LO + 64 * MiB; /* inside the MAP_32BIT window */
	m.slot = 1000;
	m.slot_n = 2;
	m.lo = 16;
	m.hi = REF_PAGES - 16;
	m.origin = 3000;
	c = (struct vmar_config){
	    .base = m.base,
	    .size = REF_PAGES * PG,
	    .slot = m.base + m.slot * PG,
	    .slot_size = m.slot_n * PG,
	    .place_lo = m.base + m.lo * PG,
	    .place_hi = m.base + m.hi * PG,
	    .top = m.base + m.origin * PG,
	};
	ref_rng = 1000 + _i;
	init_ok(&v, &c);
	for (int i = 0; i < 3000; i++)
		ref_step(&m, &v, stats);
	/* The run covered what it is meant to: fits, ENOMEM, honoured hints, EEXIST. */
	for (int i = 0; i < 4; i++)
		ck_assert_msg(stats[i] > 20, "outcome %d seen %d times", i, stats[i]);
	vmar_destroy(&v);
}
END_TEST

/* --- Cost ------------------------------------------------------------------------------ */

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Seconds for `pairs` alloc/release pairs that must pass `holes` one-page holes. */
static double time_pairs(uint64_t holes, int pairs)
{
	struct vmar_config c = user_cfg(false, 0);
	double best = 1e9;
	struct vmar v;

	init_ok(&v, &c);
	for (uint64_t i = 1; i <= holes; i++)
		vmar_alloc(&v, &(struct vmar_req){
				   .size = PG, .hint = c.top - 2 * i * PG, .flags = VMAR_EXACT});
	for (int round = 0; round < 3; round++) {
		double t0 = cpu_now();

		for (int i = 0; i < pairs; i++) {
			long a = vmar_alloc(&v, &(struct vmar_req){.size = 2 * PG});

			EXPECT(a == (long)(c.top - 2 * holes * PG - 2 * PG), "at %#lx", a);
			vmar_release(&v, a, 2 * PG);
		}
		t0 = cpu_now() - t0;
		best = t0 < best ? t0 : best;
	}
	vmar_destroy(&v);
	return best;
}

START_TEST(test_placement_cost_grows_logarithmically)
{
	double small = time_pairs(64, 20000), large = time_pairs(16384, 20000);

	/* 256 times the holes: a linear scan would take ~256 times as long; log n ~2.3. */
	ck_assert_msg(large < 12 * small, "64 holes: %.4fs, 16384 holes: %.4fs", small, large);
}
END_TEST

START_TEST(test_destroy_frees_every_node)
{
	struct vmar_config c = small_cfg();
	struct vmar v;

	init_ok(&v, &c);
	for (int i = 0; i < 100; i++)
		alloc(&v, PG, 0, 0, i % 2 ? VMAR_GUARD : 0);
	vmar_destroy(&v);
	ck_assert_uint_eq(v.count, 0);
	ck_assert_ptr_null(vmar_first(&v));
	ck_assert_int_eq(alloc(&v, PG, 0, 0, 0), (long)(c.top - PG));
	vmar_destroy(&v);
}
END_TEST

static Suite *vmar_suite(void)
{
	Suite *s = suite_create("vmar");
	TCase *tc = tcase_create("core");
	TCase *heavy = tcase_create("heavy");

	tcase_add_test(tc, test_init_rejects_bad_config);
	tcase_add_test(tc, test_origin_is_top_without_aslr_and_random_below_it_with);
	tcase_add_test(tc, test_exact_alloc_and_its_errors);
	tcase_add_test(tc, test_replace_takes_over_allocated_parts);
	tcase_add_test(tc, test_bad_requests_are_einval);
	tcase_add_test(tc, test_topdown_first_fit_goes_down_from_top_adjacently);
	tcase_add_test(tc, test_topdown_uses_space_above_origin_when_below_is_full);
	tcase_add_test(tc, test_hint_honoured_only_when_free);
	tcase_add_test(tc, test_hint_respects_guard_of_next_node);
	tcase_add_test(tc, test_guard_gap_kept_for_automatic_placement_only);
	tcase_add_test(tc, test_set_guard_changes_placement_below);
	tcase_add_test(tc, test_alignment_gives_highest_aligned_fit);
	tcase_add_test(tc, test_32bit_lowest_fit_without_aslr);
	tcase_add_test(tc, test_32bit_spread_with_aslr);
	tcase_add_test(tc, test_release_splits_and_skips_holes);
	tcase_add_test(tc, test_is_free_and_find);
	tcase_add_test(tc, test_same_seed_same_placements);
	tcase_add_test(tc, test_enomem_when_full);
	tcase_add_test(tc, test_fault_point_fails_alloc_without_allocating);
	tcase_add_test(tc, test_destroy_frees_every_node);
	suite_add_tcase(s, tc);

	tcase_set_timeout(heavy, 120);
	tcase_add_test(heavy, test_32bit_random_is_uniform_over_fitting_positions);
	tcase_add_test(heavy, test_augmentation_survives_rotations);
	tcase_add_loop_test(heavy, test_placement_matches_reference_model, 0, 4);
	tcase_add_test(heavy, test_placement_cost_grows_logarithmically);
	suite_add_tcase(s, heavy);
	return s;
}

int main(void)
{
	return tu_run(vmar_suite());
}
