/* A thread maps and unmaps memory while the main thread waits; the result goes to stdout. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static void *worker(void *arg)
{
	size_t len = 1 << 20;
	char *p;

	(void)arg;
	for (int i = 0; i < 8; i++) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return (void *)1;
		memset(p, i, len);
		if (p[len - 1] != i || munmap(p, len))
			return (void *)1;
	}
	return NULL;
}

int main(void)
{
	pthread_t th;
	void *ret;

	if (pthread_create(&th, NULL, worker, NULL) || pthread_join(th, &ret))
		return 2;
	printf("thread_mmap: worker %s\n", ret ? "failed" : "ok");
	return ret ? 1 : 0;
}
