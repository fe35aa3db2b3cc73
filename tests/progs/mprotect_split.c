/* Changes the protection of the middle, head and tail of one mapping and checks, page by page,
 * what really happens on access (a SIGSEGV handler tells read and write faults apart), that the
 * contents survive every split, that setting RW again over the whole range makes the pieces work
 * as one, and that mprotect's errors match Linux, including the part of a range before a hole
 * that Linux changes before it reports ENOMEM. The supervisor has to split and rejoin its records
 * at exactly these page boundaries. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "progs.h"

#define NPAGES 8

static size_t P;

/* Checks the access of each page of the NPAGES-page mapping at p against `want` and prints the
 * map: access_of's answer as "rw", "r-" (the write faulted, nothing changed) or "--" (the read
 * faulted), "xx" for a hole that must not be touched, separated by spaces. */
static void access_pairs(const char *what, char *p, const char *want, int line)
{
	char got[NPAGES + 1], pairs[NPAGES * 3] = "";

	page_access(p, NPAGES, got);
	for (int i = 0; i < NPAGES; i++) {
		if (i)
			strcat(pairs, " ");
		strcat(pairs, got[i] == 'w'   ? "rw"
			      : got[i] == 'r' ? "r-"
			      : got[i] == '-' ? "--"
					      : "xx");
	}
	expect_str(what, pairs, want, line);
}
#define ACCESS_PAIRS(what, p, want) access_pairs(what, p, want, __LINE__)

static unsigned char pat(size_t i, int seed)
{
	(void)seed;
	return (unsigned char)(i * 13 + (i / P) * 41 + 3);
}

/* Whether the pages of p listed in `pages` (a bit per page) still hold the pattern. */
static int kept(const char *p, unsigned pages)
{
	for (size_t pg = 0; pg < NPAGES; pg++)
		if ((pages >> pg & 1) && !holds(p, pg * P, (pg + 1) * P, pat, 0))
			return 0;
	return 1;
}

int main(void)
{
	char *p;

	P = (size_t)sysconf(_SC_PAGESIZE);
	catch_fault(SIGSEGV, 0);
	catch_fault(SIGBUS, 0);

	p = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	fill(p, 0, NPAGES * P, pat, 0);
	ACCESS_PAIRS("access start", p, "rw rw rw rw rw rw rw rw");

	EXPECT("mprotect middle READ", mprotect(p + 3 * P, 2 * P, PROT_READ) != 0, 0);
	ACCESS_PAIRS("access after middle", p, "rw rw rw r- r- rw rw rw");
	CHECK(kept(p, 0xff));

	EXPECT("mprotect head NONE", mprotect(p, P, PROT_NONE) != 0, 0);
	ACCESS_PAIRS("access after head", p, "-- rw rw r- r- rw rw rw");

	EXPECT("mprotect tail READ", mprotect(p + 7 * P, P, PROT_READ) != 0, 0);
	ACCESS_PAIRS("access after tail", p, "-- rw rw r- r- rw rw r-");
	CHECK(kept(p, 0xfe));

	/* Widening part of the read-only middle splits it again. */
	EXPECT("mprotect half of middle RW", mprotect(p + 4 * P, P, PROT_READ | PROT_WRITE) != 0,
	       0);
	ACCESS_PAIRS("access after half of middle", p, "-- rw rw r- rw rw rw r-");
	CHECK(kept(p, 0xfe));

	/* RW over the whole range: one write across all of it works, the head kept its bytes. */
	EXPECT("mprotect whole RW", mprotect(p, NPAGES * P, PROT_READ | PROT_WRITE) != 0, 0);
	ACCESS_PAIRS("access after whole", p, "rw rw rw rw rw rw rw rw");
	CHECK(kept(p, 0xff));
	memset(p + P / 2, 0x5c, (NPAGES - 1) * P);
	for (size_t i = 0; i < NPAGES * P; i++)
		CHECK((unsigned char)p[i] ==
		      (i >= P / 2 && i < P / 2 + (NPAGES - 1) * P ? 0x5c : pat(i, 0)));
	fill(p, 0, NPAGES * P, pat, 0);

	/* Errors. */
	EXPECT("mprotect unaligned", mprotect(p + 1, P, PROT_READ) != 0, EINVAL);
	EXPECT("mprotect unknown prot bit", mprotect(p, P, PROT_READ | 0x10) != 0, EINVAL);
	EXPECT("mprotect PROT_GROWSDOWN on plain mapping",
	       mprotect(p + P, P, PROT_READ | PROT_GROWSDOWN) != 0, EINVAL);
	ACCESS_PAIRS("access after errors", p, "rw rw rw rw rw rw rw rw");

	/* A hole in the range: ENOMEM, and Linux has already changed the pages before the hole;
	 * the pages after it are left alone. */
	CHECK(munmap(p + 4 * P, P) == 0);
	EXPECT("mprotect range with hole", mprotect(p + P, 6 * P, PROT_READ) != 0, ENOMEM);
	ACCESS_PAIRS("access after hole", p, "rw r- r- r- xx rw rw rw");
	/* Starting in the hole changes nothing. */
	EXPECT("mprotect starting in hole", mprotect(p + 4 * P, 2 * P, PROT_READ) != 0, ENOMEM);
	ACCESS_PAIRS("access after hole start", p, "rw r- r- r- xx rw rw rw");
	CHECK(kept(p, 0xef));

	CHECK(munmap(p, NPAGES * P) == 0);
	printf("mprotect_split: all ok\n");
	return 0;
}
