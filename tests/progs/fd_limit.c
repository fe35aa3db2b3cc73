/* A program that has used every descriptor its RLIMIT_NOFILE allows keeps mapping memory,
 * which takes no descriptor on Linux: mmap, a middle munmap, an mremap growth, a fork whose
 * child maps memory, and an exec from a child that inherits the full descriptor table.
 * Under starmm-run each mapping of a VMO needs a descriptor in the program for a moment, which
 * the supervisor makes room for (tr_fd_room). The soft limit is set low, the hard one left. */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "progs.h"

#define SOFT 32

/* Exec uses static_hello, built beside this program. */

static void fill_descriptors(void)
{
	struct rlimit rl;
	int n = 0;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	if (rl.rlim_max < SOFT + 8)
		FAIL("the hard RLIMIT_NOFILE is too low for this test");
	rl.rlim_cur = SOFT;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	while (open("/dev/null", O_RDONLY) >= 0) /* inherited across exec */
		n++;
	CHECK(errno == EMFILE && n > 0, "descriptors filled");
}

int main(void)
{
	size_t P = page_size();
	char *p, *q;
	pid_t pid;

	setvbuf(stdout, NULL, _IONBF, 0); /* stdio needs no buffer from malloc */
	fill_descriptors();
	printf("every descriptor taken\n");
	p = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap");
	memset(p, 'd', 8 * P);
	CHECK(munmap(p + 2 * P, 2 * P) == 0, "munmap of the middle");
	q = (char *)syscall(SYS_mremap, p + 4 * P, 4 * P, 32 * P, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED, "mremap growth");
	CHECK(all_bytes(p, 2 * P, 'd') && all_bytes(q, 4 * P, 'd') && zero(q + 4 * P, 28 * P));
	printf("mmap, middle munmap, mremap: ok\n");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char *c = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		CHECK(c != MAP_FAILED, "mmap in the child");
		memset(c, 'c', 4 * P);
		CHECK(all_bytes(p, 2 * P, 'd'), "the child sees the parent's memory");
		_exit(0);
	}
	reap(pid);
	printf("fork, child mmap: ok\n");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		/* a static program: a dynamic one could not open its libraries */
		char self[4096], *slash;
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 32);

		CHECK(n > 0 && (slash = memrchr(self, '/', (size_t)n)) != NULL);
		strcpy(slash + 1, "static_hello");
		execl(self, "static_hello", (char *)NULL);
		_exit(127);
	}
	reap(pid);
	printf("exec with every descriptor taken: ok\n");
	return 0;
}
