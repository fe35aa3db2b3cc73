/* Built with -static: no dynamic loader runs before main, so the supervisor has to cope with a
 * process whose only mappings are the executable, its break and the stack. Maps 1 MiB, fills it,
 * unmaps the middle page, checks both sides and the hole, moves the upper part with mremap and
 * checks it again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "progs.h"

#define LEN (1u << 20)

static size_t P;

/* The pattern at offset i of memory that starts at offset off of the 1 MiB it was laid out on. */
static unsigned char pat(size_t i, int off)
{
	i += (size_t)off;
	return (unsigned char)(i ^ (i >> 12) ^ 0xa5);
}

int main(void)
{
	size_t mid, upper;
	char *p, *q;

	P = (size_t)sysconf(_SC_PAGESIZE);
	printf("static_hello: hello\n");

	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK(zero(p, LEN));
	fill(p, 0, LEN, pat, 0);
	printf("mapped and filled 1 MiB: ok\n");

	mid = LEN / 2;
	CHECK(munmap(p + mid, P) == 0);
	CHECK(mapped(p + mid - P, P) && !mapped(p + mid, P) && mapped(p + mid + P, P));
	CHECK(holds(p, 0, mid, pat, 0) && holds(p, mid + P, LEN, pat, 0));
	printf("unmapped middle page: ok, both sides intact\n");

	/* Move the upper part somewhere else, twice its size. */
	upper = LEN - mid - P;
	q = mremap(p + mid + P, upper, 2 * upper, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED);
	CHECK(holds(q, 0, upper, pat, (int)(mid + P)));
	CHECK(zero(q + upper, upper));
	CHECK(holds(p, 0, mid, pat, 0));
	printf("mremap upper part: ok\n");

	CHECK(munmap(p, mid) == 0 && munmap(q, 2 * upper) == 0);
	CHECK(!mapped(p, P) && !mapped(q, P));
	printf("static_hello: all ok\n");
	return 0;
}
