/*
 * What every benchmark of scripts/bench/ shares: a monotonic clock and the median of a few
 * runs (medians, not means: one slow run on a shared machine must not move the figure).
 */
#ifndef STARMM_BENCH_H
#define STARMM_BENCH_H

#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v[0..n) and returns its median. */
static inline double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(v[0]), bench_cmp);
	return v[n / 2];
}

#endif
