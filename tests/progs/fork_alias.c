/* Two aliases of one shared anonymous mapping stay one memory across fork(). mremap() with an
 * old size of 0 maps the same shared pages a second time. After fork() the child must see a
 * write through one alias through the other, and the parent must see the child's writes through
 * both; a third alias the child makes itself must reach the same pages too. The parent then
 * unmaps the first alias and forks again: the child's writes through the remaining alias must
 * still reach the parent. A supervisor that re-points the child at copies must not copy shared
 * memory, and must keep every alias of it on the one object. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "progs.h"

#define NPAGES 3

static long P, len;

static unsigned char pat(size_t off, int seed)
{
	return (unsigned char)(off * 11 + (off / P) * 17 + seed * 71 + 3);
}

/* A second mapping of the shared pages at p (old size 0), placed where the kernel likes. */
static unsigned char *alias(unsigned char *p)
{
	void *q = (void *)syscall(SYS_mremap, p, 0, len, MREMAP_MAYMOVE);

	CHECK(q != MAP_FAILED);
	CHECK(q != p);
	return q;
}

int main(void)
{
	unsigned char *p, *q, *r;
	pid_t pid;

	P = sysconf(_SC_PAGESIZE);
	len = NPAGES * P;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	fill(p, 0, len, pat, 1);
	q = alias(p);
	CHECK(holds(q, 0, len, pat, 1));
	fill(q, 0, len, pat, 2);
	CHECK(holds(p, 0, len, pat, 2));
	printf("fork_alias: the two aliases share their pages\n");

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CHECK(holds(p, 0, len, pat, 2) && holds(q, 0, len, pat, 2));
		fill(p, 0, len, pat, 3);
		CHECK(holds(q, 0, len, pat, 3));
		fill(q, 0, len, pat, 4);
		CHECK(holds(p, 0, len, pat, 4));
		r = alias(q);
		CHECK(holds(r, 0, len, pat, 4));
		fill(r, 0, len, pat, 5);
		CHECK(holds(p, 0, len, pat, 5) && holds(q, 0, len, pat, 5));
		exit(0);
	}
	reap(pid);
	CHECK(holds(p, 0, len, pat, 5) && holds(q, 0, len, pat, 5));
	printf("fork_alias: the child's writes through each alias reached the parent\n");

	CHECK(munmap(p, len) == 0);
	CHECK(!mapped(p, len));
	CHECK(holds(q, 0, len, pat, 5));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CHECK(!mapped(p, len));
		CHECK(holds(q, 0, len, pat, 5));
		fill(q, 0, len, pat, 6);
		exit(0);
	}
	reap(pid);
	CHECK(holds(q, 0, len, pat, 6));
	printf("fork_alias: with the first alias unmapped the other still reached the parent\n");
	CHECK(munmap(q, len) == 0);
	return 0;
}
