/*
 * starmm-run's command line.
 *
 * What it models: the user's request, parsed once into struct tr_options; nothing else reads
 * argv. Invariants: parsing stops at the first non-option (PROGRAM's own options are its own,
 * as with env(1)); a bad option never starts the program: the message names the option and
 * the accepted values, and the caller exits TR_EXIT_FAILED. Options whose effect lives in the
 * model (--verify, --maps, --split, --no-adopt, --seed, --aslr, --vmar) are only recorded here;
 * --fault rules are armed in fault/inject as they are parsed (that is their parser).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault/inject.h"
#include "tracer/options.h"

static const char usage_line[] = "usage: starmm-run [OPTIONS] [--] PROGRAM [ARGS...]\n";

static const char help_text[] =
    "Run PROGRAM under a ptrace supervisor whose memory system calls go through an\n"
    "emulated Starnix-style memory manager (VMOs placed in a VMAR).\n"
    "\n"
    "Options:\n"
    "  -h, --help              print this help and exit\n"
    "      --version           print the version and exit\n"
    "  -o, --output=FILE       write starmm-run's reports (trace, stats, maps) to FILE\n"
    "                          instead of stderr; error messages stay on stderr\n"
    "      --seed=N            seed of the VMAR's address randomisation (default: random)\n"
    "      --aslr=on|off       randomise placement in the VMAR (default on)\n"
    "      --vmar=full|half    the VMAR covers the whole user range or its lower half\n"
    "      --split=snapshot|offset  how munmap of a middle range splits a VMO\n"
    "      --no-adopt          do not adopt the mappings made by exec into VMOs\n"
    "      --trace             one line per trapped system call, strace-like\n"
    "      --verify=off|exit|op  compare the model with /proc/PID/maps (guard markers:\n"
    "                          pagemap) at exit or after every operation; a mismatch\n"
    "                          makes starmm-run fail\n"
    "      --stats[=json]      print counters at exit (a table, or one JSON object)\n"
    "      --maps              print each address space as the model sees it at exit\n"
    "      --fault=RULE        make a step of the memory manager fail (repeatable):\n"
    "                          POINT[:nth=N|:every=N|:p=P][:errno=NAME], POINT a name or\n"
    "                          glob from --fault=list; p=P draws from --seed\n"
    "      --fault-op=K        the K-th trapped memory operation (1-based, in --trace\n"
    "                          order) fails at its last fallible step, its plan: every\n"
    "                          earlier step must roll back\n"
    "      --fault-log=FILE    one JSON line per injected fault\n"
    "\n"
    "Exit status: PROGRAM's own; 128+N if it died of signal N; 125 if starmm-run failed\n"
    "or refused the program; 126 if PROGRAM cannot be executed; 127 if it is not found.\n";

enum {
	OPT_VERSION = 256,
	OPT_SEED,
	OPT_ASLR,
	OPT_VMAR,
	OPT_SPLIT,
	OPT_NO_ADOPT,
	OPT_TRACE,
	OPT_VERIFY,
	OPT_STATS,
	OPT_MAPS,
	OPT_FAULT,
	OPT_FAULT_LOG,
	OPT_FAULT_OP,
};

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"output", required_argument, NULL, 'o'},
    {"seed", required_argument, NULL, OPT_SEED},
    {"aslr", required_argument, NULL, OPT_ASLR},
    {"vmar", required_argument, NULL, OPT_VMAR},
    {"split", required_argument, NULL, OPT_SPLIT},
    {"no-adopt", no_argument, NULL, OPT_NO_ADOPT},
    {"trace", no_argument, NULL, OPT_TRACE},
    {"verify", required_argument, NULL, OPT_VERIFY},
    {"stats", optional_argument, NULL, OPT_STATS},
    {"maps", no_argument, NULL, OPT_MAPS},
    {"fault", required_argument, NULL, OPT_FAULT},
    {"fault-log", required_argument, NULL, OPT_FAULT_LOG},
    {"fault-op", required_argument, NULL, OPT_FAULT_OP},
    {NULL, 0, NULL, 0},
};

static int bad(const char *opt, const char *expected, const char *got)
{
	fprintf(stderr, "starmm-run: %s: expected %s, got '%s'\n", opt, expected, got);
	return -EINVAL;
}

/* Index of arg in the NULL-terminated words, or -1. */
static int choice(const char *arg, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (!strcmp(arg, words[i]))
			return i;
	return -1;
}

static int parse_seed(const char *arg, uint64_t *seed)
{
	unsigned long long v;
	char *end;

	if (!*arg || *arg == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*seed = v;
	return 0;
}

static int parse_one(int c, const char *arg, struct tr_options *o)
{
	static const char *const on_off[] = {"off", "on", NULL};
	static const char *const full_half[] = {"full", "half", NULL};
	static const char *const splits[] = {"snapshot", "offset", NULL};
	static const char *const verifies[] = {"off", "exit", "op", NULL};
	int i;

	switch (c) {
	case 'o':
		if (!*arg)
			return bad("-o", "a file name", arg);
		o->output = arg;
		return 0;
	case OPT_SEED:
		if (parse_seed(arg, &o->seed))
			return bad("--seed", "an unsigned integer (decimal or 0x hex)", arg);
		o->seed_set = true;
		return 0;
	case OPT_ASLR:
		if ((i = choice(arg, on_off)) < 0)
			return bad("--aslr", "on or off", arg);
		o->aslr = i;
		return 0;
	case OPT_VMAR:
		if ((i = choice(arg, full_half)) < 0)
			return bad("--vmar", "full or half", arg);
		o->vmar_half = i;
		return 0;
	case OPT_SPLIT:
		if ((i = choice(arg, splits)) < 0)
			return bad("--split", "snapshot or offset", arg);
		o->split = i ? TR_SPLIT_OFFSET : TR_SPLIT_SNAPSHOT;
		return 0;
	case OPT_NO_ADOPT:
		o->no_adopt = true;
		return 0;
	case OPT_TRACE:
		o->trace = true;
		return 0;
	case OPT_VERIFY:
		if ((i = choice(arg, verifies)) < 0)
			return bad("--verify", "off, exit or op", arg);
		o->verify = (enum tr_verify[]){TR_VERIFY_OFF, TR_VERIFY_EXIT, TR_VERIFY_OP}[i];
		return 0;
	case OPT_STATS:
		if (arg && strcmp(arg, "json"))
			return bad("--stats", "no value or json (--stats=json)", arg);
		o->stats = arg ? TR_STATS_JSON : TR_STATS_TEXT;
		return 0;
	case OPT_MAPS:
		o->maps = true;
		return 0;
	case OPT_FAULT:
		if (fault_arm(arg) < 0)
			return bad("--fault", "POINT[:nth=N|:every=N|:p=P][:errno=NAME] with POINT "
					      "a name or glob from --fault=list",
				   arg);
		o->faults++;
		return 0;
	case OPT_FAULT_OP:
		if (parse_seed(arg, &o->fault_op) || !o->fault_op)
			return bad("--fault-op", "a positive integer", arg);
		return 0;
	case OPT_FAULT_LOG:
		if (!*arg)
			return bad("--fault-log", "a file name", arg);
		o->fault_log = arg;
		return 0;
	}
	return -EINVAL;
}

/* --fault=list: the points of fault/inject's table. */
static void print_points(void)
{
	printf("%-16s %-8s %s\n", "POINT", "ERRNO", "WHAT FAILS");
	for (size_t i = 0; i < fault_npoints; i++)
		printf("%-16s %-8s %s\n", fault_points[i].name,
		       fault_errno_name(fault_points[i].default_errno), fault_points[i].what);
}

int tr_options_parse(int argc, char **argv, struct tr_options *o)
{
	int c, ret;

	*o = (struct tr_options){.aslr = true};
	fault_disarm();
	opterr = 0; /* our own messages, which say what is accepted */
	optind = 1;
	/* '+': stop at PROGRAM; ':': report a missing argument apart from an unknown option. */
	while ((c = getopt_long(argc, argv, "+:ho:", long_options, NULL)) != -1) {
		const char *word = argv[optind - 1];

		switch (c) {
		case 'h':
			fputs(usage_line, stdout);
			fputs(help_text, stdout);
			return -ECANCELED;
		case OPT_VERSION:
			puts("starmm-run " TR_VERSION);
			return -ECANCELED;
		case ':':
			fprintf(stderr, "starmm-run: %s: missing argument\n", word);
			goto usage;
		case '?':
			if (optopt && optopt < 256 && word[0] == '-' && word[1] != '-')
				fprintf(stderr, "starmm-run: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr,
					"starmm-run: unknown option or unexpected value '%s'\n",
					word);
			goto usage;
		case OPT_FAULT:
			if (!strcmp(optarg, "list")) {
				print_points();
				return -ECANCELED;
			}
			/* fall through */
		default:
			ret = parse_one(c, optarg, o);
			if (ret)
				return ret;
		}
	}
	if (optind >= argc) {
		fputs("starmm-run: missing PROGRAM\n", stderr);
		goto usage;
	}
	o->argv = argv + optind;
	return 0;
usage:
	fputs(usage_line, stderr);
	fputs("Try 'starmm-run --help' for more information.\n", stderr);
	return -EINVAL;
}
