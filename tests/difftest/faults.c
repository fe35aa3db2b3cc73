/*
 * --faults: the model alone, with one fault point armed at a time ("POINT:every=3").
 *
 * For each point of fault_points[], a fresh model region runs a seeded sequence of
 * FAULT_OPS operations. After every operation: mm_check passes and the model's table equals
 * its real mappings (compare_all without a native side); when the operation failed and the
 * point fired during it, the table, the real layout and every mapped byte are exactly what
 * they were before (the rollback is complete; operations Linux applies part-way take no fault
 * after their commit point, so this holds for them too). At the end of the sequence the model
 * is destroyed and the live VMO count and the open descriptors are back to their values from
 * before mm_init. A point that never fired is reported; it fails the run only for the points
 * these operations must reach (must_fire). Each point runs in a forked process, so a crash
 * of the model (a use-after-free on a rollback path...) fails that point and the others
 * still run.
 *
 * The sequences hold every operation of the generator (mremap moves make several plan steps,
 * good for backend.step; madvise, mlock, msync and mincore pass calls through), and now and
 * then an mm_snapshot into a throw-away child (vmo.snapshot, vmo.create). The table counts,
 * per operation, the failures a fired point caused ("fault-failed"), each of which was
 * checked to leave everything as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault/inject.h"
#include "tests/difftest/dt.h"
#include "vmo/vmo.h"

#define FAULT_OPS 300
#define MAX_PAGES (DT_REGION / DT_PAGE)

static const char *const must_fire[] = {
    "vmo.create", "vmo.snapshot", "vmo.resize", "vmar.alloc", "backend.step", "backend.file",
};

struct snap {
	struct layout view, real;
	uint64_t hash[MAX_PAGES];
};

static struct snap before, after;
static unsigned long fault_failed[OP_NKINDS]; /* per operation kind, in the point's child */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* opendir's own */
}

static void take(struct snap *s)
{
	static char page[DT_PAGE];

	s->view = dt.mview_l;
	s->real = dt.mreal;
	fault_hold();
	memset(s->hash, 0, sizeof(s->hash));
	for (int i = 0; i < dt.nmv; i++)
		for (uint64_t a = dt.mv[i].start; a < dt.mv[i].end; a += DT_PAGE)
			s->hash[a / DT_PAGE] =
			    page_read_model(a, page) ? 1 : hash_bytes(page, DT_PAGE);
	fault_release();
}

static bool must(const char *name)
{
	if (DT_SKIP_BRK_GROW_FAULT && !strcmp(name, "vmo.resize"))
		return false;
	for (size_t i = 0; i < sizeof(must_fire) / sizeof(must_fire[0]); i++)
		if (!strcmp(must_fire[i], name))
			return true;
	return false;
}

/* One point's sequence: 0, or -1 with the failure printed. */
static int run_point(const char *name, uint64_t seed, long *ops, uint64_t *fired, uint64_t *calls)
{
	struct vmo_stats vs0, vs1;
	char spec[96], why[512] = "";
	uint64_t rng = seed;
	int fds0, fds1, rc = 0;
	struct op op;

	vmo_stats_get(&vs0);
	fds0 = count_fds();
	if (model_setup(true) < 0) {
		printf("fault %s: cannot set up the model\n", name);
		return -1;
	}
	if (compare_all(why, sizeof(why)) < 0) {
		mismatch_report(&(struct op){.kind = OP_NKINDS}, "setup", why);
		rc = -1;
		goto out;
	}
	snprintf(spec, sizeof(spec), "%s:every=3", name);
	fault_disarm();
	if (fault_arm(spec) < 0) {
		printf("fault %s: cannot arm %s\n", name, spec);
		rc = -1;
		goto out;
	}
	for (*ops = 0; *ops < FAULT_OPS; (*ops)++) {
		uint64_t f0 = fault_fired(name);
		long r;

		dt.step = (uint64_t)*ops;
		gen_op(&rng, &op);
		if (DT_SKIP_BRK_GROW_FAULT && op.kind == OP_BRK && !strcmp(name, "vmo.resize"))
			continue;
		if (DT_SKIP_SNAPSHOT_VMAR_FAULT && op.kind == OP_SNAPSHOT &&
		    !strcmp(name, "vmar.alloc"))
			continue;
		if (dt.verbose) {
			printf("%6ld  ", *ops);
			op_print(stdout, &op);
			printf("\n");
		}
		take(&before);
		dt.pre = dt.mview_l;
		r = run_model_only(&op);
		if (compare_all(why, sizeof(why)) < 0) {
			rc = -1;
			break;
		}
		if (r < 0 && fault_fired(name) > f0) {
			fault_failed[op.kind]++;
			take(&after);
			const char *what = NULL;
			uint64_t pg = 0;

			if (!layout_equal(&before.view, &after.view))
				what = "the model's table";
			else if (!layout_equal(&before.real, &after.real))
				what = "the real layout";
			for (; !what && pg < MAX_PAGES; pg++)
				if (before.hash[pg] != after.hash[pg])
					what = "the content of page";
			if (what) {
				snprintf(why, sizeof(why),
					 "%s fired, the op failed (%s), but %s changed%s", name,
					 errno_label(r), what, pg ? "" : " (rollback incomplete)");
				if (pg)
					snprintf(why + strlen(why), sizeof(why) - strlen(why),
						 " +%#" PRIx64 " (rollback incomplete)",
						 (uint64_t)((pg - 1) * DT_PAGE));
				rc = -1;
				break;
			}
		}
	}
	*fired = fault_fired(name);
	*calls = fault_live_calls(name); /* those outside holds: every=3 counts these */
	fault_disarm();
	if (rc < 0) {
		(*ops)++;
		mismatch_report(&op, "(fault mode)", why);
	}
out:
	model_teardown();
	vmo_stats_get(&vs1);
	fds1 = count_fds();
	if (!rc && (vs1.live != vs0.live || fds1 != fds0)) {
		printf("fault %s: leak after mm_destroy: live VMOs %" PRIu64 " -> %" PRIu64
		       ", open fds %d -> %d\n",
		       name, vs0.live, vs1.live, fds0, fds1);
		rc = -1;
	}
	return rc;
}

struct point_result {
	int rc;
	long ops;
	uint64_t fired, calls;
	unsigned long failed[OP_NKINDS];
};

/* Runs one point in a child process; a crash is a failure of that point. */
static struct point_result run_isolated(const char *name, uint64_t seed)
{
	struct point_result res = {.rc = -1};
	int p[2], st = 0;
	pid_t pid;

	fflush(NULL);
	if (pipe(p) < 0 || (pid = fork()) < 0) {
		printf("fault %s: cannot fork\n", name);
		return res;
	}
	if (pid == 0) {
		close(p[0]);
		res.rc = run_point(name, seed, &res.ops, &res.fired, &res.calls);
		memcpy(res.failed, fault_failed, sizeof(res.failed));
		fflush(NULL);
		_exit(write(p[1], &res, sizeof(res)) == sizeof(res) ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &res, sizeof(res)) != sizeof(res))
		res.rc = -1;
	close(p[0]);
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st)) {
		printf("fault %s: the model crashed (signal %d: %s)\n", name, WTERMSIG(st),
		       strsignal(WTERMSIG(st)));
		res.rc = -1;
	}
	return res;
}

int faults_run(void)
{
	long total = 0;
	int failed = 0;

	for (size_t i = 0; i < fault_npoints; i++) {
		const char *name = fault_points[i].name;
		struct point_result pr = run_isolated(name, dt.seed * 1000 + i);
		/* A point that had 3 calls that could fail must have fired (every=3). */
		bool missed = !pr.fired && must(name) && pr.calls >= 3;
		const char *res = pr.rc < 0  ? "FAIL"
				  : pr.fired ? "ok"
				  : missed   ? "FAIL(not-fired)"
					     : "not-fired";

		if (pr.rc == 0 && missed)
			pr.rc = -1;
		failed += pr.rc < 0;
		total += pr.ops;
		printf("fault %-14s fired=%-4" PRIu64 " calls=%-5" PRIu64 " ops=%-4ld %s\n", name,
		       pr.fired, pr.calls, pr.ops, res);
		table_count("fault", res[0] == 'o' ? "fired" : res);
		for (int k = 0; k < OP_NKINDS; k++)
			if (pr.failed[k])
				table_add("fault-failed", op_kind_name((enum op_kind)k),
					  pr.failed[k]);
	}
	if (dt.table)
		table_print(stdout);
	if (dt.table_out)
		table_write(dt.table_out);
	printf("ops=%ld mismatches=%d\n", total, failed);
	return failed ? 1 : 0;
}
