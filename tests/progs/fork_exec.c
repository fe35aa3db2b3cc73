/* fork() followed by execve() in the child. 20 times a child writes over its copy of a private
 * page, maps a page of its own and executes /bin/true, which must exit 0; once a child executes
 * /bin/sh -c 'exit 7', which must exit 7. The parent waits for each and at the end finds its page
 * as it was. Under the supervisor each child first gets an address space of snapshot copies,
 * which the execve must replace with the new program's (dropping the copies), and the new
 * program's own memory calls must then be emulated for it. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "progs.h"

#define NTRUE	20
#define NO_EXEC 127 /* a child's exit status when execve fails */

extern char **environ;

static long P;
static unsigned char *page;

static unsigned char pat(size_t off, int seed)
{
	return (unsigned char)(off * 9 + seed * 47 + 2);
}

/* Forks a child that dirties its memory and executes argv; returns its wait status. */
static int run(char *const argv[], int seed)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		unsigned char *m;

		if (!holds(page, 0, P, pat, 0))
			_exit(NO_EXEC - 1);
		fill(page, 0, P, pat, seed);
		m = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(NO_EXEC - 2);
		fill(m, 0, P, pat, seed);
		execve(argv[0], argv, environ);
		_exit(NO_EXEC);
	}
	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	return status;
}

int main(void)
{
	char *const true_argv[] = {"/bin/true", NULL};
	char *const sh_argv[] = {"/bin/sh", "-c", "exit 7", NULL};
	int status, ok = 0;

	P = sysconf(_SC_PAGESIZE);
	page = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED);
	fill(page, 0, P, pat, 0);

	for (int i = 0; i < NTRUE; i++) {
		status = run(true_argv, i + 1);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		ok++;
	}
	printf("fork_exec: /bin/true exited 0 in %d children\n", ok);
	status = run(sh_argv, NTRUE + 1);
	CHECK(WIFEXITED(status));
	printf("fork_exec: /bin/sh -c 'exit 7' exited %d\n", WEXITSTATUS(status));
	CHECK(WEXITSTATUS(status) == 7);
	CHECK(holds(page, 0, P, pat, 0));
	CHECK(munmap(page, P) == 0);
	return 0;
}
