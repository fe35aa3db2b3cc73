/* Checks the madvise advice whose effect a program can see, and the answers Linux gives for
 * each kind of anonymous memory: MADV_DONTNEED empties private memory but not shared memory,
 * MADV_REMOVE frees shared memory only, MADV_FREE and MADV_WIPEONFORK take private memory only,
 * the hint-only advice is accepted and changes nothing, and a range with a hole reports ENOMEM
 * after advising the mapped parts. Under the supervisor anonymous memory is backed by files, so
 * it has to make these private/shared differences itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "progs.h"

#define NPAGES 4

static size_t P;

static unsigned char pat(size_t i, int seed)
{
	(void)seed;
	return (unsigned char)(i * 5 + (i / P) * 23 + 1);
}

/* An anonymous RW mapping of n pages, shared or private, filled with the pattern. */
static char *patterned(size_t n, int shared)
{
	char *p = mmap(NULL, n * P, PROT_READ | PROT_WRITE,
		       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	fill(p, 0, n * P, pat, 0);
	return p;
}

/* Whether page `pg` of p holds the pattern. */
static int page_kept(const char *p, size_t pg)
{
	return holds(p, pg * P, (pg + 1) * P, pat, 0);
}

static int page_zero(const char *p, size_t pg)
{
	return zero(p + pg * P, P);
}

static int all_kept(const char *p, size_t n)
{
	for (size_t pg = 0; pg < n; pg++)
		if (!page_kept(p, pg))
			return 0;
	return 1;
}

/* Advice that is only a hint: accepted on both kinds, contents untouched. */
static void hint_case(const char *what, int advice)
{
	char *p = patterned(NPAGES, 0), *s = patterned(NPAGES, 1);
	char line[80];

	snprintf(line, sizeof(line), "madvise %s private anon", what);
	EXPECT(line, madvise(p, NPAGES * P, advice) != 0, 0);
	snprintf(line, sizeof(line), "madvise %s shared anon", what);
	EXPECT(line, madvise(s, NPAGES * P, advice) != 0, 0);
	CHECK(all_kept(p, NPAGES) && all_kept(s, NPAGES));
	CHECK(munmap(p, NPAGES * P) == 0 && munmap(s, NPAGES * P) == 0);
}

int main(void)
{
	char *p, *s;

	P = (size_t)sysconf(_SC_PAGESIZE);

	/* MADV_DONTNEED: private pages come back zero, shared pages keep their contents. Only the
	 * advised pages are affected. */
	p = patterned(NPAGES, 0);
	EXPECT("madvise DONTNEED private anon", madvise(p + P, 2 * P, MADV_DONTNEED) != 0, 0);
	CHECK(page_kept(p, 0) && page_zero(p, 1) && page_zero(p, 2) && page_kept(p, 3));
	p[P] = 9;
	CHECK(p[P] == 9 && page_zero(p, 2));
	CHECK(munmap(p, NPAGES * P) == 0);
	s = patterned(NPAGES, 1);
	EXPECT("madvise DONTNEED shared anon", madvise(s + P, 2 * P, MADV_DONTNEED) != 0, 0);
	CHECK(all_kept(s, NPAGES));

	/* MADV_REMOVE frees the backing of shared memory (it then reads zero) and is refused for
	 * private anonymous memory, which has no backing file. */
	EXPECT("madvise REMOVE shared anon", madvise(s + P, 2 * P, MADV_REMOVE) != 0, 0);
	CHECK(page_kept(s, 0) && page_zero(s, 1) && page_zero(s, 2) && page_kept(s, 3));
	s[2 * P] = 7;
	CHECK(s[2 * P] == 7);
	p = patterned(NPAGES, 0);
	EXPECT("madvise REMOVE private anon", madvise(p, NPAGES * P, MADV_REMOVE) != 0, EINVAL);
	CHECK(all_kept(p, NPAGES));

	/* MADV_FREE: private anonymous only. Freed pages either still hold their bytes or were
	 * reclaimed and read zero, page by page; a later write sticks. */
	EXPECT("madvise FREE private anon", madvise(p, NPAGES * P, MADV_FREE) != 0, 0);
	for (size_t pg = 0; pg < NPAGES; pg++)
		CHECK(page_kept(p, pg) || page_zero(p, pg));
	p[0] = 0x21;
	CHECK(p[0] == 0x21);
	CHECK(munmap(p, NPAGES * P) == 0);
	CHECK(munmap(s, NPAGES * P) == 0);
	s = patterned(NPAGES, 1);
	EXPECT("madvise FREE shared anon", madvise(s, NPAGES * P, MADV_FREE) != 0, EINVAL);
	CHECK(all_kept(s, NPAGES));

	/* MADV_WIPEONFORK: private anonymous only; without a fork nothing changes. */
	EXPECT("madvise WIPEONFORK shared anon", madvise(s, NPAGES * P, MADV_WIPEONFORK) != 0,
	       EINVAL);
	p = patterned(NPAGES, 0);
	EXPECT("madvise WIPEONFORK private anon", madvise(p, NPAGES * P, MADV_WIPEONFORK) != 0, 0);
	CHECK(all_kept(p, NPAGES));
	EXPECT("madvise KEEPONFORK private anon", madvise(p, NPAGES * P, MADV_KEEPONFORK) != 0, 0);
	CHECK(all_kept(p, NPAGES));
	CHECK(munmap(p, NPAGES * P) == 0 && munmap(s, NPAGES * P) == 0);

	hint_case("DONTFORK", MADV_DONTFORK);
	hint_case("DOFORK", MADV_DOFORK);
	hint_case("WILLNEED", MADV_WILLNEED);
	hint_case("SEQUENTIAL", MADV_SEQUENTIAL);
	hint_case("RANDOM", MADV_RANDOM);
	hint_case("NORMAL", MADV_NORMAL);

	/* A hole in the range: ENOMEM, yet the mapped pages on both sides of it were advised. */
	p = patterned(6, 0);
	CHECK(munmap(p + 2 * P, P) == 0);
	EXPECT("madvise DONTNEED range with hole", madvise(p, 6 * P, MADV_DONTNEED) != 0, ENOMEM);
	CHECK(page_zero(p, 0) && page_zero(p, 1));
	CHECK(page_zero(p, 3) && page_zero(p, 4) && page_zero(p, 5));
	EXPECT("madvise DONTNEED inside hole", madvise(p + 2 * P, P, MADV_DONTNEED) != 0, ENOMEM);
	CHECK(munmap(p, 6 * P) == 0);

	/* Errors and edge cases on a mapping that must come out untouched. */
	p = patterned(NPAGES, 0);
	EXPECT("madvise unknown advice 1000", madvise(p, NPAGES * P, 1000) != 0, EINVAL);
	EXPECT("madvise unaligned start", madvise(p + 1, P, MADV_DONTNEED) != 0, EINVAL);
	EXPECT("madvise len=0", madvise(p, 0, MADV_DONTNEED) != 0, 0);
	CHECK(all_kept(p, NPAGES));
	/* An unaligned length is rounded up to the page. */
	EXPECT("madvise DONTNEED unaligned length", madvise(p, P + 1, MADV_DONTNEED) != 0, 0);
	CHECK(page_zero(p, 0) && page_zero(p, 1) && page_kept(p, 2) && page_kept(p, 3));
	CHECK(munmap(p, NPAGES * P) == 0);

	printf("madvise_sem: all ok\n");
	return 0;
}
