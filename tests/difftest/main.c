/*
 * difftest: the differential test of starmm's memory manager against the Linux kernel.
 *
 * The same seeded random operations (mmap, munmap, mprotect, pkey_mprotect, brk, writes,
 * mremap, madvise, mlock/mlock2/munlock/munlockall, msync, mincore) run natively and through
 * the model (struct mm with the self backend), side by side in one process, and after every
 * operation results, layouts and memory must agree (run.c, compare.c). Every --fork-every
 * operations the harness forks and compares the child's side of both (fork.c; mlockall is
 * tested there). The run stops at the first mismatch, printing both views. The last line is
 * always "ops=N mismatches=M"; the exit status is non-zero when M > 0.
 *
 *	difftest [--ops N] [--seed S] [--split snapshot|offset] [--no-table]
 *		 [--table-out FILE] [--faults] [--fork-every N] [-v]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tests/difftest/dt.h"

struct dt dt = {
    .nops = 2000,
    .seed = 1,
    .table = true,
    .nhole_fd = -1,
    .memfd_self = -1,
    .pagemap_self = -1,
    .fork_every = 250,
};

static void usage(void)
{
	fputs("usage: difftest [--ops N] [--seed S] [--split snapshot|offset] [--no-table]\n"
	      "                [--table-out FILE] [--faults] [--fork-every N] [-v]\n",
	      stderr);
	exit(2);
}

static void options(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"ops", required_argument, NULL, 'n'},
	    {"seed", required_argument, NULL, 's'},
	    {"split", required_argument, NULL, 'p'},
	    {"no-table", no_argument, NULL, 'T'},
	    {"table-out", required_argument, NULL, 'o'},
	    {"faults", no_argument, NULL, 'f'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"fork-every", required_argument, NULL, 'F'},
	    {0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			dt.nops = strtol(optarg, NULL, 0);
			break;
		case 's':
			dt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			if (!strcmp(optarg, "offset"))
				dt.split = MM_SPLIT_OFFSET;
			else if (!strcmp(optarg, "snapshot"))
				dt.split = MM_SPLIT_SNAPSHOT;
			else
				usage();
			break;
		case 'T':
			dt.table = false;
			break;
		case 'o':
			dt.table_out = optarg;
			break;
		case 'f':
			dt.faults = true;
			break;
		case 'v':
			dt.verbose = true;
			break;
		case 'F':
			dt.fork_every = strtol(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || dt.nops < 0 || dt.fork_every < 0)
		usage();
}

static void cleanup(void)
{
	if (dt.brk_pid > 0)
		brk_child_stop();
	files_cleanup();
}

static void die(const char *what, int err)
{
	fprintf(stderr, "difftest: %s: %s\n", what, strerror(-err));
	printf("ops=0 mismatches=1\n");
	exit(1);
}

static void setup(void)
{
	int e;

	if (stat_field(45, &dt.start_data) < 0 || stat_field(46, &dt.end_data) < 0)
		die("cannot read start_data/end_data from /proc/self/stat", -EIO);
	/* Keep slack at the top of the heap, so that the harness's small allocations during
	 * an operation never need more memory while a low RLIMIT_DATA is in force. */
	mallopt(M_TOP_PAD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	atexit(cleanup);
	if (!dt.faults && (e = brk_child_start()) < 0)
		die("cannot start the brk child", e);
	memlock_setup();
	if ((e = files_setup()) < 0)
		die("cannot create the test files", e);
	guard_install();
	dt.memfd_self = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	if (dt.memfd_self < 0)
		die("cannot open /proc/self/mem", -errno);
	dt.pagemap_self = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (dt.pagemap_self < 0)
		die("cannot open /proc/self/pagemap", -errno);
	/* Data ballast (never touched): the harness's VmData minus the native region's always
	 * exceeds the largest heap, so ext_data_pages stays positive (run.c). */
	if (mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0) == MAP_FAILED)
		die("cannot map the data ballast", -errno);
}

int main(int argc, char **argv)
{
	char why[512] = "";
	uint64_t rng;
	long done = 0;
	int mismatches = 0;
	struct op op;

	options(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup();
	if (dt.faults)
		return faults_run();
	if ((mismatches = native_setup()) < 0)
		die("cannot reserve the native region", mismatches);
	if ((mismatches = model_setup(true)) < 0)
		die("cannot set up the model", mismatches);
	mismatches = 0;
	if (compare_all(why, sizeof(why)) < 0) {
		mismatch_report(&(struct op){.kind = OP_NKINDS}, "(setup)", why);
		printf("ops=0 mismatches=1\n");
		return 1;
	}
	rng = dt.seed ^ 0x5eed5eed5eedULL;
	for (dt.step = 1; done < dt.nops; dt.step++) {
		gen_op(&rng, &op);
		if (dt.verbose) {
			printf("%6" PRIu64 "  ", dt.step);
			op_print(stdout, &op);
			printf("\n");
		}
		done++;
		if (run_step(&op) < 0) {
			mismatches = 1;
			break;
		}
		if (dt.fork_every && done % dt.fork_every == 0 &&
		    fork_run(rng_next(&rng) ^ dt.step) < 0) {
			mismatches = 1;
			break;
		}
	}
	model_teardown();
	native_teardown();
	if (dt.table)
		table_print(stdout);
	if (dt.table_out && table_write(dt.table_out) < 0)
		fprintf(stderr, "difftest: cannot write %s\n", dt.table_out);
	printf("forks=%" PRIu64 "\n", dt.forks);
	printf("ops=%ld mismatches=%d\n", done, mismatches);
	return mismatches ? 1 : 0;
}
