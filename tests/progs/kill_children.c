/* Children SIGKILLed at random moments while they map, split and unmap memory: each death must
 * release everything that was held for the child. The program counts its parent's open
 * descriptors before and after 40 such deaths (under starmm-run the parent is the supervisor,
 * which keeps one memfd per VMO: a leak shows there; natively it is whatever started the
 * program, whose count does not move either), and checks its own memory is untouched. The
 * delays come from a fixed seed, so every run kills at the same offsets (not the same
 * instructions: those depend on timing). */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define KILLS 40

static int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n - 1; /* the directory's own descriptor, when pid is us */
}

static void churn(void)
{
	for (;;) {
		char *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED)
			_exit(1);
		memset(p, 0x33, 16 * 4096);
		munmap(p + 4 * 4096, 4 * 4096); /* a middle unmap: a snapshot copy */
		mprotect(p, 4096, PROT_READ);
		munmap(p, 16 * 4096);
	}
}

int main(void)
{
	pid_t sup = getppid();
	unsigned seed = 12345;
	int before, after, status, killed = 0;
	char *mine = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	if (mine == MAP_FAILED)
		return 1;
	memset(mine, 0x5a, 8 * 4096);
	before = count_fds(sup);
	for (int i = 0; i < KILLS; i++) {
		struct timespec ts = { 0, 0 };
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0)
			churn();
		seed = seed * 1103515245 + 12345;
		ts.tv_nsec = (long)(seed >> 8) % 3000000; /* 0-3 ms */
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		if (waitpid(pid, &status, 0) != pid)
			return 1;
		killed += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	}
	after = count_fds(sup);
	for (int i = 0; i < 8 * 4096; i++)
		if (mine[i] != 0x5a) {
			printf("FAIL own memory changed at %d\n", i);
			return 1;
		}
	if (before < 0 || after != before) {
		printf("FAIL parent's descriptors: %d before, %d after\n", before, after);
		return 1;
	}
	printf("kill_children: %d children killed, parent's descriptors unchanged\n", killed);
	return 0;
}
