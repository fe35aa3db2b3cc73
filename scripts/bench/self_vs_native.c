/*
 * Benchmark: real mmap + touch + munmap of 64 KiB through the model with the self backend
 * (VMO create, map, unmap, VMO destroy: memfd_create/mmap/munmap/close) against the same
 * calls done natively, side by side in one run. Prints the median per-iteration time of 5
 * runs of each and the ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "mm/mm.h"
#include "scripts/bench/bench.h"
#include "mm/self.h"

#define LEN (64 * 1024)
#define ITERS 20000

static void touch(char *p)
{
	for (int i = 0; i < LEN; i += 4096)
		p[i] = 1;
}

static double native(void)
{
	double t0 = bench_now();

	for (int i = 0; i < ITERS; i++) {
		char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			       0);

		if (p == MAP_FAILED)
			exit(1);
		touch(p);
		munmap(p, LEN);
	}
	return (bench_now() - t0) / ITERS;
}

static double model(struct mm *mm)
{
	double t0 = bench_now();

	for (int i = 0; i < ITERS; i++) {
		long a = mm_mmap(mm, 0, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);

		if (a < 0)
			exit(1);
		touch((char *)a);
		mm_munmap(mm, (uint64_t)a, LEN);
	}
	return (bench_now() - t0) / ITERS;
}

int main(void)
{
	struct self_backend sb;
	struct mm mm;
	struct mm_config cfg = { .be = &self_backend_ops, .be_ctx = &sb };
	double n[5], m[5];

	if (self_region_reserve(&sb, 256ULL << 20, 0) < 0)
		return 1;
	cfg.vmar = (struct vmar_config){ .base = sb.lo, .size = sb.hi - sb.lo, .place_lo = sb.lo,
					 .place_hi = sb.hi, .top = sb.hi, .aslr = true, .seed = 1 };
	if (mm_init(&mm, &cfg) < 0)
		return 1;
	for (int k = 0; k < 5; k++) {
		n[k] = native();
		m[k] = model(&mm);
	}
	bench_median(n, 5);
	bench_median(m, 5);
	printf("mmap+touch+munmap of 64 KiB, median of 5 runs of %d, interleaved\n", ITERS);
	printf("%-28s %10.2f us\n", "native", n[2] * 1e6);
	printf("%-28s %10.2f us\n", "model + self backend", m[2] * 1e6);
	printf("%-28s %10.2f x\n", "ratio", m[2] / n[2]);
	mm_destroy(&mm);
	self_region_release(&sb);
	return 0;
}
