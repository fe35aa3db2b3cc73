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

#define NPAGES 6

#define FAIL(what)                                                                                 \
	do {                                                                                       \
		printf("FAIL %s (line %d)\n", what, __LINE__);                                     \
		exit(1);                                                                           \
	} while (0)
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAIL(#cond);                                                               \
	} while (0)

static size_t P;
static char outbuf[8192];

/* The break as the kernel reports it. */
static char *kernel_brk(void *want)
{
	return (char *)syscall(SYS_brk, want);
}

static int mapped(const char *p)
{
	unsigned char v;

	if (mincore((void *)p, P, &v) == 0)
		return 1;
	CHECK(errno == ENOMEM);
	return 0;
}

static int zero(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
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
	for (size_t i = 0; i < NPAGES * P; i++)
		base[i] = (char)(i * 3 + 1);
	for (size_t i = 0; i < NPAGES * P; i++)
		CHECK(base[i] == (char)(i * 3 + 1));
	printf("grow by %d pages: ok, zeroed and writable\n", NPAGES);

	/* Shrink by half: the upper pages are gone, the lower ones keep their bytes. */
	CHECK(brk(base + NPAGES / 2 * P) == 0);
	CHECK(kernel_brk(NULL) == base + NPAGES / 2 * P);
	for (size_t i = NPAGES / 2; i < NPAGES; i++)
		CHECK(!mapped(base + i * P));
	for (size_t i = 0; i < NPAGES / 2 * P; i++)
		CHECK(base[i] == (char)(i * 3 + 1));
	printf("shrink by %d pages: ok, freed pages unmapped\n", NPAGES / 2);

	/* Grow again: the re-grown pages read zero. */
	CHECK(sbrk((intptr_t)(NPAGES / 2 * P)) == base + NPAGES / 2 * P);
	CHECK(kernel_brk(NULL) == top);
	CHECK(zero(base + NPAGES / 2 * P, NPAGES / 2 * P));
	for (size_t i = 0; i < NPAGES / 2 * P; i++)
		CHECK(base[i] == (char)(i * 3 + 1));
	printf("grow again: ok, re-grown pages zero\n");

	/* A break that is not page aligned is kept as given; the page holding it stays mapped. */
	CHECK(brk(top - P + 100) == 0);
	CHECK(kernel_brk(NULL) == top - P + 100);
	CHECK(mapped(top - P) && base[NPAGES * P - P] == 0);
	CHECK(brk(top) == 0 && kernel_brk(NULL) == top);
	printf("unaligned break: ok\n");

	/* Below the start of the heap: refused by returning the current break unchanged. The raw
	 * system call is used because glibc's brk() only says -1/ENOMEM and hides what the kernel
	 * returned. */
	CHECK(kernel_brk((void *)(uintptr_t)P) == top);
	CHECK(kernel_brk((void *)(uintptr_t)&main) == top);
	CHECK(mapped(base) && base[0] == (char)1);
	CHECK(kernel_brk(NULL) == top);
	printf("brk below heap start: current break returned\n");

	/* Shrink back to where the test started. */
	CHECK(brk(cur) == 0);
	CHECK(kernel_brk(NULL) == cur && sbrk(0) == cur);
	CHECK(!mapped(base + P));
	printf("brk back to start: ok\n");
	printf("brk_updown: all ok\n");
	return 0;
}
