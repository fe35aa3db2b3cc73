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
/* Prints "<what>: <errno name>" ("ok" when the call worked) and fails unless the result is
 * `want` (0 for success). */
#define EXPECT(what, failed, want)                                                                 \
	do {                                                                                       \
		int failed_ = (failed);                                                            \
		expect(what, failed_ ? errno : 0, want, __LINE__);                                 \
	} while (0)

static long page;

static const char *ename(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case EINVAL:
		return "EINVAL";
	case ENOMEM:
		return "ENOMEM";
	default:
		return "E?";
	}
}

static void expect(const char *what, int got, int want, int line)
{
	printf("%s: %s\n", what, ename(got));
	if (got != want) {
		printf("FAIL %s gave %s, Linux gives %s (line %d)\n", what, ename(got), ename(want),
		       line);
		exit(1);
	}
}

/* The byte a pattern with `seed` has at offset i; differs between neighbouring pages. */
static unsigned char pat(size_t i, int seed)
{
	return (unsigned char)(i * 7 + (i / (size_t)page) * 29 + (size_t)seed);
}

static void fill(char *p, size_t len, int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (char)pat(i, seed);
}

/* Whether [base+from, base+to) still holds the pattern `base` was filled with. */
static int kept(const char *base, size_t from, size_t to, int seed)
{
	for (size_t i = from; i < to; i++)
		if ((unsigned char)base[i] != pat(i, seed))
			return 0;
	return 1;
}

/* 1 when the page at p is mapped, 0 when it is a hole. */
static int mapped(const char *p)
{
	unsigned char v;

	if (mincore((void *)p, page, &v) == 0)
		return 1;
	CHECK(errno == ENOMEM);
	return 0;
}

/* Whether every page of [p, p+len) is mapped (want 1) or a hole (want 0). */
static int pages_are(const char *p, size_t len, int want)
{
	for (size_t off = 0; off < len; off += page)
		if (mapped(p + off) != want)
			return 0;
	return 1;
}

/* An anonymous RW mapping of n pages filled with pattern `seed`, placed in a free range. */
static char *patterned(size_t n, int seed)
{
	char *p = mmap(NULL, n * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	fill(p, n * page, seed);
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
	CHECK(kept(p, 2 * P, 6 * P, 1));
	CHECK(munmap(p + 2 * P, 4 * P) == 0);

	/* Tail: the last two of six pages. */
	p = patterned(6, 2);
	EXPECT("munmap tail", munmap(p + 4 * P, 2 * P) != 0, 0);
	CHECK(pages_are(p, 4 * P, 1) && pages_are(p + 4 * P, 2 * P, 0));
	CHECK(kept(p, 0, 4 * P, 2));
	CHECK(munmap(p, 4 * P) == 0);

	/* Middle: pages 2..4 of eight, leaving two pieces; both keep their bytes and can be
	 * written afterwards without disturbing each other. */
	p = patterned(8, 3);
	EXPECT("munmap middle", munmap(p + 2 * P, 3 * P) != 0, 0);
	CHECK(pages_are(p, 2 * P, 1) && pages_are(p + 2 * P, 3 * P, 0));
	CHECK(pages_are(p + 5 * P, 3 * P, 1));
	CHECK(kept(p, 0, 2 * P, 3) && kept(p, 5 * P, 8 * P, 3));
	memset(p + 2 * P - 1, 0x11, 1);
	memset(p + 5 * P, 0x22, 1);
	CHECK(p[2 * P - 1] == 0x11 && p[5 * P] == 0x22);
	CHECK(kept(p, 0, 2 * P - 1, 3) && kept(p, 5 * P + 1, 8 * P, 3));
	/* Unmapping the middle again: it is a hole now, which munmap accepts. */
	EXPECT("munmap middle again (hole)", munmap(p + 2 * P, 3 * P) != 0, 0);
	CHECK(kept(p, 0, 2 * P - 1, 3) && kept(p, 5 * P + 1, 8 * P, 3));
	/* One call over both pieces and the hole between them. */
	EXPECT("munmap over pieces and hole", munmap(p, 8 * P) != 0, 0);
	CHECK(pages_are(p, 8 * P, 0));

	/* Two separate mappings (different protections, different patterns) with a one-page hole
	 * between them, placed inside a range that was free. Unmap from the middle of the first
	 * to the middle of the second. */
	r = mmap(NULL, 9 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(r != MAP_FAILED);
	CHECK(munmap(r, 9 * P) == 0);
	p = mmap(r, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(p == r);
	fill(r, 4 * P, 4);
	p = mmap(r + 5 * P, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	CHECK(p == r + 5 * P);
	fill(p, 4 * P, 5);
	CHECK(mprotect(p, 4 * P, PROT_READ) == 0);
	EXPECT("munmap across two mappings and a hole", munmap(r + 2 * P, 5 * P) != 0, 0);
	CHECK(pages_are(r, 2 * P, 1) && pages_are(r + 2 * P, 5 * P, 0));
	CHECK(pages_are(r + 7 * P, 2 * P, 1));
	CHECK(kept(r, 0, 2 * P, 4) && kept(p, 2 * P, 4 * P, 5));
	CHECK(munmap(r, 9 * P) == 0);
	CHECK(pages_are(r, 9 * P, 0));

	/* A length that is not a page multiple is rounded up to whole pages. */
	p = patterned(3, 6);
	EXPECT("munmap unaligned length", munmap(p, P + 1) != 0, 0);
	CHECK(pages_are(p, 2 * P, 0) && pages_are(p + 2 * P, P, 1));
	CHECK(kept(p, 2 * P, 3 * P, 6));
	CHECK(munmap(p + 2 * P, P) == 0);

	/* Errors: nothing is unmapped. */
	p = patterned(2, 7);
	EXPECT("munmap unaligned addr", munmap(p + 1, P) != 0, EINVAL);
	EXPECT("munmap len=0", munmap(p, 0) != 0, EINVAL);
	CHECK(pages_are(p, 2 * P, 1) && kept(p, 0, 2 * P, 7));
	CHECK(munmap(p, 2 * P) == 0);
	EXPECT("munmap hole", munmap(p, 2 * P) != 0, 0);

	printf("munmap_parts: all ok\n");
	return 0;
}
