/* After fork() private memory is copied and shared memory is not. A private anonymous mapping
 * (its last page never written), a MAP_SHARED|MAP_ANONYMOUS mapping and sbrk() memory are
 * filled with patterns before the fork. The child must see that content, then writes all three
 * and grows its break; once it has exited the parent must still find its own private and brk
 * bytes and its own break, while the shared mapping holds the child's writes. The parent then
 * writes new patterns and forks a second child, which must see them; while that child waits on a
 * pipe the parent writes once more, and the child must see only the shared part of those writes.
 * Under the supervisor the child's private memory is re-pointed at snapshot copies, so each of
 * these is a copy (or a missing copy) that the supervisor makes itself. stdout gets a static buffer
 * so that stdio never calls malloc, which could move the break behind the test's back. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "progs.h"

#define NPAGES 4 /* pages in each region; the last private page is never written by the parent */

static long P;
static char outbuf[8192];
static unsigned char *priv, *shrd, *heap;

static unsigned char pat(size_t off, int seed)
{
	return (unsigned char)(off * 7 + (off / P) * 29 + seed * 53 + 1);
}

/* The first child: sees the parent's pre-fork content, then writes over all of it. */
static void child1(void)
{
	char *brk0 = sbrk(0);
	unsigned char *more;

	CHECK(holds(priv, 0, (NPAGES - 1) * P, pat, 1));
	CHECK(zero(priv + (NPAGES - 1) * P, P));
	CHECK(holds(shrd, 0, NPAGES * P, pat, 2));
	CHECK(holds(heap, 0, NPAGES * P, pat, 3));
	fill(priv, 0, NPAGES * P, pat, 11);
	fill(shrd, 0, NPAGES * P, pat, 12);
	fill(heap, 0, NPAGES * P, pat, 13);
	more = sbrk(2 * P);
	CHECK(more != (void *)-1 && (char *)more == brk0);
	fill(more, 0, 2 * P, pat, 14);
	CHECK(holds(priv, 0, NPAGES * P, pat, 11) && holds(shrd, 0, NPAGES * P, pat, 12));
	CHECK(holds(heap, 0, NPAGES * P, pat, 13) && holds(more, 0, 2 * P, pat, 14));
	exit(0);
}

/* The second child: sees the parent's new content, tells the parent so through wfd, and then
 * does not see what the parent writes after the fork (it looks again once the parent has
 * written and closed rfd's other end). */
static void child2(int rfd, int wfd)
{
	char c = 'x';

	CHECK(holds(priv, 0, NPAGES * P, pat, 21));
	CHECK(holds(shrd, 0, NPAGES * P, pat, 22));
	CHECK(holds(heap, 0, NPAGES * P, pat, 23));
	CHECK(write(wfd, &c, 1) == 1);
	CHECK(read(rfd, &c, 1) == 0);
	CHECK(holds(priv, 0, NPAGES * P, pat, 21));
	CHECK(holds(shrd, 0, NPAGES * P, pat, 32));
	CHECK(holds(heap, 0, NPAGES * P, pat, 23));
	fill(priv, 0, NPAGES * P, pat, 41);
	fill(heap, 0, NPAGES * P, pat, 43);
	exit(0);
}

int main(void)
{
	char *brk_before;
	int down[2], up[2]; /* parent to child, child to parent */
	char c;
	pid_t pid;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	P = sysconf(_SC_PAGESIZE);
	priv = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shrd = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(priv != MAP_FAILED && shrd != MAP_FAILED);
	heap = sbrk(NPAGES * P);
	CHECK(heap != (void *)-1);
	fill(priv, 0, (NPAGES - 1) * P, pat, 1);
	fill(shrd, 0, NPAGES * P, pat, 2);
	fill(heap, 0, NPAGES * P, pat, 3);
	brk_before = sbrk(0);

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		child1();
	reap(pid);
	CHECK(holds(priv, 0, (NPAGES - 1) * P, pat, 1));
	CHECK(zero(priv + (NPAGES - 1) * P, P));
	CHECK(holds(heap, 0, NPAGES * P, pat, 3));
	CHECK(sbrk(0) == brk_before);
	CHECK(holds(shrd, 0, NPAGES * P, pat, 12));
	printf("fork_memory: first child's private and brk writes unseen, shared writes seen\n");

	fill(priv, 0, NPAGES * P, pat, 21);
	fill(shrd, 0, NPAGES * P, pat, 22);
	fill(heap, 0, NPAGES * P, pat, 23);
	CHECK(pipe(down) == 0 && pipe(up) == 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		child2(down[0], up[1]);
	}
	CHECK(pid > 0);
	close(down[0]);
	close(up[1]);
	CHECK(read(up[0], &c, 1) == 1);
	fill(priv, 0, NPAGES * P, pat, 31);
	fill(shrd, 0, NPAGES * P, pat, 32);
	fill(heap, 0, NPAGES * P, pat, 33);
	close(down[1]);
	reap(pid);
	close(up[0]);
	CHECK(holds(priv, 0, NPAGES * P, pat, 31));
	CHECK(holds(shrd, 0, NPAGES * P, pat, 32));
	CHECK(holds(heap, 0, NPAGES * P, pat, 33));
	CHECK(sbrk(0) == brk_before);
	printf("fork_memory: second child saw the parent's new content, not its later writes\n");

	CHECK(munmap(priv, NPAGES * P) == 0 && munmap(shrd, NPAGES * P) == 0);
	CHECK(sbrk(-NPAGES * P) != (void *)-1);
	printf("fork_memory: done\n");
	return 0;
}
