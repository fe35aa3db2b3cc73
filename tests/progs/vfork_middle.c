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

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL %s (line %d)\n", (what), __LINE__);                           \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

static long page;

static unsigned char pattern(long off)
{
	return (unsigned char)(off * 5 + (off / page) * 71 + 9);
}

/* True when the page at p is not mapped. */
static int hole(void *p)
{
	unsigned char vec;

	return mincore(p, page, &vec) != 0 && errno == ENOMEM;
}

/* True when the page at p is mapped. */
static int present(void *p)
{
	unsigned char vec;

	return mincore(p, page, &vec) == 0;
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
	CHECK(hole(p + page), "middle page a hole");
	CHECK(present(p) && present(p + 2 * page), "first and last pages mapped");
	for (long off = 0; off < 3 * page; off++) {
		if (off >= page && off < 2 * page)
			continue;
		CHECK(p[off] == pattern(off), "first and last pages keep their pattern");
	}
	printf("vfork_middle: child's unmap of the middle page seen by the parent\n");
	CHECK(munmap(p, page) == 0 && munmap(p + 2 * page, page) == 0, "munmap rest");
	CHECK(hole(p) && hole(p + 2 * page), "rest unmapped");
	printf("vfork_middle: rest unmapped\n");
	return 0;
}
