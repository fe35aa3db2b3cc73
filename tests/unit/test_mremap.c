/*
 * Unit tests of mm_mremap (mm/mremap.c) with the self backend: shrink, grow in place (the
 * VMO grown, not copied), grow by moving, MREMAP_FIXED over existing mappings (the target in
 * the old range's mapping too), DONTUNMAP (private: the old range reads zero; shared: it keeps
 * the object; the whole locked mapping unlocked), old_len 0 aliases of shared mappings (over
 * themselves: EFAULT, the target unmapped), shared anonymous growth faulting beyond the
 * object, same-size FIXED moves of several mappings and holes (the gaps kept, SysV shm
 * refused after the first mapping), a FIXED shrink whose tail crosses mappings and holes, and
 * the errors, each asked of the kernel on a native mapping in the same test.
 */
#include <errno.h>
#include <linux/mman.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fault/inject.h"
#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

#define P TU_PAGE
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define SHANON (MAP_SHARED | MAP_ANONYMOUS)

static struct tu_mm T;

static void setup(void)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
}

static void teardown(void)
{
	tu_mm_teardown(&T);
}

/* n free pages in the middle of the region (mapped by the model, then unmapped). */
static uint64_t space(uint64_t n)
{
	uint64_t a = tu_mmap_ok(&T, 0, (n + 8) * P, PROT_READ, ANON, -1, 0);

	ck_assert_int_eq(mm_munmap(&T.mm, a, (n + 8) * P), 0);
	return a + 4 * P;
}

static long native_mremap(uint64_t a, uint64_t o, uint64_t n, int f, uint64_t na)
{
	return tu_sys(syscall(SYS_mremap, a, o, n, f, na));
}

/* The kernel's answer for the same call on a native mapping shaped like the model's. */
static long ask_kernel(int flags_map, uint64_t map_len, uint64_t off, uint64_t o, uint64_t n,
		       int f, uint64_t fixed_delta)
{
	uint64_t a = (uint64_t)tu_native_mmap(0, map_len + 16 * P, RW, ANON, -1, 0);
	long r;

	munmap((void *)(a + map_len), 16 * P);
	if (flags_map != ANON) {
		munmap((void *)a, map_len);
		a = (uint64_t)tu_native_mmap(a, map_len, RW, flags_map | MAP_FIXED, -1, 0);
	}
	r = native_mremap(a + off, o, n, f, fixed_delta ? a + fixed_delta : 0);
	if (r > 0)
		munmap((void *)r, n);
	munmap((void *)a, map_len + 16 * P);
	return r < 0 ? r : 0;
}

START_TEST(test_errors_match_the_kernel)
{
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	struct {
		uint64_t off, o, n;
		int f;
		uint64_t fixed_delta;
	} cases[] = {
		{ 0, P, P, 8, 0 },				    /* unknown flag */
		{ 0, P, P, MREMAP_FIXED, 40 * P },		    /* FIXED without MAYMOVE */
		{ 0, P, P, MREMAP_DONTUNMAP, 0 },		    /* DONTUNMAP without MAYMOVE */
		{ 0, P, 2 * P, MREMAP_DONTUNMAP | MREMAP_MAYMOVE, 0 }, /* DONTUNMAP resizing */
		{ 1, P, P, 0, 0 },				    /* unaligned */
		{ 0, P, 0, 0, 0 },				    /* new_len 0 */
		{ 0, 0, P, MREMAP_MAYMOVE, 0 },		    /* old_len 0 on private */
		{ 2 * P, 4 * P, 6 * P, 0, 0 },		    /* beyond the mapping */
		{ 0, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, P / 2 }, /* unaligned target */
		{ 0, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, P }, /* overlapping */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long want = ask_kernel(ANON, 4 * P, cases[i].off, cases[i].o, cases[i].n,
				       cases[i].f, cases[i].fixed_delta);
		long got = mm_mremap(&T.mm, a + cases[i].off, cases[i].o, cases[i].n, cases[i].f,
				     cases[i].fixed_delta ? a + cases[i].fixed_delta : 0);

		ck_assert_msg(want < 0, "case %zu: the kernel accepted it", i);
		ck_assert_msg(got == want, "case %zu: model %ld, kernel %ld", i, got, want);
		TU_CHECK(&T.mm);
	}
	ck_assert_int_eq(mm_mremap(&T.mm, T.lo, P, 2 * P, 0, 0), -EFAULT); /* a hole */
}
END_TEST

START_TEST(test_shrink_keeps_the_head_and_shrinks_the_vmo)
{
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	struct mapping *m;

	memset((void *)a, 'x', 4 * P);
	ck_assert_int_eq(mm_mremap(&T.mm, a, 4 * P, P, 0, 0), (long)a);
	TU_CHECK(&T.mm);
	m = mm_find(&T.mm, a);
	ck_assert_uint_eq(m->end, a + P);
	ck_assert_uint_eq(vmo_get_size(m->vmo), P);
	ck_assert(mm_find(&T.mm, a + P) == NULL);
	ck_assert_int_eq(*(char *)a, 'x');
}
END_TEST

START_TEST(test_grow_in_place_grows_the_vmo_without_copying)
{
	uint64_t a = tu_mmap_ok(&T, space(8), 2 * P, RW, ANON | MAP_FIXED, -1, 0), koid;
	struct vmo_stats before, after;
	struct mapping *m;

	memset((void *)a, 'g', 2 * P);
	koid = vmo_koid(mm_find(&T.mm, a)->vmo);
	vmo_stats_get(&before);
	ck_assert_int_eq(mm_mremap(&T.mm, a, 2 * P, 4 * P, 0, 0), (long)a);
	TU_CHECK(&T.mm);
	vmo_stats_get(&after);
	m = mm_find(&T.mm, a + 3 * P);
	ck_assert_uint_eq(vmo_koid(m->vmo), koid);
	ck_assert_uint_eq(vmo_get_size(m->vmo), 4 * P);
	ck_assert_uint_eq(after.bytes_copied, before.bytes_copied);
	ck_assert_uint_eq(T.mm.count, 1);
	ck_assert_int_eq(((char *)a)[P], 'g');
	ck_assert_int_eq(((char *)a)[3 * P], 0);
	((char *)a)[3 * P] = 1;
}
END_TEST

START_TEST(test_grow_blocked_moves_with_maymove_and_keeps_content)
{
	uint64_t a = tu_mmap_ok(&T, space(8), 2 * P, RW, ANON | MAP_FIXED, -1, 0);
	long b;

	tu_mmap_ok(&T, a + 2 * P, P, PROT_READ, ANON | MAP_FIXED, -1, 0);
	memset((void *)a, 'm', 2 * P);
	ck_assert_int_eq(mm_mremap(&T.mm, a, 2 * P, 4 * P, 0, 0), -ENOMEM);
	b = mm_mremap(&T.mm, a, 2 * P, 4 * P, MREMAP_MAYMOVE, 0);
	ck_assert_int_gt(b, 0);
	ck_assert_uint_ne((uint64_t)b, a);
	TU_CHECK(&T.mm);
	ck_assert(mm_find(&T.mm, a) == NULL);
	ck_assert_int_eq(((char *)b)[P], 'm');
	ck_assert_int_eq(((char *)b)[3 * P], 0);
	((char *)b)[3 * P] = 2;
	ck_assert_uint_eq(mm_find(&T.mm, (uint64_t)b)->end, (uint64_t)b + 4 * P);
}
END_TEST

START_TEST(test_fixed_replaces_the_target)
{
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	uint64_t t = tu_mmap_ok(&T, 0, 6 * P, RW, ANON, -1, 0);

	memset((void *)a, 'a', 2 * P);
	memset((void *)t, 't', 6 * P);
	ck_assert_int_eq(mm_mremap(&T.mm, a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, t + 2 * P),
			 (long)(t + 2 * P));
	TU_CHECK(&T.mm);
	ck_assert_int_eq(((char *)t)[0], 't');
	ck_assert_int_eq(((char *)t)[2 * P], 'a');
	ck_assert_int_eq(((char *)t)[5 * P], 't');
	ck_assert(mm_find(&T.mm, a) == NULL);
}
END_TEST

START_TEST(test_dontunmap_private_leaves_zeros_behind)
{
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	long b;

	memset((void *)a, 'd', 2 * P);
	b = mm_mremap(&T.mm, a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	ck_assert_int_gt(b, 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(((char *)b)[0], 'd');
	ck_assert_int_eq(((char *)a)[0], 0);
	ck_assert_ptr_nonnull(mm_find(&T.mm, a));
	ck_assert_ptr_ne(mm_find(&T.mm, a)->vmo, mm_find(&T.mm, (uint64_t)b)->vmo);
}
END_TEST

START_TEST(test_dontunmap_shared_keeps_the_object)
{
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, SHANON, -1, 0);
	long b;

	*(char *)a = 's';
	b = mm_mremap(&T.mm, a, P, P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	ck_assert_int_gt(b, 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(*(char *)a, 's');
	ck_assert_int_eq(*(char *)b, 's');
	*(char *)b = 'z';
	ck_assert_int_eq(*(char *)a, 'z');
}
END_TEST

/* DONTUNMAP unlocks the whole VMA (the model: the whole mapping) the old range lies in, not
 * only the range left behind; the moved pages stay locked. */
START_TEST(test_dontunmap_unlocks_the_whole_locked_mapping)
{
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, SHANON, -1, 0);
	long na = tu_native_mmap(0, 4 * P, RW, SHANON, -1, 0), b, nb;

	ck_assert_int_gt(na, 0);
	ck_assert_int_eq(mm_mlock(&T.mm, a, 4 * P, 0), 0);
	ck_assert_int_eq(tu_sys(syscall(SYS_mlock, na, 4 * P)), 0);
	b = mm_mremap(&T.mm, a + P, P, P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	nb = native_mremap(na + P, P, P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	ck_assert_int_gt(b, 0);
	ck_assert_int_gt(nb, 0);
	TU_CHECK(&T.mm);
	for (int i = 0; i < 4; i++) {
		ck_assert(!tu_vmflag(na + i * P, "lo"));
		ck_assert(!(mm_find(&T.mm, a + i * P)->flags & MF_LOCKED));
	}
	ck_assert(tu_vmflag(nb, "lo"));
	ck_assert(mm_find(&T.mm, b)->flags & MF_LOCKED);
	ck_assert_uint_eq(T.mm.locked_pages, 1);
	munmap((void *)na, 4 * P);
	munmap((void *)nb, P);
}
END_TEST

START_TEST(test_old_len_zero_aliases_a_shared_mapping)
{
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, SHANON, -1, 0);
	long b;

	*(char *)a = 'q';
	b = mm_mremap(&T.mm, a, 0, P, MREMAP_MAYMOVE, 0);
	ck_assert_int_gt(b, 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(*(char *)b, 'q');
	*(char *)a = 'r';
	ck_assert_int_eq(*(char *)b, 'r');
	ck_assert_ptr_eq(mm_find(&T.mm, a)->vmo, mm_find(&T.mm, (uint64_t)b)->vmo);
}
END_TEST

/* An alias whose FIXED target starts at addr: the target is unmapped first, then EFAULT (no
 * mapping at addr any more); a target starting below addr overlaps it: EINVAL. */
START_TEST(test_alias_over_itself_unmaps_the_target_then_efaults)
{
	int f = MREMAP_MAYMOVE | MREMAP_FIXED;
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, SHANON, -1, 0);
	long na = tu_native_mmap(0, 4 * P, RW, SHANON, -1, 0);

	ck_assert_int_gt(na, 0);
	ck_assert_int_eq(mm_mremap(&T.mm, a + 2 * P, 0, 2 * P, f, a + P), -EINVAL);
	ck_assert_int_eq(native_mremap(na + 2 * P, 0, 2 * P, f, na + P), -EINVAL);
	ck_assert_int_eq(mm_mremap(&T.mm, a + P, 0, 2 * P, f, a + P), -EFAULT);
	ck_assert_int_eq(native_mremap(na + P, 0, 2 * P, f, na + P), -EFAULT);
	TU_CHECK(&T.mm);
	for (int i = 0; i < 4; i++) {
		unsigned char v;

		ck_assert_int_eq(mm_find(&T.mm, a + i * P) != NULL, i == 0 || i == 3);
		ck_assert_int_eq(mincore((void *)(na + i * P), P, &v) == 0, i == 0 || i == 3);
	}
	munmap((void *)na, 4 * P);
}
END_TEST

/* A FIXED target below the old range in its private mapping: with the snapshot split, removing
 * the target makes the mapping's top part (the old range with it) a snapshot child, whose
 * pages the kernel moves; the moved mapping must be on the child, where the program writes. */
START_TEST(test_fixed_target_below_the_old_range_in_its_mapping)
{
	int f = MREMAP_MAYMOVE | MREMAP_FIXED;
	uint64_t a = tu_mmap_ok(&T, 0, 8 * P, RW, ANON, -1, 0);
	long na = tu_native_mmap(0, 8 * P, RW, ANON, -1, 0);
	struct mapping *m;
	char c = 0;

	ck_assert_int_gt(na, 0);
	memset((void *)a, 'o', 8 * P);
	ck_assert_int_eq(mm_mremap(&T.mm, a + 5 * P, 2 * P, 3 * P, f, a + P), (long)(a + P));
	ck_assert_int_eq(native_mremap(na + 5 * P, 2 * P, 3 * P, f, na + P), na + P);
	TU_CHECK(&T.mm);
	*(char *)(a + P) = 'w';
	m = mm_find(&T.mm, a + P);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_ge(vmo_read(m->vmo, &c, m->off, 1), 0);
	ck_assert_int_eq(c, 'w');
	for (int i = 0; i < 8; i++) {
		unsigned char v;

		ck_assert_int_eq(mm_find(&T.mm, a + i * P) != NULL,
				 mincore((void *)(na + i * P), P, &v) == 0);
	}
	munmap((void *)na, 8 * P);
}
END_TEST

static sigjmp_buf jb;
static void on_bus(int sig)
{
	siglongjmp(jb, sig);
}

START_TEST(test_shared_anon_growth_faults_beyond_the_object_as_linux)
{
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, SHANON, -1, 0);
	uint64_t n = (uint64_t)tu_native_mmap(0, P, RW, SHANON, -1, 0);
	long b = mm_mremap(&T.mm, a, P, 2 * P, MREMAP_MAYMOVE, 0);
	long nb = native_mremap(n, P, 2 * P, MREMAP_MAYMOVE, 0);
	volatile int model_sig = 0, native_sig = 0;
	struct sigaction sa = { .sa_handler = on_bus }, old;

	ck_assert_int_gt(b, 0);
	ck_assert_int_gt(nb, 0);
	TU_CHECK(&T.mm);
	sigaction(SIGBUS, &sa, &old);
	if (!(model_sig = sigsetjmp(jb, 1)))
		((volatile char *)b)[P] = 1;
	if (!(native_sig = sigsetjmp(jb, 1)))
		((volatile char *)nb)[P] = 1;
	sigaction(SIGBUS, &old, NULL);
	ck_assert_int_eq(model_sig, native_sig);
	ck_assert_int_eq(native_sig, SIGBUS);
	munmap((void *)nb, 2 * P);
}
END_TEST

START_TEST(test_move_failure_rolls_back)
{
	uint64_t a = tu_mmap_ok(&T, space(8), 2 * P, RW, ANON | MAP_FIXED, -1, 0);
	char *before, *maps_before;

	tu_mmap_ok(&T, a + 2 * P, P, PROT_READ, ANON | MAP_FIXED, -1, 0);
	memset((void *)a, 'k', 2 * P);
	before = tu_mm_dump(&T.mm);
	maps_before = calloc(1, 3 * 64 + 1);
	tu_prots(a - 16 * P, 64, maps_before);
	fault_disarm(); /* counts start from here */
	ck_assert_int_eq(fault_arm("backend.step:nth=2"), 0);
	ck_assert_int_eq(mm_mremap(&T.mm, a, 2 * P, 4 * P, MREMAP_MAYMOVE, 0), -ENOMEM);
	fault_disarm();
	TU_CHECK(&T.mm);
	{
		char *after = tu_mm_dump(&T.mm), *maps_after = calloc(1, 3 * 64 + 1);

		tu_prots(a - 16 * P, 64, maps_after);

		ck_assert_str_eq(after, before);
		ck_assert_str_eq(maps_after, maps_before);
		free(after);
		free(maps_after);
	}
	ck_assert_int_eq(((char *)a)[P], 'k');
	free(before);
	free(maps_before);
}
END_TEST

/*
 * The layout of the tests of ranges over several mappings, at base (through the model, or
 * natively), in pages: [0, 2) private rw- written 'a', a hole, [3, 5) private r--, [5, 6)
 * shared rw- written 'c', holes up to 16, then [16, 24) private rw- written 't' (a target).
 */
#define SPAN 24

static void map_at(bool model, uint64_t a, uint64_t len, int prot, int flags, int fill)
{
	if (model)
		tu_mmap_ok(&T, a, len, RW, flags | MAP_FIXED, -1, 0);
	else
		ck_assert_int_eq(tu_native_mmap(a, len, RW, flags | MAP_FIXED, -1, 0), (long)a);
	if (fill)
		memset((void *)a, fill, len);
	ck_assert_int_eq(model ? mm_mprotect(&T.mm, a, len, prot) : mprotect((void *)a, len, prot),
			 0);
}

static void multi_shape(bool model, uint64_t b)
{
	map_at(model, b, 2 * P, RW, ANON, 'a');
	map_at(model, b + 3 * P, 2 * P, PROT_READ, ANON, 0);
	map_at(model, b + 5 * P, P, RW, SHANON, 'c');
	map_at(model, b + 16 * P, 8 * P, RW, ANON, 't');
}

/* The same call on the model's layout at m and the kernel's at n: the same result (relative
 * to the base) and the same protections page by page afterwards. Returns the result. */
static long same_as_kernel(uint64_t m, uint64_t n, uint64_t off, uint64_t o, uint64_t nl, int f,
			   uint64_t target_off)
{
	char mp[3 * SPAN + 1], np[3 * SPAN + 1];
	long got = mm_mremap(&T.mm, m + off, o, nl, f, m + target_off);
	long want = native_mremap(n + off, o, nl, f, n + target_off);

	TU_CHECK(&T.mm);
	ck_assert_msg((got < 0 ? got : got - (long)m) == (want < 0 ? want : want - (long)n),
		      "model %ld, kernel %ld", got < 0 ? got : got - (long)m,
		      want < 0 ? want : want - (long)n);
	tu_prots(m, SPAN, mp);
	tu_prots(n, SPAN, np);
	ck_assert_str_eq(mp, np);
	return got;
}

START_TEST(test_fixed_same_size_moves_every_mapping_and_keeps_the_gaps)
{
	uint64_t m = space(SPAN), n = tu_native_free_range(SPAN * P);

	multi_shape(true, m);
	multi_shape(false, n);
	/* [0, 8): three mappings, a hole after the first, two pages of holes at the end */
	ck_assert_int_eq(
	    same_as_kernel(m, n, 0, 8 * P, 8 * P, MREMAP_MAYMOVE | MREMAP_FIXED, 16 * P),
	    (long)(m + 16 * P));
	ck_assert_int_eq(((char *)m)[16 * P], 'a');
	ck_assert_int_eq(((char *)m)[18 * P], 't'); /* the target keeps the gaps' pages */
	ck_assert_int_eq(((char *)m)[21 * P], 'c');
	ck_assert_int_eq(((char *)m)[23 * P], 't');
	ck_assert(mm_find(&T.mm, m) == NULL);
	munmap((void *)n, SPAN * P);
}
END_TEST

START_TEST(test_fixed_same_size_dontunmap_moves_every_mapping)
{
	uint64_t m = space(SPAN), n = tu_native_free_range(SPAN * P);

	multi_shape(true, m);
	multi_shape(false, n);
	ck_assert_int_eq(same_as_kernel(m, n, P, 5 * P, 5 * P,
					MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, 17 * P),
			 (long)(m + 17 * P));
	ck_assert_int_eq(((char *)m)[17 * P], 'a');
	ck_assert_int_eq(((char *)m)[P], 0);		    /* private: zero left behind */
	ck_assert_int_eq(((volatile char *)m)[5 * P], 'c'); /* shared: the object stays */
	((volatile char *)m)[21 * P] = 'C';
	ck_assert_int_eq(((volatile char *)m)[5 * P], 'C');
	munmap((void *)n, SPAN * P);
}
END_TEST

START_TEST(test_fixed_same_size_errors_match_the_kernel)
{
	uint64_t m = space(SPAN), n = tu_native_free_range(SPAN * P);
	const int f = MREMAP_MAYMOVE | MREMAP_FIXED;

	multi_shape(true, m);
	multi_shape(false, n);
	ck_assert_int_eq(same_as_kernel(m, n, 2 * P, 3 * P, 3 * P, f, 16 * P), -EFAULT);
	ck_assert_int_eq(same_as_kernel(m, n, 6 * P, 4 * P, 4 * P, f, 16 * P), -EFAULT);
	/* the target meets the old range in a hole only */
	ck_assert_int_eq(same_as_kernel(m, n, 0, 8 * P, 8 * P, f, 7 * P), -EINVAL);
	munmap((void *)n, SPAN * P);
}
END_TEST

START_TEST(test_fixed_shrink_checks_the_head_and_unmaps_the_tail_across_mappings)
{
	uint64_t m = space(SPAN), n = tu_native_free_range(SPAN * P);
	const int f = MREMAP_MAYMOVE | MREMAP_FIXED;

	multi_shape(true, m);
	multi_shape(false, n);
	/* a head leaving its mapping: EFAULT before anything is unmapped */
	ck_assert_int_eq(same_as_kernel(m, n, P, 5 * P, 2 * P, f, 16 * P), -EFAULT);
	/* the tail [2, 6) holds a hole and two mappings */
	ck_assert_int_eq(same_as_kernel(m, n, P, 5 * P, P, f, 16 * P), (long)(m + 16 * P));
	ck_assert_int_eq(((char *)m)[16 * P], 'a');
	ck_assert(mm_find(&T.mm, m + 3 * P) == NULL && mm_find(&T.mm, m + 5 * P) == NULL);
	munmap((void *)n, SPAN * P);
}
END_TEST

/*
 * SysV shm (a file that places its mappings itself) is moved along with other mappings only
 * alone. An imported address space at base: [0, 2) anonymous rw-, [2, 4) a SysV segment,
 * [4, 6) anonymous r--; natively the same in a free range.
 */
static void sysv_shape(uint64_t b, int id)
{
	ck_assert_int_eq(tu_native_mmap(b, 2 * P, RW, ANON | MAP_FIXED, -1, 0), (long)b);
	ck_assert_ptr_eq(shmat(id, (void *)(b + 2 * P), SHM_REMAP), (void *)(b + 2 * P));
	ck_assert_int_eq(tu_native_mmap(b + 4 * P, 2 * P, PROT_READ, ANON | MAP_FIXED, -1, 0),
			 (long)(b + 4 * P));
}

static void sysv_import(struct mm *mm, struct self_backend *sb, uint64_t size)
{
	struct mm_config c = {.be = &self_backend_ops, .be_ctx = sb};
	uint64_t b = sb->lo, pg = P;
	char *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	int bad, r;

	fprintf(f,
		"%" PRIx64 "-%" PRIx64 " rw-p 00000000 00:00 0 \nVmFlags: rd wr mr mw me ac \n"
		"%" PRIx64 "-%" PRIx64 " rw-s 00000000 00:01 7     /SYSV00000000 (deleted)\n"
		"VmFlags: rd wr sh mr mw me ms \n"
		"%" PRIx64 "-%" PRIx64 " r--p 00000000 00:00 0 \nVmFlags: rd mr mw me ac \n",
		b, b + 2 * pg, b + 2 * pg, b + 4 * pg, b + 4 * pg, b + 6 * pg);
	fclose(f);
	c.vmar = (struct vmar_config){
	    .base = b,
	    .size = size,
	    .place_lo = b,
	    .place_hi = b + size,
	    .top = b + size,
	};
	r = mm_import(mm, &c, text, &bad);
	free(text);
	ck_assert_msg(r == 0, "mm_import: %s at line %d", strerror(-r), bad);
}

START_TEST(test_fixed_same_size_refuses_sysv_shm_after_the_first_mapping)
{
	const int f = MREMAP_MAYMOVE | MREMAP_FIXED;
	int id = shmget(IPC_PRIVATE, 2 * P, IPC_CREAT | 0600);
	struct self_backend sb;
	struct mm mm;
	char mp[3 * SPAN + 1], np[3 * SPAN + 1];
	uint64_t n;

	ck_assert_int_ge(id, 0);
	ck_assert_int_eq(self_region_reserve(&sb, SPAN * P, 0), 0);
	n = tu_native_free_range(SPAN * P);
	sysv_shape(sb.lo, id);
	sysv_shape(n, id);
	shmctl(id, IPC_RMID, NULL);
	sysv_import(&mm, &sb, SPAN * P);
	/* the segment goes on past its start: nothing moves */
	ck_assert_int_eq(mm_mremap(&mm, sb.lo + 2 * P, 4 * P, 4 * P, f, sb.lo + 16 * P), -EFAULT);
	TU_KERNEL_EQ(native_mremap(n + 2 * P, 4 * P, 4 * P, f, n + 16 * P), -EFAULT);
	/* after the first mapping: the first one moved, then EFAULT */
	ck_assert_int_eq(mm_mremap(&mm, sb.lo, 6 * P, 6 * P, f, sb.lo + 16 * P), -EFAULT);
	TU_KERNEL_EQ(native_mremap(n, 6 * P, 6 * P, f, n + 16 * P), -EFAULT);
	TU_CHECK(&mm);
	ck_assert(mm_find(&mm, sb.lo) == NULL && mm_find(&mm, sb.lo + 16 * P) != NULL);
	/* alone, it moves */
	ck_assert_int_eq(mm_mremap(&mm, sb.lo + 2 * P, 2 * P, 2 * P, f, sb.lo + 8 * P),
			 (long)(sb.lo + 8 * P));
	TU_KERNEL_EQ(native_mremap(n + 2 * P, 2 * P, 2 * P, f, n + 8 * P), (long)(n + 8 * P));
	TU_CHECK(&mm);
	tu_prots(sb.lo, SPAN, mp);
	tu_prots(n, SPAN, np);
	ck_assert_str_eq(mp, np);
	ck_assert(!mm.failed);
	mm_destroy(&mm);
	self_region_release(&sb);
	shmdt((void *)(n + 8 * P));
	munmap((void *)n, SPAN * P);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mremap");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_errors_match_the_kernel);
	tcase_add_test(tc, test_shrink_keeps_the_head_and_shrinks_the_vmo);
	tcase_add_test(tc, test_grow_in_place_grows_the_vmo_without_copying);
	tcase_add_test(tc, test_grow_blocked_moves_with_maymove_and_keeps_content);
	tcase_add_test(tc, test_fixed_replaces_the_target);
	tcase_add_test(tc, test_fixed_target_below_the_old_range_in_its_mapping);
	tcase_add_test(tc, test_dontunmap_private_leaves_zeros_behind);
	tcase_add_test(tc, test_dontunmap_shared_keeps_the_object);
	tcase_add_test(tc, test_dontunmap_unlocks_the_whole_locked_mapping);
	tcase_add_test(tc, test_old_len_zero_aliases_a_shared_mapping);
	tcase_add_test(tc, test_alias_over_itself_unmaps_the_target_then_efaults);
	tcase_add_test(tc, test_shared_anon_growth_faults_beyond_the_object_as_linux);
	tcase_add_test(tc, test_move_failure_rolls_back);
	tcase_add_test(tc, test_fixed_same_size_moves_every_mapping_and_keeps_the_gaps);
	tcase_add_test(tc, test_fixed_same_size_dontunmap_moves_every_mapping);
	tcase_add_test(tc, test_fixed_same_size_errors_match_the_kernel);
	tcase_add_test(tc, test_fixed_shrink_checks_the_head_and_unmaps_the_tail_across_mappings);
	tcase_add_test(tc, test_fixed_same_size_refuses_sysv_shm_after_the_first_mapping);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
