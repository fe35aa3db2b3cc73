/*
 * Unit tests of mm_snapshot (mm/snapshot.c), the model side of fork: run in a real forked
 * child with the self backend, so that the child's re-pointed mappings are checked against
 * what fork(2) gives natively: private memory diverges, shared anonymous memory stays shared,
 * pieces of one VMO stay pieces of one VMO, DONTFORK ranges are gone and WIPEONFORK ranges
 * read zero. A failed copy leaves nothing behind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault/inject.h"
#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

#define P TU_PAGE
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define SHANON (MAP_SHARED | MAP_ANONYMOUS)

static struct tu_mm T;
static uint64_t priv, shared, dontfork, wipe;

static void setup(void)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, true);
	priv = tu_mmap_ok(&T, 0, 4 * P, RW, ANON, -1, 0);
	shared = tu_mmap_ok(&T, 0, P, RW, SHANON, -1, 0);
	dontfork = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	wipe = tu_mmap_ok(&T, 0, P, RW, ANON, -1, 0);
	memset((void *)priv, 'p', 4 * P);
	memset((void *)shared, 's', P);
	memset((void *)dontfork, 'd', P);
	memset((void *)wipe, 'w', P);
	/* The model flags madvise would set (whole mappings: no split needed). */
	mm_find(&T.mm, dontfork)->flags |= MF_DONTFORK;
	mm_find(&T.mm, wipe)->flags |= MF_WIPEONFORK;
	/* Two pieces of one VMO. */
	ck_assert_int_eq(mm_mprotect(&T.mm, priv, P, PROT_READ), 0);
}

static void teardown(void)
{
	tu_mm_teardown(&T);
}

/* What the forked child found, reported through shared memory. */
struct report {
	int status; /* 0: every check passed; else the number of the failed check */
	char priv0, priv3, shared0, wipe0;
	char dontfork_prots[4];
	int pieces_share_vmo;
	char check[256];
};

static int child(void *arg)
{
	struct report *rep = arg;
	struct mm c;
	struct plan plan;
	size_t done;

	if (mm_snapshot(&T.mm, &c, &self_backend_ops, &T.sb, &plan))
		return rep->status = 1;
	done = self_backend_ops.run(&T.sb, &plan);
	if (done != plan.n)
		return rep->status = 2;
	free(plan.steps);
	if (mm_check(&c, rep->check, sizeof(rep->check)))
		return rep->status = 3;
	/* The child writes its private and shared memory. */
	memset((void *)(priv + P), 'C', 3 * P);
	memset((void *)shared, 'S', P);
	rep->priv0 = *(char *)priv;
	rep->priv3 = ((char *)priv)[3 * P];
	rep->shared0 = *(char *)shared;
	rep->wipe0 = *(char *)wipe;
	tu_prots(dontfork, 1, rep->dontfork_prots);
	rep->pieces_share_vmo = mm_find(&c, priv)->vmo == mm_find(&c, priv + P)->vmo &&
				mm_find(&c, priv)->vmo != mm_find(&T.mm, priv)->vmo;
	if (mm_find(&c, dontfork))
		return rep->status = 4;
	mm_destroy(&c);
	return 0;
}

START_TEST(test_fork_snapshot_matches_fork_semantics)
{
	struct report *rep = tu_shared(sizeof(*rep));

	ck_assert_int_eq(tu_in_child(child, rep), 0);
	ck_assert_msg(rep->status == 0, "child check %d failed: %s", rep->status, rep->check);
	/* In the child: its own copy of the private memory, the shared page shared. */
	ck_assert_int_eq(rep->priv0, 'p');
	ck_assert_int_eq(rep->priv3, 'C');
	ck_assert_int_eq(rep->shared0, 'S');
	ck_assert_int_eq(rep->wipe0, 0);
	ck_assert_str_eq(rep->dontfork_prots, "...");
	ck_assert(rep->pieces_share_vmo);
	/* In the parent: private memory untouched, shared memory written by the child. */
	ck_assert_int_eq(((char *)priv)[3 * P], 'p');
	ck_assert_int_eq(*(char *)shared, 'S');
	ck_assert_int_eq(*(char *)dontfork, 'd');
	ck_assert_int_eq(*(char *)wipe, 'w');
	tu_shared_free(rep, sizeof(*rep));
	TU_CHECK(&T.mm);
}
END_TEST

START_TEST(test_failed_copy_leaves_nothing)
{
	uint64_t live = tu_live_vmos();
	int fds = tu_count_fds();
	struct plan plan;
	struct mm c;

	fault_disarm();
	ck_assert_int_eq(fault_arm("vmo.snapshot:nth=1"), 0);
	ck_assert_int_eq(mm_snapshot(&T.mm, &c, &self_backend_ops, &T.sb, &plan), -ENOMEM);
	fault_disarm();
	ck_assert_uint_eq(tu_live_vmos(), live);
	ck_assert_int_eq(tu_count_fds(), fds);
	ck_assert_uint_eq(plan.n, 0);
	TU_CHECK(&T.mm);
}
END_TEST

START_TEST(test_snapshot_copies_only_committed_pages)
{
	struct vmo_stats before, after;
	struct plan plan;
	struct mm c;

	vmo_stats_get(&before);
	ck_assert_int_eq(mm_snapshot(&T.mm, &c, &self_backend_ops, &T.sb, &plan), 0);
	vmo_stats_get(&after);
	/* Private VMOs: priv (4 pages written) and dontfork (dropped, not copied). */
	ck_assert_uint_eq(after.bytes_copied - before.bytes_copied, 4 * P);
	ck_assert_uint_eq(after.snapshots - before.snapshots, 1);
	free(plan.steps);
	mm_destroy(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fork_snapshot_matches_fork_semantics);
	tcase_add_test(tc, test_failed_copy_leaves_nothing);
	tcase_add_test(tc, test_snapshot_copies_only_committed_pages);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
