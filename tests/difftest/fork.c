/*
 * Fork snapshots: every dt.fork_every operations the main loop forks the harness.
 *
 * The kernel's fork gives the child the native region as fork(2) defines it (private memory
 * copied, shared memory shared, DONTFORK ranges absent, WIPEONFORK ranges zero, no locks).
 * The child's model is mm_snapshot of the parent's, its plan run by the self backend on the
 * child's copy of the model region (model_fork). In the child:
 *  1. the placeholders go back over the native holes the DONTFORK ranges left (first thing,
 *     before anything could allocate there);
 *  2. everything is compared as after an operation, and in particular, for both sides, every
 *     parent mapping with DONTFORK must be absent and every WIPEONFORK page must read zero;
 *  3. a short seeded sequence of writes, mmaps and munmaps runs through run_step (each step
 *     compared, as in the main loop);
 *  4. mlockall with random flags, then munlockall, each compared (mlockall locks the whole
 *     process: here the harness may be locked; under ASan MCL_ONFAULT is always added, the
 *     shadow mappings being far too large to populate).
 * The child reports its mismatches through a pipe and exits (a crash counts as a mismatch).
 * The brk child is the parent's: the forked child neither talks to it nor compares the heap.
 *
 * Back in the parent, everything is compared again: private memory must be what it was
 * before the fork on both sides, shared memory must show the child's writes on both sides
 * (the compare is native against model, so both must hold). Counted as fork compared.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/difftest/dt.h"

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

#define FORK_OPS 24

struct fork_result {
	int mismatches;
	long ops;
	char lockall[48], unlockall[48]; /* the outcomes, counted in the parent's table */
};

void fork_mlockall_flags(uint64_t *rng, int *flags)
{
	static const int sets[] = {
	    MCL_CURRENT,
	    MCL_CURRENT | MCL_ONFAULT,
	    MCL_CURRENT | MCL_FUTURE,
	    MCL_FUTURE,
	    MCL_ONFAULT,
	    0,
	    0x10,
	    MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT,
	};

	*flags = sets[rng_below(rng, sizeof(sets) / sizeof(sets[0]))];
#if defined(__SANITIZE_ADDRESS__)
	if (*flags & MCL_CURRENT)
		*flags |= MCL_ONFAULT;
#endif
}

static bool is_zero(const char *page)
{
	return page[0] == 0 && !memcmp(page, page + 1, DT_PAGE - 1);
}

static int fail(const char *what, const char *why)
{
	static struct op none = {.kind = OP_NKINDS};

	mismatch_report(&none, what, why);
	return -1;
}

/* Step 2's fork-specific checks, against the parent's view `pv` (np mappings). */
static int check_fork_flags(const struct mview *pv, int np)
{
	static char page[DT_PAGE];
	char why[256];

	for (int i = 0; i < np; i++) {
		const struct mview *v = &pv[i];

		if (v->start >= DT_OPS_END)
			continue;
		if (v->flags & MF_DONTFORK) {
			for (int k = 0; k < dt.nmv; k++)
				if (dt.mv[k].start < v->end && v->start < dt.mv[k].end) {
					snprintf(why, sizeof(why),
						 "DONTFORK range +%#" PRIx64 " present in the "
						 "child's model",
						 v->start);
					return fail("(fork)", why);
				}
			written_clear(v->start, v->end - v->start);
		}
		if (!(v->flags & MF_WIPEONFORK) || (v->flags & MF_DONTFORK))
			continue;
		for (uint64_t a = v->start; a < v->end; a += DT_PAGE) {
			int n = page_read_native(a, page);

			if (!n && is_zero(page) && !page_read_model(a, page) && is_zero(page))
				continue;
			snprintf(why, sizeof(why),
				 "WIPEONFORK page +%#" PRIx64 " not zero in the "
				 "child (native read %d)",
				 a, n);
			return fail("(fork)", why);
		}
		written_clear(v->start, v->end - v->start);
	}
	return 0;
}

static int child_lockall(uint64_t *rng, struct fork_result *res)
{
	struct op op = {.kind = OP_MLOCKALL, .fslot = FS_ANON, .pkey = -1};

	fork_mlockall_flags(rng, &op.flags);
	if (run_step(&op) < 0)
		return -1;
	snprintf(res->lockall, sizeof(res->lockall), "%s", run_last_label());
	op = (struct op){.kind = OP_MUNLOCKALL, .fslot = FS_ANON, .pkey = -1};
	if (run_step(&op) < 0)
		return -1;
	snprintf(res->unlockall, sizeof(res->unlockall), "%s", run_last_label());
	return 0;
}

static struct fork_result child_main(uint64_t seed)
{
	static struct mview pv[DT_MAXSEG];
	struct fork_result res = {0};
	char why[512] = "";
	uint64_t rng = seed;
	int np = dt.nmv;
	long r;

	native_restore();
	dt.in_fork = true;
	dt.brk_pid = 0;
	close(dt.memfd_self);
	dt.memfd_self = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	close(dt.pagemap_self);
	dt.pagemap_self = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	memcpy(pv, dt.mv, sizeof(pv[0]) * (size_t)np);
	r = model_fork();
	if (r < 0) {
		snprintf(why, sizeof(why), "model_fork: %s", errno_label(r));
		res.mismatches = 1;
		fail("(fork)", why);
		return res;
	}
	if (compare_all(why, sizeof(why)) < 0 || check_fork_flags(pv, np) < 0) {
		if (why[0])
			fail("(fork: the child right after the fork)", why);
		res.mismatches = 1;
		return res;
	}
	for (int i = 0; i < FORK_OPS; i++) {
		unsigned k = (unsigned)rng_below(&rng, 100);
		struct op op;

		gen_op_kind(&rng, &op, k < 60 ? OP_WRITE : k < 80 ? OP_MMAP : OP_MUNMAP);
		dt.step++;
		res.ops++;
		if (run_step(&op) < 0) {
			res.mismatches = 1;
			return res;
		}
	}
	if (dt.capable_lock || dt.memlock_ok) {
		res.ops += 2;
		if (child_lockall(&rng, &res) < 0)
			res.mismatches = 1;
	}
	return res;
}

int fork_run(uint64_t seed)
{
	struct fork_result res = {.mismatches = 1};
	char why[512] = "";
	int p[2], st = 0;
	pid_t pid;

	fflush(NULL);
	if (pipe(p) < 0 || (pid = fork()) < 0)
		return fail("(fork)", "cannot fork");
	if (pid == 0) {
		close(p[0]);
		res = child_main(seed);
		fflush(NULL);
		_exit(write(p[1], &res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &res, sizeof(res)) != sizeof(res))
		res.mismatches = 1;
	close(p[0]);
	waitpid(pid, &st, 0);
	dt.forks++;
	if (WIFSIGNALED(st)) {
		snprintf(why, sizeof(why), "the forked child died of signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
		return fail("(fork)", why);
	}
	if (res.mismatches) {
		dt.fork_mismatches++;
		printf("fork at step %" PRIu64 ": the child found a mismatch (above)\n", dt.step);
		return -1;
	}
	if (compare_all(why, sizeof(why)) < 0)
		return fail("(fork: the parent after the child exited)", why);
	table_count("fork", "compared");
	table_add("fork", "child-ops", (unsigned long)res.ops);
	if (res.lockall[0])
		table_count("mlockall", res.lockall);
	if (res.unlockall[0])
		table_count("munlockall", res.unlockall);
	return 0;
}
