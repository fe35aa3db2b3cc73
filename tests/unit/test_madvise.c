/*
 * Unit tests of mm_madvise (mm/madvise.c) with the self backend. Each behaviour is asked of
 * the kernel too, on a native scratch mapping of the same kind, and the model's answer,
 * content and flags (MF_* against the VmFlags of /proc/self/smaps) are compared with it:
 * what DONTNEED, FREE and REMOVE do to private and shared anonymous memory and to files, the
 * fork flags and their splits, partial effects over holes and at a mapping that refuses the
 * advice, hints passed through, POPULATE_*, COLLAPSE, guard markers (the model's MF_GUARD
 * against the real markers in /proc/self/pagemap), the argument checks, unknown advice, and a
 * rollback when a step of starmm's fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fault/inject.h"
#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

#define P      TU_PAGE
#define RW     (PROT_READ | PROT_WRITE)
#define ANON   (MAP_PRIVATE | MAP_ANONYMOUS)
#define SHANON (MAP_SHARED | MAP_ANONYMOUS)
#define HPAGE  (2ULL << 20)


static struct tu_mm T;

/* The kernel's mlock family, by syscall: sanitizers replace the libc functions with no-ops. */
static long sys_mlock(const void *addr, size_t len)
{
	return syscall(SYS_mlock, addr, len);
}

static long native_madvise(uint64_t addr, uint64_t len, int advice)
{
	return tu_sys(syscall(SYS_madvise, addr, len, advice));
}

static uint64_t native(int n, int prot, int flags)
{
	long r = tu_native_mmap(0, n * P, prot, flags, -1, 0);

	ck_assert_int_gt(r, 0);
	return (uint64_t)r;
}

/* The model's answer, then mm_check. */
static long madv(uint64_t addr, uint64_t len, int advice)
{
	long r = mm_madvise(&T.mm, addr, len, advice);

	TU_CHECK(&T.mm);
	return r;
}

static bool model_flag(uint64_t addr, unsigned flag)
{
	struct mapping *m = mm_find(&T.mm, addr);

	ck_assert_ptr_nonnull(m);
	return m->flags & flag;
}

static bool bytes_are(uint64_t addr, size_t len, int byte)
{
	const unsigned char *c = (const unsigned char *)addr;

	for (size_t i = 0; i < len; i++)
		if (c[i] != (unsigned char)byte)
			return false;
	return true;
}

/* The content of the VMO behind the model's address, as kernel-mode access sees it. */
static bool vmo_bytes_are(uint64_t addr, size_t len, int byte)
{
	struct mapping *m = mm_find(&T.mm, addr);
	char *buf = malloc(len);
	bool ok = true;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(vmo_read(m->vmo, buf, m->off + (addr - m->start), len), 0);
	for (size_t i = 0; i < len; i++)
		ok = ok && buf[i] == (char)byte;
	free(buf);
	return ok;
}

/* A hole of one page between two mappings of 2 pages, in the model and natively:
 * [a, a + 2P) mapped, [a + 2P, a + 3P) free, [a + 3P, a + 5P) mapped; flags are the mmap
 * flags of both sides. */
static void hole_layout(int flags, uint64_t *a, uint64_t *na)
{
	*a = tu_mmap_ok(&T, 0, 5 * P, RW, flags, -1, 0);
	ck_assert_int_eq(mm_munmap(&T.mm, *a + 2 * P, P), 0);
	TU_CHECK(&T.mm);
	*na = native(5, RW, flags);
	ck_assert_int_eq(munmap((void *)(*na + 2 * P), P), 0);
	memset((void *)*a, 'h', 2 * P);
	memset((void *)(*a + 3 * P), 'h', 2 * P);
	memset((void *)*na, 'h', 2 * P);
	memset((void *)(*na + 3 * P), 'h', 2 * P);
}

static void hole_layout_free(uint64_t na)
{
	munmap((void *)na, 5 * P);
}

START_TEST(test_dontneed_zeroes_private_anon)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	uint64_t na = native(3, RW, ANON);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;

	memset((void *)a, 'x', 3 * P);
	memset((void *)na, 'x', 3 * P);
	ck_assert_int_eq(madv(a + P, P, MADV_DONTNEED), 0);
	TU_KERNEL_EQ(native_madvise(na + P, P, MADV_DONTNEED), 0);
	ck_assert_uint_eq(T.mm.count, 1);	      /* no split: only the content changes */
	ck_assert_uint_eq(vmo_committed(vmo), 2 * P); /* before reading: a read commits */
	ck_assert(bytes_are(a + P, P, 0));
	ck_assert(vmo_bytes_are(a + P, P, 0));
	ck_assert(bytes_are(a, P, 'x') && bytes_are(a + 2 * P, P, 'x'));
	ck_assert(bytes_are(na + P, P, 0));
	ck_assert(bytes_are(na, P, 'x'));
	munmap((void *)na, 3 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_dontneed_keeps_shared_anon_data)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, SHANON, -1, 0);
	uint64_t na = native(2, RW, SHANON);

	memset((void *)a, 's', 2 * P);
	memset((void *)na, 's', 2 * P);
	ck_assert_int_eq(madv(a, 2 * P, MADV_DONTNEED), 0);
	TU_KERNEL_EQ(native_madvise(na, 2 * P, MADV_DONTNEED), 0);
	ck_assert(bytes_are(a, 2 * P, 's'));
	ck_assert(vmo_bytes_are(a, 2 * P, 's'));
	ck_assert(bytes_are(na, 2 * P, 's'));
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_dontneed_on_private_file_drops_private_copies)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(2 * P, 'f', O_RDWR);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, MAP_PRIVATE, fd, 0);
	long na = tu_native_mmap(0, 2 * P, RW, MAP_PRIVATE, fd, 0);

	ck_assert_int_gt(na, 0);
	memset((void *)a, 'c', P);
	memset((void *)na, 'c', P);
	ck_assert_int_eq(madv(a, 2 * P, MADV_DONTNEED), 0);
	TU_KERNEL_EQ(native_madvise(na, 2 * P, MADV_DONTNEED), 0);
	ck_assert(bytes_are(a, 2 * P, 'f')); /* the file again */
	ck_assert(bytes_are(na, 2 * P, 'f'));
	munmap((void *)na, 2 * P);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_dontneed_on_locked_is_einval_but_dontneed_locked_zeroes)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	uint64_t na = native(2, RW, ANON);

	memset((void *)a, 'l', 2 * P);
	memset((void *)na, 'l', 2 * P);
	ck_assert_int_eq(mm_mlock(&T.mm, a, 2 * P, 0), 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(sys_mlock((void *)na, 2 * P), 0);
	ck_assert_int_eq(madv(a, P, MADV_DONTNEED), -EINVAL);
	TU_KERNEL_EQ(native_madvise(na, P, MADV_DONTNEED), -EINVAL);
	ck_assert(bytes_are(a, P, 'l'));
	ck_assert_int_eq(madv(a, P, MADV_DONTNEED_LOCKED), 0);
	TU_KERNEL_EQ(native_madvise(na, P, MADV_DONTNEED_LOCKED), 0);
	ck_assert(bytes_are(a, P, 0) && bytes_are(a + P, P, 'l'));
	ck_assert(bytes_are(na, P, 0) && bytes_are(na + P, P, 'l'));
	ck_assert(model_flag(a, MF_LOCKED));
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_free_private_anon_is_accepted_and_drops)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	uint64_t na = native(2, RW, ANON);

	memset((void *)a, 'f', 2 * P);
	memset((void *)na, 'f', 2 * P);
	ck_assert_int_eq(madv(a, P, MADV_FREE), 0);
	TU_KERNEL_EQ(native_madvise(na, P, MADV_FREE), 0);
	/* Linux may keep or drop; starmm drops, as memory pressure would. */
	ck_assert(bytes_are(a, P, 0) && vmo_bytes_are(a, P, 0));
	ck_assert(bytes_are(a + P, P, 'f'));
	ck_assert(bytes_are(na, P, 'f') || bytes_are(na, P, 0));
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_free_on_shared_and_file_mappings_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(P, 'f', O_RDWR);
	uint64_t s = tu_mmap_ok(&T, 0, P, RW, SHANON, -1, 0);
	uint64_t f = tu_mmap_ok(&T, 0, P, RW, MAP_PRIVATE, fd, 0);
	uint64_t ns = native(1, RW, SHANON);
	long nf = tu_native_mmap(0, P, RW, MAP_PRIVATE, fd, 0);

	memset((void *)s, 's', P);
	ck_assert_int_eq(madv(s, P, MADV_FREE), -EINVAL);
	ck_assert_int_eq(madv(f, P, MADV_FREE), -EINVAL);
	TU_KERNEL_EQ(native_madvise(ns, P, MADV_FREE), -EINVAL);
	TU_KERNEL_EQ(native_madvise(nf, P, MADV_FREE), -EINVAL);
	ck_assert(bytes_are(s, P, 's'));
	munmap((void *)ns, P);
	munmap((void *)nf, P);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_remove_errors_follow_the_kind_of_mapping)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(P, 'r', O_RDWR), ro = tu_tmpfile(P, 'r', O_RDONLY);
	uint64_t pa = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	uint64_t pf = tu_mmap_ok(&T, 0, P, RW, MAP_PRIVATE, fd, 0);
	uint64_t sro = tu_mmap_ok(&T, 0, P, PROT_READ, MAP_SHARED, ro, 0);
	uint64_t sl = tu_mmap_ok(&T, 0, P, RW, SHANON, -1, 0);
	uint64_t npa = native(1, RW, ANON), nsl = native(1, RW, SHANON);
	long npf = tu_native_mmap(0, P, RW, MAP_PRIVATE, fd, 0);
	long nsro = tu_native_mmap(0, P, PROT_READ, MAP_SHARED, ro, 0);

	ck_assert_int_eq(mm_mlock(&T.mm, sl, P, 0), 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(sys_mlock((void *)nsl, P), 0);
	ck_assert_int_eq(madv(pa, P, MADV_REMOVE), -EINVAL);
	ck_assert_int_eq(madv(pf, P, MADV_REMOVE), -EACCES);
	ck_assert_int_eq(madv(sro, P, MADV_REMOVE), -EACCES);
	ck_assert_int_eq(madv(sl, P, MADV_REMOVE), -EINVAL);
	TU_KERNEL_EQ(native_madvise(npa, P, MADV_REMOVE), -EINVAL);
	TU_KERNEL_EQ(native_madvise(npf, P, MADV_REMOVE), -EACCES);
	TU_KERNEL_EQ(native_madvise(nsro, P, MADV_REMOVE), -EACCES);
	TU_KERNEL_EQ(native_madvise(nsl, P, MADV_REMOVE), -EINVAL);
	munmap((void *)npa, P);
	munmap((void *)npf, P);
	munmap((void *)nsro, P);
	munmap((void *)nsl, P);
	close(fd);
	close(ro);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_remove_punches_shared_anon_even_read_only)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t s = tu_mmap_ok(&T, 0, 2 * P, RW, SHANON, -1, 0);
	uint64_t r = tu_mmap_ok(&T, 0, P, PROT_READ, SHANON, -1, 0);
	uint64_t ns = native(2, RW, SHANON), nr = native(1, PROT_READ, SHANON);
	struct vmo *vmo = mm_find(&T.mm, s)->vmo;

	memset((void *)s, 'r', 2 * P);
	memset((void *)ns, 'r', 2 * P);
	ck_assert_int_eq(madv(s + P, P, MADV_REMOVE), 0);
	TU_KERNEL_EQ(native_madvise(ns + P, P, MADV_REMOVE), 0);
	ck_assert_uint_eq(vmo_committed(vmo), P);
	ck_assert(bytes_are(s, P, 'r') && bytes_are(s + P, P, 0));
	ck_assert(vmo_bytes_are(s + P, P, 0));
	ck_assert(bytes_are(ns, P, 'r') && bytes_are(ns + P, P, 0));
	ck_assert_int_eq(madv(r, P, MADV_REMOVE), 0); /* VM_MAYWRITE is what counts */
	TU_KERNEL_EQ(native_madvise(nr, P, MADV_REMOVE), 0);
	munmap((void *)ns, 2 * P);
	munmap((void *)nr, P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_remove_on_shared_file_punches_the_file)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(2 * P, 'F', O_RDWR);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, MAP_SHARED, fd, 0);
	char buf[P];

	ck_assert_int_eq(madv(a, P, MADV_REMOVE), 0);
	ck_assert(bytes_are(a, P, 0) && bytes_are(a + P, P, 'F'));
	ck_assert_int_eq(pread(fd, buf, P, 0), (ssize_t)P);
	ck_assert(bytes_are((uint64_t)buf, P, 0));
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_wipeonfork_splits_and_keeponfork_merges_back)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	uint64_t na = native(3, RW, ANON);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;

	ck_assert_int_eq(madv(a + P, P, MADV_WIPEONFORK), 0);
	TU_KERNEL_EQ(native_madvise(na + P, P, MADV_WIPEONFORK), 0);
	ck_assert_uint_eq(T.mm.count, 3);
	for (int i = 0; i < 3; i++) {
		struct mapping *m = mm_find(&T.mm, a + i * P);

		ck_assert_ptr_eq(m->vmo, vmo);
		ck_assert_uint_eq(m->off, i * P);
		ck_assert_int_eq(!!(m->flags & MF_WIPEONFORK), i == 1);
		ck_assert_int_eq(tu_vmflag(na + i * P, "wf"), i == 1);
	}
	ck_assert_int_eq(madv(a, 3 * P, MADV_KEEPONFORK), 0);
	TU_KERNEL_EQ(native_madvise(na, 3 * P, MADV_KEEPONFORK), 0);
	ck_assert_uint_eq(T.mm.count, 1);
	ck_assert(!model_flag(a + P, MF_WIPEONFORK));
	ck_assert(!tu_vmflag(na + P, "wf"));
	munmap((void *)na, 3 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_wipeonfork_on_shared_or_file_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(P, 'w', O_RDWR);
	uint64_t s = tu_mmap_ok(&T, 0, P, RW, SHANON, -1, 0);
	uint64_t f = tu_mmap_ok(&T, 0, P, RW, MAP_PRIVATE, fd, 0);
	uint64_t ns = native(1, RW, SHANON);
	long nf = tu_native_mmap(0, P, RW, MAP_PRIVATE, fd, 0);

	ck_assert_int_eq(madv(s, P, MADV_WIPEONFORK), -EINVAL);
	ck_assert_int_eq(madv(f, P, MADV_WIPEONFORK), -EINVAL);
	TU_KERNEL_EQ(native_madvise(ns, P, MADV_WIPEONFORK), -EINVAL);
	TU_KERNEL_EQ(native_madvise(nf, P, MADV_WIPEONFORK), -EINVAL);
	ck_assert(!model_flag(s, MF_WIPEONFORK) && !model_flag(f, MF_WIPEONFORK));
	/* KEEPONFORK has nothing to refuse there. */
	ck_assert_int_eq(madv(s, P, MADV_KEEPONFORK), 0);
	TU_KERNEL_EQ(native_madvise(ns, P, MADV_KEEPONFORK), 0);
	munmap((void *)ns, P);
	munmap((void *)nf, P);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_dontfork_and_dofork_set_and_clear_the_flag)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(P, 'd', O_RDWR);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, SHANON, -1, 0);
	uint64_t f = tu_mmap_ok(&T, 0, P, PROT_READ, MAP_PRIVATE, fd, 0);

	ck_assert_int_eq(madv(a, P, MADV_DONTFORK), 0);
	ck_assert_int_eq(madv(f, P, MADV_DONTFORK), 0);
	ck_assert(model_flag(a, MF_DONTFORK) && !model_flag(a + P, MF_DONTFORK));
	ck_assert(model_flag(f, MF_DONTFORK));
	ck_assert_uint_eq(T.mm.count, 3);
	ck_assert_int_eq(madv(a, 2 * P, MADV_DOFORK), 0);
	ck_assert(!model_flag(a, MF_DONTFORK));
	ck_assert_uint_eq(T.mm.count, 2);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_flag_advice_over_a_hole_changes_both_sides_then_enomem)
{
	uint64_t a, na;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	hole_layout(ANON, &a, &na);
	ck_assert_int_eq(madv(a + P, 3 * P, MADV_DONTFORK), -ENOMEM);
	TU_KERNEL_EQ(native_madvise(na + P, 3 * P, MADV_DONTFORK), -ENOMEM);
	ck_assert(!model_flag(a, MF_DONTFORK) && model_flag(a + P, MF_DONTFORK));
	ck_assert(model_flag(a + 3 * P, MF_DONTFORK) && !model_flag(a + 4 * P, MF_DONTFORK));
	ck_assert(!tu_vmflag(na, "dc") && tu_vmflag(na + P, "dc"));
	ck_assert(tu_vmflag(na + 3 * P, "dc") && !tu_vmflag(na + 4 * P, "dc"));
	/* Starting in the hole: the mapping after it still gets the advice. */
	ck_assert_int_eq(madv(a + 2 * P, 3 * P, MADV_WIPEONFORK), -ENOMEM);
	TU_KERNEL_EQ(native_madvise(na + 2 * P, 3 * P, MADV_WIPEONFORK), -ENOMEM);
	ck_assert(model_flag(a + 4 * P, MF_WIPEONFORK));
	ck_assert(tu_vmflag(na + 4 * P, "wf"));
	/* Only a hole. */
	ck_assert_int_eq(madv(a + 2 * P, P, MADV_DONTFORK), -ENOMEM);
	TU_KERNEL_EQ(native_madvise(na + 2 * P, P, MADV_DONTFORK), -ENOMEM);
	hole_layout_free(na);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_dontneed_over_a_hole_zeroes_both_sides_then_enomem)
{
	uint64_t a, na;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	hole_layout(ANON, &a, &na);
	ck_assert_int_eq(madv(a + P, 3 * P, MADV_DONTNEED), -ENOMEM);
	TU_KERNEL_EQ(native_madvise(na + P, 3 * P, MADV_DONTNEED), -ENOMEM);
	ck_assert(bytes_are(a, P, 'h') && bytes_are(a + P, P, 0));
	ck_assert(bytes_are(a + 3 * P, P, 0) && bytes_are(a + 4 * P, P, 'h'));
	ck_assert(bytes_are(na, P, 'h') && bytes_are(na + P, P, 0));
	ck_assert(bytes_are(na + 3 * P, P, 0) && bytes_are(na + 4 * P, P, 'h'));
	hole_layout_free(na);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_refusing_mapping_stops_the_walk_keeping_what_came_before)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	uint64_t na = native(3, RW, ANON);

	tu_mmap_ok(&T, a + P, P, RW, SHANON | MAP_FIXED, -1, 0);
	ck_assert_int_eq(tu_native_mmap(na + P, P, RW, SHANON | MAP_FIXED, -1, 0), (long)(na + P));
	memset((void *)a, 'w', 3 * P);
	memset((void *)na, 'w', 3 * P);
	ck_assert_int_eq(madv(a, 3 * P, MADV_WIPEONFORK), -EINVAL);
	TU_KERNEL_EQ(native_madvise(na, 3 * P, MADV_WIPEONFORK), -EINVAL);
	ck_assert(model_flag(a, MF_WIPEONFORK) && !model_flag(a + 2 * P, MF_WIPEONFORK));
	ck_assert(tu_vmflag(na, "wf") && !tu_vmflag(na + 2 * P, "wf"));
	/* FREE: the first page is dropped, the shared one refuses, the third keeps its data. */
	ck_assert_int_eq(madv(a, 3 * P, MADV_FREE), -EINVAL);
	TU_KERNEL_EQ(native_madvise(na, 3 * P, MADV_FREE), -EINVAL);
	ck_assert(bytes_are(a, P, 0) && bytes_are(a + P, 2 * P, 'w'));
	/* A hole before the refusing mapping: the refusal wins over ENOMEM. */
	ck_assert_int_eq(mm_munmap(&T.mm, a, P), 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(munmap((void *)na, P), 0);
	ck_assert_int_eq(madv(a, 3 * P, MADV_WIPEONFORK), -EINVAL);
	TU_KERNEL_EQ(native_madvise(na, 3 * P, MADV_WIPEONFORK), -EINVAL);
	munmap((void *)na, 3 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unknown_advice_is_einval)
{
	static const int unknown[] = {-1, 5, 6, 7, 26, 99, 104, 1000};

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	uint64_t na = native(1, RW, ANON);

	for (size_t i = 0; i < sizeof(unknown) / sizeof(*unknown); i++) {
		ck_assert_int_eq(madv(a, P, unknown[i]), -EINVAL);
		ck_assert_int_eq(madv(a, 0, unknown[i]), -EINVAL);
		TU_KERNEL_EQ(native_madvise(na, P, unknown[i]), -EINVAL);
		TU_KERNEL_EQ(native_madvise(na, 0, unknown[i]), -EINVAL);
	}
	munmap((void *)na, P);
	tu_mm_teardown(&T);
}
END_TEST

/* Pages [0, n) from addr as /proc/self/pagemap shows them: 'g' for a guard marker, '.' for
 * none. */
static const char *native_markers(uint64_t addr, int n)
{
	static char out[16];
	bool marked[16];
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_lt(n, (int)sizeof(out));
	ck_assert_int_eq(mm_guard_markers(fd, addr, (size_t)n, marked), 0);
	close(fd);
	for (int i = 0; i < n; i++)
		out[i] = marked[i] ? 'g' : '.';
	out[n] = 0;
	return out;
}

/* The same, for the model's range: its MF_GUARD must say the same of each page. */
static const char *markers(uint64_t addr, int n)
{
	const char *out = native_markers(addr, n);

	for (int i = 0; i < n; i++)
		ck_assert_int_eq(model_flag(addr + i * P, MF_GUARD), out[i] == 'g');
	return out;
}

START_TEST(test_guard_markers_split_and_zap_private_memory_like_linux)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	uint64_t s = tu_mmap_ok(&T, 0, 4 * P, RW, SHANON, -1, 0);
	uint64_t na = native(4, RW, ANON), ns = native(4, RW, SHANON);
	char buf[8];

	memset((void *)a, 'g', 4 * P);
	memset((void *)na, 'g', 4 * P);
	memset((void *)s, 's', 4 * P);
	memset((void *)ns, 's', 4 * P);
	ck_assert_int_eq(madv(a + P, 2 * P, MADV_GUARD_INSTALL), 0);
	TU_KERNEL_EQ(native_madvise(na + P, 2 * P, MADV_GUARD_INSTALL), 0);
	ck_assert_int_eq(madv(s + P, 2 * P, MADV_GUARD_INSTALL), 0);
	TU_KERNEL_EQ(native_madvise(ns + P, 2 * P, MADV_GUARD_INSTALL), 0);
	ck_assert_str_eq(markers(a, 4), ".gg.");
	ck_assert_str_eq(native_markers(na, 4), ".gg.");
	ck_assert_str_eq(markers(s, 4), ".gg.");
	ck_assert_uint_eq(T.mm.count, 6); /* each split in three */
	/* Kernel-mode access faults there as the program's own would. */
	ck_assert_int_eq(mm_read(&T.mm, a + 2 * P - 4, buf, sizeof(buf)), -EFAULT);
	ck_assert_int_eq(mm_write(&T.mm, s + P, buf, 1), -EFAULT);
	ck_assert_int_eq(mm_read(&T.mm, a + 3 * P, buf, sizeof(buf)), sizeof(buf));
	/* Installing again, and removing where there is none, change nothing. */
	ck_assert_int_eq(madv(a + P, 2 * P, MADV_GUARD_INSTALL), 0);
	ck_assert_str_eq(markers(a, 4), ".gg.");
	ck_assert_int_eq(madv(a, P, MADV_GUARD_REMOVE), 0);
	ck_assert_int_eq(madv(a + 3 * P, P, MADV_GUARD_REMOVE), 0);
	TU_KERNEL_EQ(native_madvise(na + 3 * P, P, MADV_GUARD_REMOVE), 0);
	ck_assert_int_eq(madv(a, 4 * P, MADV_GUARD_REMOVE), 0);
	TU_KERNEL_EQ(native_madvise(na, 4 * P, MADV_GUARD_REMOVE), 0);
	ck_assert_int_eq(madv(s, 4 * P, MADV_GUARD_REMOVE), 0);
	TU_KERNEL_EQ(native_madvise(ns, 4 * P, MADV_GUARD_REMOVE), 0);
	ck_assert_str_eq(markers(a, 4), "....");
	ck_assert_str_eq(markers(s, 4), "....");
	ck_assert_uint_eq(T.mm.count, 2); /* merged again */
	/* Private pages were zapped, shared ones kept. */
	ck_assert(bytes_are(a + P, 2 * P, 0) && vmo_bytes_are(a + P, 2 * P, 0));
	ck_assert(bytes_are(a, P, 'g') && bytes_are(a + 3 * P, P, 'g'));
	ck_assert(bytes_are(na + P, 2 * P, 0) && bytes_are(na + 3 * P, P, 'g'));
	ck_assert(bytes_are(s, 4 * P, 's') && bytes_are(ns, 4 * P, 's'));
	munmap((void *)na, 4 * P);
	munmap((void *)ns, 4 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_guard_markers_refuse_locked_memory_and_walk_over_holes)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a, na, l = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	uint64_t nl = native(2, RW, ANON);

	ck_assert_int_eq(mm_mlock(&T.mm, l, 2 * P, 0), 0);
	ck_assert_int_eq(sys_mlock((void *)nl, 2 * P), 0);
	ck_assert_int_eq(madv(l, P, MADV_GUARD_INSTALL), -EINVAL);
	TU_KERNEL_EQ(native_madvise(nl, P, MADV_GUARD_INSTALL), -EINVAL);
	ck_assert_int_eq(madv(l, P, MADV_GUARD_REMOVE), 0); /* allowed on locked memory */
	TU_KERNEL_EQ(native_madvise(nl, P, MADV_GUARD_REMOVE), 0);
	ck_assert_str_eq(markers(l, 2), "..");
	/* Over a hole: both sides get markers, then ENOMEM; removing likewise. */
	hole_layout(ANON, &a, &na);
	ck_assert_int_eq(madv(a, 5 * P, MADV_GUARD_INSTALL), -ENOMEM);
	TU_KERNEL_EQ(native_madvise(na, 5 * P, MADV_GUARD_INSTALL), -ENOMEM);
	ck_assert_str_eq(markers(a, 2), "gg");
	ck_assert_str_eq(markers(a + 3 * P, 2), "gg");
	ck_assert_str_eq(native_markers(na + 3 * P, 2), "gg");
	ck_assert_int_eq(madv(a, 5 * P, MADV_GUARD_REMOVE), -ENOMEM);
	ck_assert_str_eq(markers(a + 3 * P, 2), "..");
	munmap((void *)nl, 2 * P);
	hole_layout_free(na);
	tu_mm_teardown(&T);
}
END_TEST

/* The model re-maps ranges of its own accord (the design note's middle unmap makes the top
 * part a snapshot child; a stack grows by one MAP_FIXED): the markers are installed again. */
START_TEST(test_guard_markers_survive_the_models_own_remapping)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 6 * P, RW, ANON, -1, 0);

	memset((void *)a, 'm', 6 * P);
	ck_assert_int_eq(madv(a + P, 4 * P, MADV_GUARD_INSTALL), 0);
	ck_assert_int_eq(mm_munmap(&T.mm, a + 2 * P, P), 0);
	TU_CHECK(&T.mm);
	ck_assert_ptr_ne(mm_find(&T.mm, a + 3 * P)->vmo, mm_find(&T.mm, a)->vmo);
	ck_assert_str_eq(markers(a + 3 * P, 3), "gg.");
	ck_assert(bytes_are(a + 5 * P, P, 'm'));
	/* mremap moves them with the pages, over pieces the markers split (one VMA to Linux). */
	uint64_t to = tu_mmap_ok(&T, 0, 8 * P, RW, ANON, -1, 0);

	ck_assert_int_eq(mm_munmap(&T.mm, to, 8 * P), 0);
	ck_assert_int_eq(mm_mremap(&T.mm, a + 3 * P, 3 * P, 5 * P, MREMAP_MAYMOVE | MREMAP_FIXED,
				   to),
			 (long)to);
	TU_CHECK(&T.mm);
	ck_assert_str_eq(markers(to, 5), "gg...");
	ck_assert(bytes_are(to + 2 * P, P, 'm') && bytes_are(to + 3 * P, 2 * P, 0));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_argument_checks_come_in_linux_order)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	uint64_t na = native(1, RW, ANON);
	uint64_t free_addr = tu_native_free_range(P);

	ck_assert_int_eq(madv(a + 1, P, MADV_NORMAL), -EINVAL);
	ck_assert_int_eq(madv(a + 1, 0, MADV_NORMAL), -EINVAL);
	ck_assert_int_eq(madv(a, 0, MADV_NORMAL), 0);
	ck_assert_int_eq(madv(free_addr, 0, MADV_DONTNEED), 0);
	ck_assert_int_eq(madv(a, UINT64_MAX, MADV_NORMAL), -EINVAL);
	ck_assert_int_eq(madv(a, -P, MADV_NORMAL), -EINVAL);
	ck_assert_int_eq(madv(0xfffffffffffff000ULL, 2 * P, MADV_NORMAL), -EINVAL);
	ck_assert_int_eq(madv(0x7ffffffff000ULL, P, MADV_NORMAL), -ENOMEM);
	ck_assert_int_eq(madv(0xffffffffff600000ULL, P, MADV_DONTFORK), -ENOMEM);
	ck_assert_int_eq(madv(a, 1, MADV_DONTFORK), 0); /* the length is rounded up */
	ck_assert(model_flag(a, MF_DONTFORK));
	TU_KERNEL_EQ(native_madvise(na + 1, P, MADV_NORMAL), -EINVAL);
	TU_KERNEL_EQ(native_madvise(na + 1, 0, MADV_NORMAL), -EINVAL);
	TU_KERNEL_EQ(native_madvise(na, 0, MADV_NORMAL), 0);
	TU_KERNEL_EQ(native_madvise(free_addr, 0, MADV_DONTNEED), 0);
	TU_KERNEL_EQ(native_madvise(na, UINT64_MAX, MADV_NORMAL), -EINVAL);
	TU_KERNEL_EQ(native_madvise(na, -P, MADV_NORMAL), -EINVAL);
	TU_KERNEL_EQ(native_madvise(0xfffffffffffff000ULL, 2 * P, MADV_NORMAL), -EINVAL);
	TU_KERNEL_EQ(native_madvise(0x7ffffffff000ULL, P, MADV_NORMAL), -ENOMEM);
	TU_KERNEL_EQ(native_madvise(0xffffffffff600000ULL, P, MADV_DONTFORK), -ENOMEM);
	munmap((void *)na, P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_hints_are_accepted_like_the_kernel_accepts_them)
{
	static const int hints[] = {MADV_NORMAL,   MADV_RANDOM,	 MADV_SEQUENTIAL, MADV_WILLNEED,
				    MADV_COLD,	   MADV_PAGEOUT, MADV_MERGEABLE,  MADV_UNMERGEABLE,
				    MADV_DONTDUMP, MADV_DODUMP,	 MADV_HUGEPAGE,	  MADV_NOHUGEPAGE};
	static const int kinds[] = {ANON, SHANON, MAP_PRIVATE, MAP_SHARED};

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(2 * P, 'h', O_RDWR);

	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
		bool file = !(kinds[k] & MAP_ANONYMOUS);
		uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, kinds[k], file ? fd : -1, 0);
		long na = tu_native_mmap(0, 2 * P, RW, kinds[k], file ? fd : -1, 0);

		ck_assert_int_gt(na, 0);
		memset((void *)a, 'h', 2 * P);
		for (size_t i = 0; i < sizeof(hints) / sizeof(*hints); i++) {
			long want = native_madvise(na, 2 * P, hints[i]);

			ck_assert_msg(madv(a, 2 * P, hints[i]) == want || tu_under_valgrind(),
				      "kind %#x advice %d: kernel %ld", kinds[k], hints[i], want);
		}
		ck_assert(bytes_are(a, 2 * P, 'h'));
		munmap((void *)na, 2 * P);
		ck_assert_int_eq(mm_munmap(&T.mm, a, 2 * P), 0);
		TU_CHECK(&T.mm);
	}
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_nohugepage_is_the_model_nohugepage_flag)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	uint64_t na = native(2, RW, ANON);
	long want = native_madvise(na, P, MADV_NOHUGEPAGE);

	if (want == -EINVAL) { /* a kernel without transparent huge pages */
		ck_assert_int_eq(madv(a, P, MADV_NOHUGEPAGE), -EINVAL);
	} else {
		ck_assert_int_eq(madv(a, P, MADV_NOHUGEPAGE), 0);
		ck_assert(model_flag(a, MF_STACK) && !model_flag(a + P, MF_STACK));
		ck_assert_int_eq(tu_vmflag(na, "nh"), 1);
		ck_assert_uint_eq(T.mm.count, 2);
		ck_assert_int_eq(madv(a, 2 * P, MADV_HUGEPAGE), 0);
		ck_assert(!model_flag(a, MF_STACK));
		ck_assert_uint_eq(T.mm.count, 1);
	}
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_cold_and_pageout_refuse_locked_mappings)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	uint64_t na = native(1, RW, ANON);

	ck_assert_int_eq(mm_mlock(&T.mm, a, P, 0), 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(sys_mlock((void *)na, P), 0);
	ck_assert_int_eq(madv(a, P, MADV_COLD), -EINVAL);
	ck_assert_int_eq(madv(a, P, MADV_PAGEOUT), -EINVAL);
	ck_assert_int_eq(madv(a, P, MADV_WILLNEED), 0);
	TU_KERNEL_EQ(native_madvise(na, P, MADV_COLD), -EINVAL);
	TU_KERNEL_EQ(native_madvise(na, P, MADV_PAGEOUT), -EINVAL);
	TU_KERNEL_EQ(native_madvise(na, P, MADV_WILLNEED), 0);
	munmap((void *)na, P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_populate_checks_access_and_stops_at_holes)
{
	static const int prots[] = {PROT_NONE, PROT_READ, PROT_WRITE, RW, PROT_EXEC};
	uint64_t a, na;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	for (size_t i = 0; i < sizeof(prots) / sizeof(*prots); i++) {
		uint64_t m = tu_mmap_ok(&T, 0, P, prots[i], ANON, -1, 0);
		uint64_t n = native(1, prots[i], ANON);

		for (int adv = MADV_POPULATE_READ; adv <= MADV_POPULATE_WRITE; adv++) {
			long want = native_madvise(n, P, adv);

			ck_assert_msg(madv(m, P, adv) == want || tu_under_valgrind(),
				      "prot %d advice %d: kernel %ld", prots[i], adv, want);
		}
		munmap((void *)n, P);
	}
	hole_layout(ANON, &a, &na);
	ck_assert_int_eq(madv(a, 5 * P, MADV_POPULATE_WRITE), -ENOMEM);
	TU_KERNEL_EQ(native_madvise(na, 5 * P, MADV_POPULATE_WRITE), -ENOMEM);
	ck_assert_int_eq(madv(a + 2 * P, 2 * P, MADV_POPULATE_READ), -ENOMEM);
	TU_KERNEL_EQ(native_madvise(na + 2 * P, 2 * P, MADV_POPULATE_READ), -ENOMEM);
	hole_layout_free(na);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_populate_write_commits_the_pages)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;

	ck_assert_uint_eq(vmo_committed(vmo), 0);
	ck_assert_int_eq(madv(a, 4 * P, MADV_POPULATE_WRITE), 0);
	ck_assert_uint_eq(vmo_committed(vmo), 4 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_populate_beyond_end_of_file_is_the_kernels_efault)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(P, 'e', O_RDWR);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, MAP_PRIVATE, fd, 0);
	long na = tu_native_mmap(0, 3 * P, RW, MAP_PRIVATE, fd, 0);

	ck_assert_int_eq(madv(a, 3 * P, MADV_POPULATE_READ), -EFAULT);
	TU_KERNEL_EQ(native_madvise(na, 3 * P, MADV_POPULATE_READ), -EFAULT);
	munmap((void *)na, 3 * P);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_collapse_checks_the_mapping_as_linux)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t small = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	uint64_t at = (T.lo + HPAGE - 1) & ~(HPAGE - 1);
	uint64_t big = tu_mmap_ok(&T, at, HPAGE, RW, ANON | MAP_FIXED, -1, 0);
	uint64_t shared = tu_mmap_ok(&T, 0, 4 * P, RW, SHANON, -1, 0);
	uint64_t nsmall = native(4, RW, ANON), nshared = native(4, RW, SHANON);
	uint64_t raw = native(1024, RW, ANON), nbig = (raw + HPAGE - 1) & ~(HPAGE - 1);

	memset((void *)small, 1, P);
	memset((void *)big, 1, HPAGE);
	memset((void *)nsmall, 1, P);
	memset((void *)nbig, 1, HPAGE);
	/* Too small for a huge page: EINVAL (or EINVAL for an unknown advice). */
	ck_assert_int_eq(madv(small, 4 * P, MADV_COLLAPSE), -EINVAL);
	TU_KERNEL_EQ(native_madvise(nsmall, 4 * P, MADV_COLLAPSE), -EINVAL);
	/* Shared anonymous memory is shmem in both: the kernel's policy answers. */
	ck_assert_int_eq(madv(shared, 4 * P, MADV_COLLAPSE),
			 native_madvise(nshared, 4 * P, MADV_COLLAPSE));
	/* A populated aligned 2 MiB: accepted where the kernel collapses it. */
	if (native_madvise(nbig, HPAGE, MADV_COLLAPSE) == 0) {
		ck_assert_int_eq(madv(big, HPAGE, MADV_COLLAPSE), 0);
		ck_assert_int_eq(madv(big, HPAGE, MADV_NOHUGEPAGE), 0);
		ck_assert_int_eq(madv(big, HPAGE, MADV_COLLAPSE), -EINVAL);
		TU_KERNEL_EQ(native_madvise(nbig, HPAGE, MADV_NOHUGEPAGE), 0);
		TU_KERNEL_EQ(native_madvise(nbig, HPAGE, MADV_COLLAPSE), -EINVAL);
	}
	ck_assert(bytes_are(big, HPAGE, 1));
	munmap((void *)nsmall, 4 * P);
	munmap((void *)nshared, 4 * P);
	munmap((void *)raw, 1024 * P);
	tu_mm_teardown(&T);
}
END_TEST

static int no_sys_admin(void *arg)
{
	long *r = arg;
	uint64_t a = mm_first(&T.mm)->start;
	long na = tu_native_mmap(0, P, RW, ANON, -1, 0);

	if (tu_drop_cap(CAP_SYS_ADMIN) < 0)
		return 2;
	r[0] = mm_madvise(&T.mm, a, P, MADV_HWPOISON);
	r[1] = native_madvise(na, P, MADV_HWPOISON);
	r[2] = mm_madvise(&T.mm, a, 0, MADV_HWPOISON);
	r[3] = native_madvise(na, 0, MADV_HWPOISON);
	return 0;
}

START_TEST(test_hwpoison_needs_cap_sys_admin_where_the_kernel_has_it)
{
	long *r = tu_shared(4 * sizeof(long));

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	ck_assert_int_eq(tu_in_child(no_sys_admin, r), 0);
	/* EPERM with CONFIG_MEMORY_FAILURE, else an unknown advice. */
	ck_assert(r[0] == -EPERM || r[0] == -EINVAL);
	ck_assert_int_eq(r[2], r[0] == -EPERM ? 0 : -EINVAL);
	TU_KERNEL_EQ(r[1], r[0]);
	TU_KERNEL_EQ(r[3], r[2]);
	tu_shared_free(r, 4 * sizeof(long));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_failed_pass_through_rolls_the_flags_back)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	uint64_t na = native(1, RW, ANON);
	char *before, *after;

	if (native_madvise(na, P, MADV_NOHUGEPAGE) == 0) {
		before = tu_mm_dump(&T.mm);
		fault_disarm(); /* counts calls from here */
		ck_assert_int_eq(fault_arm("backend.step:nth=1"), 0);
		ck_assert_int_eq(madv(a, P, MADV_NOHUGEPAGE), -ENOMEM);
		fault_disarm();
		after = tu_mm_dump(&T.mm);
		ck_assert_str_eq(after, before);
		ck_assert_uint_eq(T.mm.stats.rollbacks, 1);
		free(before);
		free(after);
	}
	munmap((void *)na, P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_kernel_memory_not_adopted_gets_the_kernels_own_advice)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	struct mm_config c = {.vmar = T.mm.vmar.cfg, .be = &self_backend_ops, .be_ctx = &T.sb};
	uint64_t a = T.lo + 16 * P;
	char text[256];
	int bad = 0;

	/* Private anonymous memory the kernel made, imported from smaps (MF_KERNEL, no VMO). */
	ck_assert_ptr_eq(mmap((void *)a, 4 * P, RW, ANON | MAP_FIXED, -1, 0), (void *)a);
	memset((void *)a, 'k', 4 * P);
	snprintf(text, sizeof(text),
		 "%lx-%lx rw-p 00000000 00:00 0 \nVmFlags: rd wr mr mw me ac \n", (unsigned long)a,
		 (unsigned long)(a + 4 * P));
	mm_destroy(&T.mm);
	ck_assert_int_eq(mm_import(&T.mm, &c, text, &bad), 0);
	TU_CHECK(&T.mm);
	ck_assert(model_flag(a, MF_KERNEL));
	ck_assert_int_eq(madv(a, P, MADV_DONTNEED), 0); /* the kernel zeroes its own memory */
	ck_assert(bytes_are(a, P, 0) && bytes_are(a + P, P, 'k'));
	ck_assert_int_eq(madv(a + P, P, MADV_FREE), 0);
	ck_assert_int_eq(madv(a, P, MADV_REMOVE), -EINVAL);
	ck_assert_int_eq(madv(a + 2 * P, 2 * P, MADV_WIPEONFORK), 0);
	ck_assert(model_flag(a + 2 * P, MF_WIPEONFORK) && !model_flag(a, MF_WIPEONFORK));
	ck_assert(model_flag(a + 2 * P, MF_KERNEL));
	ck_assert_int_eq(madv(a, 2 * P, MADV_COLD), 0);
	ck_assert_int_eq(madv(a, 4 * P, MADV_POPULATE_WRITE), 0);
	ck_assert(bytes_are(a + 3 * P, P, 'k'));
	tu_mm_teardown(&T);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("madvise");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dontneed_zeroes_private_anon);
	tcase_add_test(tc, test_dontneed_keeps_shared_anon_data);
	tcase_add_test(tc, test_dontneed_on_private_file_drops_private_copies);
	tcase_add_test(tc, test_dontneed_on_locked_is_einval_but_dontneed_locked_zeroes);
	tcase_add_test(tc, test_free_private_anon_is_accepted_and_drops);
	tcase_add_test(tc, test_free_on_shared_and_file_mappings_is_einval);
	tcase_add_test(tc, test_remove_errors_follow_the_kind_of_mapping);
	tcase_add_test(tc, test_remove_punches_shared_anon_even_read_only);
	tcase_add_test(tc, test_remove_on_shared_file_punches_the_file);
	tcase_add_test(tc, test_wipeonfork_splits_and_keeponfork_merges_back);
	tcase_add_test(tc, test_wipeonfork_on_shared_or_file_is_einval);
	tcase_add_test(tc, test_dontfork_and_dofork_set_and_clear_the_flag);
	tcase_add_test(tc, test_flag_advice_over_a_hole_changes_both_sides_then_enomem);
	tcase_add_test(tc, test_dontneed_over_a_hole_zeroes_both_sides_then_enomem);
	tcase_add_test(tc, test_refusing_mapping_stops_the_walk_keeping_what_came_before);
	tcase_add_test(tc, test_unknown_advice_is_einval);
	tcase_add_test(tc, test_guard_markers_split_and_zap_private_memory_like_linux);
	tcase_add_test(tc, test_guard_markers_refuse_locked_memory_and_walk_over_holes);
	tcase_add_test(tc, test_guard_markers_survive_the_models_own_remapping);
	tcase_add_test(tc, test_argument_checks_come_in_linux_order);
	tcase_add_test(tc, test_hints_are_accepted_like_the_kernel_accepts_them);
	tcase_add_test(tc, test_nohugepage_is_the_model_nohugepage_flag);
	tcase_add_test(tc, test_cold_and_pageout_refuse_locked_mappings);
	tcase_add_test(tc, test_populate_checks_access_and_stops_at_holes);
	tcase_add_test(tc, test_populate_write_commits_the_pages);
	tcase_add_test(tc, test_populate_beyond_end_of_file_is_the_kernels_efault);
	tcase_add_test(tc, test_collapse_checks_the_mapping_as_linux);
	tcase_add_test(tc, test_hwpoison_needs_cap_sys_admin_where_the_kernel_has_it);
	tcase_add_test(tc, test_failed_pass_through_rolls_the_flags_back);
	tcase_add_test(tc, test_kernel_memory_not_adopted_gets_the_kernels_own_advice);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
