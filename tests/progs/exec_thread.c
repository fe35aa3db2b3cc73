/* execve() from a thread that is not the thread-group leader. Run without arguments, the program
 * prints one line, starts a thread and blocks in pthread_join(); the thread execs this same
 * program with the argument "child". Linux then kills the other threads, the exec'ing thread
 * takes over the leader's pid and the new image starts with a fresh address space. The child
 * maps, protects, remaps and unmaps memory and prints its line. A supervisor must follow the
 * exec to the surviving thread and start the child's memory model afresh. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "progs.h"

extern char **environ;

static char *self_argv0;

static void *execer(void *arg)
{
	char *argv[] = { self_argv0, "child", NULL };

	(void)arg;
	execve("/proc/self/exe", argv, environ);
	printf("FAIL execve: %s (line %d)\n", strerror(errno), __LINE__);
	fflush(stdout);
	_exit(1);
}

static int child(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p, *q;

	p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap");
	for (long i = 0; i < 4 * page; i++)
		p[i] = (unsigned char)(i * 3 + 1);
	CHECK(mprotect(p + page, page, PROT_READ) == 0, "mprotect");
	CHECK(munmap(p + 2 * page, page) == 0, "munmap middle");
	CHECK(!mapped(p + 2 * page, page), "middle page a hole");
	q = mremap(p + 3 * page, page, 4 * page, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED, "mremap");
	for (long i = 0; i < page; i++)
		CHECK(q[i] == (unsigned char)((3 * page + i) * 3 + 1), "moved page contents");
	for (long i = 0; i < 2 * page; i++)
		CHECK(p[i] == (unsigned char)(i * 3 + 1), "first pages contents");
	CHECK(munmap(p, 2 * page) == 0 && munmap(q, 4 * page) == 0, "munmap rest");
	printf("exec_thread: child ran after exec from a non-leader thread\n");
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t th;

	if (argc == 2 && strcmp(argv[1], "child") == 0)
		return child();
	CHECK(argc == 1, "no arguments expected");
	self_argv0 = argv[0];
	printf("exec_thread: parent\n");
	fflush(stdout);
	CHECK(pthread_create(&th, NULL, execer, NULL) == 0, "pthread_create");
	pthread_join(th, NULL);
	FAIL("pthread_join returned");
}
