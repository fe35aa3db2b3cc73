/* A vfork() child shares its parent's address space, so memory it unmaps is gone for the parent
 * too. The child unmaps the middle page of a 3-page mapping filled with a pattern and exits; the
 * parent must then find that page a hole while the first and last pages keep their pattern, and
 * can unmap those. A supervisor must apply the child's unmap to the one address space both use,
 * not to a copy kept for the child. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "progs.h"

static long page;

static unsigned char pattern(long off)
{
	return (unsigned char)(off * 5 + (off / page) * 71 + 9);
}

int main(void)
{
	unsigned char *p;
	int status;
	pid_t pid;

	page = sysconf(_SC_PAGESIZE);
	p = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap");
	for (long off = 0; off < 3 * page; off++)
		p[off] = pattern(off);
	fflush(stdout);
	pid = vfork();
	if (pid == 0)
		_exit(munmap(p + page, page) == 0 ? 0 : 1);
	CHECK(pid > 0, "vfork");
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child's munmap succeeded");
	CHECK(!mapped(p + page, page), "middle page a hole");
	CHECK(mapped(p, page) && mapped(p + 2 * page, page), "first and last pages mapped");
	for (long off = 0; off < 3 * page; off++) {
		if (off >= page && off < 2 * page)
			continue;
		CHECK(p[off] == pattern(off), "first and last pages keep their pattern");
	}
	printf("vfork_middle: child's unmap of the middle page seen by the parent\n");
	CHECK(munmap(p, page) == 0 && munmap(p + 2 * page, page) == 0, "munmap rest");
	CHECK(!mapped(p, page) && !mapped(p + 2 * page, page), "rest unmapped");
	printf("vfork_middle: rest unmapped\n");
	return 0;
}
