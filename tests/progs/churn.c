/* Maps, unmaps the middle of, protects and unmaps memory in two threads until it is killed:
 * the target of the tests that SIGKILL a supervised program at random moments (mid-batch
 * included). Never exits by itself. */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

static void *loop(void *arg)
{
	(void)arg;
	for (;;) {
		char *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED)
			return NULL;
		memset(p, 0x33, 16 * 4096);
		munmap(p + 4 * 4096, 4 * 4096);
		mprotect(p, 4096, PROT_READ);
		munmap(p, 16 * 4096);
	}
}

int main(void)
{
	pthread_t th;

	if (pthread_create(&th, NULL, loop, NULL))
		return 1;
	loop(NULL);
	return 1;
}
