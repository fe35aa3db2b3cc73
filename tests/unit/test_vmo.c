/*
 * Unit tests of vmo/vmo: sizes, content, snapshots, op_range, references, stats, fault points.
 * Every test ends with no_leak(): descriptors and live VMOs are back to what they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault/inject.h"
#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

#define PG VMO_PAGE_SIZE

static int base_fds;
static uint64_t base_live;

static void setup(void)
{
	fault_disarm();
	base_fds = tu_count_fds();
	base_live = tu_live_vmos();
}

static void teardown(void)
{
	fault_disarm();
}

static void no_leak(void)
{
	ck_assert_int_eq(tu_count_fds(), base_fds);
	ck_assert_uint_eq(tu_live_vmos(), base_live);
}

static struct vmo *new_vmo(uint64_t size)
{
	struct vmo *vmo = NULL;

	ck_assert_int_eq(vmo_create(size, "test", &vmo), 0);
	ck_assert_ptr_nonnull(vmo);
	return vmo;
}

static struct vmo *new_child(struct vmo *parent, uint64_t offset, uint64_t size)
{
	struct vmo *child = NULL;

	ck_assert_int_eq(vmo_create_child(parent, VMO_CHILD_SNAPSHOT, offset, size, &child), 0);
	ck_assert_ptr_nonnull(child);
	return child;
}

static void fill(struct vmo *vmo, uint64_t offset, uint64_t len, int byte)
{
	char *buf = malloc(len);

	memset(buf, byte, len);
	ck_assert_int_eq(vmo_write(vmo, buf, offset, len), 0);
	free(buf);
}

/* True when every byte of [offset, offset + len) is `byte`. */
static int all_bytes(struct vmo *vmo, uint64_t offset, uint64_t len, int byte)
{
	unsigned char *buf = malloc(len);
	int ok = 1;

	ck_assert_int_eq(vmo_read(vmo, buf, offset, len), 0);
	for (uint64_t i = 0; i < len && ok; i++)
		ok = buf[i] == (unsigned char)byte;
	free(buf);
	return ok;
}

static struct vmo_stats stats(void)
{
	struct vmo_stats st;

	vmo_stats_get(&st);
	return st;
}

/* Bytes of memory the memfd holds, fallocated pages included. */
static uint64_t allocated(struct vmo *vmo)
{
	struct stat st;

	ck_assert_int_eq(fstat(vmo_fd(vmo), &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

START_TEST(test_size_rounds_up_to_pages)
{
	static const uint64_t in[] = {1, PG - 1, PG, PG + 1, 3 * PG + 7};
	static const uint64_t want[] = {PG, PG, PG, 2 * PG, 4 * PG};

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct vmo *vmo = new_vmo(in[i]);
		struct stat st;

		ck_assert_uint_eq(vmo_get_size(vmo), want[i]);
		ck_assert_int_eq(fstat(vmo_fd(vmo), &st), 0);
		ck_assert_uint_eq((uint64_t)st.st_size, want[i]);
		vmo_unref(vmo);
	}
	no_leak();
}
END_TEST

START_TEST(test_zero_size_is_allowed)
{
	struct vmo *vmo = new_vmo(0);
	char c;

	ck_assert_uint_eq(vmo_get_size(vmo), 0);
	ck_assert_int_eq(vmo_read(vmo, &c, 0, 0), 0);
	ck_assert_int_eq(vmo_read(vmo, &c, 0, 1), -ERANGE);
	ck_assert_uint_eq(vmo_committed(vmo), 0);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_too_large_is_erange)
{
	struct vmo *vmo = NULL;

	ck_assert_int_eq(vmo_create(VMO_MAX_SIZE + 1, "big", &vmo), -ERANGE);
	ck_assert_int_eq(vmo_create(UINT64_MAX, "big", &vmo), -ERANGE);
	ck_assert_int_eq(vmo_create(UINT64_MAX - PG + 2, "big", &vmo), -ERANGE);
	ck_assert_ptr_null(vmo);
	no_leak();
}
END_TEST

START_TEST(test_max_size_is_allowed)
{
	struct vmo *vmo = new_vmo(VMO_MAX_SIZE);
	char c = 'x';

	ck_assert_uint_eq(vmo_get_size(vmo), VMO_MAX_SIZE);
	ck_assert_int_eq(vmo_write(vmo, &c, VMO_MAX_SIZE - 1, 1), 0);
	ck_assert_int_eq(vmo_write(vmo, &c, VMO_MAX_SIZE, 1), -ERANGE);
	ck_assert_uint_eq(vmo_committed(vmo), PG);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_unknown_create_flag_is_einval)
{
	struct vmo *vmo = NULL;

	ck_assert_int_eq(vmo_create_ex(PG, "x", 2, &vmo), -EINVAL);
	ck_assert_ptr_null(vmo);
	no_leak();
}
END_TEST

START_TEST(test_hugetlb_fails_cleanly_or_works)
{
	struct vmo *vmo = NULL;
	long ret = vmo_create_ex(2 << 20, "huge", VMO_HUGETLB, &vmo);

	if (ret == 0) {
		ck_assert_uint_eq(vmo_flags(vmo), VMO_HUGETLB);
		vmo_unref(vmo);
	} else {
		ck_assert_int_lt(ret, 0);
	}
	no_leak();
}
END_TEST

START_TEST(test_name_is_kept)
{
	struct vmo *a = new_vmo(PG), *b = NULL;

	ck_assert_str_eq(vmo_name(a), "test");
	ck_assert_int_eq(vmo_create(PG, NULL, &b), 0);
	ck_assert_str_eq(vmo_name(b), "");
	ck_assert_uint_eq(vmo_flags(b), 0);
	vmo_unref(a);
	vmo_unref(b);
	no_leak();
}
END_TEST

START_TEST(test_memfd_is_cloexec)
{
	struct vmo *vmo = new_vmo(PG);

	ck_assert_int_eq(fcntl(vmo_fd(vmo), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_read_write_round_trip)
{
	struct vmo *vmo = new_vmo(4 * PG);
	char in[3 * PG], out[3 * PG];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 7 + 3);
	ck_assert_int_eq(vmo_write(vmo, in, 100, sizeof(in)), 0);
	ck_assert_int_eq(vmo_read(vmo, out, 100, sizeof(out)), 0);
	ck_assert_mem_eq(in, out, sizeof(in));
	ck_assert_int_eq(vmo_read(vmo, out, 0, 100), 0);
	ck_assert(all_bytes(vmo, 0, 100, 0));
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_out_of_range_is_erange)
{
	struct vmo *vmo = new_vmo(2 * PG);
	char buf[16] = {0};

	ck_assert_int_eq(vmo_read(vmo, buf, 2 * PG - 8, 16), -ERANGE);
	ck_assert_int_eq(vmo_write(vmo, buf, 2 * PG - 8, 16), -ERANGE);
	ck_assert_int_eq(vmo_read(vmo, buf, 2 * PG + 1, 0), -ERANGE);
	ck_assert_int_eq(vmo_write(vmo, buf, UINT64_MAX - 4, 8), -ERANGE);
	ck_assert_int_eq(vmo_read(vmo, buf, 8, UINT64_MAX), -ERANGE);
	ck_assert_int_eq(vmo_read(vmo, buf, 2 * PG, 0), 0);
	ck_assert_int_eq(vmo_write(vmo, buf, 2 * PG - 16, 16), 0);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_uncommitted_pages_read_zero)
{
	struct vmo *vmo = new_vmo(3 * PG);

	ck_assert(all_bytes(vmo, 0, 3 * PG, 0));
	ck_assert_uint_eq(vmo_committed(vmo), 0);
	fill(vmo, PG + 10, 10, 0x5a);
	ck_assert_uint_eq(vmo_committed(vmo), PG);
	ck_assert(all_bytes(vmo, 0, PG + 10, 0));
	ck_assert(all_bytes(vmo, PG + 20, 2 * PG - 20, 0));
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_snapshot_copies_content)
{
	struct vmo *parent = new_vmo(4 * PG), *child;

	fill(parent, 0, 4 * PG, 0x11);
	fill(parent, 2 * PG, PG, 0x22);
	child = new_child(parent, PG, 2 * PG);
	ck_assert_uint_eq(vmo_get_size(child), 2 * PG);
	ck_assert(all_bytes(child, 0, PG, 0x11));
	ck_assert(all_bytes(child, PG, PG, 0x22));
	ck_assert_str_eq(vmo_name(child), vmo_name(parent));
	ck_assert_uint_ne(vmo_koid(child), vmo_koid(parent));
	vmo_unref(child);
	vmo_unref(parent);
	no_leak();
}
END_TEST

START_TEST(test_snapshot_is_independent)
{
	struct vmo *parent = new_vmo(2 * PG), *child;

	fill(parent, 0, 2 * PG, 0x33);
	child = new_child(parent, 0, 2 * PG);
	fill(parent, 0, PG, 0x44);
	ck_assert(all_bytes(child, 0, 2 * PG, 0x33));
	fill(child, PG, PG, 0x55);
	ck_assert(all_bytes(parent, PG, PG, 0x33));
	ck_assert(all_bytes(parent, 0, PG, 0x44));
	ck_assert_int_eq(vmo_set_size(parent, 0), 0);
	ck_assert(all_bytes(child, 0, PG, 0x33));
	vmo_unref(parent);
	ck_assert(all_bytes(child, PG, PG, 0x55));
	vmo_unref(child);
	no_leak();
}
END_TEST

START_TEST(test_snapshot_of_sparse_parent_stays_sparse)
{
	struct vmo *parent = new_vmo(64 * PG), *child;
	uint64_t copied = stats().bytes_copied;

	fill(parent, 3 * PG, 1, 1);
	fill(parent, 10 * PG, 2 * PG, 2);
	fill(parent, 40 * PG, 1, 3);
	ck_assert_uint_eq(vmo_committed(parent), 4 * PG);
	child = new_child(parent, 8 * PG, 16 * PG);
	ck_assert_uint_eq(vmo_committed(child), 2 * PG);
	ck_assert_uint_eq(stats().bytes_copied - copied, 2 * PG);
	ck_assert(all_bytes(child, 0, 2 * PG, 0));
	ck_assert(all_bytes(child, 2 * PG, 2 * PG, 2));
	ck_assert(all_bytes(child, 4 * PG, 12 * PG, 0));
	vmo_unref(child);
	vmo_unref(parent);
	no_leak();
}
END_TEST

START_TEST(test_snapshot_of_large_sparse_parent)
{
	struct vmo *parent = new_vmo(64 << 20), *child;

	for (uint64_t off = 0; off < (64 << 20); off += 1 << 20)
		fill(parent, off, 64 << 10, (int)(off >> 20) + 1);
	child = new_child(parent, 0, 64 << 20);
	ck_assert_uint_eq(vmo_committed(child), 4 << 20);
	ck_assert(all_bytes(child, 63 << 20, 64 << 10, 64));
	ck_assert(all_bytes(child, (63 << 20) + (64 << 10), 1 << 10, 0));
	vmo_unref(child);
	vmo_unref(parent);
	no_leak();
}
END_TEST

START_TEST(test_snapshot_beyond_parent_reads_zero)
{
	struct vmo *parent = new_vmo(2 * PG), *child, *far;

	fill(parent, 0, 2 * PG, 0xab);
	child = new_child(parent, PG, 3 * PG);
	ck_assert_uint_eq(vmo_get_size(child), 3 * PG);
	ck_assert(all_bytes(child, 0, PG, 0xab));
	ck_assert(all_bytes(child, PG, 2 * PG, 0));
	ck_assert_uint_eq(vmo_committed(child), PG);
	far = new_child(parent, 10 * PG, PG + 1);
	ck_assert_uint_eq(vmo_get_size(far), 2 * PG);
	ck_assert_uint_eq(vmo_committed(far), 0);
	ck_assert(all_bytes(far, 0, 2 * PG, 0));
	vmo_unref(far);
	vmo_unref(child);
	vmo_unref(parent);
	no_leak();
}
END_TEST

START_TEST(test_snapshot_bad_arguments)
{
	struct vmo *parent = new_vmo(2 * PG), *child = NULL;

	ck_assert_int_eq(vmo_create_child(parent, VMO_CHILD_SNAPSHOT, 100, PG, &child), -EINVAL);
	ck_assert_int_eq(vmo_create_child(parent, 0, 0, PG, &child), -EINVAL);
	ck_assert_int_eq(vmo_create_child(parent, 2, 0, PG, &child), -EINVAL);
	ck_assert_int_eq(vmo_create_child(parent, VMO_CHILD_SNAPSHOT, 0, UINT64_MAX, &child),
			 -ERANGE);
	ck_assert_int_eq(
	    vmo_create_child(parent, VMO_CHILD_SNAPSHOT, UINT64_MAX - PG + 1, 2 * PG, &child),
	    -ERANGE);
	ck_assert_ptr_null(child);
	vmo_unref(parent);
	no_leak();
}
END_TEST

START_TEST(test_set_size_shrink_discards_content)
{
	struct vmo *vmo = new_vmo(2 * PG);
	char c;

	fill(vmo, 0, 2 * PG, 0x77);
	ck_assert_int_eq(vmo_set_size(vmo, PG), 0);
	ck_assert_uint_eq(vmo_get_size(vmo), PG);
	ck_assert_int_eq(vmo_read(vmo, &c, PG, 1), -ERANGE);
	ck_assert_uint_eq(vmo_committed(vmo), PG);
	ck_assert_int_eq(vmo_set_size(vmo, PG + 1), 0);
	ck_assert_uint_eq(vmo_get_size(vmo), 2 * PG);
	ck_assert(all_bytes(vmo, 0, PG, 0x77));
	ck_assert(all_bytes(vmo, PG, PG, 0));
	ck_assert_int_eq(vmo_set_size(vmo, VMO_MAX_SIZE + 1), -ERANGE);
	ck_assert_uint_eq(vmo_get_size(vmo), 2 * PG);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

/* tmpfs allocates the pages but reports them as holes to SEEK_DATA until they are written:
 * they read zero, so vmo_committed() and snapshots treat them as not committed. */
START_TEST(test_commit_backs_widened_pages)
{
	struct vmo *vmo = new_vmo(4 * PG);

	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_COMMIT, 100, 10), 0);
	ck_assert_uint_eq(allocated(vmo), PG);
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_COMMIT, 2 * PG - 1, 2), 0);
	ck_assert_uint_eq(allocated(vmo), 3 * PG);
	ck_assert(all_bytes(vmo, 0, 4 * PG, 0));
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_decommit_frees_widened_pages)
{
	struct vmo *vmo = new_vmo(3 * PG);

	fill(vmo, 0, 3 * PG, 0x66);
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_DECOMMIT, PG + 10, 1), 0);
	ck_assert_uint_eq(vmo_committed(vmo), 2 * PG);
	ck_assert(all_bytes(vmo, 0, PG, 0x66));
	ck_assert(all_bytes(vmo, PG, PG, 0));
	ck_assert(all_bytes(vmo, 2 * PG, PG, 0x66));
	ck_assert_uint_eq(vmo_get_size(vmo), 3 * PG);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_zero_partial_page_keeps_neighbours)
{
	struct vmo *vmo = new_vmo(2 * PG);

	fill(vmo, 0, 2 * PG, 0xff);
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_ZERO, 100, 200), 0);
	ck_assert(all_bytes(vmo, 0, 100, 0xff));
	ck_assert(all_bytes(vmo, 100, 200, 0));
	ck_assert(all_bytes(vmo, 300, 2 * PG - 300, 0xff));
	ck_assert_uint_eq(vmo_committed(vmo), 2 * PG);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_zero_frees_whole_pages)
{
	struct vmo *vmo = new_vmo(4 * PG);

	fill(vmo, 0, 4 * PG, 0xee);
	/* head [PG - 96, PG), whole pages [PG, 3 PG), tail [3 PG, 3 PG + 200) */
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_ZERO, PG - 96, 2 * PG + 296), 0);
	ck_assert_uint_eq(vmo_committed(vmo), 2 * PG);
	ck_assert(all_bytes(vmo, 0, PG - 96, 0xee));
	ck_assert(all_bytes(vmo, PG - 96, 2 * PG + 296, 0));
	ck_assert(all_bytes(vmo, 3 * PG + 200, PG - 200, 0xee));
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_zero_uncommitted_page_stays_uncommitted)
{
	struct vmo *vmo = new_vmo(2 * PG);

	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_ZERO, 100, 10), 0);
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_ZERO, PG - 1, 2), 0);
	ck_assert_uint_eq(vmo_committed(vmo), 0);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_op_range_bad_arguments)
{
	struct vmo *vmo = new_vmo(2 * PG);

	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_COMMIT, PG, PG + 1), -ERANGE);
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_DECOMMIT, UINT64_MAX, 2), -ERANGE);
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_ZERO, 3 * PG, 0), -ERANGE);
	ck_assert_int_eq(vmo_op_range(vmo, (enum vmo_op)99, 0, PG), -EINVAL);
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_COMMIT, PG, 0), 0);
	ck_assert_uint_eq(vmo_committed(vmo), 0);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_last_unref_closes_fd)
{
	struct vmo *vmo = new_vmo(PG);
	int fd = vmo_fd(vmo);

	ck_assert_int_eq(tu_count_fds(), base_fds + 1);
	ck_assert_uint_eq(tu_live_vmos(), base_live + 1);
	ck_assert_int_eq(vmo_refs(vmo), 1);
	vmo_ref(vmo);
	ck_assert_int_eq(vmo_refs(vmo), 2);
	vmo_unref(vmo);
	ck_assert_int_eq(vmo_refs(vmo), 1);
	ck_assert_int_ge(fcntl(fd, F_GETFD), 0);
	vmo_unref(vmo);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	vmo_unref(NULL);
	no_leak();
}
END_TEST

START_TEST(test_koids_unique)
{
	struct vmo *a = new_vmo(PG), *b = new_vmo(PG), *c = new_child(a, 0, PG), *d;
	uint64_t kb = vmo_koid(b);

	vmo_unref(b);
	d = new_vmo(PG);
	ck_assert_uint_ne(vmo_koid(a), 0);
	ck_assert_uint_gt(kb, vmo_koid(a));
	ck_assert_uint_gt(vmo_koid(c), kb);
	ck_assert_uint_gt(vmo_koid(d), vmo_koid(c)); /* b's koid is not reused */
	vmo_unref(a);
	vmo_unref(c);
	vmo_unref(d);
	no_leak();
}
END_TEST

START_TEST(test_stats_count_vmos_and_copies)
{
	struct vmo_stats before = stats(), after;
	struct vmo *a = new_vmo(4 * PG), *b = new_vmo(PG), *c;

	fill(a, 0, 3 * PG, 9);
	c = new_child(a, PG, 3 * PG);
	after = stats();
	ck_assert_uint_eq(after.created - before.created, 3);
	ck_assert_uint_eq(after.live - before.live, 3);
	ck_assert_uint_ge(after.peak, before.live + 3);
	ck_assert_uint_eq(after.snapshots - before.snapshots, 1);
	ck_assert_uint_eq(after.bytes_copied - before.bytes_copied, 2 * PG);
	vmo_unref(a);
	vmo_unref(b);
	vmo_unref(c);
	after = stats();
	ck_assert_uint_eq(after.live, before.live);
	ck_assert_uint_eq(after.created - before.created, 3);
	ck_assert_uint_ge(after.peak, before.live + 3);
	no_leak();
}
END_TEST

START_TEST(test_fault_create)
{
	struct vmo *vmo = NULL;
	uint64_t created = stats().created;

	ck_assert_int_eq(fault_arm("vmo.create"), 0);
	ck_assert_int_eq(vmo_create(PG, "x", &vmo), -ENOMEM);
	fault_disarm();
	ck_assert_int_eq(fault_arm("vmo.create:errno=EMFILE"), 0);
	ck_assert_int_eq(vmo_create_ex(PG, "x", 0, &vmo), -EMFILE);
	ck_assert_uint_eq(fault_fired("vmo.create"), 1);
	ck_assert_ptr_null(vmo);
	ck_assert_uint_eq(stats().created, created);
	no_leak();
}
END_TEST

START_TEST(test_fault_snapshot)
{
	struct vmo *parent = new_vmo(2 * PG), *child = NULL;
	struct vmo_stats before;

	fill(parent, 0, 2 * PG, 1);
	before = stats();
	ck_assert_int_eq(fault_arm("vmo.snapshot:errno=ENOSPC"), 0);
	ck_assert_int_eq(vmo_create_child(parent, VMO_CHILD_SNAPSHOT, 0, 2 * PG, &child), -ENOSPC);
	ck_assert_ptr_null(child);
	ck_assert_uint_eq(stats().snapshots, before.snapshots);
	ck_assert_uint_eq(stats().bytes_copied, before.bytes_copied);
	ck_assert_uint_eq(stats().created, before.created);
	vmo_unref(parent);
	no_leak();
}
END_TEST

START_TEST(test_fault_resize)
{
	struct vmo *vmo = new_vmo(2 * PG);

	fill(vmo, 0, 2 * PG, 1);
	ck_assert_int_eq(fault_arm("vmo.resize:errno=EFBIG"), 0);
	ck_assert_int_eq(vmo_set_size(vmo, PG), -EFBIG);
	ck_assert_uint_eq(vmo_get_size(vmo), 2 * PG);
	ck_assert(all_bytes(vmo, 0, 2 * PG, 1));
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_fault_commit)
{
	struct vmo *vmo = new_vmo(2 * PG);

	ck_assert_int_eq(fault_arm("vmo.commit"), 0);
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_COMMIT, 0, 2 * PG), -ENOMEM);
	ck_assert_uint_eq(allocated(vmo), 0);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_fault_decommit_and_zero)
{
	struct vmo *vmo = new_vmo(2 * PG);

	fill(vmo, 0, 2 * PG, 1);
	ck_assert_int_eq(fault_arm("vmo.decommit:errno=EBUSY"), 0);
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_DECOMMIT, 0, PG), -EBUSY);
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_ZERO, 10, 10), -EBUSY);
	ck_assert_uint_eq(fault_fired("vmo.decommit"), 2);
	ck_assert_uint_eq(vmo_committed(vmo), 2 * PG);
	ck_assert(all_bytes(vmo, 0, 2 * PG, 1));
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_fault_read)
{
	struct vmo *vmo = new_vmo(PG);
	char buf[8];

	ck_assert_int_eq(fault_arm("vmo.read:errno=EFAULT"), 0);
	ck_assert_int_eq(vmo_read(vmo, buf, 0, sizeof(buf)), -EFAULT);
	ck_assert_uint_eq(fault_fired("vmo.read"), 1);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

START_TEST(test_fault_write)
{
	struct vmo *vmo = new_vmo(PG);
	char buf[8] = "abcdefg";

	ck_assert_int_eq(fault_arm("vmo.write"), 0);
	ck_assert_int_eq(vmo_write(vmo, buf, 0, sizeof(buf)), -EIO);
	fault_disarm();
	ck_assert(all_bytes(vmo, 0, PG, 0));
	ck_assert_uint_eq(vmo_committed(vmo), 0);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

/* Argument errors are reported as such, before the fault point is consulted. */
START_TEST(test_invalid_arguments_win_over_faults)
{
	struct vmo *vmo = new_vmo(PG), *child = NULL;
	char c;

	fault_disarm(); /* count from here */
	ck_assert_int_eq(fault_arm("vmo.*"), 0);
	ck_assert_int_eq(vmo_create(UINT64_MAX, "x", &child), -ERANGE);
	ck_assert_int_eq(vmo_create_child(vmo, VMO_CHILD_SNAPSHOT, 1, PG, &child), -EINVAL);
	ck_assert_int_eq(vmo_set_size(vmo, UINT64_MAX), -ERANGE);
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_COMMIT, 0, 2 * PG), -ERANGE);
	ck_assert_int_eq(vmo_op_range(vmo, VMO_OP_ZERO, 0, 2 * PG), -ERANGE);
	ck_assert_int_eq(vmo_read(vmo, &c, PG, 1), -ERANGE);
	ck_assert_int_eq(vmo_write(vmo, &c, PG, 1), -ERANGE);
	for (size_t i = 0; i < fault_npoints; i++)
		ck_assert_uint_eq(fault_calls(fault_points[i].name), 0);
	fault_disarm();
	vmo_unref(vmo);
	no_leak();
}
END_TEST

/* Under a held fault, the steps succeed: the hold is honoured through the vmo layer. */
START_TEST(test_faults_held_do_not_fail)
{
	struct vmo *vmo = NULL;

	ck_assert_int_eq(fault_arm("vmo.create"), 0);
	fault_hold();
	ck_assert_int_eq(vmo_create(PG, "x", &vmo), 0);
	fault_release();
	ck_assert_uint_eq(fault_calls("vmo.create"), 1);
	vmo_unref(vmo);
	no_leak();
}
END_TEST

static Suite *vmo_suite(void)
{
	Suite *s = suite_create("vmo");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_size_rounds_up_to_pages);
	tcase_add_test(tc, test_zero_size_is_allowed);
	tcase_add_test(tc, test_too_large_is_erange);
	tcase_add_test(tc, test_max_size_is_allowed);
	tcase_add_test(tc, test_unknown_create_flag_is_einval);
	tcase_add_test(tc, test_hugetlb_fails_cleanly_or_works);
	tcase_add_test(tc, test_name_is_kept);
	tcase_add_test(tc, test_memfd_is_cloexec);
	tcase_add_test(tc, test_read_write_round_trip);
	tcase_add_test(tc, test_out_of_range_is_erange);
	tcase_add_test(tc, test_uncommitted_pages_read_zero);
	tcase_add_test(tc, test_snapshot_copies_content);
	tcase_add_test(tc, test_snapshot_is_independent);
	tcase_add_test(tc, test_snapshot_of_sparse_parent_stays_sparse);
	tcase_add_test(tc, test_snapshot_of_large_sparse_parent);
	tcase_add_test(tc, test_snapshot_beyond_parent_reads_zero);
	tcase_add_test(tc, test_snapshot_bad_arguments);
	tcase_add_test(tc, test_set_size_shrink_discards_content);
	tcase_add_test(tc, test_commit_backs_widened_pages);
	tcase_add_test(tc, test_decommit_frees_widened_pages);
	tcase_add_test(tc, test_zero_partial_page_keeps_neighbours);
	tcase_add_test(tc, test_zero_frees_whole_pages);
	tcase_add_test(tc, test_zero_uncommitted_page_stays_uncommitted);
	tcase_add_test(tc, test_op_range_bad_arguments);
	tcase_add_test(tc, test_last_unref_closes_fd);
	tcase_add_test(tc, test_koids_unique);
	tcase_add_test(tc, test_stats_count_vmos_and_copies);
	tcase_add_test(tc, test_fault_create);
	tcase_add_test(tc, test_fault_snapshot);
	tcase_add_test(tc, test_fault_resize);
	tcase_add_test(tc, test_fault_commit);
	tcase_add_test(tc, test_fault_decommit_and_zero);
	tcase_add_test(tc, test_fault_read);
	tcase_add_test(tc, test_fault_write);
	tcase_add_test(tc, test_invalid_arguments_win_over_faults);
	tcase_add_test(tc, test_faults_held_do_not_fail);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(vmo_suite());
}
