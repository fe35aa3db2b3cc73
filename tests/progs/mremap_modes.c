/* Exercises each way mremap can resize or move memory: shrink, grow in place, grow by moving,
 * MREMAP_FIXED to a free and to an occupied address, MREMAP_DONTUNMAP, and old_size 0 aliasing
 * of shared memory, plus the errors Linux gives. After every move the data is checked byte for
 * byte where it should be, and the places left behind are checked to be holes (mincore ENOMEM)
 * or mapped, because the supervisor has to carry the backing memory along exactly as Linux
 * does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "progs.h"

static size_t P;

static unsigned char pat(size_t i, int seed)
{
	return (unsigned char)(i * 11 + (i / P) * 37 + (size_t)seed);
}

/* mremap through the raw system call with all five arguments: glibc's wrapper reads new_address
 * only for some flags and refuses flags it does not know before the kernel sees them. */
static char *remap(char *old, size_t old_len, size_t new_len, int flags, char *new_addr)
{
	return (char *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

/* An anonymous RW mapping of len bytes at addr (MAP_FIXED when addr is set) with pattern seed. */
static char *patterned(char *addr, size_t len, int shared, int seed)
{
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | (addr ? MAP_FIXED : 0);
	char *p = mmap(addr, len, PROT_READ | PROT_WRITE, flags, -1, 0);

	CHECK(p != MAP_FAILED && (!addr || p == addr));
	fill(p, 0, len, pat, seed);
	return p;
}

int main(void)
{
	char *p, *q, *r, *t;

	P = (size_t)sysconf(_SC_PAGESIZE);

	/* Shrink: stays put, the cut-off tail becomes a hole. */
	p = patterned(NULL, 4 * P, 0, 1);
	q = remap(p, 4 * P, 2 * P, 0, NULL);
	EXPECT("mremap shrink", q == MAP_FAILED, 0);
	CHECK(q == p && holds(p, 0, 2 * P, pat, 1));
	CHECK(pages_are(p + 2 * P, 2 * P, 0));
	CHECK(munmap(p, 2 * P) == 0);

	/* Grow in place into a range that was made free first. */
	r = free_range(8 * P);
	p = patterned(r, 4 * P, 0, 2);
	q = remap(p, 4 * P, 8 * P, 0, NULL);
	EXPECT("mremap grow in place", q == MAP_FAILED, 0);
	CHECK(q == p && holds(p, 0, 4 * P, pat, 2) && zero(p + 4 * P, 4 * P));
	memset(p + 4 * P, 0x44, 4 * P);
	CHECK(holds(p, 0, 4 * P, pat, 2) && p[8 * P - 1] == 0x44);
	CHECK(munmap(p, 8 * P) == 0);

	/* Grow when the next pages are taken by another mapping: refused without MREMAP_MAYMOVE,
	 * moved with it, and the blocker is left alone. */
	r = free_range(8 * P);
	p = patterned(r, 4 * P, 0, 3);
	t = patterned(r + 4 * P, 4 * P, 0, 4);
	q = remap(p, 4 * P, 8 * P, 0, NULL);
	EXPECT("mremap grow blocked", q == MAP_FAILED, ENOMEM);
	CHECK(holds(p, 0, 4 * P, pat, 3) && holds(t, 0, 4 * P, pat, 4));
	q = remap(p, 4 * P, 8 * P, MREMAP_MAYMOVE, NULL);
	EXPECT("mremap grow blocked MAYMOVE", q == MAP_FAILED, 0);
	CHECK(q != p && pages_are(p, 4 * P, 0));
	CHECK(holds(q, 0, 4 * P, pat, 3) && zero(q + 4 * P, 4 * P));
	CHECK(holds(t, 0, 4 * P, pat, 4));
	CHECK(munmap(q, 8 * P) == 0 && munmap(t, 4 * P) == 0);

	/* MREMAP_FIXED to a free address chosen by the caller, growing on the way. */
	p = patterned(NULL, 2 * P, 0, 5);
	r = free_range(4 * P);
	q = remap(p, 2 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, r);
	EXPECT("mremap FIXED to free address", q == MAP_FAILED, 0);
	CHECK(q == r && pages_are(p, 2 * P, 0));
	CHECK(holds(q, 0, 2 * P, pat, 5) && zero(q + 2 * P, 2 * P));
	CHECK(munmap(q, 4 * P) == 0);

	/* MREMAP_FIXED over the middle of an existing mapping replaces those pages only. */
	t = patterned(NULL, 4 * P, 0, 6);
	p = patterned(NULL, 2 * P, 0, 7);
	q = remap(p, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, t + P);
	EXPECT("mremap FIXED over mapping", q == MAP_FAILED, 0);
	CHECK(q == t + P && pages_are(p, 2 * P, 0));
	CHECK(holds(q, 0, 2 * P, pat, 7));
	CHECK(holds(t, 0, P, pat, 6) && holds(t, 3 * P, 4 * P, pat, 6));
	CHECK(munmap(t, 4 * P) == 0);

	/* MREMAP_DONTUNMAP: the data moves, the old range stays mapped and reads zero. */
	p = patterned(NULL, 3 * P, 0, 8);
	q = remap(p, 3 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	EXPECT("mremap DONTUNMAP private anon", q == MAP_FAILED, 0);
	CHECK(q != p && holds(q, 0, 3 * P, pat, 8));
	CHECK(pages_are(p, 3 * P, 1) && zero(p, 3 * P));
	p[0] = 0x55;
	CHECK(q[0] == (char)pat(0, 8));
	CHECK(munmap(p, 3 * P) == 0);
	r = remap(q, 3 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	EXPECT("mremap DONTUNMAP size change", r == MAP_FAILED, EINVAL);
	r = remap(q, 3 * P, 3 * P, MREMAP_DONTUNMAP, NULL);
	EXPECT("mremap DONTUNMAP without MAYMOVE", r == MAP_FAILED, EINVAL);
	CHECK(holds(q, 0, 3 * P, pat, 8));
	/* ... also to an address the caller chooses. */
	r = free_range(3 * P);
	p = remap(q, 3 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, r);
	EXPECT("mremap DONTUNMAP FIXED", p == MAP_FAILED, 0);
	CHECK(p == r && holds(p, 0, 3 * P, pat, 8));
	CHECK(pages_are(q, 3 * P, 1) && zero(q, 3 * P));
	CHECK(munmap(q, 3 * P) == 0 && munmap(p, 3 * P) == 0);

	/* A same-size MREMAP_FIXED move of a range covering two adjacent mappings (split here by
	 * mprotect) moves both. Linux 6.17 and later allow this; older kernels said EFAULT. This
	 * machine runs 6.18, and the expected value is what it answers. */
	p = patterned(NULL, 4 * P, 0, 11);
	CHECK(mprotect(p + 2 * P, 2 * P, PROT_READ) == 0);
	r = free_range(4 * P);
	q = remap(p, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, r);
	EXPECT("mremap FIXED across two mappings", q == MAP_FAILED, 0);
	CHECK(q == r && holds(q, 0, 4 * P, pat, 11) && pages_are(p, 4 * P, 0));
	/* DONTUNMAP still wants a single mapping. */
	p = remap(q, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	EXPECT("mremap DONTUNMAP across two mappings", p == MAP_FAILED, EFAULT);
	CHECK(holds(q, 0, 4 * P, pat, 11));
	CHECK(munmap(q, 4 * P) == 0);

	/* old_size 0 on shared anonymous memory makes a second view of the same pages. */
	p = patterned(NULL, 2 * P, 1, 9);
	q = remap(p, 0, 2 * P, MREMAP_MAYMOVE, NULL);
	EXPECT("mremap old_size=0 shared anon", q == MAP_FAILED, 0);
	CHECK(q != p && holds(q, 0, 2 * P, pat, 9) && holds(p, 0, 2 * P, pat, 9));
	q[10] = 0x66;
	CHECK(p[10] == 0x66);
	p[P + 20] = 0x67;
	CHECK(q[P + 20] == 0x67);
	CHECK(munmap(p, 2 * P) == 0);
	CHECK(q[10] == 0x66 && q[P + 20] == 0x67 && holds(q, P + 21, 2 * P, pat, 9));
	CHECK(munmap(q, 2 * P) == 0);
	/* ... but not of private memory. */
	p = patterned(NULL, 2 * P, 0, 10);
	q = remap(p, 0, 2 * P, MREMAP_MAYMOVE, NULL);
	EXPECT("mremap old_size=0 private anon", q == MAP_FAILED, EINVAL);
	CHECK(holds(p, 0, 2 * P, pat, 10));

	/* Errors; the mapping is untouched by each. */
	r = free_range(4 * P);
	q = remap(p, 2 * P, 2 * P, MREMAP_FIXED, r);
	EXPECT("mremap FIXED without MAYMOVE", q == MAP_FAILED, EINVAL);
	q = remap(p, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, p + P);
	EXPECT("mremap FIXED overlapping target", q == MAP_FAILED, EINVAL);
	q = remap(p, 2 * P, 0, MREMAP_MAYMOVE, NULL);
	EXPECT("mremap new_len=0", q == MAP_FAILED, EINVAL);
	q = remap(p + 1, P, 2 * P, MREMAP_MAYMOVE, NULL);
	EXPECT("mremap unaligned old addr", q == MAP_FAILED, EINVAL);
	q = remap(p, 2 * P, 2 * P, 0x80, NULL);
	EXPECT("mremap unknown flag", q == MAP_FAILED, EINVAL);
	q = remap(r, P, 2 * P, MREMAP_MAYMOVE, NULL);
	EXPECT("mremap unmapped old range", q == MAP_FAILED, EFAULT);
	CHECK(pages_are(r, 4 * P, 0));
	CHECK(pages_are(p, 2 * P, 1) && holds(p, 0, 2 * P, pat, 10));
	CHECK(munmap(p + P, P) == 0);
	q = remap(p, 2 * P, 4 * P, MREMAP_MAYMOVE, NULL);
	EXPECT("mremap old range past mapping end", q == MAP_FAILED, EFAULT);
	CHECK(holds(p, 0, P, pat, 10));
	CHECK(munmap(p, P) == 0);

	printf("mremap_modes: all ok\n");
	return 0;
}
