/*
 * Benchmark: VMAR placement alone (vmo/vmar), operations per second on a VMAR already
 * holding N allocations. Three workloads, each the median of 5 runs:
 *  - random: N allocations of 1-16 pages (one in 8 guarded, ASLR on), then P pairs of
 *    "release a random allocation, place a new one";
 *  - holes: N one-page allocations separated by one-page holes right below the origin, then
 *    P pairs of a two-page placement and its release: each search must pass every hole, so
 *    a linear scan would cost O(N) per placement;
 *  - 32bit: N/10 allocations in the MAP_32BIT window, then P/10 pairs of a random 32-bit
 *    placement (O(gaps in the window) by design) and its release.
 * Usage: vmar_bench [N [P]]   (default 10000 100000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "scripts/bench/bench.h"
#include "vmo/vmar.h"

#define PG   VMAR_PAGE_SIZE
#define RUNS 5

static uint64_t rng = 1;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static void init(struct vmar *v, bool aslr)
{
	struct vmar_config c = {
	    .base = 0x10000,
	    .size = (1ULL << 47) - 0x10000 - PG,
	    .slot = (1ULL << 47) - 0x1000000,
	    .slot_size = 2 * PG,
	    .place_lo = 0x10000,
	    .place_hi = (1ULL << 47) - 0x10000000,
	    .top = 0x7f0000000000,
	    .aslr = aslr,
	    .seed = 42,
	};

	if (vmar_init(v, &c)) {
		fprintf(stderr, "vmar_bench: vmar_init failed\n");
		exit(1);
	}
}

static long must(long a, const char *what)
{
	if (a < 0) {
		fprintf(stderr, "vmar_bench: %s failed: %ld\n", what, a);
		exit(1);
	}
	return a;
}

static void check(struct vmar *v)
{
	char msg[256];

	if (vmar_check(v, msg, sizeof(msg))) {
		fprintf(stderr, "vmar_bench: %s\n", msg);
		exit(1);
	}
}

/* Seconds for p pairs; each workload fills its VMAR first (not timed). */
static double run_random(uint64_t n, uint64_t p)
{
	uint64_t *addr = malloc(n * sizeof(*addr)), *size = malloc(n * sizeof(*size));
	struct vmar v;
	double t;

	init(&v, true);
	for (uint64_t i = 0; i < n; i++) {
		struct vmar_req r = {.size = (1 + rnd(16)) * PG, .flags = rnd(8) ? 0 : VMAR_GUARD};

		addr[i] = must(vmar_alloc(&v, &r), "alloc");
		size[i] = r.size;
	}
	t = bench_now();
	for (uint64_t i = 0; i < p; i++) {
		uint64_t k = rnd(n);
		struct vmar_req r = {.size = (1 + rnd(16)) * PG};

		must(vmar_release(&v, addr[k], size[k]), "release");
		addr[k] = must(vmar_alloc(&v, &r), "alloc");
		size[k] = r.size;
	}
	t = bench_now() - t;
	check(&v);
	vmar_destroy(&v);
	free(addr);
	free(size);
	return t;
}

static double run_holes(uint64_t n, uint64_t p)
{
	struct vmar v;
	double t;

	init(&v, false);
	for (uint64_t i = 1; i <= n; i++) {
		struct vmar_req r = {
		    .size = PG, .hint = v.origin - 2 * i * PG, .flags = VMAR_EXACT};

		must(vmar_alloc(&v, &r), "exact alloc");
	}
	t = bench_now();
	for (uint64_t i = 0; i < p; i++) {
		long a = must(vmar_alloc(&v, &(struct vmar_req){.size = 2 * PG}), "alloc");

		must(vmar_release(&v, a, 2 * PG), "release");
	}
	t = bench_now() - t;
	check(&v);
	vmar_destroy(&v);
	return t;
}

static double run_32bit(uint64_t n, uint64_t p)
{
	struct vmar_req r = {.size = PG, .flags = VMAR_32BIT};
	struct vmar v;
	double t;

	init(&v, true);
	for (uint64_t i = 0; i < n; i++)
		must(vmar_alloc(&v, &r), "32-bit alloc");
	t = bench_now();
	for (uint64_t i = 0; i < p; i++)
		must(vmar_release(&v, must(vmar_alloc(&v, &r), "32-bit alloc"), PG), "release");
	t = bench_now() - t;
	check(&v);
	vmar_destroy(&v);
	return t;
}

static void report(const char *name, double (*fn)(uint64_t, uint64_t), uint64_t n, uint64_t p)
{
	double t[RUNS];

	for (int i = 0; i < RUNS; i++)
		t[i] = fn(n, p);
	bench_median(t, RUNS);
	printf("vmar %-6s %7lu nodes, %7lu alloc/release pairs: %7.3f s, %6.2f M ops/s, "
	       "%6.0f ns/op\n",
	       name, (unsigned long)n, (unsigned long)p, t[RUNS / 2], 2.0 * p / t[RUNS / 2] / 1e6,
	       t[RUNS / 2] * 1e9 / (2.0 * p));
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 10000;
	uint64_t p = argc > 2 ? strtoull(argv[2], NULL, 0) : 100000;

	if (!n || !p) {
		fprintf(stderr, "usage: vmar_bench [NODES [PAIRS]]\n");
		return 2;
	}
	report("random", run_random, n, p);
	report("holes", run_holes, n, p);
	report("32bit", run_32bit, n / 10 ? n / 10 : 1, p / 10 ? p / 10 : 1);
	return 0;
}
