/* fork() of a private mapping that an earlier munmap split in two. A 16-page private mapping is
 * filled with a pattern and pages 4..7 are unmapped, so that under the supervisor the part above
 * the hole lives in another object than the part below. The child must see pages 0..3 and 8..15
 * with their pattern and pages 4..7 as holes; it writes pages 10 and 2, and the parent must
 * still see its own content there. The parent then writes page 9, unmaps page 0 and pages
 * 12..13 and forks again: the second child must see the parent's page 9, the old pattern
 * elsewhere and the new holes; it writes page 14 and unmaps pages 1..2 and 8, none of which
 * the parent may notice. A supervisor that re-points the child at copies of each piece must copy
 * every piece, at the right offset, and keep the parent's pieces apart from the child's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "progs.h"

#define NPAGES 16

static long P;
static unsigned char *p;

static unsigned char pat(size_t off, int seed)
{
	return (unsigned char)(off * 3 + (off / P) * 37 + seed * 101 + 7);
}

/* Writes the pattern `seed` over page pg. */
static void fill_page(int pg, int seed)
{
	fill(p, pg * P, (pg + 1) * P, pat, seed);
}

/* Checks the whole mapping: a page whose bit is set in holes is a hole, the others are mapped and
 * hold the pattern seeds[pg]. */
static void expect(unsigned holes, const int *seeds)
{
	for (int pg = 0; pg < NPAGES; pg++) {
		if (holes & (1u << pg)) {
			CHECK(!mapped(p + pg * P, P));
		} else {
			CHECK(mapped(p + pg * P, P));
			CHECK(holds(p, pg * P, (pg + 1) * P, pat, seeds[pg]));
		}
	}
}
int main(void)
{
	int seeds[NPAGES] = {0};
	unsigned holes;
	pid_t pid;

	P = sysconf(_SC_PAGESIZE);
	p = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	for (int pg = 0; pg < NPAGES; pg++)
		fill_page(pg, seeds[pg] = 1);
	CHECK(munmap(p + 4 * P, 4 * P) == 0);
	holes = 0xf0;
	expect(holes, seeds);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int mine[NPAGES];

		expect(holes, seeds);
		fill_page(10, 2);
		fill_page(2, 3);
		for (int pg = 0; pg < NPAGES; pg++)
			mine[pg] = pg == 10 ? 2 : pg == 2 ? 3 : seeds[pg];
		expect(holes, mine);
		exit(0);
	}
	reap(pid);
	expect(holes, seeds);
	printf("fork_middle: first child saw both pieces, its writes stayed its own\n");

	fill_page(9, seeds[9] = 4);
	CHECK(munmap(p, P) == 0);
	CHECK(munmap(p + 12 * P, 2 * P) == 0);
	holes |= 1u << 0 | 1u << 12 | 1u << 13;
	expect(holes, seeds);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int mine[NPAGES];

		expect(holes, seeds);
		fill_page(14, 5);
		CHECK(munmap(p + P, 2 * P) == 0);
		CHECK(munmap(p + 8 * P, P) == 0);
		for (int pg = 0; pg < NPAGES; pg++)
			mine[pg] = pg == 14 ? 5 : seeds[pg];
		expect(holes | 1u << 1 | 1u << 2 | 1u << 8, mine);
		exit(0);
	}
	reap(pid);
	expect(holes, seeds);
	printf("fork_middle: second child saw four pieces, its writes and unmaps stayed its own\n");

	CHECK(munmap(p, NPAGES * P) == 0);
	expect(0xffff, seeds);
	printf("fork_middle: done\n");
	return 0;
}
