/*
 * Unit tests of the transactions (mm/txn.c) through fault injection: every fallible step an
 * operation reaches (vmo.create, vmo.snapshot, vmo.resize, vmar.alloc, backend.step,
 * backend.file) is made to fail once, and the operation must return Linux's errno (ENOMEM; brk
 * returns the old break) and leave everything as it was: the model (mm_dump, as text), the
 * real layout of the region (/proc/self/maps), live VMOs and open descriptors. A plan that
 * fails at its second step must undo its first one in the real address space.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault/inject.h"
#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

#define P	TU_PAGE
#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)
#define BRK_OFF (4ULL << 20)

static struct tu_mm T;

/* Everything an operation that fails must leave as it was. */
struct state {
	char *dump, *maps;
	uint64_t live;
	int fds;
};

static void take(struct state *s)
{
	s->dump = tu_mm_dump(&T.mm);
	s->maps = tu_maps_range(T.lo, T.hi);
	s->live = tu_live_vmos();
	s->fds = tu_count_fds();
}

static void unchanged(struct state *s)
{
	struct state now;

	TU_CHECK(&T.mm);
	take(&now);
	ck_assert_msg(strcmp(now.dump, s->dump) == 0, "model changed:\n%s\nwas:\n%s", now.dump,
		      s->dump);
	ck_assert_msg(strcmp(now.maps, s->maps) == 0, "real layout changed:\n%s\nwas:\n%s",
		      now.maps, s->maps);
	ck_assert_uint_eq(now.live, s->live);
	ck_assert_int_eq(now.fds, s->fds);
	ck_assert(!T.mm.failed);
	free(now.dump);
	free(now.maps);
	free(s->dump);
	free(s->maps);
}

/* Arms one rule on a fresh count (calls are counted since the last fault_disarm). */
static void arm(const char *spec)
{
	fault_disarm();
	ck_assert_int_eq(fault_arm(spec), 0);
}

/* The armed point fired exactly once; then disarm. */
static void fired_once(const char *point)
{
	ck_assert_uint_eq(fault_fired(point), 1);
	fault_disarm();
}

static int all_bytes(const void *p, size_t len, int byte)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i] != (unsigned char)byte)
			return 0;
	return 1;
}

/* Three written pages 'A', 'B', 'C' at a kernel-independent address. */
static uint64_t three_pages(void)
{
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);

	for (int i = 0; i < 3; i++)
		memset((char *)a + i * P, 'A' + i, P);
	return a;
}

START_TEST(test_vmo_create_failure_leaves_mmap_undone)
{
	struct state s;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	three_pages();
	take(&s);
	arm("vmo.create:nth=1");
	ck_assert_int_eq(mm_mmap(&T.mm, 0, 2 * P, RW, ANON, -1, 0), -ENOMEM);
	fired_once("vmo.create");
	unchanged(&s);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_vmo_create_failure_leaves_fixed_mmap_over_mapping_undone)
{
	struct state s;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = three_pages();

	take(&s);
	arm("vmo.create:nth=1");
	ck_assert_int_eq(mm_mmap(&T.mm, a, 3 * P, RW, ANON | MAP_FIXED, -1, 0), -ENOMEM);
	fired_once("vmo.create");
	unchanged(&s);
	ck_assert(all_bytes((char *)a + P, P, 'B'));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_vmo_snapshot_failure_leaves_middle_munmap_undone)
{
	struct state s;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = three_pages();

	take(&s);
	arm("vmo.snapshot:nth=1");
	ck_assert_int_eq(mm_munmap(&T.mm, a + P, P), -ENOMEM);
	fired_once("vmo.snapshot");
	unchanged(&s);
	for (int i = 0; i < 3; i++)
		ck_assert(all_bytes((char *)a + i * P, P, 'A' + i));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_vmo_snapshot_failure_leaves_fixed_mmap_over_middle_undone)
{
	struct state s;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = three_pages();

	take(&s);
	arm("vmo.snapshot:nth=1");
	ck_assert_int_eq(mm_mmap(&T.mm, a + P, P, RW, ANON | MAP_FIXED, -1, 0), -ENOMEM);
	fired_once("vmo.snapshot");
	unchanged(&s);
	ck_assert(all_bytes((char *)a + P, P, 'B'));
	tu_mm_teardown(&T);
}
END_TEST

static void setup_heap(void)
{
	struct tu_mm_opts o = {.brk_off = BRK_OFF};

	tu_mm_setup_opts(&T, &o);
	ck_assert_int_eq(mm_brk(&T.mm, T.lo + BRK_OFF + 2 * P), (long)(T.lo + BRK_OFF + 2 * P));
	TU_CHECK(&T.mm);
	memset((void *)(T.lo + BRK_OFF), 'h', 2 * P);
}

/* Growing the heap grows its VMO (vmo.resize): a failure there returns the old break. */
START_TEST(test_vmo_resize_failure_leaves_brk_unchanged)
{
	struct state s;

	setup_heap();
	uint64_t old = T.lo + BRK_OFF + 2 * P;

	take(&s);
	arm("vmo.resize:nth=1");
	ck_assert_int_eq(mm_brk(&T.mm, old + 3 * P), (long)old);
	fired_once("vmo.resize");
	unchanged(&s);
	ck_assert_uint_eq(T.mm.brk, old);
	ck_assert(all_bytes((void *)(T.lo + BRK_OFF), 2 * P, 'h'));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_vmo_create_failure_leaves_first_brk_unchanged)
{
	struct tu_mm_opts o = {.brk_off = BRK_OFF};
	struct state s;

	tu_mm_setup_opts(&T, &o);
	take(&s);
	arm("vmo.create:nth=1");
	ck_assert_int_eq(mm_brk(&T.mm, T.lo + BRK_OFF + P), (long)(T.lo + BRK_OFF));
	fired_once("vmo.create");
	unchanged(&s);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_vmar_alloc_failure_leaves_mmap_undone)
{
	struct state s;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, true);
	three_pages();
	take(&s);
	arm("vmar.alloc:nth=1");
	ck_assert_int_eq(mm_mmap(&T.mm, 0, 2 * P, RW, ANON, -1, 0), -ENOMEM);
	fired_once("vmar.alloc");
	unchanged(&s);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_backend_step_failure_leaves_mmap_undone)
{
	struct state s;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	three_pages();
	take(&s);
	arm("backend.step:nth=1");
	ck_assert_int_eq(mm_mmap(&T.mm, 0, 2 * P, RW, ANON, -1, 0), -ENOMEM);
	fired_once("backend.step");
	unchanged(&s);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_backend_step_failure_leaves_munmap_undone)
{
	struct state s;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = three_pages();

	take(&s);
	arm("backend.step:nth=1");
	ck_assert_int_eq(mm_munmap(&T.mm, a, 3 * P), -ENOMEM);
	fired_once("backend.step");
	unchanged(&s);
	for (int i = 0; i < 3; i++)
		ck_assert(all_bytes((char *)a + i * P, P, 'A' + i));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_backend_step_failure_leaves_tail_trim_undone)
{
	struct state s;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = three_pages();

	take(&s);
	arm("backend.step:nth=1");
	ck_assert_int_eq(mm_munmap(&T.mm, a + 2 * P, P), -ENOMEM);
	fired_once("backend.step");
	unchanged(&s); /* the VMO was not shrunk: its size is in the dump */
	ck_assert(all_bytes((char *)a + 2 * P, P, 'C'));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_backend_step_failure_leaves_mprotect_undone)
{
	struct state s;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = three_pages();

	take(&s);
	arm("backend.step:nth=1");
	ck_assert_int_eq(mm_mprotect(&T.mm, a + P, P, PROT_READ), -ENOMEM);
	fired_once("backend.step");
	unchanged(&s);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_backend_step_failure_leaves_brk_unchanged)
{
	struct state s;

	setup_heap();
	uint64_t old = T.lo + BRK_OFF + 2 * P;

	take(&s);
	arm("backend.step:nth=1");
	ck_assert_int_eq(mm_brk(&T.mm, old + 3 * P), (long)old);
	fired_once("backend.step");
	unchanged(&s); /* the heap VMO's growth was undone: its size is in the dump */
	ck_assert_uint_eq(T.mm.brk, old);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_backend_file_failure_leaves_file_mmap_undone)
{
	struct state s;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(P, 'f', O_RDWR);

	three_pages();
	take(&s);
	arm("backend.file:nth=1");
	ck_assert_int_eq(mm_mmap(&T.mm, 0, P, PROT_READ, MAP_PRIVATE, fd, 0), -ENOMEM);
	fired_once("backend.file");
	unchanged(&s);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

static unsigned long inode_of(struct vmo *vmo)
{
	struct stat st;

	ck_assert_int_eq(fstat(vmo_fd(vmo), &st), 0);
	return (unsigned long)st.st_ino;
}

/* The middle unmap's plan: (1) map the snapshot child over the top page, (2) unmap the
 * middle. When (2) fails, (1) is undone: the top page is the original VMO's again. */
START_TEST(test_second_step_failure_rolls_back_middle_unmap)
{
	struct state s;
	struct tu_map line;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = three_pages();
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;
	char c = 0;

	take(&s);
	arm("backend.step:nth=2");
	ck_assert_int_eq(mm_munmap(&T.mm, a + P, P), -ENOMEM);
	fired_once("backend.step");
	unchanged(&s);
	ck_assert_int_eq(tu_map_at(a + 2 * P, &line), 0);
	ck_assert_uint_eq(line.ino, inode_of(vmo));
	ck_assert_uint_eq(line.off, 0); /* one kernel mapping again, from offset 0 */
	ck_assert(all_bytes((char *)a + 2 * P, P, 'C'));
	/* A write to the top page reaches the original VMO. */
	((char *)a)[2 * P + 3] = 'w';
	ck_assert_int_eq(vmo_read(vmo, &c, 2 * P + 3, 1), 0);
	ck_assert_int_eq(c, 'w');
	ck_assert_uint_eq(T.mm.stats.rollbacks, 1);
	tu_mm_teardown(&T);
}
END_TEST

/* MAP_FIXED over the middle: (1) the snapshot child over the top, (2) the new mapping. */
START_TEST(test_second_step_failure_rolls_back_fixed_mmap_over_middle)
{
	struct state s;
	struct tu_map line;

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = three_pages();
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;

	take(&s);
	arm("backend.step:nth=2");
	ck_assert_int_eq(mm_mmap(&T.mm, a + P, P, RW, ANON | MAP_FIXED, -1, 0), -ENOMEM);
	fired_once("backend.step");
	unchanged(&s);
	ck_assert_int_eq(tu_map_at(a + 2 * P, &line), 0);
	ck_assert_uint_eq(line.ino, inode_of(vmo));
	for (int i = 0; i < 3; i++)
		ck_assert(all_bytes((char *)a + i * P, P, 'A' + i));
	tu_mm_teardown(&T);
}
END_TEST

/* After the commit point nothing may fail: a fault armed on the after-work (shrinking and
 * decommitting VMOs) does not fire, and the operation completes. */
START_TEST(test_faults_after_commit_point_do_not_fire)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = three_pages();
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;

	arm("vmo.resize");
	ck_assert_int_eq(fault_arm("vmo.decommit"), 0);
	ck_assert_int_eq(mm_munmap(&T.mm, a + 2 * P, P), 0); /* tail trim: shrink */
	TU_CHECK(&T.mm);
	ck_assert_int_eq(mm_munmap(&T.mm, a, P), 0); /* head trim: decommit */
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(fault_fired("vmo.resize") + fault_fired("vmo.decommit"), 0);
	ck_assert_uint_ge(fault_calls("vmo.resize"), 1);
	ck_assert_uint_ge(fault_calls("vmo.decommit"), 1);
	fault_disarm();
	ck_assert_uint_eq(vmo_get_size(vmo), 2 * P);
	ck_assert_uint_eq(vmo_committed(vmo), P);
	ck_assert(!T.mm.failed);
	tu_mm_teardown(&T);
}
END_TEST

/* Every failure is followed by a working address space: the same operation succeeds once
 * the fault is gone. */
START_TEST(test_operation_succeeds_after_injected_failure)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = three_pages();

	arm("backend.step:nth=2");
	ck_assert_int_eq(mm_munmap(&T.mm, a + P, P), -ENOMEM);
	fault_disarm();
	TU_CHECK(&T.mm);
	ck_assert_int_eq(mm_munmap(&T.mm, a + P, P), 0);
	TU_CHECK(&T.mm);
	ck_assert_ptr_null(mm_find(&T.mm, a + P));
	ck_assert(all_bytes((char *)a, P, 'A'));
	ck_assert(all_bytes((char *)a + 2 * P, P, 'C'));
	tu_mm_teardown(&T);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("txn");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_vmo_create_failure_leaves_mmap_undone);
	tcase_add_test(tc, test_vmo_create_failure_leaves_fixed_mmap_over_mapping_undone);
	tcase_add_test(tc, test_vmo_snapshot_failure_leaves_middle_munmap_undone);
	tcase_add_test(tc, test_vmo_snapshot_failure_leaves_fixed_mmap_over_middle_undone);
	tcase_add_test(tc, test_vmo_resize_failure_leaves_brk_unchanged);
	tcase_add_test(tc, test_vmo_create_failure_leaves_first_brk_unchanged);
	tcase_add_test(tc, test_vmar_alloc_failure_leaves_mmap_undone);
	tcase_add_test(tc, test_backend_step_failure_leaves_mmap_undone);
	tcase_add_test(tc, test_backend_step_failure_leaves_munmap_undone);
	tcase_add_test(tc, test_backend_step_failure_leaves_tail_trim_undone);
	tcase_add_test(tc, test_backend_step_failure_leaves_mprotect_undone);
	tcase_add_test(tc, test_backend_step_failure_leaves_brk_unchanged);
	tcase_add_test(tc, test_backend_file_failure_leaves_file_mmap_undone);
	tcase_add_test(tc, test_second_step_failure_rolls_back_middle_unmap);
	tcase_add_test(tc, test_second_step_failure_rolls_back_fixed_mmap_over_middle);
	tcase_add_test(tc, test_faults_after_commit_point_do_not_fire);
	tcase_add_test(tc, test_operation_succeeds_after_injected_failure);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
