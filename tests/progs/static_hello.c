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

#define LEN (1u << 20)

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

static unsigned char pat(size_t i)
{
	return (unsigned char)(i ^ (i >> 12) ^ 0xa5);
}

/* Whether p[from..to) holds the pattern laid out from base offset `off`. */
static int kept(const char *p, size_t off, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if ((unsigned char)p[i] != pat(off + i))
			return 0;
	return 1;
}

static int mapped(const char *p)
{
	unsigned char v;

	if (mincore((void *)p, P, &v) == 0)
		return 1;
	CHECK(errno == ENOMEM);
	return 0;
}

int main(void)
{
	size_t mid, upper;
	char *p, *q;

	P = (size_t)sysconf(_SC_PAGESIZE);
	printf("static_hello: hello\n");

	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	for (size_t i = 0; i < LEN; i++)
		CHECK(p[i] == 0);
	for (size_t i = 0; i < LEN; i++)
		p[i] = (char)pat(i);
	printf("mapped and filled 1 MiB: ok\n");

	mid = LEN / 2;
	CHECK(munmap(p + mid, P) == 0);
	CHECK(mapped(p + mid - P) && !mapped(p + mid) && mapped(p + mid + P));
	CHECK(kept(p, 0, 0, mid) && kept(p, 0, mid + P, LEN));
	printf("unmapped middle page: ok, both sides intact\n");

	/* Move the upper part somewhere else, twice its size. */
	upper = LEN - mid - P;
	q = mremap(p + mid + P, upper, 2 * upper, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED);
	CHECK(kept(q, mid + P, 0, upper));
	for (size_t i = upper; i < 2 * upper; i++)
		CHECK(q[i] == 0);
	CHECK(kept(p, 0, 0, mid));
	printf("mremap upper part: ok\n");

	CHECK(munmap(p, mid) == 0 && munmap(q, 2 * upper) == 0);
	CHECK(!mapped(p) && !mapped(q));
	printf("static_hello: all ok\n");
	return 0;
}
