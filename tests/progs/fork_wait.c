/* fork()s a child that maps memory and exits 5; the parent waits and reports. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

int main(void)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *p =
		    mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		_exit(p == MAP_FAILED ? 1 : 5);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 2;
	printf("fork_wait: child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
