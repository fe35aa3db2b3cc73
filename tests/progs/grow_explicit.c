/* Grows MAP_GROWSDOWN mappings by touching below them, as Linux does on a page fault there
 * (expand_downwards): page by page, then by jumps of 1 MiB and 3 MiB, the content above kept;
 * refused within the guard gap (256 pages) above an accessible mapping, and allowed again, right
 * down to it, once that mapping is PROT_NONE; refused beyond RLIMIT_STACK (counted from the
 * mapping's top); a write below a read-only (or PROT_NONE) stack grows it and then faults
 * SEGV_ACCERR; no growth below mmap_min_addr; an mmap hint within the guard gap below a stack,
 * grown or not, is not taken. Each stack is placed in a free area reserved for it. Only the
 * pages from the lowest one touched upward are looked at: nothing says how far below that a
 * stack may have grown. A refusal is a SIGSEGV, caught on an alternate stack and reported by
 * its si_code. */
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

#define AREA (64 * MiB)
#define GAP  (256 * P) /* stack_guard_gap */

/* Touches p (a write when w, else a read), prints "<what>: <result>" and fails unless the
 * result is `want` (0 for no fault, else the SIGSEGV's si_code). */
#define TOUCH(what, p, w, want) expect_as(segv_code_name, what, touch(p, w), want, __LINE__)

static size_t P;

/* 0, or the si_code of the SIGSEGV the access gave (whose si_addr must be p). A write stores
 * the pattern's byte. */
static int touch(char *p, int w)
{
	if ((w ? try_write(p, (char)addr_pattern(p)) : try_read(p)) == 0)
		return 0;
	CHECK(fault_code != 0);
	CHECK(fault_addr == (void *)p);
	return fault_code;
}

/* A 4-page MAP_GROWSDOWN mapping ending at top, filled with the pattern. */
static char *stack_at(char *top)
{
	char *s = mmap(top - 4 * P, 4 * P, PROT_READ | PROT_WRITE,
		       MAP_GROWSDOWN | MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	CHECK(s == top - 4 * P);
	fill_addr(s, 4 * P);
	return s;
}

/* The lowest address a stack may grow to: vm.mmap_min_addr, but not below 64 KiB
 * (CONFIG_LSM_MMAP_MIN_ADDR, 65536 in distribution kernels, raises the sysctl's value). */
static uintptr_t mmap_min_addr(void)
{
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
	unsigned long v = 0;

	CHECK(f != NULL);
	CHECK(fscanf(f, "%lu", &v) == 1);
	fclose(f);
	return v < 65536 ? 65536 : (uintptr_t)v;
}

/* mmap of 64 KiB with addr as a hint: prints whether it went there, fails unless that is
 * `want`, and unmaps it. */
static void hint_at(const char *what, char *addr, int want, int line)
{
	char *r = mmap(addr, 64 * KiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(r != MAP_FAILED);
	printf("%s: %s\n", what, r == addr ? "at the hint" : "elsewhere");
	if ((r == addr) != want) {
		printf("FAIL %s: Linux places it %s (line %d)\n", what,
		       want ? "at the hint" : "elsewhere", line);
		exit(1);
	}
	CHECK(munmap(r, 64 * KiB) == 0);
}
#define hint(what, addr, want) hint_at(what, addr, want, __LINE__)

static void set_stack_limit(rlim_t cur)
{
	struct rlimit rl;

	CHECK(getrlimit(RLIMIT_STACK, &rl) == 0);
	CHECK(rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= cur);
	rl.rlim_cur = cur;
	CHECK(setrlimit(RLIMIT_STACK, &rl) == 0);
}

int main(void)
{
	char *area, *top, *s, *below, *q, *q1, *q2;
	uintptr_t min_addr;

	P = (size_t)sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_fault(SIGSEGV, 1);
	set_stack_limit(8 * MiB);

	/* A free area: nothing below any stack but what is placed there. */
	area = free_range(AREA);

	/* 1. Page by page: each touch right below the lowest page touched so far. */
	top = area + 64 * MiB;
	s = stack_at(top);
	for (int i = 1; i <= 64; i++) {
		q = s - i * P;
		if (touch(q + P - 1, 1) != 0)
			FAIL("touch the page below");
		fill_addr(q, P);
		CHECK(mapped(q, (size_t)(top - q)));
	}
	q = s - 64 * P;
	printf("grow page by page, 64 pages: ok\n");
	CHECK(holds_addr(q, (size_t)(top - q)));
	printf("content kept: ok\n");

	/* 2. Jumps: 1 MiB below the lowest page, then 3 MiB below that. */
	q1 = q - 1 * MiB;
	TOUCH("grow by touching 1 MiB below the bottom", q1, 1, 0);
	CHECK(mapped(q1, (size_t)(top - q1)));
	CHECK(zero(q1 + 1, (size_t)(q - q1 - 1)));
	CHECK(holds_addr(q, (size_t)(top - q)));
	q2 = q1 - 3 * MiB;
	TOUCH("grow by touching 3 MiB below the bottom", q2, 1, 0);
	CHECK(mapped(q2, (size_t)(top - q2)));
	CHECK(zero(q2 + 1, (size_t)(q1 - q2 - 1)));
	CHECK(holds_addr(q1, 1) && holds_addr(q, (size_t)(top - q)));
	printf("content kept after the jumps: ok\n");

	/* 3. The guard gap: an accessible mapping 512 KiB below the bottom. */
	top = area + 56 * MiB;
	s = stack_at(top);
	below = mmap(s - 512 * KiB - 16 * P, 16 * P, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(below == s - 512 * KiB - 16 * P);
	fill_addr(below, 16 * P);
	q = below + 16 * P; /* right above it */
	TOUCH("touch right above an accessible mapping 512 KiB below", q, 1, SEGV_MAPERR);
	TOUCH("touch right below the stack, 512 KiB above it", s - 1, 1, SEGV_MAPERR);
	TOUCH("read right below the stack, 512 KiB above it", s - P, 0, SEGV_MAPERR);
	CHECK(!mapped(q, P) && !mapped(s - P, P));
	CHECK(mprotect(below, 16 * P, PROT_NONE) == 0);
	TOUCH("touch right above it once it is PROT_NONE", q, 1, 0);
	CHECK(mapped(q, (size_t)(top - q)));
	CHECK(holds_addr(q, 1) && zero(q + 1, (size_t)(s - q - 1)) && holds_addr(s, 4 * P));
	TOUCH("touch the PROT_NONE mapping's last byte", q - 1, 0, SEGV_ACCERR);
	CHECK(mprotect(below, 16 * P, PROT_READ) == 0);
	CHECK(holds_addr(below, 16 * P));

	/* The exact rule: the new start must be at least the gap above an accessible mapping. */
	top = area + 44 * MiB;
	s = stack_at(top);
	below = mmap(s - 2 * MiB - 16 * P, 16 * P, PROT_READ,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(below == s - 2 * MiB - 16 * P);
	q = below + 16 * P + GAP;
	TOUCH("touch one page less than the gap above an accessible mapping", q - P, 1,
	      SEGV_MAPERR);
	TOUCH("touch one byte less than the gap above it", q - 1, 1, SEGV_MAPERR);
	TOUCH("touch the gap above it", q, 1, 0);
	CHECK(mapped(q, (size_t)(top - q)) && !mapped(q - P, P));
	TOUCH("touch right below the grown stack", q - 1, 1, SEGV_MAPERR);
	CHECK(holds_addr(q, 1) && holds_addr(s, 4 * P));

	/* 4. RLIMIT_STACK: the stack's size from its top, limited to 2 MiB. */
	set_stack_limit(2 * MiB);
	top = area + 36 * MiB;
	s = stack_at(top);
	TOUCH("RLIMIT_STACK 2 MiB: touch 1.5 MiB below the top", top - 3 * MiB / 2, 1, 0);
	TOUCH("RLIMIT_STACK 2 MiB: touch 2.5 MiB below the top", top - 5 * MiB / 2, 1, SEGV_MAPERR);
	TOUCH("RLIMIT_STACK 2 MiB: touch a byte more than 2 MiB below the top", top - 2 * MiB - 1,
	      1, SEGV_MAPERR);
	TOUCH("RLIMIT_STACK 2 MiB: touch 2 MiB below the top", top - 2 * MiB, 1, 0);
	CHECK(mapped(top - 2 * MiB, 2 * MiB) && !mapped(top - 2 * MiB - P, P));
	CHECK(holds_addr(top - 3 * MiB / 2, 1) && holds_addr(top - 2 * MiB, 1) &&
	      holds_addr(s, 4 * P));
	set_stack_limit(8 * MiB);
	TOUCH("RLIMIT_STACK 8 MiB again: touch 2.5 MiB below the top", top - 5 * MiB / 2, 1, 0);

	/* 5. A read-only stack: a write below grows it, then faults on the protection. */
	top = area + 28 * MiB;
	s = stack_at(top);
	CHECK(mprotect(s, 4 * P, PROT_READ) == 0);
	TOUCH("write below a read-only stack", s - 1, 1, SEGV_ACCERR);
	CHECK(mapped(s - P, (size_t)(top - (s - P))));
	TOUCH("read the page the write grew", s - P, 0, 0);
	CHECK(zero(s - P, P) && holds_addr(s, 4 * P));
	TOUCH("write into the read-only stack", s, 1, SEGV_ACCERR);
	TOUCH("read 1 MiB below the read-only stack", s - 1 * MiB, 0, 0);
	CHECK(zero(s - 1 * MiB, 1 * MiB));
	CHECK(mprotect(top - P, P, PROT_READ | PROT_WRITE | PROT_GROWSDOWN) == 0);
	TOUCH("write below it once it is writable again", s - 1 * MiB - 1, 1, 0);
	CHECK(holds_addr(s, 4 * P) && holds_addr(s - 1 * MiB - 1, 1));

	/* 6. A write below a PROT_NONE stack grows it too, then faults on the protection. */
	top = area + 20 * MiB;
	s = stack_at(top);
	CHECK(mprotect(s, 4 * P, PROT_NONE) == 0);
	TOUCH("write below a PROT_NONE stack", s - 1, 1, SEGV_ACCERR);
	CHECK(mapped(s - P, (size_t)(top - (s - P))));
	TOUCH("read below the PROT_NONE stack", s - 1 * MiB, 0, SEGV_ACCERR);
	CHECK(mapped(s - 1 * MiB, (size_t)(top - (s - 1 * MiB))));
	CHECK(mprotect(top - P, P, PROT_READ | PROT_GROWSDOWN) == 0);
	CHECK(zero(s - 1 * MiB, 1 * MiB) && holds_addr(s, 4 * P));

	/* 7. mmap_min_addr: no growth below it, whatever the stack's other room. */
	min_addr = mmap_min_addr();
	top = (char *)min_addr + 2 * MiB;
	CHECK(!mapped((char *)min_addr, 4 * MiB));
	s = stack_at(top);
	TOUCH("touch at mmap_min_addr", (char *)min_addr, 1, 0);
	CHECK(mapped((char *)min_addr, 2 * MiB) && holds_addr(s, 4 * P));
	TOUCH("touch a byte below mmap_min_addr", (char *)min_addr - 1, 1, SEGV_MAPERR);
	CHECK(munmap((char *)min_addr, 2 * MiB) == 0);

	/* 8. An mmap hint in the guard gap below a stack, grown or not, is not taken. */
	top = area + 12 * MiB;
	s = stack_at(top);
	hint("mmap hinted 64 KiB below a stack", s - 64 * KiB, 0);
	hint("mmap hinted 64 KiB below the gap under a stack", s - GAP - 64 * KiB, 1);
	TOUCH("grow it by touching 1 MiB below", s - 1 * MiB, 1, 0);
	hint("mmap hinted 64 KiB below the grown stack", s - 1 * MiB - 64 * KiB, 0);
	hint("mmap hinted 128 KiB below the gap under the grown stack",
	     s - 1 * MiB - GAP - 128 * KiB, 1);

	printf("grow_explicit: all ok\n");
	return 0;
}
