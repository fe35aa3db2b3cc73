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

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

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

static long P;
static unsigned char *dont; /* 2 private pages, MADV_DONTFORK */
static unsigned char *shrd; /* 3 shared pages, the middle one MADV_DONTFORK */
static unsigned char *wipe; /* 2 private pages, MADV_WIPEONFORK */

static unsigned char pat(long off, int seed)
{
	return (unsigned char)(off * 13 + (off / P) * 41 + seed * 83 + 5);
}

static void fill(unsigned char *p, long len, int seed)
{
	for (long off = 0; off < len; off++)
		p[off] = pat(off, seed);
}

static int holds(const unsigned char *p, long len, int seed)
{
	for (long off = 0; off < len; off++)
		if (p[off] != pat(off, seed))
			return 0;
	return 1;
}

static int zero(const unsigned char *p, long len)
{
	for (long off = 0; off < len; off++)
		if (p[off])
			return 0;
	return 1;
}

/* True when no page of [p, p + len) is mapped. */
static int hole(const unsigned char *p, long len)
{
	unsigned char vec;

	for (long off = 0; off < len; off += P) {
		if (mincore((void *)(p + off), P, &vec) == 0)
			return 0;
		CHECK(errno == ENOMEM);
	}
	return 1;
}

/* True when every page of [p, p + len) is mapped. */
static int present(const unsigned char *p, long len)
{
	unsigned char vec[8];

	return mincore((void *)p, len, vec) == 0;
}

static void reap(pid_t pid)
{
	int status;

	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The parent's view, which no child may change except through the shared pages. */
static void parent_sees(int shared_seed)
{
	CHECK(present(dont, 2 * P) && holds(dont, 2 * P, 1));
	CHECK(present(shrd, 3 * P));
	CHECK(holds(shrd, P, shared_seed) && holds(shrd + 2 * P, P, shared_seed));
	CHECK(holds(shrd + P, P, 2));
	CHECK(present(wipe, 2 * P) && holds(wipe, 2 * P, 3));
}

/* The first child: the DONTFORK pages are holes, the WIPEONFORK pages are zero. */
static void child1(void)
{
	void *m;
	pid_t pid;

	CHECK(hole(dont, 2 * P));
	CHECK(hole(shrd + P, P));
	CHECK(present(shrd, P) && present(shrd + 2 * P, P));
	CHECK(holds(shrd, P, 2) && holds(shrd + 2 * P, P, 2));
	CHECK(present(wipe, 2 * P) && zero(wipe, 2 * P));
	fill(wipe, 2 * P, 9);
	fill(shrd, P, 4);
	fill(shrd + 2 * P, P, 4);

	m = mmap(dont, 2 * P, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(m == dont);
	CHECK(zero(dont, 2 * P));
	fill(dont, 2 * P, 9);
	m = mmap(shrd + P, P, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(m == shrd + P);
	CHECK(zero(shrd + P, P));

	/* The grandchild inherits the advice with the mapping. */
	pid = fork();
	if (pid == 0) {
		CHECK(present(wipe, 2 * P) && zero(wipe, 2 * P));
		CHECK(holds(dont, 2 * P, 9));
		exit(0);
	}
	reap(pid);
	CHECK(holds(wipe, 2 * P, 9));
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
	fill(dont, 2 * P, 1);
	for (int pg = 0; pg < 3; pg++)
		fill(shrd + pg * P, P, 2); /* each page the same, so pages can be checked alone */
	fill(wipe, 2 * P, 3);
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
		CHECK(hole(dont, 2 * P) && hole(shrd + P, P));
		CHECK(present(wipe, 2 * P) && zero(wipe, 2 * P));
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
		CHECK(present(dont, 2 * P) && holds(dont, 2 * P, 1));
		CHECK(present(shrd, 3 * P) && holds(shrd + P, P, 2));
		CHECK(holds(shrd, P, 4) && holds(shrd + 2 * P, P, 4));
		CHECK(present(wipe, 2 * P) && holds(wipe, 2 * P, 3));
		fill(shrd + P, P, 5);
		fill(dont, 2 * P, 5);
		exit(0);
	}
	reap(pid);
	CHECK(holds(shrd + P, P, 5));
	CHECK(holds(dont, 2 * P, 1) && holds(wipe, 2 * P, 3));
	printf("fork_dontfork: after DOFORK and KEEPONFORK the child got everything\n");

	CHECK(munmap(dont, 2 * P) == 0 && munmap(shrd, 3 * P) == 0 && munmap(wipe, 2 * P) == 0);
	return 0;
}
