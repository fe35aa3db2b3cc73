/*
 * Unit tests of mm_brk (mm/brk.c) with the self backend: the heap is one ANON VMO resized as
 * the break moves; every refusal returns the current break (Linux's way of failing): below
 * start_brk, RLIMIT_DATA, a mapping within a page above the new break (within the stack
 * guard gap when it grows down), no program break at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

#define P	TU_PAGE
#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)
#define BRK_OFF (4ULL << 20)
/* Linux's default stack_guard_gap: 256 pages. */
#define GUARD_GAP (256 * P)

static struct tu_mm T;
static uint64_t start;

static void setup_brk(uint64_t data_size)
{
	struct tu_mm_opts o = {.brk_off = BRK_OFF};

	tu_mm_setup_opts(&T, &o);
	start = T.lo + BRK_OFF;
	/* The data segment just below the heap (only its size matters to RLIMIT_DATA). */
	T.mm.start_data = start - 2 * data_size;
	T.mm.end_data = start - data_size;
	TU_CHECK(&T.mm);
}

static int all_bytes(const void *p, size_t len, int byte)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i] != (unsigned char)byte)
			return 0;
	return 1;
}

/* mm_brk, then mm_check. */
static uint64_t brk_to(uint64_t b)
{
	long r = mm_brk(&T.mm, b);

	TU_CHECK(&T.mm);
	return (uint64_t)r;
}

static struct mapping *heap(void)
{
	struct mapping *m = mm_find(&T.mm, start);

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->flags & MF_BRK, MF_BRK);
	return m;
}

START_TEST(test_no_program_break_always_returns_zero)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	ck_assert_uint_eq(brk_to(0), 0);
	ck_assert_uint_eq(brk_to(T.lo + P), 0);
	ck_assert_uint_eq(T.mm.count, 0);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_initial_break_is_start_brk)
{
	setup_brk(2 * P);
	ck_assert_uint_eq(brk_to(0), start);
	ck_assert_uint_eq(brk_to(start), start);
	ck_assert_uint_eq(T.mm.count, 0);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_grow_returns_new_break_with_usable_zero_memory)
{
	setup_brk(2 * P);
	ck_assert_uint_eq(brk_to(start + 3 * P), start + 3 * P);
	ck_assert_uint_eq(heap()->end, start + 3 * P);
	ck_assert_int_eq(heap()->prot, RW);
	ck_assert_uint_eq(vmo_get_size(heap()->vmo), 3 * P);
	ck_assert(all_bytes((void *)start, 3 * P, 0));
	memset((void *)start, 'h', 3 * P);
	ck_assert(all_bytes((void *)start, 3 * P, 'h'));
	ck_assert_uint_eq(T.mm.data_pages, 3);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_grow_again_reuses_the_heap_vmo)
{
	setup_brk(2 * P);
	brk_to(start + 2 * P);
	struct vmo *vmo = heap()->vmo;
	uint64_t koid = vmo_koid(vmo), live = tu_live_vmos();

	memset((void *)start, 'h', 2 * P);
	ck_assert_uint_eq(brk_to(start + 5 * P), start + 5 * P);
	ck_assert_uint_eq(T.mm.count, 1);
	ck_assert_uint_eq(heap()->end, start + 5 * P);
	ck_assert_uint_eq(vmo_koid(heap()->vmo), koid);
	ck_assert_uint_eq(vmo_get_size(heap()->vmo), 5 * P);
	ck_assert_uint_eq(tu_live_vmos(), live);
	ck_assert(all_bytes((void *)start, 2 * P, 'h'));
	ck_assert(all_bytes((char *)start + 2 * P, 3 * P, 0));
	memset((char *)start + 4 * P, 'i', P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_shrink_shrinks_the_heap_vmo)
{
	setup_brk(2 * P);
	brk_to(start + 4 * P);
	struct vmo *vmo = heap()->vmo;
	uint64_t koid = vmo_koid(vmo);

	memset((void *)start, 'h', 4 * P);
	ck_assert_uint_eq(brk_to(start + P), start + P);
	ck_assert_uint_eq(heap()->end, start + P);
	ck_assert_uint_eq(vmo_get_size(vmo), P);
	ck_assert_ptr_null(mm_find(&T.mm, start + P));
	ck_assert(all_bytes((void *)start, P, 'h'));
	/* Growing again reuses the same, shrunk VMO: the dropped pages come back zero. */
	ck_assert_uint_eq(brk_to(start + 3 * P), start + 3 * P);
	ck_assert_uint_eq(vmo_koid(heap()->vmo), koid);
	ck_assert_uint_eq(T.mm.count, 1);
	ck_assert(all_bytes((void *)start, P, 'h'));
	ck_assert(all_bytes((char *)start + P, 2 * P, 0));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unaligned_breaks_map_whole_pages)
{
	setup_brk(2 * P);
	ck_assert_uint_eq(brk_to(start + 100), start + 100);
	ck_assert_uint_eq(heap()->end, start + P);
	ck_assert_uint_eq(brk_to(start + 200), start + 200); /* same page: nothing to map */
	ck_assert_uint_eq(heap()->end, start + P);
	ck_assert_uint_eq(T.mm.brk, start + 200);
	ck_assert_uint_eq(brk_to(start + P + 1), start + P + 1);
	ck_assert_uint_eq(heap()->end, start + 2 * P);
	ck_assert_uint_eq(brk_to(start + 50), start + 50);
	ck_assert_uint_eq(heap()->end, start + P);
	ck_assert_uint_eq(vmo_get_size(heap()->vmo), P);
	ck_assert_uint_eq(brk_to(start), start);
	ck_assert_ptr_null(mm_find(&T.mm, start));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_below_start_returns_current_break)
{
	setup_brk(2 * P);
	brk_to(start + 2 * P);
	ck_assert_uint_eq(brk_to(start - 1), start + 2 * P);
	ck_assert_uint_eq(brk_to(0), start + 2 * P);
	ck_assert_uint_eq(heap()->end, start + 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

struct brk_res {
	uint64_t r[3];
	int checked;
	char msg[256];
};

/* check_data_rlimit(): the heap plus the data segment must stay within RLIMIT_DATA. The
 * limit is set well above what the process has (its own allocations, a sanitizer's included,
 * must go on working) and the data segment is made just so large that the heap may reach
 * 56 KiB. */
static int data_child(void *arg)
{
	struct brk_res *r = arg;
	uint64_t lim = (tu_vm_data_pages() + 4096) * P;
	struct rlimit rl;

	getrlimit(RLIMIT_DATA, &rl);
	rl.rlim_cur = lim;
	if (setrlimit(RLIMIT_DATA, &rl) < 0)
		return 2;
	T.mm.start_data = T.lo;
	T.mm.end_data = T.lo + lim - (56 << 10);
	r->r[0] = (uint64_t)mm_brk(&T.mm, start + (32 << 10));
	r->r[1] = (uint64_t)mm_brk(&T.mm, start + (56 << 10) + 1);
	r->r[2] = (uint64_t)mm_brk(&T.mm, start + (56 << 10));
	r->checked = 1;
	return mm_check(&T.mm, r->msg, sizeof(r->msg)) ? 1 : 0;
}

START_TEST(test_data_rlimit_refuses_growth)
{
	struct brk_res *r = tu_shared(sizeof(*r));

	setup_brk(2 * P);
	ck_assert_int_eq(tu_in_child(data_child, r), 0);
	ck_assert_msg(r->checked, "the child did not run");
	ck_assert_uint_eq(r->r[0], start + (32 << 10));
	ck_assert_uint_eq(r->r[1], start + (32 << 10));
	ck_assert_uint_eq(r->r[2], start + (56 << 10));
	tu_shared_free(r, sizeof(*r));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_mapping_within_a_page_above_refuses_growth)
{
	setup_brk(2 * P);
	tu_mmap_ok(&T, start + 16 * P, P, RW, ANON | MAP_FIXED, -1, 0);
	ck_assert_uint_eq(brk_to(start + 15 * P + 1), start);
	ck_assert_ptr_null(mm_find(&T.mm, start));
	ck_assert_uint_eq(brk_to(start + 15 * P), start + 15 * P);
	ck_assert_uint_eq(heap()->end, start + 15 * P);
	ck_assert_uint_eq(brk_to(start + 15 * P + 1), start + 15 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_guard_gap_below_growsdown_mapping_refuses_growth)
{
	setup_brk(2 * P);
	uint64_t g = start + 300 * P;

	tu_mmap_ok(&T, g, 4 * P, RW, ANON | MAP_GROWSDOWN | MAP_FIXED, -1, 0);
	ck_assert_uint_eq(brk_to(g - GUARD_GAP - P + 1), start);
	ck_assert_uint_eq(brk_to(g - GUARD_GAP - P), g - GUARD_GAP - P);
	ck_assert_uint_eq(brk_to(g - GUARD_GAP - P + 1), g - GUARD_GAP - P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_shrink_over_unmapped_heap_is_refused)
{
	setup_brk(2 * P);
	brk_to(start + 4 * P);
	ck_assert_int_eq(mm_munmap(&T.mm, start + 2 * P, 2 * P), 0);
	TU_CHECK(&T.mm);
	/* Nothing of the heap between the new and the old break: the break stays. */
	ck_assert_uint_eq(brk_to(start + 3 * P), start + 4 * P);
	/* A shrink that reaches the heap is done. */
	ck_assert_uint_eq(brk_to(start + P), start + P);
	ck_assert_uint_eq(heap()->end, start + P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_grow_after_heap_top_was_protected_uses_new_vmo)
{
	setup_brk(2 * P);
	brk_to(start + 2 * P);
	uint64_t koid = vmo_koid(heap()->vmo);

	ck_assert_int_eq(mm_mprotect(&T.mm, start + P, P, PROT_READ), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(brk_to(start + 3 * P), start + 3 * P);
	ck_assert_uint_ne(vmo_koid(mm_find(&T.mm, start + 2 * P)->vmo), koid);
	ck_assert_uint_eq(vmo_get_size(heap()->vmo), 2 * P);
	memset((char *)start + 2 * P, 'n', P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_growth_beyond_vmar_is_refused)
{
	setup_brk(2 * P);
	ck_assert_uint_eq(brk_to(T.hi + P), start);
	ck_assert_uint_eq(T.mm.count, 0);
	tu_mm_teardown(&T);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("brk");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_no_program_break_always_returns_zero);
	tcase_add_test(tc, test_initial_break_is_start_brk);
	tcase_add_test(tc, test_grow_returns_new_break_with_usable_zero_memory);
	tcase_add_test(tc, test_grow_again_reuses_the_heap_vmo);
	tcase_add_test(tc, test_shrink_shrinks_the_heap_vmo);
	tcase_add_test(tc, test_unaligned_breaks_map_whole_pages);
	tcase_add_test(tc, test_below_start_returns_current_break);
	tcase_add_test(tc, test_data_rlimit_refuses_growth);
	tcase_add_test(tc, test_mapping_within_a_page_above_refuses_growth);
	tcase_add_test(tc, test_guard_gap_below_growsdown_mapping_refuses_growth);
	tcase_add_test(tc, test_shrink_over_unmapped_heap_is_refused);
	tcase_add_test(tc, test_grow_after_heap_top_was_protected_uses_new_vmo);
	tcase_add_test(tc, test_growth_beyond_vmar_is_refused);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
