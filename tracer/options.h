/*
 * starmm-run's command line: `starmm-run [OPTIONS] [--] PROGRAM [ARGS...]`.
 */
#ifndef TRACER_OPTIONS_H
#define TRACER_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#define TR_VERSION "0.1"

/* Exit statuses of starmm-run itself (as env(1) and timeout(1)). */
#define TR_EXIT_FAILED	   125 /* starmm-run failed, or refused the program */
#define TR_EXIT_CANNOT_RUN 126 /* PROGRAM found but could not be executed */
#define TR_EXIT_NOT_FOUND  127 /* PROGRAM not found */

enum tr_verify { TR_VERIFY_OFF, TR_VERIFY_EXIT, TR_VERIFY_OP };
enum tr_split { TR_SPLIT_SNAPSHOT, TR_SPLIT_OFFSET };
enum tr_stats_mode { TR_STATS_OFF, TR_STATS_TEXT, TR_STATS_JSON };

struct tr_options {
	const char *output; /* -o FILE: the supervisor's output; NULL = stderr */
	uint64_t seed;	    /* --seed=N: the VMAR's ASLR seed */
	bool seed_set;
	bool aslr;		  /* --aslr=on|off (default on) */
	bool vmar_half;		  /* --vmar=half: the VMAR covers half the user range */
	enum tr_split split;	  /* --split=snapshot|offset */
	bool no_adopt;		  /* --no-adopt */
	bool trace;		  /* --trace */
	enum tr_verify verify;	  /* --verify=off|exit|op */
	enum tr_stats_mode stats; /* --stats[=json] */
	bool maps;		  /* --maps */
	const char *fault_log;	  /* --fault-log=FILE */
	unsigned faults;	  /* --fault rules armed (fault/inject.h) while parsing */
	uint64_t fault_op;	  /* --fault-op=K: the K-th trapped memory operation fails at its
				     plan (0: none) */
	char **argv; /* PROGRAM and its arguments, NULL-terminated (points into argv) */
};

/*
 * Parse argv into *o (defaults first). Each --fault rule is armed in fault/inject as it is
 * parsed (every earlier rule is disarmed first); --fault=list prints the points. On a bad command line, prints a message naming the
 * option and what it accepts to stderr. Returns 0 when there is a program to run,
 * -ECANCELED when --help, --version or --fault=list was printed (exit 0), -EINVAL on a bad command line
 * (exit TR_EXIT_FAILED).
 */
int tr_options_parse(int argc, char **argv, struct tr_options *o);

#endif
