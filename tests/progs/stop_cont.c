/* Job control under the supervisor: a helper process (posix_spawn of this program: a vfork,
 * not a fork) stops this process (SIGSTOP), checks that it is stopped, continues it (SIGCONT)
 * and exits 0; this process then reports what the helper saw. */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

extern char **environ;

/* The state letter of /proc/PID/stat: T (stopped) or t (tracing stop, under a tracer). */
static char state_of(pid_t pid)
{
	char path[64], state = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
			state = '?';
		fclose(f);
	}
	return state;
}

static int helper(pid_t target)
{
	char state = '?';

	kill(target, SIGSTOP);
	/* Up to 2 s for the stop to show, in 10 ms steps. */
	for (int i = 0; i < 200 && state != 'T' && state != 't'; i++) {
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
		state = state_of(target);
	}
	kill(target, SIGCONT);
	return state == 'T' || state == 't' ? 0 : 1;
}

int main(int argc, char **argv)
{
	char self[32], *args[4];
	int status;
	pid_t pid;

	if (argc == 3 && !strcmp(argv[1], "helper"))
		return helper(atoi(argv[2]));
	snprintf(self, sizeof(self), "%d", getpid());
	args[0] = argv[0];
	args[1] = "helper";
	args[2] = self;
	args[3] = NULL;
	if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ) ||
	    waitpid(pid, &status, 0) != pid)
		return 2;
	printf("stop_cont: the helper saw this process stopped: %s\n",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no");
	return 0;
}
