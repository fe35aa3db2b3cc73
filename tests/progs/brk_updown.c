/* Moves the program break up and down: the current break is what brk(0) says, memory gained by
 * growing is zeroed and writable, memory given back by shrinking is gone (mincore ENOMEM) and
 * reads zero when the break grows over it again, and a request below the start of the heap leaves
 * the break where it was and returns it. The supervisor emulates brk, so each of these is an
 * answer it must give the way Linux does. stdout gets a static buffer so that stdio never calls
 * malloc, which could move the break behind the test's back. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "progs.h"

#define NPAGES 6

static size_t P;
static char outbuf[8192];

static unsigned char pat(size_t i, int seed)
{
	(void)seed;
	return (unsigned char)(i * 3 + 1);
}

/* The break as the kernel reports it. */
static char *kernel_brk(void *want)
{
	return (char *)syscall(SYS_brk, want);
}

int main(void)
{
	char *cur, *base, *top;
	size_t pad;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	P = (size_t)sysconf(_SC_PAGESIZE);

	/* brk(0) and sbrk(0) agree on the current break. */
	cur = sbrk(0);
	CHECK(cur != (void *)-1);
	CHECK(kernel_brk(NULL) == cur);
	printf("brk(0) is the current break: ok\n");

	/* Start the test area on a page boundary so that shrinking frees whole pages. */
	pad = (P - (uintptr_t)cur % P) % P;
	CHECK(sbrk((intptr_t)pad) == cur);
	base = cur + pad;
	CHECK(kernel_brk(NULL) == base);

	/* Grow by several pages: new memory is zero and writable. */
	CHECK(sbrk((intptr_t)(NPAGES * P)) == base);
	top = base + NPAGES * P;
	CHECK(kernel_brk(NULL) == top && sbrk(0) == top);
	CHECK(zero(base, NPAGES * P));
	fill(base, 0, NPAGES * P, pat, 0);
	CHECK(holds(base, 0, NPAGES * P, pat, 0));
	printf("grow by %d pages: ok, zeroed and writable\n", NPAGES);

	/* Shrink by half: the upper pages are gone, the lower ones keep their bytes. */
	CHECK(brk(base + NPAGES / 2 * P) == 0);
	CHECK(kernel_brk(NULL) == base + NPAGES / 2 * P);
	for (size_t i = NPAGES / 2; i < NPAGES; i++)
		CHECK(!mapped(base + i * P, P));
	CHECK(holds(base, 0, NPAGES / 2 * P, pat, 0));
	printf("shrink by %d pages: ok, freed pages unmapped\n", NPAGES / 2);

	/* Grow again: the re-grown pages read zero. */
	CHECK(sbrk((intptr_t)(NPAGES / 2 * P)) == base + NPAGES / 2 * P);
	CHECK(kernel_brk(NULL) == top);
	CHECK(zero(base + NPAGES / 2 * P, NPAGES / 2 * P));
	CHECK(holds(base, 0, NPAGES / 2 * P, pat, 0));
	printf("grow again: ok, re-grown pages zero\n");

	/* A break that is not page aligned is kept as given; the page holding it stays mapped. */
	CHECK(brk(top - P + 100) == 0);
	CHECK(kernel_brk(NULL) == top - P + 100);
	CHECK(mapped(top - P, P) && base[NPAGES * P - P] == 0);
	CHECK(brk(top) == 0 && kernel_brk(NULL) == top);
	printf("unaligned break: ok\n");

	/* Below the start of the heap: refused by returning the current break unchanged. The raw
	 * system call is used because glibc's brk() only says -1/ENOMEM and hides what the kernel
	 * returned. */
	CHECK(kernel_brk((void *)(uintptr_t)P) == top);
	CHECK(kernel_brk((void *)(uintptr_t)&main) == top);
	CHECK(mapped(base, P) && base[0] == (char)1);
	CHECK(kernel_brk(NULL) == top);
	printf("brk below heap start: current break returned\n");

	/* Shrink back to where the test started. */
	CHECK(brk(cur) == 0);
	CHECK(kernel_brk(NULL) == cur && sbrk(0) == cur);
	CHECK(!mapped(base + P, P));
	printf("brk back to start: ok\n");
	printf("brk_updown: all ok\n");
	return 0;
}
