/*
 * Unit tests of mm_grow_down (mm/grow.c) with the self backend: a fault below a growsdown
 * mapping grows it as Linux does (page by page, by long jumps, rounded to the step while the
 * limits hold; one mapping within its VMO's room, a new piece past it), the content above is
 * kept, and the refusals leave the model unchanged: not
 * below a growsdown mapping (EFAULT), within the stack guard gap of an accessible mapping
 * below (ENOMEM; a PROT_NONE one does not count), beyond RLIMIT_STACK (ENOMEM).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "tests/unit/testutil.h"

#define P	  TU_PAGE
#define RW	  (PROT_READ | PROT_WRITE)
#define GROWS	  (MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED)
#define GUARD_GAP (256 * P)

static struct tu_mm T;

/* A 4-page growsdown stack whose top is `below` bytes under the region's top. */
static uint64_t stack_at(uint64_t below)
{
	uint64_t top = T.hi - below;

	tu_mmap_ok(&T, top - 4 * P, 4 * P, RW, GROWS, -1, 0);
	return top - 4 * P;
}

static uint64_t bottom_of(uint64_t addr)
{
	struct mapping *m = mm_find(&T.mm, addr);

	ck_assert_ptr_nonnull(m);
	return mm_stack_bottom(&T.mm, m)->start;
}

START_TEST(grows_page_by_page_and_by_jumps)
{
	uint64_t b;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	b = stack_at(P);
	memset((void *)b, 0x5a, 4 * P);
	for (int i = 1; i <= 8; i++) {
		ck_assert_int_eq(mm_grow_down(&T.mm, b - i * P + 8, 0), 0);
		ck_assert_uint_eq(bottom_of(b), b - i * P);
		*(volatile char *)(b - i * P) = 1; /* the grown page is really there */
		TU_CHECK(&T.mm);
	}
	ck_assert_int_eq(mm_grow_down(&T.mm, b - (1 << 20), 0), 0);
	ck_assert_uint_eq(bottom_of(b), b - (1 << 20));
	for (uint64_t a = b; a < b + 4 * P; a++)
		ck_assert_int_eq(*(unsigned char *)a, 0x5a);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(rounds_to_the_step_within_limits)
{
	uint64_t b, fault;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	b = stack_at(P);
	fault = b - 3 * P;
	ck_assert_int_eq(mm_grow_down(&T.mm, fault, 64 << 10), 0);
	ck_assert_uint_eq(bottom_of(b), fault & ~(uint64_t)((64 << 10) - 1));
	ck_assert_uint_le(bottom_of(b), fault & ~(P - 1));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(not_below_a_growsdown_mapping)
{
	uint64_t a;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	a = tu_mmap_ok(&T, T.hi - 8 * P, 4 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		       0);
	ck_assert_int_eq(mm_grow_down(&T.mm, a - P, 0), -EFAULT);
	ck_assert_int_eq(mm_grow_down(&T.mm, a + P, 0), -EFAULT); /* inside: not a growth */
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(guard_gap)
{
	uint64_t b, low;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	b = stack_at(P);
	low = tu_mmap_ok(&T, b - GUARD_GAP - 64 * P, P, RW,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	/* The new start must stay GUARD_GAP above an accessible mapping. */
	ck_assert_int_eq(mm_grow_down(&T.mm, low + P + GUARD_GAP - P, 0), -ENOMEM);
	ck_assert_uint_eq(bottom_of(b), b);
	ck_assert_int_eq(mm_grow_down(&T.mm, low + P + GUARD_GAP, 0), 0);
	/* Rounding never crosses the gap either. */
	ck_assert_uint_ge(bottom_of(b), low + P + GUARD_GAP);
	/* A PROT_NONE mapping below is no reason to stop. */
	ck_assert_int_eq(mm_mprotect(&T.mm, low, P, PROT_NONE), 0);
	ck_assert_int_eq(mm_grow_down(&T.mm, low + P, 0), 0);
	ck_assert_uint_eq(bottom_of(b), low + P);
	TU_CHECK(&T.mm);
	/* PROT_GROWSDOWN reaches the grown bottom: the stack is one VMA on Linux. */
	ck_assert_int_eq(mm_mprotect(&T.mm, b, P, PROT_READ | PROT_GROWSDOWN), 0);
	ck_assert_int_eq(mm_find(&T.mm, low + P)->prot, PROT_READ);
	ck_assert_int_eq(mm_find(&T.mm, b - P)->prot, PROT_READ);
	ck_assert_int_eq(mm_find(&T.mm, b + P)->prot, RW); /* above the range: untouched */
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(rlimit_stack)
{
	struct rlimit old, small = { 64 * P, 0 };
	uint64_t b;

	getrlimit(RLIMIT_STACK, &old);
	small.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_STACK, &small), 0);
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	b = stack_at(P);
	/* 4 pages mapped: 60 more fit, 61 do not. */
	ck_assert_int_eq(mm_grow_down(&T.mm, b - 61 * P, 0), -ENOMEM);
	ck_assert_uint_eq(bottom_of(b), b);
	ck_assert_int_eq(mm_grow_down(&T.mm, b - 60 * P, 64 << 10), 0);
	ck_assert_uint_eq(bottom_of(b), b - 60 * P);
	tu_mm_teardown(&T);
	setrlimit(RLIMIT_STACK, &old);
}
END_TEST

/* Within the VMO's room the stack stays one mapping; past it (RLIMIT_STACK raised after the
 * stack was made) a new VMO is mapped below, and the stack is the run of both. */
START_TEST(one_mapping_within_the_room_then_a_piece)
{
	struct rlimit old, small = { 64 * P, 0 };
	uint64_t b;

	getrlimit(RLIMIT_STACK, &old);
	small.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_STACK, &small), 0);
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	b = stack_at(P);
	ck_assert_int_eq(mm_grow_down(&T.mm, b - 60 * P, 0), 0);
	ck_assert_ptr_eq(mm_find(&T.mm, b - 60 * P), mm_find(&T.mm, b));
	ck_assert_int_eq(setrlimit(RLIMIT_STACK, &old), 0);
	memset((void *)(b - 60 * P), 0x77, P);
	ck_assert_int_eq(mm_grow_down(&T.mm, b - 100 * P, 0), 0);
	ck_assert_ptr_ne(mm_find(&T.mm, b - 100 * P), mm_find(&T.mm, b - 60 * P));
	ck_assert_uint_eq(bottom_of(b), b - 100 * P);
	ck_assert_int_eq(*(unsigned char *)(b - 60 * P), 0x77);
	TU_CHECK(&T.mm);
	tu_mm_teardown(&T);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("grow");
	TCase *tc = tcase_create("grow");

	tcase_add_test(tc, grows_page_by_page_and_by_jumps);
	tcase_add_test(tc, rounds_to_the_step_within_limits);
	tcase_add_test(tc, not_below_a_growsdown_mapping);
	tcase_add_test(tc, guard_gap);
	tcase_add_test(tc, rlimit_stack);
	tcase_add_test(tc, one_mapping_within_the_room_then_a_piece);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
