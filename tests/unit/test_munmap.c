/*
 * Unit tests of mm_munmap (mm/munmap.c) with the self backend: the design note's middle unmap
 * under both split policies, head and tail trims, the rule that a VMO another mapping still
 * uses is decommitted instead of shrunk, ranges across mappings and holes, and the errors,
 * asked of the kernel in the same test where that is cheap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

#define P    TU_PAGE
#define RW   (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static struct tu_mm T;

static int all_bytes(const void *p, size_t len, int byte)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i] != (unsigned char)byte)
			return 0;
	return 1;
}

/* Every byte of [off, off + len) of vmo is `byte`. */
static int vmo_bytes(struct vmo *vmo, uint64_t off, uint64_t len, int byte)
{
	char *buf = malloc(len);
	int ok;

	ck_assert_int_eq(vmo_read(vmo, buf, off, len), 0);
	ok = all_bytes(buf, len, byte);
	free(buf);
	return ok;
}

/* n pages at addr, page i filled with 'A' + i. */
static void fill_pages(uint64_t addr, int n)
{
	for (int i = 0; i < n; i++)
		memset((char *)addr + i * P, 'A' + i, P);
}

static uint64_t snapshots(void)
{
	struct vmo_stats st;

	vmo_stats_get(&st);
	return st.snapshots;
}

static unsigned long inode_of(struct vmo *vmo)
{
	struct stat st;

	ck_assert_int_eq(fstat(vmo_fd(vmo), &st), 0);
	return (unsigned long)st.st_ino;
}

/* Whether the kernel shows a self backend placeholder (the model's hole) at addr. */
static int is_hole(uint64_t addr)
{
	struct tu_map m;

	return tu_map_at(addr, &m) == 0 && strstr(m.path, SELF_HOLE_NAME) != NULL;
}

START_TEST(test_middle_unmap_snapshot_moves_top_to_child_and_shrinks_original)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	uint64_t koid = vmo_koid(mm_find(&T.mm, a)->vmo), snaps = snapshots();
	struct mapping *bottom, *top;
	struct tu_map line;
	char c;

	fill_pages(a, 3);
	ck_assert_int_eq(mm_munmap(&T.mm, a + P, P), 0);
	TU_CHECK(&T.mm);
	bottom = mm_find(&T.mm, a);
	top = mm_find(&T.mm, a + 2 * P);
	ck_assert_ptr_null(mm_find(&T.mm, a + P));
	ck_assert_uint_eq(T.mm.count, 2);
	/* The bottom: the original VMO, shrunk to one page. */
	ck_assert_uint_eq(bottom->end, a + P);
	ck_assert_uint_eq(vmo_koid(bottom->vmo), koid);
	ck_assert_uint_eq(vmo_get_size(bottom->vmo), P);
	ck_assert(vmo_bytes(bottom->vmo, 0, P, 'A'));
	/* The top: a snapshot child of one page. */
	ck_assert_uint_ne(vmo_koid(top->vmo), koid);
	ck_assert_uint_eq(top->off, 0);
	ck_assert_uint_eq(vmo_get_size(top->vmo), P);
	ck_assert(vmo_bytes(top->vmo, 0, P, 'C'));
	ck_assert_uint_eq(snapshots(), snaps + 1);
	/* Real memory: contents kept, the middle is a hole, the top maps the child. */
	ck_assert(all_bytes((char *)a, P, 'A'));
	ck_assert(all_bytes((char *)a + 2 * P, P, 'C'));
	ck_assert(is_hole(a + P));
	ck_assert_int_eq(tu_map_at(a + 2 * P, &line), 0);
	ck_assert_uint_eq(line.ino, inode_of(top->vmo));
	ck_assert_int_eq(tu_map_at(a, &line), 0);
	ck_assert_uint_eq(line.ino, inode_of(bottom->vmo));
	/* A write to the top lands in the child. */
	((char *)a)[2 * P + 9] = 'z';
	ck_assert_int_eq(vmo_read(top->vmo, &c, 9, 1), 0);
	ck_assert_int_eq(c, 'z');
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_middle_unmap_offset_keeps_one_vmo_and_decommits_middle)
{
	tu_mm_setup(&T, MM_SPLIT_OFFSET, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;
	uint64_t koid = vmo_koid(vmo), live = tu_live_vmos(), snaps = snapshots();
	struct mapping *bottom, *top;

	fill_pages(a, 3);
	ck_assert_uint_eq(vmo_committed(vmo), 3 * P);
	ck_assert_int_eq(mm_munmap(&T.mm, a + P, P), 0);
	TU_CHECK(&T.mm);
	bottom = mm_find(&T.mm, a);
	top = mm_find(&T.mm, a + 2 * P);
	ck_assert_ptr_null(mm_find(&T.mm, a + P));
	ck_assert_uint_eq(vmo_koid(bottom->vmo), koid);
	ck_assert_uint_eq(vmo_koid(top->vmo), koid);
	ck_assert_uint_eq(top->off, 2 * P);
	ck_assert_uint_eq(vmo_committed(vmo), 2 * P);
	ck_assert(vmo_bytes(vmo, 0, P, 'A'));
	ck_assert(vmo_bytes(vmo, P, P, 0));
	ck_assert(vmo_bytes(vmo, 2 * P, P, 'C'));
	ck_assert_uint_eq(tu_live_vmos(), live);
	ck_assert_uint_eq(snapshots(), snaps);
	ck_assert(all_bytes((char *)a, P, 'A'));
	ck_assert(all_bytes((char *)a + 2 * P, P, 'C'));
	ck_assert(is_hole(a + P));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_head_trim_moves_offset_and_decommits_head)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;
	uint64_t koid = vmo_koid(vmo), snaps = snapshots();
	struct mapping *m;

	fill_pages(a, 3);
	ck_assert_int_eq(mm_munmap(&T.mm, a, P), 0);
	TU_CHECK(&T.mm);
	m = mm_find(&T.mm, a + P);
	ck_assert_ptr_null(mm_find(&T.mm, a));
	ck_assert_uint_eq(m->start, a + P);
	ck_assert_uint_eq(vmo_koid(m->vmo), koid);
	ck_assert_uint_eq(m->off, P);
	ck_assert_uint_eq(vmo_committed(vmo), 2 * P);
	ck_assert_uint_eq(snapshots(), snaps);
	ck_assert(all_bytes((char *)a + P, P, 'B'));
	ck_assert(all_bytes((char *)a + 2 * P, P, 'C'));
	ck_assert(is_hole(a));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_tail_trim_shrinks_vmo)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;
	uint64_t koid = vmo_koid(vmo);

	fill_pages(a, 3);
	ck_assert_int_eq(mm_munmap(&T.mm, a + 2 * P, P), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(mm_find(&T.mm, a)->end, a + 2 * P);
	ck_assert_uint_eq(vmo_koid(mm_find(&T.mm, a)->vmo), koid);
	ck_assert_uint_eq(vmo_get_size(vmo), 2 * P);
	ck_assert(all_bytes((char *)a, P, 'A'));
	ck_assert(all_bytes((char *)a + P, P, 'B'));
	ck_assert(is_hole(a + 2 * P));
	tu_mm_teardown(&T);
}
END_TEST

/* After mprotect splits a mapping, its two pieces share one VMO: trimming the bottom piece's
 * tail may not shrink the VMO under the top piece. */
START_TEST(test_tail_trim_of_split_piece_decommits_instead_of_shrinking)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;

	fill_pages(a, 4);
	ck_assert_int_eq(mm_mprotect(&T.mm, a + 2 * P, 2 * P, PROT_READ), 0);
	TU_CHECK(&T.mm);
	ck_assert_ptr_eq(mm_find(&T.mm, a + 2 * P)->vmo, vmo);
	ck_assert_int_eq(mm_munmap(&T.mm, a + P, P), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(vmo_get_size(vmo), 4 * P);
	ck_assert_uint_eq(vmo_committed(vmo), 3 * P);
	ck_assert(vmo_bytes(vmo, P, P, 0));
	ck_assert(vmo_bytes(vmo, 2 * P, 2 * P, 'C') == 0); /* pages 2 and 3 differ */
	ck_assert(vmo_bytes(vmo, 2 * P, P, 'C'));
	ck_assert(vmo_bytes(vmo, 3 * P, P, 'D'));
	ck_assert(all_bytes((char *)a, P, 'A'));
	ck_assert(all_bytes((char *)a + 2 * P, P, 'C'));
	ck_assert(all_bytes((char *)a + 3 * P, P, 'D'));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unmap_of_whole_top_piece_shrinks_vmo_to_bottom_piece)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;

	fill_pages(a, 4);
	ck_assert_int_eq(mm_mprotect(&T.mm, a + 2 * P, 2 * P, PROT_READ), 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(mm_munmap(&T.mm, a + 2 * P, 2 * P), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 1);
	ck_assert_uint_eq(vmo_get_size(vmo), 2 * P);
	ck_assert(all_bytes((char *)a, P, 'A'));
	ck_assert(all_bytes((char *)a + P, P, 'B'));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unmap_of_whole_bottom_piece_keeps_vmo_for_top_piece)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;

	fill_pages(a, 4);
	ck_assert_int_eq(mm_mprotect(&T.mm, a + 2 * P, 2 * P, PROT_READ), 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(mm_munmap(&T.mm, a, 2 * P), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 1);
	ck_assert_ptr_eq(mm_find(&T.mm, a + 2 * P)->vmo, vmo);
	ck_assert_uint_eq(vmo_get_size(vmo), 4 * P);
	ck_assert_uint_eq(vmo_committed(vmo), 2 * P);
	ck_assert(vmo_bytes(vmo, 2 * P, P, 'C'));
	ck_assert(all_bytes((char *)a + 2 * P, P, 'C'));
	ck_assert(all_bytes((char *)a + 3 * P, P, 'D'));
	tu_mm_teardown(&T);
}
END_TEST

/* A middle unmap inside the bottom piece of a split: the snapshot takes the rest of the
 * piece, and the original VMO still backs the top piece (decommitted, not shrunk). */
START_TEST(test_middle_unmap_of_split_piece_keeps_other_piece)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 6 * P, RW, ANON, -1, 0);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;

	fill_pages(a, 6);
	ck_assert_int_eq(mm_mprotect(&T.mm, a + 3 * P, 3 * P, PROT_READ), 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(mm_munmap(&T.mm, a + P, P), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 3);
	ck_assert_ptr_eq(mm_find(&T.mm, a)->vmo, vmo);
	ck_assert_ptr_ne(mm_find(&T.mm, a + 2 * P)->vmo, vmo);
	ck_assert_ptr_eq(mm_find(&T.mm, a + 3 * P)->vmo, vmo);
	ck_assert_uint_eq(vmo_get_size(vmo), 6 * P);
	for (int i = 0; i < 6; i++)
		if (i != 1)
			ck_assert_msg(all_bytes((char *)a + i * P, P, 'A' + i), "page %d", i);
	ck_assert(vmo_bytes(vmo, 3 * P, P, 'D'));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unmap_across_mappings_and_holes)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t b = T.lo + (1ULL << 20);
	char model[3 * 6 + 1], native[3 * 6 + 1];
	struct vmo *v1, *v2;
	long n;

	tu_mmap_ok(&T, b, 2 * P, RW, ANON | MAP_FIXED, -1, 0);
	tu_mmap_ok(&T, b + 3 * P, 2 * P, PROT_READ | PROT_WRITE, ANON | MAP_FIXED, -1, 0);
	tu_mmap_ok(&T, b + 5 * P, P, PROT_READ, ANON | MAP_FIXED, -1, 0);
	v1 = mm_find(&T.mm, b)->vmo;
	v2 = mm_find(&T.mm, b + 3 * P)->vmo;
	fill_pages(b, 2);
	fill_pages(b + 3 * P, 2);
	ck_assert_int_eq(mm_munmap(&T.mm, b + P, 3 * P), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 3);
	ck_assert_uint_eq(mm_find(&T.mm, b)->end, b + P);
	ck_assert_uint_eq(vmo_get_size(v1), P);
	ck_assert_ptr_eq(mm_find(&T.mm, b + 4 * P)->vmo, v2);
	ck_assert_uint_eq(mm_find(&T.mm, b + 4 * P)->off, P);
	ck_assert(all_bytes((char *)b, P, 'A'));
	ck_assert(all_bytes((char *)b + 4 * P, P, 'B'));
	/* The kernel, the same sequence natively: the same layout. */
	n = tu_native_mmap(0, 6 * P, RW, ANON, -1, 0);
	ck_assert_int_gt(n, 0);
	munmap((char *)n + 2 * P, P);
	mprotect((char *)n + 5 * P, P, PROT_READ);
	ck_assert_int_eq(munmap((char *)n + P, 3 * P), 0);
	tu_prots((uint64_t)n, 6, native);
	tu_prots(b, 6, model);
	if (!tu_under_valgrind())
		ck_assert_str_eq(model, native);
	munmap((void *)n, 6 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unmap_of_nothing_is_zero)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	char *dump = tu_mm_dump(&T.mm), *after;

	ck_assert_int_eq(mm_munmap(&T.mm, T.lo, 16 * P), 0);
	ck_assert_int_eq(mm_munmap(&T.mm, a - 4 * P, 4 * P), 0);
	TU_CHECK(&T.mm);
	after = tu_mm_dump(&T.mm);
	ck_assert_str_eq(after, dump);
	TU_KERNEL_EQ(tu_sys(munmap((void *)tu_native_free_range(16 * P), 16 * P)), 0);
	free(dump);
	free(after);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_len_zero_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);

	ck_assert_int_eq(mm_munmap(&T.mm, a, 0), -EINVAL);
	TU_CHECK(&T.mm);
	ck_assert_ptr_nonnull(mm_find(&T.mm, a));
	TU_KERNEL_EQ(tu_sys(munmap((void *)tu_native_free_range(P), 0)), -EINVAL);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unaligned_address_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);

	ck_assert_int_eq(mm_munmap(&T.mm, a + 1, P), -EINVAL);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(mm_find(&T.mm, a)->end, a + 2 * P);
	TU_KERNEL_EQ(tu_sys(munmap((char *)tu_native_free_range(P) + 1, P)), -EINVAL);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_range_overflow_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);

	ck_assert_int_eq(mm_munmap(&T.mm, a, UINT64_MAX - a + P), -EINVAL);
	ck_assert_int_eq(mm_munmap(&T.mm, a, 0x7ffffffff000ULL), -EINVAL);
	ck_assert_int_eq(mm_munmap(&T.mm, 0x7ffffffff000ULL + P, P), -EINVAL);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 1);
	TU_KERNEL_EQ(tu_sys(munmap((void *)a, UINT64_MAX - a + P)), -EINVAL);
	TU_KERNEL_EQ(tu_sys(munmap((void *)a, 0x7ffffffff000ULL)), -EINVAL);
	TU_KERNEL_EQ(tu_sys(munmap((void *)(0x7ffffffff000ULL + P), P)), -EINVAL);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_partial_page_length_unmaps_whole_page)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);

	ck_assert_int_eq(mm_munmap(&T.mm, a, 1), 0);
	TU_CHECK(&T.mm);
	ck_assert_ptr_null(mm_find(&T.mm, a));
	ck_assert_uint_eq(mm_find(&T.mm, a + P)->start, a + P);
	ck_assert(is_hole(a));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unmap_of_whole_mapping_frees_its_vmo)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t live = tu_live_vmos();
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);

	ck_assert_uint_eq(tu_live_vmos(), live + 1);
	ck_assert_int_eq(mm_munmap(&T.mm, a, 3 * P), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 0);
	ck_assert_uint_eq(T.mm.total_pages, 0);
	ck_assert_uint_eq(T.mm.data_pages, 0);
	ck_assert_uint_eq(tu_live_vmos(), live);
	ck_assert(is_hole(a) && is_hole(a + 2 * P));
	tu_mm_teardown(&T);
}
END_TEST

/* Shared memory outlives a mapping's part: no snapshot, one object for both parts. */
START_TEST(test_shared_anon_middle_unmap_keeps_one_object)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;
	uint64_t live = tu_live_vmos(), snaps = snapshots();

	fill_pages(a, 3);
	ck_assert_int_eq(mm_munmap(&T.mm, a + P, P), 0);
	TU_CHECK(&T.mm);
	ck_assert_ptr_eq(mm_find(&T.mm, a)->vmo, vmo);
	ck_assert_ptr_eq(mm_find(&T.mm, a + 2 * P)->vmo, vmo);
	ck_assert_uint_eq(mm_find(&T.mm, a + 2 * P)->off, 2 * P);
	ck_assert_uint_eq(snapshots(), snaps);
	ck_assert_uint_eq(tu_live_vmos(), live);
	ck_assert_uint_eq(vmo_get_size(vmo), 3 * P);
	ck_assert(all_bytes((char *)a, P, 'A'));
	ck_assert(all_bytes((char *)a + 2 * P, P, 'C'));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_file_mapping_middle_unmap_keeps_file_pages)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(3 * P, 'f', O_RDWR);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, MAP_SHARED, fd, 0);
	char c = 0;

	((char *)a)[2 * P] = 'w';
	ck_assert_int_eq(mm_munmap(&T.mm, a + P, P), 0);
	TU_CHECK(&T.mm);
	ck_assert_int_eq(mm_find(&T.mm, a + 2 * P)->kind, MK_FILE);
	ck_assert_uint_eq(mm_find(&T.mm, a + 2 * P)->off, 2 * P);
	ck_assert_int_eq(((char *)a)[2 * P], 'w');
	((char *)a)[2 * P + 1] = 'x';
	ck_assert_int_eq(pread(fd, &c, 1, (off_t)(2 * P + 1)), 1);
	ck_assert_int_eq(c, 'x');
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

/* Copy-on-write pages of a private file mapping live in the kernel: a middle unmap must not
 * remap the top part (which would drop them). */
START_TEST(test_private_file_middle_unmap_keeps_written_pages)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(3 * P, 'f', O_RDWR);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, MAP_PRIVATE, fd, 0);
	char c = 0;

	memset((char *)a + 2 * P, 'w', P);
	ck_assert_int_eq(mm_munmap(&T.mm, a + P, P), 0);
	TU_CHECK(&T.mm);
	ck_assert(all_bytes((char *)a, P, 'f'));
	ck_assert(all_bytes((char *)a + 2 * P, P, 'w'));
	ck_assert_int_eq(pread(fd, &c, 1, (off_t)(2 * P)), 1);
	ck_assert_int_eq(c, 'f');
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("munmap");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_middle_unmap_snapshot_moves_top_to_child_and_shrinks_original);
	tcase_add_test(tc, test_middle_unmap_offset_keeps_one_vmo_and_decommits_middle);
	tcase_add_test(tc, test_head_trim_moves_offset_and_decommits_head);
	tcase_add_test(tc, test_tail_trim_shrinks_vmo);
	tcase_add_test(tc, test_tail_trim_of_split_piece_decommits_instead_of_shrinking);
	tcase_add_test(tc, test_unmap_of_whole_top_piece_shrinks_vmo_to_bottom_piece);
	tcase_add_test(tc, test_unmap_of_whole_bottom_piece_keeps_vmo_for_top_piece);
	tcase_add_test(tc, test_middle_unmap_of_split_piece_keeps_other_piece);
	tcase_add_test(tc, test_unmap_across_mappings_and_holes);
	tcase_add_test(tc, test_unmap_of_nothing_is_zero);
	tcase_add_test(tc, test_len_zero_is_einval);
	tcase_add_test(tc, test_unaligned_address_is_einval);
	tcase_add_test(tc, test_range_overflow_is_einval);
	tcase_add_test(tc, test_partial_page_length_unmaps_whole_page);
	tcase_add_test(tc, test_unmap_of_whole_mapping_frees_its_vmo);
	tcase_add_test(tc, test_shared_anon_middle_unmap_keeps_one_object);
	tcase_add_test(tc, test_file_mapping_middle_unmap_keeps_file_pages);
	tcase_add_test(tc, test_private_file_middle_unmap_keeps_written_pages);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
