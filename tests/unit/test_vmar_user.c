/*
 * Unit tests of vmar_user_config (vmo/vmar_user.c): the placement top follows Linux's
 * mmap_base gap rule (RLIMIT_STACK plus the guard gap, clamped to [128 MiB, 5/6 of the
 * range]), VMAR_HALF places only in the lower half while imports anywhere in the user range
 * stay possible, and the result is a configuration vmar_init accepts.
 */
#include <errno.h>
#include <sys/resource.h>

#include "tests/unit/testutil.h"
#include "vmo/vmar.h"

#define STACK_TOP 0x7ffd00000000ULL
#define RANGE (VMAR_USER_TOP - VMAR_USER_BASE)

START_TEST(test_top_is_stack_top_minus_rlimit_and_guard_gap)
{
	struct vmar_config c;

	ck_assert_int_eq(vmar_user_config(&c, VMAR_FULL, STACK_TOP, 8ULL << 20, 0, 0, false, 0), 0);
	/* 8 MiB + the guard gap is below the 128 MiB minimum */
	ck_assert_uint_eq(c.top, STACK_TOP - VMAR_MMAP_GAP_MIN);
	ck_assert_int_eq(vmar_user_config(&c, VMAR_FULL, STACK_TOP, 1ULL << 30, 0, 0, false, 0), 0);
	ck_assert_uint_eq(c.top, STACK_TOP - (1ULL << 30) - VMAR_GUARD_GAP);
	ck_assert_int_eq(vmar_user_config(&c, VMAR_FULL, STACK_TOP, RLIM_INFINITY, 0, 0, false, 0),
			 0);
	ck_assert_uint_eq(c.top, (STACK_TOP - RANGE / 6 * 5) & ~(VMAR_PAGE_SIZE - 1));
}
END_TEST

START_TEST(test_half_places_in_the_lower_half_only)
{
	struct vmar_config c;
	struct vmar v;
	struct vmar_req req = { .size = 1 << 20 };
	long a;

	ck_assert_int_eq(vmar_user_config(&c, VMAR_HALF, STACK_TOP, 8ULL << 20, 0, 0, true, 5), 0);
	ck_assert_uint_le(c.place_hi, VMAR_USER_BASE + RANGE / 2);
	ck_assert_uint_le(c.top, c.place_hi);
	ck_assert_int_eq(vmar_init(&v, &c), 0);
	for (int i = 0; i < 100; i++) {
		a = vmar_alloc(&v, &req);
		ck_assert_int_gt(a, 0);
		ck_assert_uint_lt((uint64_t)a + req.size, c.place_hi + 1);
	}
	/* an exact allocation in the upper half (an import) is still possible */
	req.hint = STACK_TOP - (1 << 20);
	req.flags = VMAR_EXACT;
	ck_assert_int_eq(vmar_alloc(&v, &req), (long)req.hint);
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_full_places_below_the_top)
{
	struct vmar_config c;
	struct vmar v;
	struct vmar_req req = { .size = 1 << 16 };
	long a;

	ck_assert_int_eq(vmar_user_config(&c, VMAR_FULL, STACK_TOP, 8ULL << 20, 0x7f0000000000ULL,
					  2 * VMAR_PAGE_SIZE, false, 0),
			 0);
	ck_assert_int_eq(vmar_init(&v, &c), 0);
	a = vmar_alloc(&v, &req);
	ck_assert_int_eq(a, (long)(c.top - req.size));
	/* the slot is never handed out */
	req.hint = 0x7f0000000000ULL;
	req.flags = VMAR_EXACT;
	ck_assert_int_eq(vmar_alloc(&v, &req), -ENOMEM);
	vmar_destroy(&v);
}
END_TEST

START_TEST(test_bad_stack_top_or_slot_is_einval)
{
	struct vmar_config c;

	ck_assert_int_eq(vmar_user_config(&c, VMAR_FULL, 0, 8 << 20, 0, 0, false, 0), -EINVAL);
	ck_assert_int_eq(vmar_user_config(&c, VMAR_FULL, VMAR_USER_TOP + VMAR_PAGE_SIZE, 8 << 20,
					  0, 0, false, 0),
			 -EINVAL);
	ck_assert_int_eq(vmar_user_config(&c, VMAR_FULL, STACK_TOP, 8 << 20, VMAR_USER_TOP,
					  2 * VMAR_PAGE_SIZE, false, 0),
			 -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vmar_user");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_top_is_stack_top_minus_rlimit_and_guard_gap);
	tcase_add_test(tc, test_half_places_in_the_lower_half_only);
	tcase_add_test(tc, test_full_places_below_the_top);
	tcase_add_test(tc, test_bad_stack_top_or_slot_is_einval);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
