/*
 * Benchmark: the fork snapshot of a whole address space (mm_snapshot) against a plain
 * copy_file_range of the memory it maps. The address space holds 64 private anonymous
 * mappings of 1 MiB (64 MiB mapped) of which 1/8 is written (8 MiB committed), plus the
 * same with every byte written. Reports the median of 5 snapshot times, the bytes the
 * snapshot copied against the bytes committed, and the time copy_file_range takes to copy
 * the whole mapped size between memfds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mm/mm.h"
#include "scripts/bench/bench.h"
#include "mm/self.h"
#include "vmo/vmo.h"

#define NMAPS 64
#define MAPLEN (1ULL << 20)

static double plain_copy(uint64_t len)
{
	int in = memfd_create("bench-src", MFD_CLOEXEC), out = memfd_create("bench-dst", MFD_CLOEXEC);
	char *buf = malloc(1 << 20);
	loff_t ioff = 0, ooff = 0;
	double t0;

	memset(buf, 0x33, 1 << 20);
	for (uint64_t o = 0; o < len; o += 1 << 20)
		if (pwrite(in, buf, 1 << 20, (off_t)o) != 1 << 20)
			exit(1);
	if (ftruncate(out, (off_t)len) < 0)
		exit(1);
	t0 = bench_now();
	while (ioff < (loff_t)len)
		if (copy_file_range(in, &ioff, out, &ooff, len - ioff, 0) <= 0)
			exit(1);
	t0 = bench_now() - t0;
	close(in);
	close(out);
	free(buf);
	return t0;
}

static void measure(struct mm *mm, struct self_backend *sb, uint64_t stride, const char *what)
{
	double t[5];
	struct vmo_stats a, b;
	uint64_t copied = 0, committed = 0;

	for (struct mapping *m = mm_first(mm); m; m = mm_next(mm, m)) {
		for (uint64_t o = 0; o < m->end - m->start; o += stride)
			memset((char *)m->start + o, 0x5a, 4096);
		committed += vmo_committed(m->vmo);
	}
	for (int k = 0; k < 5; k++) {
		struct mm child;
		struct plan plan;
		double t0 = bench_now();

		vmo_stats_get(&a);
		if (mm_snapshot(mm, &child, &self_backend_ops, sb, &plan))
			exit(1);
		t[k] = bench_now() - t0;
		vmo_stats_get(&b);
		copied = b.bytes_copied - a.bytes_copied;
		free(plan.steps);
		mm_destroy(&child);
	}
	bench_median(t, 5);
	printf("%-24s mapped %3llu MiB, committed %5.1f MiB, copied %5.1f MiB: snapshot %7.2f ms\n",
	       what, NMAPS * MAPLEN >> 20, committed / 1048576.0, copied / 1048576.0, t[2] * 1e3);
}

int main(void)
{
	struct self_backend sb;
	struct mm mm;
	struct mm_config cfg = { .be = &self_backend_ops, .be_ctx = &sb };
	double c[5];

	if (self_region_reserve(&sb, 256ULL << 20, 0) < 0)
		return 1;
	cfg.vmar = (struct vmar_config){ .base = sb.lo, .size = sb.hi - sb.lo, .place_lo = sb.lo,
					 .place_hi = sb.hi, .top = sb.hi, .aslr = true, .seed = 3 };
	if (mm_init(&mm, &cfg) < 0)
		return 1;
	for (int i = 0; i < NMAPS; i++)
		if (mm_mmap(&mm, 0, MAPLEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			    0) < 0)
			return 1;
	printf("fork snapshot (mm_snapshot) of %d private mappings, median of 5\n", NMAPS);
	measure(&mm, &sb, 8 * 4096, "1/8 of the pages written");
	measure(&mm, &sb, 4096, "every page written");
	for (int k = 0; k < 5; k++)
		c[k] = plain_copy(NMAPS * MAPLEN);
	bench_median(c, 5);
	printf("%-24s %lld MiB between two memfds: %7.2f ms\n", "copy_file_range of",
	       NMAPS * MAPLEN >> 20, c[2] * 1e3);
	mm_destroy(&mm);
	self_region_release(&sb);
	return 0;
}
