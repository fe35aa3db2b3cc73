/* vfork()s a child that execs /bin/echo; the parent reports the child's status. */
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

int main(void)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		execl("/bin/echo", "echo", "vfork_exec: child says hello", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 2;
	printf("vfork_exec: child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
