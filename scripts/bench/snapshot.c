/*
 * Benchmark: VMO snapshot (vmo_create_child SNAPSHOT: SEEK_DATA/SEEK_HOLE + copy_file_range
 * of committed pages only) against a plain copy_file_range of the same range into a fresh
 * memfd, for a dense 64 MiB VMO and a sparse one (64 MiB holding 4 MiB in 64 KiB pieces).
 * Median of 5 each, interleaved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "scripts/bench/bench.h"
#include "vmo/vmo.h"

#define SIZE (64ULL << 20)

static double plain_copy(struct vmo *v)
{
	int fd = memfd_create("bench-copy", MFD_CLOEXEC);
	loff_t in = 0, out = 0;
	double t0 = bench_now();

	if (fd < 0 || ftruncate(fd, SIZE) < 0)
		exit(1);
	while (in < (loff_t)SIZE) {
		ssize_t n = copy_file_range(vmo_fd(v), &in, fd, &out, SIZE - in, 0);

		if (n <= 0)
			exit(1);
	}
	t0 = bench_now() - t0;
	close(fd);
	return t0;
}

static double snapshot(struct vmo *v)
{
	struct vmo *c;
	double t0 = bench_now();

	if (vmo_create_child(v, VMO_CHILD_SNAPSHOT, 0, SIZE, &c) < 0)
		exit(1);
	t0 = bench_now() - t0;
	vmo_unref(c);
	return t0;
}

static void measure(const char *what, struct vmo *v)
{
	double p[5], s[5];
	uint64_t committed = vmo_committed(v);

	for (int k = 0; k < 5; k++) {
		p[k] = plain_copy(v);
		s[k] = snapshot(v);
	}
	bench_median(p, 5);
	bench_median(s, 5);
	printf("%-30s committed %5.1f MiB: copy_file_range %7.2f ms (%5.2f GB/s of range), "
	       "snapshot %7.2f ms (%5.2f GB/s of range)\n",
	       what, committed / 1048576.0, p[2] * 1e3, SIZE / p[2] / 1e9, s[2] * 1e3,
	       SIZE / s[2] / 1e9);
}

int main(void)
{
	static char buf[65536];
	struct vmo *dense, *sparse;

	memset(buf, 0x5a, sizeof(buf));
	if (vmo_create(SIZE, "dense", &dense) < 0 || vmo_create(SIZE, "sparse", &sparse) < 0)
		return 1;
	for (uint64_t off = 0; off < SIZE; off += sizeof(buf))
		vmo_write(dense, buf, off, sizeof(buf));
	for (uint64_t off = 0; off < SIZE; off += 16 * sizeof(buf))
		vmo_write(sparse, buf, off, sizeof(buf));
	printf("VMO snapshot vs plain copy_file_range of a 64 MiB range, median of 5\n");
	measure("dense 64 MiB", dense);
	measure("sparse (4 MiB in 64 KiB runs)", sparse);
	vmo_unref(dense);
	vmo_unref(sparse);
	return 0;
}
