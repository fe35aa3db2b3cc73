/*
 * Unit tests of mm_mseal (mm/mseal.c) and of what every operation refuses on a sealed mapping,
 * with the self backend: the argument checks in Linux's order, ENOMEM over a hole with nothing
 * sealed, the split at the range's ends; then munmap, MAP_FIXED over it, mremap (from, onto),
 * mprotect (the mappings before it changed), brk shrinking into it, and the discarding madvise
 * advice on read-only private memory, each EPERM with the model (dump and real mappings)
 * unchanged where Linux changes nothing. The kernel's answer on native mappings of the same
 * layout is asked alongside (sealing native memory is for good: each test runs in a child of
 * its own).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/unit/testutil.h"

#ifndef SYS_mseal
#define SYS_mseal 462
#endif

#define P    TU_PAGE
#define RW   (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static struct tu_mm T;

static bool bytes_are(uint64_t addr, size_t len, int byte)
{
	for (size_t i = 0; i < len; i++)
		if (((const unsigned char *)addr)[i] != (unsigned char)byte)
			return false;
	return true;
}

static long native_mseal(uint64_t addr, uint64_t len, unsigned long flags)
{
	return tu_sys(syscall(SYS_mseal, addr, len, flags));
}

static uint64_t native(int n, int prot)
{
	long r = tu_native_mmap(0, n * P, prot, ANON, -1, 0);

	ck_assert_int_gt(r, 0);
	return (uint64_t)r;
}

static long seal(uint64_t addr, uint64_t len, unsigned long flags)
{
	long r = mm_mseal(&T.mm, addr, len, flags);

	TU_CHECK(&T.mm);
	return r;
}

static bool sealed(uint64_t addr)
{
	struct mapping *m = mm_find(&T.mm, addr);

	ck_assert_ptr_nonnull(m);
	return m->flags & MF_SEALED;
}

START_TEST(test_mseal_argument_checks_in_linux_order)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0), na = native(4, RW);

	ck_assert_int_eq(seal(a, P, 1), -EINVAL);
	TU_KERNEL_EQ(native_mseal(na, P, 1), -EINVAL);
	ck_assert_int_eq(seal(a + 1, P, 0), -EINVAL);
	TU_KERNEL_EQ(native_mseal(na + 1, P, 0), -EINVAL);
	ck_assert_int_eq(seal(a, -P, 0), -EINVAL); /* rounds up past the top */
	TU_KERNEL_EQ(native_mseal(na, -P, 0), -EINVAL);
	ck_assert_int_eq(seal(a, 0, 0), 0);
	TU_KERNEL_EQ(native_mseal(na, 0, 0), 0);
	ck_assert_int_eq(seal(0x7ffffffff000ULL, P, 0), -ENOMEM);
	TU_KERNEL_EQ(native_mseal(0x7ffffffff000ULL, P, 0), -ENOMEM);
	ck_assert(!sealed(a));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_mseal_over_a_hole_seals_nothing)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0), na = native(4, RW);

	ck_assert_int_eq(mm_munmap(&T.mm, a + 2 * P, P), 0);
	ck_assert_int_eq(munmap((void *)(na + 2 * P), P), 0);
	ck_assert_int_eq(seal(a, 4 * P, 0), -ENOMEM);
	TU_KERNEL_EQ(native_mseal(na, 4 * P, 0), -ENOMEM);
	ck_assert(!sealed(a) && !sealed(a + 3 * P));
	ck_assert_int_eq(mm_munmap(&T.mm, a, P), 0);
	TU_KERNEL_EQ(tu_sys(munmap((void *)na, P)), 0);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_mseal_splits_at_the_range_ends_and_rounds_the_length_up)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	struct vmo *v = mm_find(&T.mm, a)->vmo;

	ck_assert_int_eq(seal(a + P, P + 1, 0), 0);
	ck_assert(!sealed(a) && sealed(a + P) && sealed(a + 2 * P) && !sealed(a + 3 * P));
	ck_assert_uint_eq(T.mm.count, 3);
	ck_assert_ptr_eq(mm_find(&T.mm, a + P)->vmo, v); /* flags only: same VMO, same pages */
	ck_assert_int_eq(seal(a + P, 2 * P, 0), 0);	 /* again: nothing changes */
	ck_assert_uint_eq(T.mm.count, 3);
	tu_mm_teardown(&T);
}
END_TEST

/* The model's dump and the real mappings, before and after a refused call, are the same. */
static void unchanged(const char *dump_before, const char *maps_before, uint64_t lo, uint64_t hi)
{
	char *dump = tu_mm_dump(&T.mm), *maps = tu_maps_range(lo, hi);

	ck_assert_str_eq(dump, dump_before);
	ck_assert_str_eq(maps, maps_before);
	free(dump);
	free(maps);
}

START_TEST(test_sealed_mapping_refuses_removal_and_replacement)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 6 * P, RW, ANON, -1, 0), na = native(6, RW);
	char *dump, *maps;

	memset((void *)a, 's', 6 * P);
	ck_assert_int_eq(seal(a + 2 * P, 2 * P, 0), 0);
	TU_KERNEL_EQ(native_mseal(na + 2 * P, 2 * P, 0), 0);
	dump = tu_mm_dump(&T.mm);
	maps = tu_maps_range(a, a + 6 * P);
	ck_assert_int_eq(mm_munmap(&T.mm, a, 6 * P), -EPERM);
	TU_KERNEL_EQ(tu_sys(munmap((void *)na, 6 * P)), -EPERM);
	ck_assert_int_eq(mm_mmap(&T.mm, a + P, 2 * P, RW, ANON | MAP_FIXED, -1, 0), -EPERM);
	TU_KERNEL_EQ(tu_native_mmap(na + P, 2 * P, RW, ANON | MAP_FIXED, -1, 0), -EPERM);
	ck_assert_int_eq(mm_mremap(&T.mm, a + 2 * P, P, 2 * P, MREMAP_MAYMOVE, 0), -EPERM);
	TU_KERNEL_EQ(tu_sys(syscall(SYS_mremap, na + 2 * P, P, 2 * P, MREMAP_MAYMOVE, 0)), -EPERM);
	ck_assert_int_eq(mm_mremap(&T.mm, a + 2 * P, 2 * P, P, 0, 0), -EPERM);
	ck_assert_int_eq(mm_mremap(&T.mm, a, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, a + 3 * P),
			 -EPERM);
	TU_KERNEL_EQ(tu_sys(syscall(SYS_mremap, na, P, P, MREMAP_MAYMOVE | MREMAP_FIXED,
				    na + 3 * P)),
		     -EPERM);
	ck_assert_int_eq(
	    mm_mremap(&T.mm, a + 2 * P, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, a + 5 * P), -EPERM);
	TU_CHECK(&T.mm);
	unchanged(dump, maps, a, a + 6 * P);
	ck_assert(bytes_are(a, 6 * P, 's'));
	/* the neighbours are not sealed */
	ck_assert_int_eq(mm_munmap(&T.mm, a + 5 * P, P), 0);
	TU_KERNEL_EQ(tu_sys(munmap((void *)(na + 5 * P), P)), 0);
	free(dump);
	free(maps);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_mprotect_changes_the_mappings_before_the_sealed_one)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0), na = native(4, RW);
	char prots[3 * 4 + 1], nprots[3 * 4 + 1];

	ck_assert_int_eq(seal(a + 2 * P, P, 0), 0);
	TU_KERNEL_EQ(native_mseal(na + 2 * P, P, 0), 0);
	ck_assert_int_eq(mm_mprotect(&T.mm, a, 4 * P, PROT_READ), -EPERM);
	TU_KERNEL_EQ(tu_sys(mprotect((void *)na, 4 * P, PROT_READ)), -EPERM);
	TU_CHECK(&T.mm);
	tu_prots(a, 4, prots);
	tu_prots(na, 4, nprots);
	ck_assert_str_eq(prots, "r--r--rw-rw-");
	if (!tu_under_valgrind())
		ck_assert_str_eq(nprots, prots);
	ck_assert_int_eq(mm_pkey_mprotect(&T.mm, a + 2 * P, P, PROT_READ, -1), -EPERM);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_discarding_sealed_read_only_private_memory_is_eperm)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	uint64_t s = tu_mmap_ok(&T, 0, P, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	static const int discard[] = {MADV_DONTNEED, MADV_FREE, MADV_DONTFORK, MADV_WIPEONFORK,
				      MADV_GUARD_INSTALL};

	memset((void *)a, 'r', 3 * P);
	ck_assert_int_eq(mm_mprotect(&T.mm, a + 2 * P, P, PROT_READ), 0);
	ck_assert_int_eq(seal(a + P, 2 * P, 0), 0);
	ck_assert_int_eq(seal(s, P, 0), 0);
	for (size_t i = 0; i < sizeof(discard) / sizeof(*discard); i++)
		ck_assert_int_eq(mm_madvise(&T.mm, a + 2 * P, P, discard[i]), -EPERM);
	ck_assert_int_eq(mm_madvise(&T.mm, a + 2 * P, P, MADV_NORMAL), 0);
	ck_assert_int_eq(mm_madvise(&T.mm, s, P, MADV_DONTNEED), 0); /* not anonymous to Linux */
	/* The walk discards the parts before the refusing mapping, sealed writable ones too. */
	ck_assert_int_eq(mm_madvise(&T.mm, a, 3 * P, MADV_DONTNEED), -EPERM);
	TU_CHECK(&T.mm);
	ck_assert(bytes_are(a, 2 * P, 0) && bytes_are(a + 2 * P, P, 'r'));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_brk_cannot_shrink_into_a_sealed_heap)
{
	struct tu_mm_opts o = {.brk_off = 64 * P};

	tu_mm_setup_opts(&T, &o);
	uint64_t start = T.mm.start_brk;

	ck_assert_int_eq(mm_brk(&T.mm, start + 3 * P), (long)(start + 3 * P));
	ck_assert_int_eq(seal(start + 2 * P, P, 0), 0);
	ck_assert_int_eq(mm_brk(&T.mm, start + P), (long)(start + 3 * P));
	ck_assert_int_eq(mm_brk(&T.mm, start + 4 * P), (long)(start + 4 * P)); /* growth is fine */
	TU_CHECK(&T.mm);
	tu_mm_teardown(&T);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mseal");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_mseal_argument_checks_in_linux_order);
	tcase_add_test(tc, test_mseal_over_a_hole_seals_nothing);
	tcase_add_test(tc, test_mseal_splits_at_the_range_ends_and_rounds_the_length_up);
	tcase_add_test(tc, test_sealed_mapping_refuses_removal_and_replacement);
	tcase_add_test(tc, test_mprotect_changes_the_mappings_before_the_sealed_one);
	tcase_add_test(tc, test_discarding_sealed_read_only_private_memory_is_eperm);
	tcase_add_test(tc, test_brk_cannot_shrink_into_a_sealed_heap);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
