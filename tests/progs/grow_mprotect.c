/* mprotect with PROT_GROWSDOWN on part of a MAP_GROWSDOWN mapping: Linux applies the change
 * from the given range down to the start of the VMA holding the range's start
 * (do_mprotect_pkey), also once the stack has grown below where it was mapped (the grown part
 * included) and also when the range starts in the free gap below the stack; a VMA split off
 * by an earlier plain mprotect stops it; EINVAL on a mapping that is not growsdown, ENOMEM on a
 * range that holds no mapping. Each stack is placed in a free area reserved for it, and only
 * its pages from the lowest one touched upward are looked at (nothing says how far below
 * that a stack may have grown). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "progs.h"

#define AREA (32 * MiB)
#define RW   (PROT_READ | PROT_WRITE)

/* Touches p (a write when w), prints "<what>: <result>" and fails unless the result is `want`
 * (0 when no fault, else the SIGSEGV's si_code). */
#define TOUCH(what, p, w, want) expect_as(segv_code_name, what, touch(p, w), want, __LINE__)

static size_t P;

/* 0, or the si_code of the SIGSEGV a one-byte write (w) or read of p gave. */
static int touch(char *p, int w)
{
	if ((w ? try_write(p, 1) : try_read(p)) == 0)
		return 0;
	CHECK(fault_code != 0);
	return fault_code;
}

/* Every page of [p, p + len) mapped and giving access `want`. */
static void all_pages(const char *what, char *p, size_t len, char want)
{
	CHECK(mapped(p, len));
	for (size_t off = 0; off < len; off += P)
		if (access_of(p + off) != want) {
			printf("FAIL %s: page %zu of %zu is not '%c' (line %d)\n", what, off / P,
			       len / P, want, __LINE__);
			exit(1);
		}
	printf("%s: all %c\n", what, want);
}

/* n pages ending at top, growsdown or not, filled with the pattern. */
static char *map_at(char *top, int n, int growsdown)
{
	char *s =
	    mmap(top - n * P, n * P, RW,
		 (growsdown ? MAP_GROWSDOWN : 0) | MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	CHECK(s == top - n * P);
	fill_addr(s, n * P);
	return s;
}

int main(void)
{
	char *area, *top, *s, *g;

	P = (size_t)sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_fault(SIGSEGV, 1);
	stack_limit_at_least(8 * MiB);

	area = free_range(AREA);

	/* 1. A 16-page stack as mapped. */
	top = area + 32 * MiB;
	s = map_at(top, 16, 1);
	EXPECT("mprotect page 8 READ|PROT_GROWSDOWN",
	       mprotect(s + 8 * P, P, PROT_READ | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access", s, 16, "rrrrrrrrrwwwwwww");
	EXPECT("mprotect pages 10-11 RW|PROT_GROWSDOWN",
	       mprotect(s + 10 * P, 2 * P, RW | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access", s, 16, "rrrrrrrrrwwwwwww");
	EXPECT("mprotect page 8 RW|PROT_GROWSDOWN",
	       mprotect(s + 8 * P, P, RW | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access", s, 16, "wwwwwwwwwwwwwwww");

	/* 2. After growth: the grown pages are part of the stack. */
	TOUCH("grow by writing 4 pages below", s - 4 * P, 1, 0);
	EXPECT("mprotect page 2 READ|PROT_GROWSDOWN",
	       mprotect(s + 2 * P, P, PROT_READ | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access from 4 pages below", s - 4 * P, 20, "rrrrrrrwwwwwwwwwwwww");
	/* Growth takes the lowest part's protection. */
	TOUCH("write 8 pages below", s - 8 * P, 1, SEGV_ACCERR);
	ACCESS_MAP("access from 8 pages below", s - 8 * P, 24, "rrrrrrrrrrrwwwwwwwwwwwww");
	EXPECT("mprotect the top page RW|PROT_GROWSDOWN",
	       mprotect(top - P, P, RW | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access from 8 pages below", s - 8 * P, 24, "rrrrrrrrrrrwwwwwwwwwwwww");
	EXPECT("mprotect page 2 RW|PROT_GROWSDOWN",
	       mprotect(s + 2 * P, P, RW | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access from 8 pages below", s - 8 * P, 24, "wwwwwwwwwwwwwwwwwwwwwwww");
	CHECK(holds_addr(s, 16 * P));

	/* Grown in several steps (a page, then 1 MiB below): one stack down to its lowest page. */
	top = area + 24 * MiB;
	g = map_at(top, 4, 1);
	TOUCH("grow by writing a page below", g - 1, 1, 0);
	TOUCH("grow by writing 1 MiB below", g - MiB, 1, 0);
	EXPECT("mprotect the top page READ|PROT_GROWSDOWN",
	       mprotect(top - P, P, PROT_READ | PROT_GROWSDOWN) != 0, 0);
	all_pages("the stack from 1 MiB below", g - MiB, MiB + 4 * P, 'r');
	EXPECT("mprotect a page 512 KiB below NONE|PROT_GROWSDOWN",
	       mprotect(g - MiB / 2, P, PROT_NONE | PROT_GROWSDOWN) != 0, 0);
	all_pages("the stack from 1 MiB below to 512 KiB below", g - MiB, MiB / 2 + P, '-');
	all_pages("the rest of the stack", g - MiB / 2 + P, MiB / 2 - P + 4 * P, 'r');
	EXPECT("mprotect the top page RW|PROT_GROWSDOWN",
	       mprotect(top - P, P, RW | PROT_GROWSDOWN) != 0, 0);
	all_pages("the rest of the stack", g - MiB / 2 + P, MiB / 2 - P + 4 * P, 'w');
	all_pages("the stack from 1 MiB below to 512 KiB below", g - MiB, MiB / 2 + P, '-');
	EXPECT("mprotect the page 512 KiB below RW|PROT_GROWSDOWN",
	       mprotect(g - MiB / 2, P, RW | PROT_GROWSDOWN) != 0, 0);
	all_pages("the stack from 1 MiB below", g - MiB, MiB + 4 * P, 'w');
	CHECK(holds_addr(g, 4 * P));

	/* 3. A VMA split off by a plain mprotect stops PROT_GROWSDOWN. */
	top = area + 16 * MiB;
	s = map_at(top, 16, 1);
	EXPECT("mprotect pages 4-7 READ", mprotect(s + 4 * P, 4 * P, PROT_READ) != 0, 0);
	ACCESS_MAP("access", s, 16, "wwwwrrrrwwwwwwww");
	EXPECT("mprotect page 12 READ|PROT_GROWSDOWN",
	       mprotect(s + 12 * P, P, PROT_READ | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access", s, 16, "wwwwrrrrrrrrrwww");
	EXPECT("mprotect page 12 RW|PROT_GROWSDOWN",
	       mprotect(s + 12 * P, P, RW | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access", s, 16, "wwwwwwwwwwwwwwww");
	EXPECT("mprotect pages 4-7 READ", mprotect(s + 4 * P, 4 * P, PROT_READ) != 0, 0);
	EXPECT("mprotect pages 6-9 NONE|PROT_GROWSDOWN",
	       mprotect(s + 6 * P, 4 * P, PROT_NONE | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access", s, 16, "wwww------wwwwww");
	EXPECT("mprotect pages 0-1 READ|PROT_GROWSDOWN",
	       mprotect(s, 2 * P, PROT_READ | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access", s, 16, "rrww------wwwwww");
	EXPECT("mprotect page 15 RW|PROT_GROWSDOWN",
	       mprotect(s + 15 * P, P, RW | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access", s, 16, "rrww------wwwwww");
	EXPECT("mprotect all RW", mprotect(s, 16 * P, RW) != 0, 0);
	CHECK(holds_addr(s, 16 * P));

	/* 4. A range starting in the free gap below the stack. */
	top = area + 8 * MiB;
	s = map_at(top, 16, 1);
	EXPECT("mprotect 4 pages below to page 3 READ|PROT_GROWSDOWN",
	       mprotect(s - 4 * P, 8 * P, PROT_READ | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access from 4 pages below", s - 4 * P, 20, "xxxxrrrrwwwwwwwwwwww");
	EXPECT("mprotect 4 pages below READ|PROT_GROWSDOWN",
	       mprotect(s - 4 * P, 4 * P, PROT_READ | PROT_GROWSDOWN) != 0, ENOMEM);
	EXPECT("mprotect 4 pages below READ", mprotect(s - 4 * P, 8 * P, PROT_READ) != 0, ENOMEM);
	ACCESS_MAP("access from 4 pages below", s - 4 * P, 20, "xxxxrrrrwwwwwwwwwwww");
	CHECK(holds_addr(s, 16 * P));

	/* 5. Not a growsdown mapping, or a growsdown one above a plain one. */
	top = area + 4 * MiB;
	s = map_at(top, 16, 0);
	EXPECT("mprotect page 4 of a plain mapping READ|PROT_GROWSDOWN",
	       mprotect(s + 4 * P, P, PROT_READ | PROT_GROWSDOWN) != 0, EINVAL);
	ACCESS_MAP("access", s, 16, "wwwwwwwwwwwwwwww");
	g = map_at(s, 8, 1);
	EXPECT("mprotect page 4 of a growsdown mapping just below READ|PROT_GROWSDOWN",
	       mprotect(g + 4 * P, P, PROT_READ | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access from the growsdown one", g, 24, "rrrrrwwwwwwwwwwwwwwwwwww");
	EXPECT("mprotect from the growsdown one into the plain one READ|PROT_GROWSDOWN",
	       mprotect(g + 6 * P, 4 * P, PROT_READ | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access from the growsdown one", g, 24, "rrrrrrrrrrwwwwwwwwwwwwww");
	EXPECT("mprotect page 2 of the plain one READ|PROT_GROWSDOWN",
	       mprotect(s + 2 * P, P, PROT_READ | PROT_GROWSDOWN) != 0, EINVAL);
	ACCESS_MAP("access from the growsdown one", g, 24, "rrrrrrrrrrwwwwwwwwwwwwww");
	CHECK(holds_addr(g, 8 * P) && holds_addr(s, 16 * P));

	printf("grow_mprotect: all ok\n");
	return 0;
}
