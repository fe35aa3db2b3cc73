/*
 * Benchmark: model operations per second on an address space already holding N mappings,
 * with the VMO layer stubbed (scripts/bench/stub/vmo_stub.c) and a backend that only counts
 * steps, so what is measured is the mapping table, the VMAR and the transactions.
 *
 * The mix, repeated: mmap 1-4 pages (VMAR placement), mprotect its first page (a split),
 * mprotect it back (a merge), munmap it; every op counted. Run for N = 1,000, 10,000 and
 * 100,000 to see the O(log n) growth. Prints the median of 5 runs per N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "mm/mm.h"
#include "scripts/bench/bench.h"

static size_t null_run(void *ctx, struct plan *p)
{
	(void)ctx;
	for (size_t i = 0; i < p->n; i++)
		p->steps[i].result = 0;
	return p->n;
}

static const struct mm_backend null_backend = { .name = "null", .run = null_run };

static double run(uint64_t nmaps, uint64_t iters)
{
	const uint64_t base = 0x100000000ULL, size = 1ULL << 40;
	struct mm_config cfg = {
		.vmar = { .base = base, .size = size, .place_lo = base, .place_hi = base + size,
			  .top = base + size, .aslr = true, .seed = 42 },
		.be = &null_backend,
	};
	struct mm mm;
	double t0, t;
	uint64_t ops = 0;

	if (mm_init(&mm, &cfg) < 0)
		exit(1);
	/* Fill: one-page mappings separated by one-page holes, so none merge. */
	for (uint64_t i = 0; i < nmaps; i++)
		mm_mmap(&mm, base + 2 * i * 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
			MAP_FIXED, -1, 0);
	t0 = bench_now();
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t len = (1 + i % 4) * 4096;
		long a = mm_mmap(&mm, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);

		if (a < 0) {
			fprintf(stderr, "mm_ops: mmap failed: %ld\n", a);
			exit(1);
		}
		mm_mprotect(&mm, (uint64_t)a, 4096, PROT_READ);
		mm_mprotect(&mm, (uint64_t)a, 4096, PROT_READ | PROT_WRITE);
		mm_munmap(&mm, (uint64_t)a, len);
		ops += 4;
	}
	t = bench_now() - t0;
	if (mm.count != nmaps) {
		fprintf(stderr, "mm_ops: %lu mappings at the end, expected %lu\n",
			(unsigned long)mm.count, (unsigned long)nmaps);
		exit(1);
	}
	mm_destroy(&mm);
	return ops / t;
}

int main(void)
{
	static const uint64_t sizes[] = { 1000, 10000, 100000 };

	printf("model ops/s (table + VMAR + transactions; VMOs and backend stubbed), median of 5\n");
	printf("%-12s %14s\n", "mappings", "ops/s");
	for (size_t s = 0; s < 3; s++) {
		double r[5];

		for (int k = 0; k < 5; k++)
			r[k] = run(sizes[s], 100000);
		bench_median(r, 5);
		printf("%-12lu %14.0f\n", (unsigned long)sizes[s], r[2]);
	}
	return 0;
}
