/* Unmaps pieces of mappings: the head, the tail, the middle, and a range spanning two mappings
 * with a hole between them. What remains must keep its contents byte for byte and what was
 * unmapped must be a hole (mincore says ENOMEM), because the supervisor has to split its own
 * records exactly where Linux splits the mapping. Also checks munmap's error answers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "progs.h"

static long page;

/* The byte a pattern with `seed` has at offset i; differs between neighbouring pages. */
static unsigned char pat(size_t i, int seed)
{
	return (unsigned char)(i * 7 + (i / (size_t)page) * 29 + (size_t)seed);
}

/* An anonymous RW mapping of n pages filled with pattern `seed`, placed in a free range. */
static char *patterned(size_t n, int seed)
{
	char *p = mmap(NULL, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	fill(p, 0, n * page, pat, seed);
	return p;
}

int main(void)
{
	char *p, *r;
	size_t P;

	page = sysconf(_SC_PAGESIZE);
	P = (size_t)page;

	/* Head: the first two of six pages. */
	p = patterned(6, 1);
	EXPECT("munmap head", munmap(p, 2 * P) != 0, 0);
	CHECK(pages_are(p, 2 * P, 0) && pages_are(p + 2 * P, 4 * P, 1));
	CHECK(holds(p, 2 * P, 6 * P, pat, 1));
	CHECK(munmap(p + 2 * P, 4 * P) == 0);

	/* Tail: the last two of six pages. */
	p = patterned(6, 2);
	EXPECT("munmap tail", munmap(p + 4 * P, 2 * P) != 0, 0);
	CHECK(pages_are(p, 4 * P, 1) && pages_are(p + 4 * P, 2 * P, 0));
	CHECK(holds(p, 0, 4 * P, pat, 2));
	CHECK(munmap(p, 4 * P) == 0);

	/* Middle: pages 2..4 of eight, leaving two pieces; both keep their bytes and can be
	 * written afterwards without disturbing each other. */
	p = patterned(8, 3);
	EXPECT("munmap middle", munmap(p + 2 * P, 3 * P) != 0, 0);
	CHECK(pages_are(p, 2 * P, 1) && pages_are(p + 2 * P, 3 * P, 0));
	CHECK(pages_are(p + 5 * P, 3 * P, 1));
	CHECK(holds(p, 0, 2 * P, pat, 3) && holds(p, 5 * P, 8 * P, pat, 3));
	memset(p + 2 * P - 1, 0x11, 1);
	memset(p + 5 * P, 0x22, 1);
	CHECK(p[2 * P - 1] == 0x11 && p[5 * P] == 0x22);
	CHECK(holds(p, 0, 2 * P - 1, pat, 3) && holds(p, 5 * P + 1, 8 * P, pat, 3));
	/* Unmapping the middle again: it is a hole now, which munmap accepts. */
	EXPECT("munmap middle again (hole)", munmap(p + 2 * P, 3 * P) != 0, 0);
	CHECK(holds(p, 0, 2 * P - 1, pat, 3) && holds(p, 5 * P + 1, 8 * P, pat, 3));
	/* One call over both pieces and the hole between them. */
	EXPECT("munmap over pieces and hole", munmap(p, 8 * P) != 0, 0);
	CHECK(pages_are(p, 8 * P, 0));

	/* Two separate mappings (different protections, different patterns) with a one-page hole
	 * between them, placed inside a range that was free. Unmap from the middle of the first
	 * to the middle of the second. */
	r = free_range(9 * P);
	p = mmap(r, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(p == r);
	fill(r, 0, 4 * P, pat, 4);
	p = mmap(r + 5 * P, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	CHECK(p == r + 5 * P);
	fill(p, 0, 4 * P, pat, 5);
	CHECK(mprotect(p, 4 * P, PROT_READ) == 0);
	EXPECT("munmap across two mappings and a hole", munmap(r + 2 * P, 5 * P) != 0, 0);
	CHECK(pages_are(r, 2 * P, 1) && pages_are(r + 2 * P, 5 * P, 0));
	CHECK(pages_are(r + 7 * P, 2 * P, 1));
	CHECK(holds(r, 0, 2 * P, pat, 4) && holds(p, 2 * P, 4 * P, pat, 5));
	CHECK(munmap(r, 9 * P) == 0);
	CHECK(pages_are(r, 9 * P, 0));

	/* A length that is not a page multiple is rounded up to whole pages. */
	p = patterned(3, 6);
	EXPECT("munmap unaligned length", munmap(p, P + 1) != 0, 0);
	CHECK(pages_are(p, 2 * P, 0) && pages_are(p + 2 * P, P, 1));
	CHECK(holds(p, 2 * P, 3 * P, pat, 6));
	CHECK(munmap(p + 2 * P, P) == 0);

	/* Errors: nothing is unmapped. */
	p = patterned(2, 7);
	EXPECT("munmap unaligned addr", munmap(p + 1, P) != 0, EINVAL);
	EXPECT("munmap len=0", munmap(p, 0) != 0, EINVAL);
	CHECK(pages_are(p, 2 * P, 1) && holds(p, 0, 2 * P, pat, 7));
	CHECK(munmap(p, 2 * P) == 0);
	EXPECT("munmap hole", munmap(p, 2 * P) != 0, 0);

	printf("munmap_parts: all ok\n");
	return 0;
}
