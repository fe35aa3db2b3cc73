/*
 * Workload W5 of scripts/bench.sh (not a benchmark on its own): a tight loop of memory system
 * calls, for the per-call cost of a supervisor that traps them.
 *   1. 100,000 x (mmap 64 KiB anonymous + write one byte in each of its 16 pages + munmap);
 *   2. 10,000 mremap of one region with MREMAP_MAYMOVE, alternately growing it from 64 KiB
 *      to 128 KiB (and writing the new top page) and shrinking it back;
 *   3. 10,000 mprotect of a 1 MiB region, alternately read-only and read-write (writing its
 *      first page after each read-write).
 * 130,000 memory calls in all, plus the loader's. Prints one deterministic checksum line (the
 * same natively and under any tracer that emulates the calls faithfully); exits 1 with a
 * message on the first failed call.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE	    4096UL
#define SMALL	    (64 * 1024UL)
#define BIG	    (1024 * 1024UL)
#define MAP_ITERS   100000
#define REMAP_ITERS 10000
#define PROT_ITERS  10000

static void die(const char *what, long i)
{
	fprintf(stderr, "w5_memloop: %s failed at iteration %ld\n", what, i);
	exit(1);
}

int main(void)
{
	uint64_t sum = 0;
	size_t len = SMALL;
	char *p;

	for (long i = 0; i < MAP_ITERS; i++) {
		p = mmap(NULL, SMALL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap", i);
		for (size_t o = 0; o < SMALL; o += PAGE)
			p[o] = (char)(i + o / PAGE);
		sum += (unsigned char)p[SMALL - PAGE] + (unsigned char)p[0];
		if (munmap(p, SMALL) != 0)
			die("munmap", i);
	}

	p = mmap(NULL, SMALL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap", -1);
	p[0] = 7;
	for (long i = 0; i < REMAP_ITERS; i++) {
		size_t nlen = (i % 2 == 0) ? 2 * SMALL : SMALL;
		char *q = mremap(p, len, nlen, MREMAP_MAYMOVE);

		if (q == MAP_FAILED)
			die("mremap", i);
		p = q;
		len = nlen;
		if (len > SMALL)
			p[len - PAGE] = (char)i;
		sum += (unsigned char)p[0] + (unsigned char)p[len - PAGE];
	}
	if (munmap(p, len) != 0)
		die("munmap", -1);

	p = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap", -1);
	for (long i = 0; i < PROT_ITERS; i++) {
		int prot = (i % 2 == 0) ? PROT_READ : PROT_READ | PROT_WRITE;

		if (mprotect(p, BIG, prot) != 0)
			die("mprotect", i);
		if (prot & PROT_WRITE)
			p[i % (BIG / PAGE) * PAGE] = (char)i;
		sum += (unsigned char)p[(i * 7) % (BIG / PAGE) * PAGE];
	}
	if (munmap(p, BIG) != 0)
		die("munmap", -1);

	printf("w5_memloop: %d map, %d mremap, %d mprotect, checksum %llu\n", MAP_ITERS,
	       REMAP_ITERS, PROT_ITERS, (unsigned long long)sum);
	return 0;
}
