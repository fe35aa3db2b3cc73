/* Maps 16 pages with MAP_GROWSDOWN, the flag thread stacks used to be made with, and uses them
 * only from the inside: every page is written and read back, parts are made read-only (also with
 * PROT_GROWSDOWN, which carries the change down to the start of the mapping), then the mapping is
 * unmapped piece by piece. Nothing below the mapping's start is ever touched, because growing the
 * mapping downward is not what this checks. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "progs.h"

#define NPAGES 16

static size_t P;

static unsigned char pat(size_t i, int seed)
{
	(void)seed;
	return (unsigned char)(i * 7 + (i / P) * 19 + 5);
}

int main(void)
{
	char *p;

	P = (size_t)sysconf(_SC_PAGESIZE);
	catch_fault(SIGSEGV, 0);

	p = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE,
		 MAP_GROWSDOWN | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT("mmap MAP_GROWSDOWN 16 pages", p == MAP_FAILED, 0);

	/* Every page inside, from the top down as a stack would be used. */
	for (size_t i = NPAGES * P; i-- > 0;)
		CHECK(p[i] == 0);
	for (size_t i = NPAGES * P; i-- > 0;)
		p[i] = (char)pat(i, 0);
	CHECK(holds(p, 0, NPAGES * P, pat, 0));
	printf("write and read every page: ok\n");
	ACCESS_MAP("access start", p, NPAGES, "wwwwwwwwwwwwwwww");

	/* A plain mprotect of the middle splits the mapping. */
	EXPECT("mprotect pages 6-9 READ", mprotect(p + 6 * P, 4 * P, PROT_READ) != 0, 0);
	ACCESS_MAP("access after middle", p, NPAGES, "wwwwwwrrrrwwwwww");
	CHECK(holds(p, 0, NPAGES * P, pat, 0));
	EXPECT("mprotect all RW", mprotect(p, NPAGES * P, PROT_READ | PROT_WRITE) != 0, 0);
	ACCESS_MAP("access after all RW", p, NPAGES, "wwwwwwwwwwwwwwww");

	/* PROT_GROWSDOWN applies the change from the given range down to the mapping's start. */
	EXPECT("mprotect page 4 READ|PROT_GROWSDOWN",
	       mprotect(p + 4 * P, P, PROT_READ | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access after PROT_GROWSDOWN", p, NPAGES, "rrrrrwwwwwwwwwww");
	EXPECT("mprotect PROT_GROWSUP", mprotect(p + 8 * P, P, PROT_READ | PROT_GROWSUP) != 0,
	       EINVAL);
	EXPECT("mprotect PROT_GROWSDOWN|PROT_GROWSUP",
	       mprotect(p + 8 * P, P, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP) != 0, EINVAL);
	ACCESS_MAP("access after errors", p, NPAGES, "rrrrrwwwwwwwwwww");
	CHECK(holds(p, 0, NPAGES * P, pat, 0));

	/* Unmap the top four pages, then a page in the middle, then the rest. */
	EXPECT("munmap top 4 pages", munmap(p + 12 * P, 4 * P) != 0, 0);
	ACCESS_MAP("access after top unmapped", p, NPAGES, "rrrrrwwwwwwwxxxx");
	EXPECT("munmap page 8", munmap(p + 8 * P, P) != 0, 0);
	ACCESS_MAP("access after page 8 unmapped", p, NPAGES, "rrrrrwwwxwwwxxxx");
	CHECK(holds(p, 0, 8 * P, pat, 0) && holds(p, 9 * P, 12 * P, pat, 0));
	EXPECT("munmap all", munmap(p, NPAGES * P) != 0, 0);
	ACCESS_MAP("access after all unmapped", p, NPAGES, "xxxxxxxxxxxxxxxx");

	printf("growsdown: all ok\n");
	return 0;
}
