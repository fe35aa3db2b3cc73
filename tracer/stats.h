/*
 * What a session shows besides the program's own output: the counters printed at exit by
 * --stats (a table) or --stats=json, and the per-call lines of --trace.
 */
#ifndef TRACER_STATS_H
#define TRACER_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#define TR_STATS_NR_MAX 512 /* x86-64 system call numbers are below this */

struct tr_stats {
	uint64_t trapped[TR_STATS_NR_MAX]; /* seccomp stops per system call number */
	uint64_t trapped_other;		   /* numbers >= TR_STATS_NR_MAX (none expected) */
	uint64_t foreign_calls;		   /* i386/x32 calls refused */
	uint64_t stops;			   /* every ptrace stop the loop handled */
	uint64_t signal_stops;		   /* signal-delivery stops */
	uint64_t tasks;			   /* tasks followed, the first included */
	/* Filled by the model and the remote-call layer (the lead's part). */
	uint64_t injected_calls, batches;
	uint64_t vmos_created, vmos_live_at_exit, vmos_peak;
	uint64_t bytes_copied, faults_handled, world_stops;
	uint64_t faults_injected; /* --fault firings */
	uint64_t fds_given;	  /* VMO descriptors handed over by pidfd_getfd (tracer/givefd.h) */
	bool starmm_failed;    /* the exit status is starmm-run's failure, not the program's */
	int exit_status;       /* starmm-run's exit status */
	struct timespec start; /* CLOCK_MONOTONIC at tr_stats_start() */
};

/* Zero *s and start its clock. */
void tr_stats_start(struct tr_stats *s);

/* Count one trapped call. */
void tr_stats_trapped(struct tr_stats *s, long nr);

/* Write the counters to out: a readable table (json false) or one JSON object and a newline.
 * The supervisor's CPU time comes from getrusage(RUSAGE_SELF). Returns 0 or -errno. */
int tr_stats_print(const struct tr_stats *s, FILE *out, bool json);

#endif

/*
 * --trace: write one strace-like line for system call nr made by tid with args (rdi, rsi,
 * rdx, r10, r8, r9) that returned ret (or, when finished is false, that never returned:
 * "= ?"). Memory-call flags are decoded symbolically (PROT_*, MAP_*, MREMAP_*, MADV_*, …).
 */
void tr_trace_line(FILE *out, pid_t tid, long nr, const uint64_t args[6], int64_t ret,
		   bool finished);
