/* Many short-lived children, up to 20 at a time. Each of 300 children checks the parent's private
 * pattern page, writes its own index over it, maps a few pages, writes and checks them, unmaps
 * them and exits with its index % 200. The parent reaps with waitpid(-1), matches each pid to
 * its index, checks the status, and at the end finds every child reaped once and its pattern
 * untouched. Under the supervisor each fork makes a new emulated address space from snapshot
 * copies and each exit must tear one down, with many of them alive and interleaved. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "progs.h"

#define NCHILDREN 300
#define MAXALIVE  20
#define NPAGES	  4   /* pages each child maps */
#define BROKEN	  250 /* a child's exit status when one of its checks fails */

static long P;
static unsigned char *parent_page; /* private: each child gets its own copy */
static pid_t pids[NCHILDREN];
static int reaped[NCHILDREN];

static unsigned char pat(size_t off, int seed)
{
	return (unsigned char)(off * 5 + seed * 31 + 1);
}

static void child(int idx)
{
	unsigned char *m;

	if (!holds(parent_page, 0, P, pat, 0))
		_exit(BROKEN);
	fill(parent_page, 0, P, pat, idx + 1);
	m = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		_exit(BROKEN + 1);
	fill(m, 0, NPAGES * P, pat, idx);
	if (!holds(m, 0, NPAGES * P, pat, idx) || !holds(parent_page, 0, P, pat, idx + 1))
		_exit(BROKEN + 2);
	if (munmap(m, NPAGES * P) != 0)
		_exit(BROKEN + 3);
	_exit(idx % 200);
}

/* Reaps one child, whichever ends first, and checks its status. */
static void reap_one(void)
{
	int status, idx;
	pid_t pid = waitpid(-1, &status, 0);

	CHECK(pid > 0);
	for (idx = 0; idx < NCHILDREN; idx++)
		if (pids[idx] == pid)
			break;
	CHECK(idx < NCHILDREN);
	CHECK(!reaped[idx]);
	reaped[idx] = 1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != idx % 200) {
		printf("FAIL child %d: status %#x (line %d)\n", idx, status, __LINE__);
		exit(1);
	}
}

int main(void)
{
	int alive = 0;

	P = sysconf(_SC_PAGESIZE);
	parent_page = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(parent_page != MAP_FAILED);
	fill(parent_page, 0, P, pat, 0);

	fflush(stdout);
	for (int i = 0; i < NCHILDREN; i++) {
		if (alive == MAXALIVE) {
			reap_one();
			alive--;
		}
		pids[i] = fork();
		if (pids[i] == 0)
			child(i);
		CHECK(pids[i] > 0);
		alive++;
	}
	while (alive > 0) {
		reap_one();
		alive--;
	}
	CHECK(waitpid(-1, NULL, WNOHANG) == -1);
	for (int i = 0; i < NCHILDREN; i++)
		CHECK(reaped[i]);
	CHECK(holds(parent_page, 0, P, pat, 0));
	printf("fork_bomb: %d children, at most %d alive, every status right\n", NCHILDREN,
	       MAXALIVE);
	CHECK(munmap(parent_page, P) == 0);
	return 0;
}
