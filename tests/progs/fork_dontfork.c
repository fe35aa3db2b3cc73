/* The madvise advice that changes what fork() gives the child. MADV_DONTFORK on a 2-page private
 * mapping and on the middle page of a 3-page shared mapping: in the child those pages are holes
 * (mincore ENOMEM) that MAP_FIXED_NOREPLACE may map again, while the shared mapping's other pages
 * are still shared with the parent. MADV_WIPEONFORK on a private mapping: the child finds it
 * mapped and zero, and so does the child's own child; the parent keeps its content. After
 * MADV_DOFORK and MADV_KEEPONFORK a third fork gives the child everything with its content. The
 * supervisor builds the child's memory itself, so it must honour this advice as Linux does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "progs.h"

static long P;
static unsigned char *dont; /* 2 private pages, MADV_DONTFORK */
static unsigned char *shrd; /* 3 shared pages, the middle one MADV_DONTFORK */
static unsigned char *wipe; /* 2 private pages, MADV_WIPEONFORK */

static unsigned char pat(size_t off, int seed)
{
	return (unsigned char)(off * 13 + (off / P) * 41 + seed * 83 + 5);
}

/* The parent's view, which no child may change except through the shared pages. */
static void parent_sees(int shared_seed)
{
	CHECK(mapped(dont, 2 * P) && holds(dont, 0, 2 * P, pat, 1));
	CHECK(mapped(shrd, 3 * P));
	CHECK(holds(shrd, 0, P, pat, shared_seed) && holds(shrd + 2 * P, 0, P, pat, shared_seed));
	CHECK(holds(shrd + P, 0, P, pat, 2));
	CHECK(mapped(wipe, 2 * P) && holds(wipe, 0, 2 * P, pat, 3));
}

/* The first child: the DONTFORK pages are holes, the WIPEONFORK pages are zero. */
static void child1(void)
{
	void *m;
	pid_t pid;

	CHECK(pages_are(dont, 2 * P, 0));
	CHECK(pages_are(shrd + P, P, 0));
	CHECK(mapped(shrd, P) && mapped(shrd + 2 * P, P));
	CHECK(holds(shrd, 0, P, pat, 2) && holds(shrd + 2 * P, 0, P, pat, 2));
	CHECK(mapped(wipe, 2 * P) && zero(wipe, 2 * P));
	fill(wipe, 0, 2 * P, pat, 9);
	fill(shrd, 0, P, pat, 4);
	fill(shrd + 2 * P, 0, P, pat, 4);

	m = mmap(dont, 2 * P, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(m == dont);
	CHECK(zero(dont, 2 * P));
	fill(dont, 0, 2 * P, pat, 9);
	m = mmap(shrd + P, P, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(m == shrd + P);
	CHECK(zero(shrd + P, P));

	/* The grandchild inherits the advice with the mapping. */
	pid = fork();
	if (pid == 0) {
		CHECK(mapped(wipe, 2 * P) && zero(wipe, 2 * P));
		CHECK(holds(dont, 0, 2 * P, pat, 9));
		exit(0);
	}
	reap(pid);
	CHECK(holds(wipe, 0, 2 * P, pat, 9));
	exit(0);
}

int main(void)
{
	pid_t pid;

	P = sysconf(_SC_PAGESIZE);
	dont = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shrd = mmap(NULL, 3 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	wipe = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(dont != MAP_FAILED && shrd != MAP_FAILED && wipe != MAP_FAILED);
	fill(dont, 0, 2 * P, pat, 1);
	for (int pg = 0; pg < 3; pg++) /* each page the same, so pages can be checked alone */
		fill(shrd + pg * P, 0, P, pat, 2);
	fill(wipe, 0, 2 * P, pat, 3);
	CHECK(madvise(dont, 2 * P, MADV_DONTFORK) == 0);
	CHECK(madvise(shrd + P, P, MADV_DONTFORK) == 0);
	CHECK(madvise(wipe, 2 * P, MADV_WIPEONFORK) == 0);
	parent_sees(2);

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		child1();
	reap(pid);
	parent_sees(4);
	printf("fork_dontfork: DONTFORK pages were holes and WIPEONFORK pages zero in the child\n");

	/* A second child, to show the advice is still in force in the parent. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CHECK(pages_are(dont, 2 * P, 0) && pages_are(shrd + P, P, 0));
		CHECK(mapped(wipe, 2 * P) && zero(wipe, 2 * P));
		exit(0);
	}
	reap(pid);
	parent_sees(4);

	CHECK(madvise(dont, 2 * P, MADV_DOFORK) == 0);
	CHECK(madvise(shrd + P, P, MADV_DOFORK) == 0);
	CHECK(madvise(wipe, 2 * P, MADV_KEEPONFORK) == 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CHECK(mapped(dont, 2 * P) && holds(dont, 0, 2 * P, pat, 1));
		CHECK(mapped(shrd, 3 * P) && holds(shrd + P, 0, P, pat, 2));
		CHECK(holds(shrd, 0, P, pat, 4) && holds(shrd + 2 * P, 0, P, pat, 4));
		CHECK(mapped(wipe, 2 * P) && holds(wipe, 0, 2 * P, pat, 3));
		fill(shrd + P, 0, P, pat, 5);
		fill(dont, 0, 2 * P, pat, 5);
		exit(0);
	}
	reap(pid);
	CHECK(holds(shrd + P, 0, P, pat, 5));
	CHECK(holds(dont, 0, 2 * P, pat, 1) && holds(wipe, 0, 2 * P, pat, 3));
	printf("fork_dontfork: after DOFORK and KEEPONFORK the child got everything\n");

	CHECK(munmap(dont, 2 * P) == 0 && munmap(shrd, 3 * P) == 0 && munmap(wipe, 2 * P) == 0);
	return 0;
}
