/*
 * Unit tests of mm_mlock, mm_munlock, mm_mlockall and mm_munlockall (mm/mlock.c) with the self
 * backend: splitting and MF_LOCKED / MF_LOCKONFAULT, mm->locked_pages, the real pages locked
 * by the pass-through (VmFlags "lo"), Linux's partial effects at a hole, PROT_NONE (locked,
 * then ENOMEM from populating), the argument checks, and RLIMIT_MEMLOCK without CAP_IPC_LOCK
 * (EPERM, ENOMEM, the already-locked part not counted twice) in a child that gave up root.
 * Each behaviour is asked of the kernel on a native mapping of the same kind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

#define P    TU_PAGE
#define RW   (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

static struct tu_mm T;

/* The kernel's mlock family, by syscall: sanitizers replace the libc functions with no-ops. */
static long sys_mlock(const void *addr, size_t len)
{
	return syscall(SYS_mlock, addr, len);
}

static long sys_munlock(const void *addr, size_t len)
{
	return syscall(SYS_munlock, addr, len);
}

static long sys_mlockall(int flags)
{
	return syscall(SYS_mlockall, flags);
}

static long sys_munlockall(void)
{
	return syscall(SYS_munlockall);
}

static long native_mlock2(uint64_t addr, uint64_t len, unsigned flags)
{
	return tu_sys(syscall(SYS_mlock2, addr, len, flags));
}

/* mlock2(2) is there (valgrind does not know it: ENOSYS). The model passes MLOCK_ONFAULT
 * and the parts Linux cannot populate through it, so tests of those need it. */
static bool have_mlock2(void)
{
	return native_mlock2(0, 0, 0) != -ENOSYS;
}

static uint64_t native(int n, int prot, int flags)
{
	long r = tu_native_mmap(0, n * P, prot, flags, -1, 0);

	ck_assert_int_gt(r, 0);
	return (uint64_t)r;
}

static long lock(uint64_t addr, uint64_t len, unsigned flags)
{
	long r = mm_mlock(&T.mm, addr, len, flags);

	TU_CHECK(&T.mm);
	return r;
}

static long unlock(uint64_t addr, uint64_t len)
{
	long r = mm_munlock(&T.mm, addr, len);

	TU_CHECK(&T.mm);
	return r;
}

static unsigned lock_flags(uint64_t addr)
{
	struct mapping *m = mm_find(&T.mm, addr);

	ck_assert_ptr_nonnull(m);
	return m->flags & (MF_LOCKED | MF_LOCKONFAULT);
}

START_TEST(test_mlock_splits_and_locks_the_real_pages)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;

	ck_assert_int_eq(lock(a + P, 2 * P, 0), 0);
	ck_assert_uint_eq(T.mm.count, 3);
	ck_assert_uint_eq(T.mm.locked_pages, 2);
	ck_assert_uint_eq(lock_flags(a), 0);
	ck_assert_uint_eq(lock_flags(a + P), MF_LOCKED);
	ck_assert_uint_eq(lock_flags(a + 3 * P), 0);
	ck_assert_ptr_eq(mm_find(&T.mm, a + P)->vmo, vmo);
	ck_assert_uint_eq(mm_find(&T.mm, a + P)->off, P);
	ck_assert(tu_vmflag(a + P, "lo") && !tu_vmflag(a, "lo"));
	ck_assert_uint_eq(vmo_committed(vmo), 2 * P); /* populated, as mlock does */
	ck_assert_int_eq(unlock(a, 4 * P), 0);
	ck_assert_uint_eq(T.mm.count, 1);
	ck_assert_uint_eq(T.mm.locked_pages, 0);
	ck_assert(!tu_vmflag(a + P, "lo"));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unaligned_start_locks_every_page_touched)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	uint64_t na = native(4, RW, ANON);

	ck_assert_int_eq(lock(a + 1, P, 0), 0);
	ck_assert_int_eq(tu_sys(sys_mlock((void *)(na + 1), P)), 0);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(!!lock_flags(a + i * P), i < 2);
		ck_assert_int_eq(tu_vmflag(na + i * P, "lo"), i < 2);
	}
	ck_assert_uint_eq(T.mm.locked_pages, 2);
	ck_assert_int_eq(unlock(a + P + 5, 1), 0); /* the second page only */
	ck_assert_uint_eq(lock_flags(a), MF_LOCKED);
	ck_assert_uint_eq(lock_flags(a + P), 0);
	munmap((void *)na, 4 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_mlock2_onfault_and_its_flags)
{
	if (!have_mlock2())
		return;
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	uint64_t na = native(2, RW, ANON);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;

	ck_assert_int_eq(lock(a, P, 2), -EINVAL);
	ck_assert_int_eq(lock(a, 0, 2), -EINVAL);
	ck_assert_int_eq(native_mlock2(na, P, 2), -EINVAL);
	ck_assert_int_eq(native_mlock2(na, 0, 2), -EINVAL);
	ck_assert_int_eq(lock(a, P, MLOCK_ONFAULT), 0);
	ck_assert_int_eq(native_mlock2(na, P, MLOCK_ONFAULT), 0);
	ck_assert_uint_eq(lock_flags(a), MF_LOCKED | MF_LOCKONFAULT);
	ck_assert(tu_vmflag(na, "lf") && tu_vmflag(a, "lf"));
	ck_assert_uint_eq(vmo_committed(vmo), 0); /* nothing populated */
	ck_assert_uint_eq(T.mm.locked_pages, 1);
	/* mlock over it turns it into a plain lock */
	ck_assert_int_eq(lock(a, 2 * P, 0), 0);
	ck_assert_uint_eq(lock_flags(a), MF_LOCKED);
	ck_assert_uint_eq(T.mm.count, 1);
	ck_assert_uint_eq(T.mm.locked_pages, 2);
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

/* What the file's pages read as through the model's mapping at a and the native one at na. */
static void assert_shows_file(uint64_t a, uint64_t na, int n, char byte)
{
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(((volatile char *)na)[i * P], byte);
		ck_assert_int_eq(((volatile char *)a)[i * P], byte);
	}
}

/* VM_LOCKONFAULT memory is never populated: a private writable file mapping locked with
 * MLOCK_ONFAULT keeps the file's pages (no private copies) across mprotect and mremap. */
START_TEST(test_onfault_private_file_is_not_populated_by_mprotect_or_mremap)
{
	if (!have_mlock2())
		return;
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(4 * P, 'e', O_RDWR);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, MAP_PRIVATE, fd, 0);
	long na = tu_native_mmap(0, 4 * P, RW, MAP_PRIVATE, fd, 0);
	char page[4 * P];

	ck_assert_int_gt(na, 0);
	ck_assert_int_eq(mm_munmap(&T.mm, a + 2 * P, 2 * P), 0);
	ck_assert_int_eq(munmap((void *)(na + 2 * P), 2 * P), 0);
	ck_assert_int_eq(lock(a, 2 * P, MLOCK_ONFAULT), 0);
	ck_assert_int_eq(native_mlock2(na, 2 * P, MLOCK_ONFAULT), 0);
	ck_assert_int_eq(mm_mprotect(&T.mm, a, 2 * P, PROT_READ), 0);
	ck_assert_int_eq(mm_mprotect(&T.mm, a, 2 * P, RW), 0);
	ck_assert_int_eq(mprotect((void *)na, 2 * P, PROT_READ), 0);
	ck_assert_int_eq(mprotect((void *)na, 2 * P, RW), 0);
	ck_assert_int_eq(mm_mremap(&T.mm, a, 2 * P, 4 * P, 0, 0), (long)a);
	ck_assert_int_eq(tu_sys((long)mremap((void *)na, 2 * P, 4 * P, 0)), na);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(lock_flags(a + 3 * P), MF_LOCKED | MF_LOCKONFAULT);
	ck_assert(tu_vmflag(na + 3 * P, "lf"));
	memset(page, 'w', sizeof(page));
	ck_assert_int_eq(pwrite(fd, page, sizeof(page), 0), (long)sizeof(page));
	assert_shows_file(a, (uint64_t)na, 4, 'w');
	munmap((void *)na, 4 * P);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

/* [a, a + P) mapped, [a + P, a + 2P) a hole, [a + 2P, a + 3P) mapped, as the model and natively. */
static void hole_layout(uint64_t *a, uint64_t *na)
{
	*a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	ck_assert_int_eq(mm_munmap(&T.mm, *a + P, P), 0);
	TU_CHECK(&T.mm);
	*na = native(3, RW, ANON);
	ck_assert_int_eq(munmap((void *)(*na + P), P), 0);
}

START_TEST(test_hole_midway_is_enomem_after_locking_the_part_before)
{
	uint64_t a, na;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	hole_layout(&a, &na);
	ck_assert_int_eq(lock(a, 3 * P, 0), -ENOMEM);
	ck_assert_int_eq(tu_sys(sys_mlock((void *)na, 3 * P)), -ENOMEM);
	ck_assert_uint_eq(lock_flags(a), MF_LOCKED);
	ck_assert_uint_eq(lock_flags(a + 2 * P), 0);
	ck_assert(tu_vmflag(na, "lo") && !tu_vmflag(na + 2 * P, "lo"));
	ck_assert(tu_vmflag(a, "lo") && !tu_vmflag(a + 2 * P, "lo"));
	ck_assert_uint_eq(T.mm.locked_pages, 1);
	/* munlock stops at the hole the same way */
	ck_assert_int_eq(lock(a + 2 * P, P, 0), 0);
	ck_assert_int_eq(tu_sys(sys_mlock((void *)(na + 2 * P), P)), 0);
	ck_assert_int_eq(unlock(a, 3 * P), -ENOMEM);
	ck_assert_int_eq(tu_sys(sys_munlock((void *)na, 3 * P)), -ENOMEM);
	ck_assert_uint_eq(lock_flags(a), 0);
	ck_assert_uint_eq(lock_flags(a + 2 * P), MF_LOCKED);
	ck_assert(!tu_vmflag(na, "lo") && tu_vmflag(na + 2 * P, "lo"));
	munmap((void *)na, 3 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_hole_at_start_is_enomem_and_changes_nothing)
{
	uint64_t a, na;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	hole_layout(&a, &na);
	ck_assert_int_eq(lock(a + P, 2 * P, 0), -ENOMEM);
	ck_assert_int_eq(tu_sys(sys_mlock((void *)(na + P), 2 * P)), -ENOMEM);
	ck_assert_uint_eq(lock_flags(a + 2 * P), 0);
	ck_assert(!tu_vmflag(na + 2 * P, "lo"));
	ck_assert_int_eq(unlock(a + P, P), -ENOMEM);
	ck_assert_int_eq(tu_sys(sys_munlock((void *)(na + P), P)), -ENOMEM);
	ck_assert_uint_eq(T.mm.locked_pages, 0);
	munmap((void *)na, 3 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_prot_none_is_locked_then_enomem_from_populating)
{
	if (!have_mlock2())
		return;
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	uint64_t na = native(2, RW, ANON);

	ck_assert_int_eq(mm_mprotect(&T.mm, a + P, P, PROT_NONE), 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(mprotect((void *)(na + P), P, PROT_NONE), 0);
	ck_assert_int_eq(lock(a, 2 * P, 0), -ENOMEM);
	ck_assert_int_eq(tu_sys(sys_mlock((void *)na, 2 * P)), -ENOMEM);
	ck_assert_uint_eq(lock_flags(a), MF_LOCKED);
	ck_assert_uint_eq(lock_flags(a + P), MF_LOCKED);
	ck_assert(tu_vmflag(na, "lo") && tu_vmflag(na + P, "lo"));
	ck_assert(tu_vmflag(a, "lo") && tu_vmflag(a + P, "lo"));
	ck_assert_uint_eq(T.mm.locked_pages, 2);
	/* With MLOCK_ONFAULT nothing is populated, so nothing fails. */
	ck_assert_int_eq(lock(a, 2 * P, MLOCK_ONFAULT), 0);
	ck_assert_int_eq(native_mlock2(na, 2 * P, MLOCK_ONFAULT), 0);
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_file_mapping_beyond_its_end_is_locked_then_enomem)
{
	if (!have_mlock2())
		return;
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(P, 'e', O_RDWR);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, PROT_READ, MAP_PRIVATE, fd, 0);
	long na = tu_native_mmap(0, 3 * P, PROT_READ, MAP_PRIVATE, fd, 0);

	ck_assert_int_gt(na, 0);
	ck_assert_int_eq(lock(a, 3 * P, 0), -ENOMEM);
	ck_assert_int_eq(tu_sys(sys_mlock((void *)na, 3 * P)), -ENOMEM);
	ck_assert_uint_eq(lock_flags(a), MF_LOCKED);
	ck_assert(tu_vmflag(na, "lo") && tu_vmflag(a, "lo"));
	munmap((void *)na, 3 * P);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

/*
 * A populating mlock populates nothing when a hole ends its walk (do_mlock() returns first),
 * and nothing after the first part it cannot populate (__mm_populate() stops there): a
 * private writable file mapping there keeps the file's pages, as a file write shows, even
 * through an mprotect to the protection it has.
 */
START_TEST(test_mlock_populates_nothing_after_a_hole_or_a_failure)
{
	if (!have_mlock2())
		return;
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(2 * P, 'e', O_RDWR);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, PROT_NONE, ANON, -1, 0);
	long na = tu_native_mmap(0, 4 * P, PROT_NONE, ANON, -1, 0);
	char page[2 * P];

	/* [PROT_NONE][file, 2 pages][hole] */
	ck_assert_int_gt(na, 0);
	ck_assert_int_eq(tu_mmap_ok(&T, a + P, 2 * P, RW, MAP_PRIVATE | MAP_FIXED, fd, 0), a + P);
	ck_assert_int_eq(mm_munmap(&T.mm, a + 3 * P, P), 0);
	ck_assert_int_eq(tu_native_mmap(na + P, 2 * P, RW, MAP_PRIVATE | MAP_FIXED, fd, 0), na + P);
	ck_assert_int_eq(munmap((void *)(na + 3 * P), P), 0);
	/* (a) the file mapping, then the hole */
	ck_assert_int_eq(lock(a + P, 3 * P, 0), -ENOMEM);
	ck_assert_int_eq(tu_sys(sys_mlock((void *)(na + P), 3 * P)), -ENOMEM);
	ck_assert_uint_eq(lock_flags(a + P), MF_LOCKED);
	ck_assert(tu_vmflag(na + P, "lo"));
	/* mprotect populates only what becomes writable: not this, writable already */
	ck_assert_int_eq(mm_mprotect(&T.mm, a + P, 2 * P, RW), 0);
	ck_assert_int_eq(mprotect((void *)(na + P), 2 * P, RW), 0);
	memset(page, 'w', sizeof(page));
	ck_assert_int_eq(pwrite(fd, page, sizeof(page), 0), (long)sizeof(page));
	assert_shows_file(a + P, (uint64_t)na + P, 2, 'w');
	/* (b) PROT_NONE fails first: the file mapping after it is not populated */
	ck_assert_int_eq(unlock(a, 3 * P), 0);
	ck_assert_int_eq(tu_sys(sys_munlock((void *)na, 3 * P)), 0);
	ck_assert_int_eq(lock(a, 3 * P, 0), -ENOMEM);
	ck_assert_int_eq(tu_sys(sys_mlock((void *)na, 3 * P)), -ENOMEM);
	ck_assert_uint_eq(lock_flags(a + P), MF_LOCKED);
	memset(page, 'x', sizeof(page));
	ck_assert_int_eq(pwrite(fd, page, sizeof(page), 0), (long)sizeof(page));
	assert_shows_file(a + P, (uint64_t)na + P, 2, 'x');
	munmap((void *)na, 4 * P);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

#define SHARED_ANON (MAP_SHARED | MAP_ANONYMOUS)

/* [shared anonymous, grown by mremap to twice its object][private file, 2 pages] at *a */
static long beyond_object_layout(uint64_t *a, int fd)
{
	long r;

	*a = tu_mmap_ok(&T, 0, 4 * P, PROT_NONE, ANON, -1, 0);
	ck_assert_int_eq(tu_mmap_ok(&T, *a, P, RW, SHARED_ANON | MAP_FIXED, -1, 0), *a);
	ck_assert_int_eq(tu_mmap_ok(&T, *a + 2 * P, 2 * P, RW, MAP_PRIVATE | MAP_FIXED, fd, 0),
			 *a + 2 * P);
	ck_assert_int_eq(mm_munmap(&T.mm, *a + P, P), 0);
	ck_assert_int_eq(mm_mremap(&T.mm, *a, P, 2 * P, 0, 0), (long)*a);
	TU_CHECK(&T.mm);
	r = tu_native_mmap(0, 4 * P, PROT_NONE, ANON, -1, 0);
	ck_assert_int_gt(r, 0);
	ck_assert_int_eq(tu_native_mmap(r, P, RW, SHARED_ANON | MAP_FIXED, -1, 0), r);
	ck_assert_int_eq(tu_native_mmap(r + 2 * P, 2 * P, RW, MAP_PRIVATE | MAP_FIXED, fd, 0),
			 r + 2 * P);
	ck_assert_int_eq(munmap((void *)(r + P), P), 0);
	ck_assert_int_eq(tu_sys((long)mremap((void *)r, P, 2 * P, 0)), r);
	return r;
}

/* Populating a shared anonymous mapping beyond its object fails (SIGBUS): mlock keeps the
 * flags and gives ENOMEM, and populates nothing after it. */
START_TEST(test_mlock_beyond_a_shared_object_is_enomem_with_the_flags_kept)
{
	if (!have_mlock2())
		return;
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(2 * P, 'e', O_RDWR);
	uint64_t a;
	long na = beyond_object_layout(&a, fd);
	char page[2 * P];

	ck_assert_int_eq(lock(a, 4 * P, 0), -ENOMEM);
	ck_assert_int_eq(tu_sys(sys_mlock((void *)na, 4 * P)), -ENOMEM);
	ck_assert_uint_eq(lock_flags(a), MF_LOCKED);
	ck_assert_uint_eq(lock_flags(a + 2 * P), MF_LOCKED);
	ck_assert(tu_vmflag(na, "lo") && tu_vmflag(na + 2 * P, "lo"));
	ck_assert_uint_eq(T.mm.locked_pages, 4);
	memset(page, 'w', sizeof(page));
	ck_assert_int_eq(pwrite(fd, page, sizeof(page), 0), (long)sizeof(page));
	assert_shows_file(a + 2 * P, (uint64_t)na + 2 * P, 2, 'w');
	munmap((void *)na, 4 * P);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_lengths_wrap_as_linux_rounds_them)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	uint64_t na = native(1, RW, ANON);
	long want;

	ck_assert_int_eq(lock(a, 0, 0), 0);
	ck_assert_int_eq(tu_sys(sys_mlock((void *)na, 0)), 0);
	ck_assert_int_eq(lock(a, UINT64_MAX, 0), 0); /* rounds up to zero */
	ck_assert_int_eq(tu_sys(sys_mlock((void *)na, UINT64_MAX)), 0);
	ck_assert_uint_eq(lock_flags(a), 0);
	/* Wrapping: EINVAL from the walk with CAP_IPC_LOCK, else ENOMEM from the limit. */
	want = tu_sys(sys_mlock((void *)na, -2 * P));
	ck_assert(want == -EINVAL || want == -ENOMEM);
	ck_assert_int_eq(lock(a, -2 * P, 0), want);
	ck_assert_int_eq(lock(0xfffffffffffff000ULL, 2 * P, 0), -EINVAL);
	ck_assert_int_eq(tu_sys(sys_mlock((void *)0xfffffffffffff000ULL, 2 * P)), -EINVAL);
	ck_assert_uint_eq(lock_flags(a), 0);
	/* 5 + (2^64 - 1) wraps to 4 bytes: the first page is locked. */
	ck_assert_int_eq(lock(a + 5, UINT64_MAX, 0), 0);
	ck_assert_int_eq(tu_sys(sys_mlock((void *)(na + 5), UINT64_MAX)), 0);
	ck_assert_uint_eq(lock_flags(a), MF_LOCKED);
	ck_assert(tu_vmflag(na, "lo"));
	ck_assert_int_eq(unlock(a, 0), 0);
	munmap((void *)na, P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_locked_pages_count_each_page_once)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 8 * P, RW, ANON, -1, 0);
	uint64_t b = tu_mmap_ok(&T, 0, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_int_eq(lock(a, 4 * P, 0), 0);
	ck_assert_int_eq(lock(a + 2 * P, 4 * P, 0), 0);
	ck_assert_uint_eq(T.mm.locked_pages, 6);
	ck_assert_int_eq(lock(b, 2 * P, 0), 0);
	ck_assert_uint_eq(T.mm.locked_pages, 8);
	ck_assert_int_eq(unlock(a + P, P), 0);
	ck_assert_uint_eq(T.mm.locked_pages, 7);
	ck_assert_uint_eq(T.mm.count, 5); /* a: locked, unlocked, locked, unlocked; b */
	tu_mm_teardown(&T);
}
END_TEST

/* The results of a child that gave up root: model and kernel, call by call. */
struct limit_res {
	long model[6], kernel[6];
	int n, checked;
	char msg[256];
};

static uint64_t child_limit; /* RLIMIT_MEMLOCK of the child */

/* Drops root (every capability) with RLIMIT_MEMLOCK set, keeping /proc/self readable. */
static int become_nobody(void)
{
	struct rlimit rl = {child_limit, child_limit};

	if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return -1;
	if (geteuid() != 0)
		return 0; /* already without capabilities */
	if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
		return -1;
	return prctl(PR_SET_DUMPABLE, 1);
}

/* Limit 8 pages: the kernel's calls first (undone), then the model's same calls. */
static int limits_child(void *arg)
{
	struct limit_res *r = arg;
	uint64_t a = mm_first(&T.mm)->start;
	long na = tu_native_mmap(0, 16 * P, RW, ANON, -1, 0);

	if (na < 0 || become_nobody() < 0)
		return 2;
	r->kernel[0] = tu_sys(sys_mlock((void *)na, 6 * P));
	r->kernel[1] = tu_sys(sys_mlock((void *)na, 8 * P));	   /* 6 already locked: 2 new */
	r->kernel[2] = tu_sys(sys_mlock((void *)(na + 8 * P), P)); /* 9 > 8 */
	r->kernel[3] = tu_sys(syscall(SYS_mlock2, na + 8 * P, P, MLOCK_ONFAULT));
	r->kernel[4] = tu_sys(sys_mlockall(MCL_CURRENT)); /* the process is bigger than 8 pages */
	r->kernel[5] = tu_sys(sys_munlock((void *)na, 16 * P));
	r->model[0] = mm_mlock(&T.mm, a, 6 * P, 0);
	r->model[1] = mm_mlock(&T.mm, a, 8 * P, 0);
	r->model[2] = mm_mlock(&T.mm, a + 8 * P, P, 0);
	r->model[3] = mm_mlock(&T.mm, a + 8 * P, P, MLOCK_ONFAULT);
	r->model[4] = mm_mlockall(&T.mm, MCL_CURRENT);
	r->model[5] = mm_munlock(&T.mm, a, 16 * P);
	r->n = 6;
	r->checked = 1;
	return mm_check(&T.mm, r->msg, sizeof(r->msg)) ? 1 : 0;
}

/* Limit 0 without CAP_IPC_LOCK: every lock is EPERM, unlocking still works. */
static int eperm_child(void *arg)
{
	struct limit_res *r = arg;
	uint64_t a = mm_first(&T.mm)->start;
	long na = tu_native_mmap(0, P, RW, ANON, -1, 0);

	if (na < 0 || become_nobody() < 0)
		return 2;
	r->kernel[0] = tu_sys(sys_mlock((void *)na, P));
	r->kernel[1] = tu_sys(syscall(SYS_mlock2, na, 0, MLOCK_ONFAULT));
	r->kernel[2] = tu_sys(syscall(SYS_mlock2, na, P, 2));
	r->kernel[3] = tu_sys(sys_mlockall(MCL_FUTURE));
	r->kernel[4] = tu_sys(sys_mlockall(0));
	r->kernel[5] = tu_sys(sys_munlock((void *)na, P));
	r->model[0] = mm_mlock(&T.mm, a, P, 0);
	r->model[1] = mm_mlock(&T.mm, a, 0, MLOCK_ONFAULT);
	r->model[2] = mm_mlock(&T.mm, a, P, 2);
	r->model[3] = mm_mlockall(&T.mm, MCL_FUTURE);
	r->model[4] = mm_mlockall(&T.mm, 0);
	r->model[5] = mm_munlock(&T.mm, a, P);
	r->n = 6;
	r->checked = 1;
	return mm_check(&T.mm, r->msg, sizeof(r->msg)) ? 1 : 0;
}

static struct limit_res *run_child(int (*fn)(void *), uint64_t limit)
{
	struct limit_res *r = tu_shared(sizeof(*r));

	child_limit = limit;
	ck_assert_int_eq(tu_in_child(fn, r), 0);
	ck_assert_msg(r->checked, "the child did not run");
	for (int i = 0; i < r->n && !tu_under_valgrind(); i++)
		ck_assert_msg(r->model[i] == r->kernel[i], "call %d: model %ld, kernel %ld", i,
			      r->model[i], r->kernel[i]);
	return r;
}

START_TEST(test_memlock_limit_without_cap_ipc_lock)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	tu_mmap_ok(&T, 0, 16 * P, RW, ANON, -1, 0);
	struct limit_res *r = run_child(limits_child, 8 * P);

	ck_assert_int_eq(r->model[0], 0);
	ck_assert_int_eq(r->model[1], 0);
	ck_assert_int_eq(r->model[2], -ENOMEM);
	ck_assert_int_eq(r->model[3], -ENOMEM);
	ck_assert_int_eq(r->model[4], -ENOMEM);
	ck_assert_int_eq(r->model[5], 0);
	tu_shared_free(r, sizeof(*r));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_zero_memlock_limit_without_cap_ipc_lock_is_eperm)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	struct limit_res *r = run_child(eperm_child, 0);

	ck_assert_int_eq(r->model[0], -EPERM);
	ck_assert_int_eq(r->model[1], -EPERM);
	ck_assert_int_eq(r->model[2], -EINVAL); /* the flags come first */
	ck_assert_int_eq(r->model[3], -EPERM);
	ck_assert_int_eq(r->model[4], -EINVAL);
	ck_assert_int_eq(r->model[5], 0);
	tu_shared_free(r, sizeof(*r));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_mlockall_flags_are_checked_as_linux)
{
	static const int bad[] = {0, MCL_ONFAULT, 8, MCL_CURRENT | 8, -1};

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_int_eq(mm_mlockall(&T.mm, bad[i]), -EINVAL);
		TU_KERNEL_EQ(tu_sys(sys_mlockall(bad[i])), -EINVAL);
	}
	/* MCL_FUTURE alone changes no existing mapping (and is not recorded: see mlock.c). */
	ck_assert_int_eq(mm_mlockall(&T.mm, MCL_FUTURE | MCL_ONFAULT), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(lock_flags(a), 0);
	ck_assert_uint_eq(T.mm.locked_pages, 0);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_mlockall_locks_every_mapping_and_munlockall_unlocks_them)
{
	if (!have_mlock2())
		return;
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	uint64_t b = tu_mmap_ok(&T, 0, 3 * P, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t c = tu_mmap_ok(&T, 0, P, PROT_NONE, ANON, -1, 0);

	ck_assert_int_eq(mm_mlockall(&T.mm, MCL_CURRENT), 0); /* PROT_NONE: errors ignored */
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(lock_flags(a), MF_LOCKED);
	ck_assert_uint_eq(lock_flags(b), MF_LOCKED);
	ck_assert_uint_eq(lock_flags(c), MF_LOCKED);
	ck_assert_uint_eq(T.mm.locked_pages, T.mm.total_pages);
	ck_assert(tu_vmflag(a, "lo") && tu_vmflag(b, "lo") && tu_vmflag(c, "lo"));
	ck_assert_int_eq(mm_mlockall(&T.mm, MCL_CURRENT | MCL_ONFAULT), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(lock_flags(b), MF_LOCKED | MF_LOCKONFAULT);
	ck_assert_int_eq(mm_munlockall(&T.mm), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(lock_flags(a) | lock_flags(b) | lock_flags(c), 0);
	ck_assert_uint_eq(T.mm.locked_pages, 0);
	ck_assert(!tu_vmflag(a, "lo") && !tu_vmflag(b, "lo") && !tu_vmflag(c, "lo"));
	tu_mm_teardown(&T);
}
END_TEST

static int native_mlockall_child(void *arg)
{
	long *r = arg;
	long p = tu_native_mmap(0, P, PROT_NONE, ANON, -1, 0);

	r[0] = tu_sys(sys_mlockall(MCL_CURRENT));
	r[1] = p > 0 && tu_vmflag((uint64_t)p, "lo");
	r[2] = tu_sys(sys_munlockall());
	r[3] = p > 0 && tu_vmflag((uint64_t)p, "lo");
	return 0;
}

START_TEST(test_native_mlockall_ignores_populate_errors_too)
{
#ifdef __SANITIZE_ADDRESS__
	return; /* populating ASan's shadow memory would take the whole machine */
#endif
	long *r;

	if (geteuid() != 0)
		return; /* the whole process is beyond an unprivileged RLIMIT_MEMLOCK */
	r = tu_shared(4 * sizeof(long));

	ck_assert_int_eq(tu_in_child(native_mlockall_child, r), 0);
	TU_KERNEL_EQ(r[0], 0);
	TU_KERNEL_EQ(r[1], 1);
	TU_KERNEL_EQ(r[2], 0);
	TU_KERNEL_EQ(r[3], 0);
	tu_shared_free(r, 4 * sizeof(long));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mlock");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_mlock_splits_and_locks_the_real_pages);
	tcase_add_test(tc, test_unaligned_start_locks_every_page_touched);
	tcase_add_test(tc, test_mlock2_onfault_and_its_flags);
	tcase_add_test(tc, test_onfault_private_file_is_not_populated_by_mprotect_or_mremap);
	tcase_add_test(tc, test_hole_midway_is_enomem_after_locking_the_part_before);
	tcase_add_test(tc, test_hole_at_start_is_enomem_and_changes_nothing);
	tcase_add_test(tc, test_prot_none_is_locked_then_enomem_from_populating);
	tcase_add_test(tc, test_file_mapping_beyond_its_end_is_locked_then_enomem);
	tcase_add_test(tc, test_mlock_populates_nothing_after_a_hole_or_a_failure);
	tcase_add_test(tc, test_mlock_beyond_a_shared_object_is_enomem_with_the_flags_kept);
	tcase_add_test(tc, test_lengths_wrap_as_linux_rounds_them);
	tcase_add_test(tc, test_locked_pages_count_each_page_once);
	tcase_add_test(tc, test_memlock_limit_without_cap_ipc_lock);
	tcase_add_test(tc, test_zero_memlock_limit_without_cap_ipc_lock_is_eperm);
	tcase_add_test(tc, test_mlockall_flags_are_checked_as_linux);
	tcase_add_test(tc, test_mlockall_locks_every_mapping_and_munlockall_unlocks_them);
	tcase_add_test(tc, test_native_mlockall_ignores_populate_errors_too);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
