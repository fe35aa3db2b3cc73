/*
 * Unit tests of mm_mmap (mm/mmap.c) with the self backend: placement inside the VMAR, real
 * memory behind the model, MAP_FIXED and its variants, the reserved slot, file mappings, and
 * every error Linux gives, asked of the kernel in the same test where that is cheap (the same
 * call made natively must fail with the same errno).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

#define P    TU_PAGE
#define RW   (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
/* x86-64 TASK_SIZE_MAX with 4-level page tables: the first address no mapping may reach. */
#define TASK_END 0x7ffffffff000ULL

static struct tu_mm T;

/* The kernel's answer to the same call: 0 when it succeeds (the mapping is removed again),
 * else -errno. */
static long kernel_says(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
	long r = tu_native_mmap(addr, len, prot, flags, fd, off);

	if (r < 0 && r >= -4095)
		return r;
	munmap((void *)r, len);
	return 0;
}

static int all_bytes(const void *p, size_t len, int byte)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i] != (unsigned char)byte)
			return 0;
	return 1;
}

/* The model refuses the call with err, changes nothing, and the kernel agrees. */
static void refused_like_kernel(uint64_t addr, uint64_t len, int prot, int flags, int fd,
				uint64_t off, long err)
{
	uint64_t count = T.mm.count;
	long r = mm_mmap(&T.mm, addr, len, prot, flags, fd, off);

	ck_assert_msg(r == err, "model: %ld (%s), want %ld (%s)", r, strerror((int)-r), err,
		      strerror((int)-err));
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, count);
	TU_KERNEL_EQ(kernel_says(addr ? tu_native_free_range(len ? len : P) + (addr & (P - 1)) : 0,
				 len, prot, flags, fd, off),
		     err);
}

START_TEST(test_anon_private_is_inside_vmar_usable_and_zero)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, true);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	char *p = (char *)a;
	struct mapping *m = mm_find(&T.mm, a);

	ck_assert_uint_eq(a % P, 0);
	ck_assert(all_bytes(p, 3 * P, 0));
	memset(p, 'x', 3 * P);
	ck_assert(all_bytes(p, 3 * P, 'x'));
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->start, a);
	ck_assert_uint_eq(m->end, a + 3 * P);
	ck_assert_int_eq(m->kind, MK_ANON);
	ck_assert_uint_eq(m->flags & MF_SHARED, 0);
	ck_assert_uint_eq(T.mm.data_pages, 3);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_anon_private_writes_land_in_its_vmo)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	struct mapping *m = mm_find(&T.mm, a);
	char c = 0;

	ck_assert_uint_eq(vmo_get_size(m->vmo), 2 * P);
	ck_assert_uint_eq(m->off, 0);
	((char *)a)[P + 5] = 'q';
	ck_assert_int_eq(vmo_read(m->vmo, &c, P + 5, 1), 0);
	ck_assert_int_eq(c, 'q');
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_anon_shared_is_inside_vmar_usable_and_zero)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, true);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mapping *m = mm_find(&T.mm, a);

	ck_assert(all_bytes((void *)a, 2 * P, 0));
	memset((void *)a, 's', 2 * P);
	ck_assert(all_bytes((void *)a, 2 * P, 's'));
	ck_assert_int_eq(m->kind, MK_ANON);
	ck_assert_uint_eq(m->flags & MF_SHARED, MF_SHARED);
	ck_assert_uint_eq(T.mm.data_pages, 0); /* shared memory is not data (is_data_mapping) */
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_each_anon_mapping_gets_its_own_vmo)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t live = tu_live_vmos();
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	uint64_t b = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);

	ck_assert_uint_ne(a, b);
	ck_assert_uint_ne(vmo_koid(mm_find(&T.mm, a)->vmo), vmo_koid(mm_find(&T.mm, b)->vmo));
	ck_assert_uint_eq(tu_live_vmos(), live + 2);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_fixed_over_existing_discards_old_content)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t live = tu_live_vmos();
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	uint64_t old = vmo_koid(mm_find(&T.mm, a)->vmo);

	memset((void *)a, 'o', 3 * P);
	ck_assert_uint_eq(tu_mmap_ok(&T, a, 3 * P, RW, ANON | MAP_FIXED, -1, 0), a);
	ck_assert(all_bytes((void *)a, 3 * P, 0));
	ck_assert_uint_ne(vmo_koid(mm_find(&T.mm, a)->vmo), old);
	ck_assert_uint_eq(T.mm.count, 1);
	ck_assert_uint_eq(tu_live_vmos(), live + 1); /* the replaced VMO is gone */
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_fixed_over_middle_keeps_both_sides)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	char *p = (char *)a;

	memset(p, 'A', P);
	memset(p + P, 'B', P);
	memset(p + 2 * P, 'C', P);
	ck_assert_uint_eq(tu_mmap_ok(&T, a + P, P, PROT_READ, ANON | MAP_FIXED, -1, 0), a + P);
	ck_assert(all_bytes(p, P, 'A'));
	ck_assert(all_bytes(p + P, P, 0));
	ck_assert(all_bytes(p + 2 * P, P, 'C'));
	ck_assert_uint_eq(T.mm.count, 3);
	ck_assert_int_eq(mm_find(&T.mm, a + P)->prot, PROT_READ);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_fixed_noreplace_over_existing_is_eexist)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	char *dump, *after;
	long n;

	((char *)a)[0] = 'k';
	dump = tu_mm_dump(&T.mm);
	ck_assert_int_eq(mm_mmap(&T.mm, a - P, 2 * P, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
			 -EEXIST);
	TU_CHECK(&T.mm);
	after = tu_mm_dump(&T.mm);
	ck_assert_str_eq(after, dump);
	ck_assert_int_eq(((char *)a)[0], 'k');
	/* The kernel: the same over a native mapping. */
	n = tu_native_mmap(0, 2 * P, RW, ANON, -1, 0);
	ck_assert_int_gt(n, 0);
	TU_KERNEL_EQ(kernel_says((uint64_t)n + P, 2 * P, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
		     -EEXIST);
	munmap((void *)n, 2 * P);
	free(dump);
	free(after);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_fixed_noreplace_on_free_range_maps_there)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t want = T.lo + 5 * P;

	ck_assert_uint_eq(tu_mmap_ok(&T, want, P, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), want);
	ck_assert_ptr_nonnull(mm_find(&T.mm, want));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_hint_is_honoured_when_free)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, true);
	uint64_t hint = T.lo + (1ULL << 20);

	ck_assert_uint_eq(tu_mmap_ok(&T, hint, 2 * P, RW, ANON, -1, 0), hint);
	/* An unaligned hint is rounded down to its page. */
	ck_assert_uint_eq(tu_mmap_ok(&T, hint + 4 * P + 123, P, RW, ANON, -1, 0), hint + 4 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_hint_over_a_mapping_places_elsewhere)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	uint64_t b;

	memset((void *)a, 'a', 2 * P);
	b = tu_mmap_ok(&T, a, 2 * P, RW, ANON, -1, 0);
	ck_assert_uint_ne(b, a);
	ck_assert(b + 2 * P <= a || b >= a + 2 * P);
	ck_assert(all_bytes((void *)a, 2 * P, 'a'));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_placement_without_aslr_is_top_down)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	ck_assert_uint_eq(tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0), T.hi - 2 * P);
	ck_assert_uint_eq(tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0), T.hi - 3 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_len_zero_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	refused_like_kernel(0, 0, RW, ANON, -1, 0, -EINVAL);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unaligned_fixed_address_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	refused_like_kernel(T.lo + P + 1, P, RW, ANON | MAP_FIXED, -1, 0, -EINVAL);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unaligned_offset_is_einval)
{
	int fd = tu_tmpfile(2 * P, 'f', O_RDWR);

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	refused_like_kernel(0, P, PROT_READ, MAP_PRIVATE, fd, 100, -EINVAL);
	refused_like_kernel(0, P, PROT_READ, ANON, -1, 100, -EINVAL);
	tu_mm_teardown(&T);
	close(fd);
}
END_TEST

START_TEST(test_no_mapping_type_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	refused_like_kernel(0, P, RW, MAP_ANONYMOUS, -1, 0, -EINVAL);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_anon_shared_validate_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	refused_like_kernel(0, P, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0, -EINVAL);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_growsdown_shared_is_einval)
{
	int fd = tu_tmpfile(P, 'f', O_RDWR);

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	refused_like_kernel(0, P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0, -EINVAL);
	refused_like_kernel(0, P, RW, MAP_SHARED | MAP_GROWSDOWN, fd, 0, -EINVAL);
	tu_mm_teardown(&T);
	close(fd);
}
END_TEST

START_TEST(test_bad_fd_is_ebadf)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(P, 'f', O_RDWR);

	close(fd); /* now a number that names nothing */
	refused_like_kernel(0, P, PROT_READ, MAP_PRIVATE, -1, 0, -EBADF);
	refused_like_kernel(0, P, PROT_READ, MAP_PRIVATE, fd, 0, -EBADF);
	refused_like_kernel(0, 0, PROT_READ, MAP_SHARED, fd, 0, -EBADF); /* before len */
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_write_only_file_is_eacces)
{
	int fd = tu_tmpfile(P, 'f', O_WRONLY);

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	refused_like_kernel(0, P, PROT_READ, MAP_PRIVATE, fd, 0, -EACCES);
	refused_like_kernel(0, P, PROT_WRITE, MAP_SHARED, fd, 0, -EACCES);
	tu_mm_teardown(&T);
	close(fd);
}
END_TEST

START_TEST(test_shared_writable_on_read_only_file_is_eacces)
{
	int fd = tu_tmpfile(P, 'f', O_RDONLY);

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	refused_like_kernel(0, P, RW, MAP_SHARED, fd, 0, -EACCES);
	/* Private writable is copy-on-write: allowed. */
	TU_KERNEL_EQ(kernel_says(0, P, RW, MAP_PRIVATE, fd, 0), 0);
	tu_mmap_ok(&T, 0, P, RW, MAP_PRIVATE, fd, 0);
	tu_mm_teardown(&T);
	close(fd);
}
END_TEST

START_TEST(test_directory_is_enodev)
{
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	refused_like_kernel(0, P, PROT_READ, MAP_PRIVATE, fd, 0, -ENODEV);
	refused_like_kernel(0, P, PROT_READ, MAP_SHARED, fd, 0, -ENODEV);
	tu_mm_teardown(&T);
	close(fd);
}
END_TEST

START_TEST(test_offset_beyond_max_file_size_is_eoverflow)
{
	int fd = tu_tmpfile(P, 'f', O_RDWR);

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	/* file_mmap_ok(): the last page of a regular file is at MAX_LFS_FILESIZE. */
	refused_like_kernel(0, 2 * P, PROT_READ, MAP_PRIVATE, fd, 0x7ffffffffffff000ULL,
			    -EOVERFLOW);
	tu_mm_teardown(&T);
	close(fd);
}
END_TEST

START_TEST(test_huge_length_is_enomem)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	refused_like_kernel(0, 1ULL << 47, RW, ANON, -1, 0, -ENOMEM);
	refused_like_kernel(0, UINT64_MAX - 100, RW, ANON, -1, 0, -ENOMEM); /* aligns to 0 */
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_fixed_beyond_task_size_is_enomem)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	ck_assert_int_eq(mm_mmap(&T.mm, TASK_END, P, RW, ANON | MAP_FIXED, -1, 0), -ENOMEM);
	ck_assert_int_eq(mm_mmap(&T.mm, TASK_END - P, 2 * P, RW, ANON | MAP_FIXED, -1, 0), -ENOMEM);
	TU_CHECK(&T.mm);
	TU_KERNEL_EQ(kernel_says(TASK_END, P, RW, ANON | MAP_FIXED, -1, 0), -ENOMEM);
	TU_KERNEL_EQ(kernel_says(TASK_END - P, 2 * P, RW, ANON | MAP_FIXED, -1, 0), -ENOMEM);
	ck_assert_uint_eq(T.mm.count, 0);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_full_vmar_is_enomem)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t live = tu_live_vmos();

	ck_assert_int_eq(mm_mmap(&T.mm, 0, TU_REGION + P, RW, ANON, -1, 0), -ENOMEM);
	TU_CHECK(&T.mm);
	tu_mmap_ok(&T, 0, TU_REGION - P, RW, ANON, -1, 0);
	ck_assert_int_eq(mm_mmap(&T.mm, 0, 2 * P, RW, ANON, -1, 0), -ENOMEM);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 1);
	ck_assert_uint_eq(tu_live_vmos(), live + 1);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_fixed_outside_vmar_is_enomem)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	ck_assert_int_eq(mm_mmap(&T.mm, T.hi - P, 2 * P, RW, ANON | MAP_FIXED, -1, 0), -ENOMEM);
	ck_assert_int_eq(mm_mmap(&T.mm, T.lo - P, P, RW, ANON | MAP_FIXED, -1, 0), -ENOMEM);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 0);
	tu_mm_teardown(&T);
}
END_TEST

/* A tmpfs file (shmem: no MAP_SYNC support, no DAX) of one page. */
static int tmpfs_file(void)
{
	int fd = memfd_create("starmm-test", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)P), 0);
	return fd;
}

START_TEST(test_shared_validate_unknown_flag_on_file_is_eopnotsupp)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tmpfs_file();

	refused_like_kernel(0, P, RW, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0, -EOPNOTSUPP);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_plain_shared_ignores_unknown_flag)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tmpfs_file();

	TU_KERNEL_EQ(kernel_says(0, P, RW, MAP_SHARED | MAP_SYNC, fd, 0), 0);
	tu_mmap_ok(&T, 0, P, RW, MAP_SHARED | MAP_SYNC, fd, 0);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

/* MAP_SYNC outside MAP_SHARED_VALIDATE still reaches the filesystem as VM_SYNC
 * (calc_vm_flag_bits runs on the unmasked flags, for MAP_SHARED and MAP_PRIVATE alike): a
 * filesystem that knows MAP_SYNC (ext4, xfs) refuses it on a file that is not DAX, with
 * EOPNOTSUPP. The model must answer what the kernel answers for the same file. */
START_TEST(test_map_sync_on_file_answers_as_the_kernel)
{
	static const int types[] = {MAP_SHARED, MAP_PRIVATE};

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(P, 'f', O_RDWR);
	char msg[256] = "";
	long k[2], m[2];

	for (int i = 0; i < 2; i++) {
		k[i] = kernel_says(0, P, RW, types[i] | MAP_SYNC, fd, 0);
		m[i] = mm_mmap(&T.mm, 0, P, RW, types[i] | MAP_SYNC, fd, 0);
		TU_CHECK(&T.mm);
		m[i] = m[i] < 0 ? m[i] : 0;
	}
	close(fd);
	snprintf(msg, sizeof(msg),
		 "on this file's filesystem: MAP_SHARED|MAP_SYNC model %ld kernel %ld, "
		 "MAP_PRIVATE|MAP_SYNC model %ld kernel %ld",
		 m[0], k[0], m[1], k[1]);
	if (!tu_under_valgrind())
		ck_assert_msg(m[0] == k[0] && m[1] == k[1], "%s", msg);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_shared_validate_fixed_noreplace_on_file_is_eopnotsupp)
{
	int fd = tu_tmpfile(P, 'f', O_RDWR);

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	refused_like_kernel(T.lo + 4 * P, P, RW, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, fd, 0,
			    -EOPNOTSUPP);
	tu_mm_teardown(&T);
	close(fd);
}
END_TEST

#define SLOT_OFF  (8ULL << 20)
#define SLOT_SIZE (64ULL << 10)

START_TEST(test_fixed_touching_slot_is_enomem)
{
	struct tu_mm_opts o = {.slot_off = SLOT_OFF, .slot_size = SLOT_SIZE};

	tu_mm_setup_opts(&T, &o);
	uint64_t slot = T.lo + SLOT_OFF;

	ck_assert_int_eq(mm_mmap(&T.mm, slot, P, RW, ANON | MAP_FIXED, -1, 0), -ENOMEM);
	ck_assert_int_eq(mm_mmap(&T.mm, slot - P, 2 * P, RW, ANON | MAP_FIXED, -1, 0), -ENOMEM);
	ck_assert_int_eq(mm_mmap(&T.mm, slot + SLOT_SIZE - P, 2 * P, RW, ANON | MAP_FIXED, -1, 0),
			 -ENOMEM);
	ck_assert_int_eq(mm_mmap(&T.mm, slot, P, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), -ENOMEM);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 0);
	/* Right next to it on either side is fine. */
	tu_mmap_ok(&T, slot - P, P, RW, ANON | MAP_FIXED, -1, 0);
	tu_mmap_ok(&T, slot + SLOT_SIZE, P, RW, ANON | MAP_FIXED, -1, 0);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_placement_never_uses_slot)
{
	struct tu_mm_opts o = {.slot_off = SLOT_OFF, .slot_size = SLOT_SIZE};
	int n = 0;

	tu_mm_setup_opts(&T, &o);
	uint64_t slot = T.lo + SLOT_OFF;

	for (;;) {
		long a = mm_mmap(&T.mm, 0, 1ULL << 20, RW, ANON, -1, 0);

		TU_CHECK(&T.mm);
		if (a < 0) {
			ck_assert_int_eq(a, -ENOMEM);
			break;
		}
		ck_assert((uint64_t)a + (1ULL << 20) <= slot || (uint64_t)a >= slot + SLOT_SIZE);
		n++;
	}
	/* 8 MiB below the slot, 8 MiB - 64 KiB above it: 15 whole MiBs fit. */
	ck_assert_int_eq(n, 15);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_shared_file_writes_reach_the_file)
{
	int fd = tu_tmpfile(2 * P, 'f', O_RDWR);
	char c = 0;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, MAP_SHARED, fd, 0);
	struct mapping *m = mm_find(&T.mm, a);

	ck_assert_int_eq(m->kind, MK_FILE);
	ck_assert_uint_eq(m->flags & MF_SHARED, MF_SHARED);
	ck_assert(all_bytes((void *)a, 2 * P, 'f'));
	((char *)a)[P + 7] = 'S';
	ck_assert_int_eq(pread(fd, &c, 1, (off_t)P + 7), 1);
	ck_assert_int_eq(c, 'S');
	tu_mm_teardown(&T);
	close(fd);
}
END_TEST

START_TEST(test_private_file_writes_stay_private)
{
	int fd = tu_tmpfile(2 * P, 'f', O_RDWR);
	char c = 0;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, MAP_PRIVATE, fd, P);
	struct mapping *m = mm_find(&T.mm, a);

	ck_assert_int_eq(m->kind, MK_FILE);
	ck_assert_uint_eq(m->off, P);
	ck_assert(all_bytes((void *)a, P, 'f'));
	((char *)a)[7] = 'P';
	ck_assert_int_eq(((char *)a)[7], 'P');
	ck_assert_int_eq(pread(fd, &c, 1, (off_t)P + 7), 1);
	ck_assert_int_eq(c, 'f');
	tu_mm_teardown(&T);
	close(fd);
}
END_TEST

START_TEST(test_shared_read_only_file_cannot_become_writable)
{
	int fd = tu_tmpfile(P, 'f', O_RDONLY);
	long n;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, PROT_READ, MAP_SHARED, fd, 0);

	ck_assert_int_eq(mm_find(&T.mm, a)->max_prot & PROT_WRITE, 0);
	ck_assert_int_eq(mm_mprotect(&T.mm, a, P, RW), -EACCES);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(mm_find(&T.mm, a)->prot, PROT_READ);
	n = tu_native_mmap(0, P, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_int_gt(n, 0);
	TU_KERNEL_EQ(tu_sys(mprotect((void *)n, P, RW)), -EACCES);
	munmap((void *)n, P);
	tu_mm_teardown(&T);
	close(fd);
}
END_TEST

START_TEST(test_growsdown_is_recorded_and_not_data)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON | MAP_GROWSDOWN, -1, 0);
	struct mapping *m = mm_find(&T.mm, a);

	ck_assert_uint_eq(m->flags & MF_GROWSDOWN, MF_GROWSDOWN);
	ck_assert_uint_eq(T.mm.data_pages, 0); /* VM_GROWSDOWN is VM_STACK: not data */
	memset((void *)a, 'g', 4 * P);
	tu_mm_teardown(&T);
}
END_TEST

/* Linux keeps the guard gap below a growsdown mapping for automatic placement only:
 * MAP_FIXED may map right below it. */
START_TEST(test_fixed_inside_guard_gap_below_growsdown_is_allowed)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t g = T.lo + (8ULL << 20);
	long n;

	tu_mmap_ok(&T, g, 4 * P, RW, ANON | MAP_GROWSDOWN | MAP_FIXED, -1, 0);
	ck_assert_uint_eq(tu_mmap_ok(&T, g - P, P, RW, ANON | MAP_FIXED, -1, 0), g - P);
	/* The kernel: a growsdown mapping with free room below it, then a page right below. */
	n = tu_native_mmap(0, 16 * P, PROT_NONE, ANON, -1, 0);
	ck_assert_int_gt(n, 0);
	munmap((void *)n, 8 * P);
	ck_assert_int_eq(
	    tu_native_mmap((uint64_t)n + 8 * P, 8 * P, RW, ANON | MAP_GROWSDOWN | MAP_FIXED, -1, 0),
	    n + 8 * (long)P);
	TU_KERNEL_EQ(kernel_says((uint64_t)n + 7 * P, P, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), 0);
	munmap((void *)n, 16 * P);
	tu_mm_teardown(&T);
}
END_TEST

/* A hint is honoured only below the guard gap of a growsdown mapping above it (Linux:
 * addr + len <= vm_start_gap(next)); the gap survives a partial unmap of the mapping. */
START_TEST(test_hint_inside_guard_gap_below_growsdown_is_not_honoured)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t g = T.lo + (8ULL << 20), gap = 256 * P;
	uint64_t b;
	long n, k;

	tu_mmap_ok(&T, g, 4 * P, RW, ANON | MAP_GROWSDOWN | MAP_FIXED, -1, 0);
	b = tu_mmap_ok(&T, g - 2 * P, P, RW, ANON, -1, 0);
	ck_assert_msg(b + P <= g - gap || b >= g + 4 * P, "placed at %#lx, in the guard gap",
		      (unsigned long)b);
	ck_assert_uint_eq(tu_mmap_ok(&T, g - gap - P, P, RW, ANON, -1, 0), g - gap - P);
	ck_assert_int_eq(mm_munmap(&T.mm, g, P), 0); /* the growsdown mapping's bottom page */
	TU_CHECK(&T.mm);
	b = tu_mmap_ok(&T, g - P, P, RW, ANON, -1, 0);
	ck_assert_msg(b + P <= g + P - gap || b >= g + 4 * P, "placed at %#lx, in the guard gap",
		      (unsigned long)b);
	/* The kernel: a hint just below a native growsdown mapping is not taken either. */
	n = tu_native_mmap(0, (512 + 4) * P, PROT_NONE, ANON, -1, 0);
	ck_assert_int_gt(n, 0);
	munmap((void *)n, 512 * P);
	ck_assert_int_eq(tu_native_mmap((uint64_t)n + 512 * P, 4 * P, RW,
					ANON | MAP_GROWSDOWN | MAP_FIXED, -1, 0),
			 n + 512 * (long)P);
	k = tu_native_mmap((uint64_t)n + 510 * P, P, RW, ANON, -1, 0);
	ck_assert_int_gt(k, 0);
	if (!tu_under_valgrind())
		ck_assert_int_ne(k, n + 510 * (long)P);
	munmap((void *)k, P);
	munmap((void *)(n + 512 * (long)P), 4 * P);
	tu_mm_teardown(&T);
}
END_TEST

/* Anonymous memory may always be executable on Linux, whatever backs it here. */
START_TEST(test_anon_exec_mapping_is_allowed)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, PROT_READ | PROT_EXEC, ANON, -1, 0);
	uint64_t b = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	struct tu_map line;

	ck_assert_int_eq(tu_map_at(a, &line), 0);
	ck_assert_str_eq(line.perms, "r-xs");
	ck_assert_int_eq(mm_mprotect(&T.mm, b, P, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(tu_map_at(b, &line), 0);
	ck_assert_str_eq(line.perms, "rwxs");
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_o_path_fd_is_ebadf)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = open("/tmp", O_PATH | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	refused_like_kernel(0, P, PROT_READ, MAP_PRIVATE, fd, 0, -EBADF);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

/* Character devices: /dev/zero maps (private: zero anonymous memory), /dev/null has no mmap.
 * The model cannot know a driver: the kernel's answer comes back through the backend. */
START_TEST(test_char_devices_answer_as_the_kernel)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int zero = open("/dev/zero", O_RDWR | O_CLOEXEC),
	    null = open("/dev/null", O_RDWR | O_CLOEXEC);
	uint64_t a;
	long k, m;

	ck_assert_int_ge(zero, 0);
	ck_assert_int_ge(null, 0);
	a = tu_mmap_ok(&T, 0, 2 * P, RW, MAP_PRIVATE, zero, 0);
	ck_assert(all_bytes((void *)a, 2 * P, 0));
	memset((void *)a, 'z', 2 * P);
	k = kernel_says(0, P, RW, MAP_PRIVATE, null, 0);
	m = mm_mmap(&T.mm, 0, P, RW, MAP_PRIVATE, null, 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(m < 0 ? m : 0, k);
	close(zero);
	close(null);
	tu_mm_teardown(&T);
}
END_TEST

/* The results a child reports for a limit test: model and kernel, per call. */
struct limit_res {
	long model[4], kernel[4];
	int checked;
	char msg[256];
};

static int check_in_child(struct limit_res *r)
{
	int e = mm_check(&T.mm, r->msg, sizeof(r->msg));

	r->checked = 1;
	return e ? 1 : 0;
}

static int data_limit_child(void *arg)
{
	struct limit_res *r = arg;
	uint64_t have = tu_vm_data_pages();
	struct rlimit rl;

	getrlimit(RLIMIT_DATA, &rl);
	rl.rlim_cur = (have + 512) * P;
	if (setrlimit(RLIMIT_DATA, &rl) < 0)
		return 2;
	T.mm.ext_data_pages = have; /* the process's own data, as the kernel counts it */
	r->model[0] = mm_mmap(&T.mm, 0, 1024 * P, RW, ANON, -1, 0);
	r->model[1] = mm_mmap(&T.mm, 0, 1024 * P, PROT_READ, ANON, -1, 0);
	r->model[2] = mm_mmap(&T.mm, 0, 1024 * P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	r->model[3] = mm_mmap(&T.mm, 0, 16 * P, RW, ANON, -1, 0);
	r->kernel[0] = kernel_says(0, 1024 * P, RW, ANON, -1, 0);
	r->kernel[1] = kernel_says(0, 1024 * P, PROT_READ, ANON, -1, 0);
	r->kernel[2] = kernel_says(0, 1024 * P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	r->kernel[3] = kernel_says(0, 16 * P, RW, ANON, -1, 0);
	return check_in_child(r);
}

START_TEST(test_data_rlimit_refuses_private_writable_mapping)
{
	struct limit_res *r = tu_shared(sizeof(*r));

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	ck_assert_int_eq(tu_in_child(data_limit_child, r), 0);
	ck_assert_msg(r->checked, "the child did not run");
	ck_assert_int_eq(r->model[0], -ENOMEM);
	ck_assert_int_gt(r->model[1], 0);
	ck_assert_int_gt(r->model[2], 0);
	ck_assert_int_gt(r->model[3], 0);
	if (!tu_under_valgrind()) /* valgrind keeps RLIMIT_DATA to itself */
		for (int i = 0; i < 4; i++)
			ck_assert_msg((r->model[i] < 0 ? r->model[i] : 0) == r->kernel[i],
				      "call %d: model %ld, kernel %ld", i, r->model[i],
				      r->kernel[i]);
	tu_shared_free(r, sizeof(*r));
	tu_mm_teardown(&T);
}
END_TEST

struct memlock_arg {
	struct limit_res r;
	bool drop;
	uint64_t limit;
};

static int memlock_child(void *arg)
{
	struct memlock_arg *a = arg;
	struct limit_res *r = &a->r;
	struct rlimit rl;

	getrlimit(RLIMIT_MEMLOCK, &rl);
	rl.rlim_cur = a->limit;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return 2;
	if (a->drop && tu_drop_cap(CAP_IPC_LOCK) < 0)
		return 3;
	r->model[0] = mm_mmap(&T.mm, 0, 256 * P, RW, ANON | MAP_LOCKED, -1, 0);
	r->model[1] = mm_mmap(&T.mm, 0, 4 * P, RW, ANON | MAP_LOCKED, -1, 0);
	r->kernel[0] = kernel_says(0, 256 * P, RW, ANON | MAP_LOCKED, -1, 0);
	r->kernel[1] = kernel_says(0, 4 * P, RW, ANON | MAP_LOCKED, -1, 0);
	return check_in_child(r);
}

static struct memlock_arg *run_memlock(bool drop, uint64_t limit)
{
	struct memlock_arg *a = tu_shared(sizeof(*a));

	a->drop = drop;
	a->limit = limit;
	ck_assert_int_eq(tu_in_child(memlock_child, a), 0);
	ck_assert_msg(a->r.checked, "the child did not run");
	for (int i = 0; i < 2 && !tu_under_valgrind(); i++)
		ck_assert_msg((a->r.model[i] < 0 ? a->r.model[i] : 0) == a->r.kernel[i],
			      "call %d: model %ld, kernel %ld", i, a->r.model[i], a->r.kernel[i]);
	return a;
}

START_TEST(test_locked_beyond_memlock_rlimit_is_eagain_without_cap_ipc_lock)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	struct memlock_arg *a = run_memlock(true, 64 << 10);

	ck_assert_int_eq(a->r.model[0], -EAGAIN);
	ck_assert_int_gt(a->r.model[1], 0);
	tu_shared_free(a, sizeof(*a));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_locked_beyond_memlock_rlimit_is_allowed_with_cap_ipc_lock)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	struct memlock_arg *a = run_memlock(false, 64 << 10);

	ck_assert_int_gt(a->r.model[0], 0);
	ck_assert_int_gt(a->r.model[1], 0);
	tu_shared_free(a, sizeof(*a));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_locked_with_zero_memlock_rlimit_is_eperm_without_cap_ipc_lock)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	struct memlock_arg *a = run_memlock(true, 0);

	ck_assert_int_eq(a->r.model[0], -EPERM);
	ck_assert_int_eq(a->r.model[1], -EPERM);
	tu_shared_free(a, sizeof(*a));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_locked_mapping_is_counted_as_locked)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON | MAP_LOCKED, -1, 0);

	ck_assert_uint_eq(mm_find(&T.mm, a)->flags & MF_LOCKED, MF_LOCKED);
	ck_assert_uint_eq(T.mm.locked_pages, 4);
	tu_mm_teardown(&T);
}
END_TEST

/* MAP_HUGETLB: the answer depends on the huge page pool (empty here: ENOMEM). */
START_TEST(test_hugetlb_answers_as_the_kernel)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t live = tu_live_vmos();
	long k = kernel_says(0, 2ULL << 20, RW, ANON | MAP_HUGETLB, -1, 0);
	long m = mm_mmap(&T.mm, 0, 2ULL << 20, RW, ANON | MAP_HUGETLB, -1, 0);

	TU_CHECK(&T.mm);
	if (!tu_under_valgrind())
		ck_assert_msg((m < 0 ? m : 0) == k, "model %ld, kernel %ld", m, k);
	if (m < 0)
		ck_assert_uint_eq(tu_live_vmos(), live);
	tu_mm_teardown(&T);
}
END_TEST

#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif

START_TEST(test_droppable_answers_as_the_kernel)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(P, 'f', O_RDWR);
	long k = kernel_says(0, P, RW, MAP_DROPPABLE | MAP_ANONYMOUS, -1, 0);
	long m = mm_mmap(&T.mm, 0, P, RW, MAP_DROPPABLE | MAP_ANONYMOUS, -1, 0);

	TU_CHECK(&T.mm);
	if (!tu_under_valgrind())
		ck_assert_msg((m < 0 ? m : 0) == k, "anon: model %ld, kernel %ld", m, k);
	refused_like_kernel(0, P, RW, MAP_DROPPABLE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0,
			    -EINVAL);
	refused_like_kernel(0, P, RW, MAP_DROPPABLE, fd, 0, -EINVAL); /* not for files */
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mmap");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_anon_private_is_inside_vmar_usable_and_zero);
	tcase_add_test(tc, test_anon_private_writes_land_in_its_vmo);
	tcase_add_test(tc, test_anon_shared_is_inside_vmar_usable_and_zero);
	tcase_add_test(tc, test_each_anon_mapping_gets_its_own_vmo);
	tcase_add_test(tc, test_fixed_over_existing_discards_old_content);
	tcase_add_test(tc, test_fixed_over_middle_keeps_both_sides);
	tcase_add_test(tc, test_fixed_noreplace_over_existing_is_eexist);
	tcase_add_test(tc, test_fixed_noreplace_on_free_range_maps_there);
	tcase_add_test(tc, test_hint_is_honoured_when_free);
	tcase_add_test(tc, test_hint_over_a_mapping_places_elsewhere);
	tcase_add_test(tc, test_placement_without_aslr_is_top_down);
	tcase_add_test(tc, test_len_zero_is_einval);
	tcase_add_test(tc, test_unaligned_fixed_address_is_einval);
	tcase_add_test(tc, test_unaligned_offset_is_einval);
	tcase_add_test(tc, test_no_mapping_type_is_einval);
	tcase_add_test(tc, test_anon_shared_validate_is_einval);
	tcase_add_test(tc, test_growsdown_shared_is_einval);
	tcase_add_test(tc, test_bad_fd_is_ebadf);
	tcase_add_test(tc, test_write_only_file_is_eacces);
	tcase_add_test(tc, test_shared_writable_on_read_only_file_is_eacces);
	tcase_add_test(tc, test_directory_is_enodev);
	tcase_add_test(tc, test_offset_beyond_max_file_size_is_eoverflow);
	tcase_add_test(tc, test_huge_length_is_enomem);
	tcase_add_test(tc, test_fixed_beyond_task_size_is_enomem);
	tcase_add_test(tc, test_full_vmar_is_enomem);
	tcase_add_test(tc, test_fixed_outside_vmar_is_enomem);
	tcase_add_test(tc, test_shared_validate_unknown_flag_on_file_is_eopnotsupp);
	tcase_add_test(tc, test_plain_shared_ignores_unknown_flag);
	tcase_add_test(tc, test_map_sync_on_file_answers_as_the_kernel);
	tcase_add_test(tc, test_shared_validate_fixed_noreplace_on_file_is_eopnotsupp);
	tcase_add_test(tc, test_fixed_touching_slot_is_enomem);
	tcase_add_test(tc, test_placement_never_uses_slot);
	tcase_add_test(tc, test_shared_file_writes_reach_the_file);
	tcase_add_test(tc, test_private_file_writes_stay_private);
	tcase_add_test(tc, test_shared_read_only_file_cannot_become_writable);
	tcase_add_test(tc, test_growsdown_is_recorded_and_not_data);
	tcase_add_test(tc, test_anon_exec_mapping_is_allowed);
	tcase_add_test(tc, test_o_path_fd_is_ebadf);
	tcase_add_test(tc, test_char_devices_answer_as_the_kernel);
	tcase_add_test(tc, test_fixed_inside_guard_gap_below_growsdown_is_allowed);
	tcase_add_test(tc, test_hint_inside_guard_gap_below_growsdown_is_not_honoured);
	tcase_add_test(tc, test_data_rlimit_refuses_private_writable_mapping);
	tcase_add_test(tc, test_locked_beyond_memlock_rlimit_is_eagain_without_cap_ipc_lock);
	tcase_add_test(tc, test_locked_beyond_memlock_rlimit_is_allowed_with_cap_ipc_lock);
	tcase_add_test(tc, test_locked_with_zero_memlock_rlimit_is_eperm_without_cap_ipc_lock);
	tcase_add_test(tc, test_locked_mapping_is_counted_as_locked);
	tcase_add_test(tc, test_hugetlb_answers_as_the_kernel);
	tcase_add_test(tc, test_droppable_answers_as_the_kernel);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
