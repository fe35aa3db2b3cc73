/*
 * Unit tests of mm_msync (mm/msync.c) and mm_mincore (mm/mincore.c) with the self backend:
 * the argument checks in Linux's order, holes (ENOMEM, at once for plain MS_ASYNC), EBUSY for
 * MS_INVALIDATE on locked memory, MS_SYNC passed through for shared file mappings only, and
 * mincore's range and vector checks, its partial vector before a hole and a vector written
 * by the kernel. Every answer is compared with the kernel's on native mappings of the same
 * layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/unit/testutil.h"

#define P    TU_PAGE
#define RW   (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
/* A vector address beyond the user address space. */
#define KERNEL_ADDR 0xffff800000000000ULL

static struct tu_mm T;

/* The kernel's mlock family, by syscall: sanitizers replace the libc functions with no-ops. */
static long sys_mlock(const void *addr, size_t len)
{
	return syscall(SYS_mlock, addr, len);
}
static volatile char sink; /* reads the tests make, kept (valgrind drops unused loads) */

static uint64_t native(int n, int prot, int flags)
{
	long r = tu_native_mmap(0, n * P, prot, flags, -1, 0);

	ck_assert_int_gt(r, 0);
	return (uint64_t)r;
}

static long sync_(uint64_t addr, uint64_t len, int flags)
{
	long r = mm_msync(&T.mm, addr, len, flags);

	TU_CHECK(&T.mm);
	return r;
}

static long core(uint64_t addr, uint64_t len, uint64_t vec)
{
	long r = mm_mincore(&T.mm, addr, len, vec);

	TU_CHECK(&T.mm);
	return r;
}

static long native_mincore(uint64_t addr, uint64_t len, uint64_t vec)
{
	return tu_sys(mincore((void *)addr, len, (unsigned char *)vec));
}

/* The kernel's answers for TU_KERNEL_EQ, which ignores them under valgrind: the calls on
 * unmapped ranges and bad vectors are not made there (valgrind reports them as errors). */
static long native_msync(uint64_t addr, uint64_t len, int flags)
{
	return tu_under_valgrind() ? 0 : tu_sys(msync((void *)addr, len, flags));
}

static long kernel_mincore(uint64_t addr, uint64_t len, uint64_t vec)
{
	return tu_under_valgrind() ? 0 : native_mincore(addr, len, vec);
}

/* [a, a + P) mapped, [a + P, a + 2P) a hole, [a + 2P, a + 3P) mapped. */
static void hole_layout(uint64_t *a, uint64_t *na)
{
	*a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	ck_assert_int_eq(mm_munmap(&T.mm, *a + P, P), 0);
	TU_CHECK(&T.mm);
	*na = native(3, RW, ANON);
	ck_assert_int_eq(munmap((void *)(*na + P), P), 0);
}

START_TEST(test_msync_argument_checks_in_linux_order)
{
	static const struct {
		uint64_t off, len;
		int flags;
		long want;
	} cases[] = {
	    {0, P, 8, -EINVAL},
	    {1, P, 8, -EINVAL},
	    {1, P, MS_SYNC, -EINVAL},
	    {0, P, MS_ASYNC | MS_SYNC, -EINVAL},
	    {1, P, MS_ASYNC | MS_SYNC, -EINVAL},
	    {0, P, 0, 0},
	    {0, 0, MS_SYNC, 0},
	    {0, UINT64_MAX, MS_SYNC, 0},   /* rounds up to zero */
	    {0, -2 * P, MS_SYNC, -ENOMEM}, /* wraps */
	    {0, 1, MS_ASYNC | MS_INVALIDATE, 0},
	};

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	uint64_t na = native(1, RW, ANON);

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		ck_assert_msg(sync_(a + cases[i].off, cases[i].len, cases[i].flags) ==
				  cases[i].want,
			      "case %zu", i);
		TU_KERNEL_EQ(native_msync(na + cases[i].off, cases[i].len, cases[i].flags),
			     cases[i].want);
	}
	ck_assert_int_eq(sync_(0xfffffffffffff000ULL, 2 * P, MS_SYNC), -ENOMEM);
	ck_assert_int_eq(sync_(0x7ffffffff000ULL, P, MS_SYNC), -ENOMEM);
	TU_KERNEL_EQ(native_msync(0xfffffffffffff000ULL, 2 * P, MS_SYNC), -ENOMEM);
	TU_KERNEL_EQ(native_msync(0x7ffffffff000ULL, P, MS_SYNC), -ENOMEM);
	munmap((void *)na, P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_msync_over_holes_is_enomem)
{
	static const int flags[] = {MS_ASYNC, MS_SYNC, 0, MS_INVALIDATE, MS_ASYNC | MS_INVALIDATE};
	uint64_t a, na;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	hole_layout(&a, &na);
	for (size_t i = 0; i < sizeof(flags) / sizeof(*flags); i++) {
		ck_assert_int_eq(sync_(a, 3 * P, flags[i]), -ENOMEM);
		ck_assert_int_eq(sync_(a + P, 2 * P, flags[i]), -ENOMEM);
		ck_assert_int_eq(sync_(a + P, P, flags[i]), -ENOMEM);
		ck_assert_int_eq(sync_(a + 2 * P, P, flags[i]), 0);
		TU_KERNEL_EQ(native_msync(na, 3 * P, flags[i]), -ENOMEM);
		TU_KERNEL_EQ(native_msync(na + P, 2 * P, flags[i]), -ENOMEM);
		TU_KERNEL_EQ(native_msync(na + P, P, flags[i]), -ENOMEM);
		TU_KERNEL_EQ(native_msync(na + 2 * P, P, flags[i]), 0);
	}
	munmap((void *)na, 3 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_msync_invalidate_on_locked_memory_is_ebusy)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	uint64_t na = native(3, RW, ANON);

	ck_assert_int_eq(mm_mlock(&T.mm, a + P, P, 0), 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(sys_mlock((void *)(na + P), P), 0);
	ck_assert_int_eq(sync_(a + P, P, MS_INVALIDATE), -EBUSY);
	ck_assert_int_eq(sync_(a, 3 * P, MS_SYNC | MS_INVALIDATE), -EBUSY);
	ck_assert_int_eq(sync_(a, 3 * P, MS_SYNC), 0);
	ck_assert_int_eq(sync_(a + 2 * P, P, MS_INVALIDATE), 0);
	TU_KERNEL_EQ(native_msync(na + P, P, MS_INVALIDATE), -EBUSY);
	TU_KERNEL_EQ(native_msync(na, 3 * P, MS_SYNC | MS_INVALIDATE), -EBUSY);
	TU_KERNEL_EQ(native_msync(na, 3 * P, MS_SYNC), 0);
	TU_KERNEL_EQ(native_msync(na + 2 * P, P, MS_INVALIDATE), 0);
	munmap((void *)na, 3 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_msync_sync_is_passed_through_for_shared_files_only)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(2 * P, 'o', O_RDWR), ro = tu_tmpfile(P, 'o', O_RDONLY);
	uint64_t f = tu_mmap_ok(&T, 0, 2 * P, RW, MAP_SHARED, fd, 0);
	uint64_t r = tu_mmap_ok(&T, 0, P, PROT_READ, MAP_SHARED, ro, 0);
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t steps = T.mm.stats.steps;
	char buf[P];

	memset((void *)f, 'n', P);
	ck_assert_int_eq(sync_(f, 2 * P, MS_SYNC), 0);
	ck_assert_uint_eq(T.mm.stats.steps, steps + 1);
	ck_assert_int_eq(pread(fd, buf, P, 0), (ssize_t)P);
	ck_assert_int_eq(buf[0], 'n');
	ck_assert_int_eq(sync_(f, 2 * P, MS_ASYNC), 0);
	ck_assert_int_eq(sync_(r, P, MS_SYNC), 0);
	ck_assert_int_eq(sync_(a, P, MS_SYNC), 0);
	ck_assert_uint_eq(T.mm.stats.steps, steps + 1);
	close(fd);
	close(ro);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_mincore_argument_checks_in_linux_order)
{
	unsigned char v[4];
	uint64_t vec = (uint64_t)v;
	static const struct {
		uint64_t addr, len, vec; /* addr 0: the mapping; vec 0: v */
		long want;
	} cases[] = {
	    {1, P, 0, -EINVAL},
	    {1, 0, 0, -EINVAL},
	    {0x7ffffffff000ULL, 0, KERNEL_ADDR, -EFAULT},
	    {0x7ffffffff000ULL, 1, KERNEL_ADDR, -ENOMEM},
	    {0x7fffffffe000ULL, P, KERNEL_ADDR, -EFAULT},
	    {0x7fffffffe000ULL, P + 1, KERNEL_ADDR, -ENOMEM},
	    {0x800000000000ULL, 0, 0, -ENOMEM},
	    {0xfffffffffffff000ULL, 2 * P, 0, -ENOMEM},
	    {0, P, KERNEL_ADDR, -EFAULT},
	    {0, 0, KERNEL_ADDR, -EFAULT},
	    {0, 0, 0x7ffffffff000ULL, 0},
	    {0, 0, 0x7fffffffffffULL, -EFAULT},
	    {0, P, 0x7ffffffff000ULL, -EFAULT},
	    {0, 0, 1, 0}, /* a null-ish vector is fine when nothing is written */
	};

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	uint64_t na = native(1, RW, ANON);

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint64_t addr = cases[i].addr, cv = cases[i].vec ? cases[i].vec : vec;

		ck_assert_msg(core(addr > 1 ? addr : a + addr, cases[i].len, cv) == cases[i].want,
			      "case %zu", i);
		TU_KERNEL_EQ(kernel_mincore(addr > 1 ? addr : na + addr, cases[i].len, cv),
			     cases[i].want);
	}
	munmap((void *)na, P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_mincore_reports_resident_pages)
{
	unsigned char v[4], nv[4];

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	uint64_t na = native(4, RW, ANON);

	memset(v, 7, sizeof(v));
	memset(nv, 7, sizeof(nv));
	*(volatile char *)a = 1;
	*(volatile char *)na = 1;
	sink += *(volatile char *)(a + 2 * P); /* a read: memfd page / zero page, both resident */
	sink += *(volatile char *)(na + 2 * P);
	ck_assert_int_eq(core(a, 4 * P - 1, (uint64_t)v), 0);
	ck_assert_int_eq(native_mincore(na, 4 * P - 1, (uint64_t)nv), 0);
	ck_assert_int_eq(v[0] & 1, 1);
	ck_assert_int_eq(v[1] & 1, 0);
	ck_assert_int_eq(v[2] & 1, 1);
	ck_assert_int_eq(v[3] & 1, 0);
	ck_assert_mem_eq(v, nv, 4);
	/* DONTNEED drops private pages: not resident any more, here as natively. */
	ck_assert_int_eq(mm_madvise(&T.mm, a, P, MADV_DONTNEED), 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(madvise((void *)na, P, MADV_DONTNEED), 0);
	ck_assert_int_eq(core(a, P, (uint64_t)v), 0);
	ck_assert_int_eq(native_mincore(na, P, (uint64_t)nv), 0);
	ck_assert_int_eq(v[0] & 1, 0);
	ck_assert_int_eq(nv[0] & 1, 0);
	munmap((void *)na, 4 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_mincore_fills_the_vector_up_to_a_hole)
{
	unsigned char v[3], nv[3];
	uint64_t a, na;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	hole_layout(&a, &na);
	*(volatile char *)a = 1;
	*(volatile char *)na = 1;
	memset(v, 7, sizeof(v));
	memset(nv, 7, sizeof(nv));
	ck_assert_int_eq(core(a, 3 * P, (uint64_t)v), -ENOMEM);
	ck_assert_int_eq(native_mincore(na, 3 * P, (uint64_t)nv), -ENOMEM);
	ck_assert_int_eq(v[0], 1);
	ck_assert_int_eq(v[1], 7);
	ck_assert_int_eq(v[2], 7);
	ck_assert_mem_eq(v, nv, 3);
	/* A hole at the start: nothing written, ENOMEM before the vector is looked at. */
	ck_assert_int_eq(core(a + P, 2 * P, 0), -ENOMEM);
	TU_KERNEL_EQ(kernel_mincore(na + P, 2 * P, 0), -ENOMEM);
	/* The mapped part first: a vector that cannot be written is EFAULT, from the kernel
	 * (which valgrind reports as an error of the test's). */
	if (!tu_under_valgrind())
		ck_assert_int_eq(core(a, 3 * P, 0), -EFAULT);
	TU_KERNEL_EQ(kernel_mincore(na, 3 * P, 0), -EFAULT);
	munmap((void *)na, 3 * P);
	tu_mm_teardown(&T);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("msync_mincore");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_msync_argument_checks_in_linux_order);
	tcase_add_test(tc, test_msync_over_holes_is_enomem);
	tcase_add_test(tc, test_msync_invalidate_on_locked_memory_is_ebusy);
	tcase_add_test(tc, test_msync_sync_is_passed_through_for_shared_files_only);
	tcase_add_test(tc, test_mincore_argument_checks_in_linux_order);
	tcase_add_test(tc, test_mincore_reports_resident_pages);
	tcase_add_test(tc, test_mincore_fills_the_vector_up_to_a_hole);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
