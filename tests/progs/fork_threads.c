/* fork() while other threads keep writing private memory. Three threads each own one page of a
 * private mapping and store an increasing number into a pair of words at its start, first word a
 * and then word b (the store to b is a release, so no reader can see b ahead of a). The main
 * thread forks 50 times. Linux copies the page tables with the writers' stores ordered around
 * the copy and the child's copy never changes afterwards, so every pair a child sees is (x, x)
 * or (x + 1, x); it is never (x, x + 1), which a copy made by reading a page while its writer
 * runs can give. The child's b is also no older than what the main thread read just before
 * fork(), and its a no newer than what the main thread read just after (sent down a pipe), so
 * a copy taken too early or too late is caught too. Under the supervisor the child's private
 * memory is re-pointed at snapshot copies, which must be taken with the writers stopped. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "progs.h"

#define NTHREADS 3
#define NFORKS	 50

struct pair {
	long a, b;
};

static long P;
static char *mem; /* NTHREADS pages, one per writer */
static atomic_int stop;

static struct pair *pair_of(int t)
{
	return (struct pair *)(mem + t * P);
}

static void *writer(void *arg)
{
	struct pair *s = pair_of((int)(long)arg);
	long seq = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		seq++;
		__atomic_store_n(&s->a, seq, __ATOMIC_RELAXED);
		__atomic_store_n(&s->b, seq, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* The child: its pairs must be whole, and between the before and after readings (the after
 * readings come down rfd). */
static void child(const long *before, int rfd)
{
	struct pair seen[NTHREADS];
	long after[NTHREADS];

	for (int t = 0; t < NTHREADS; t++)
		seen[t] = *pair_of(t);
	for (int t = 0; t < NTHREADS; t++)
		CHECK(seen[t].a == seen[t].b || seen[t].a == seen[t].b + 1);
	CHECK(read(rfd, after, sizeof(after)) == (ssize_t)sizeof(after));
	for (int t = 0; t < NTHREADS; t++) {
		CHECK(seen[t].b >= before[t]);
		CHECK(seen[t].a <= after[t]);
		/* The child's copy stays as it was. */
		CHECK(pair_of(t)->a == seen[t].a && pair_of(t)->b == seen[t].b);
	}
	_exit(0);
}

int main(void)
{
	pthread_t th[NTHREADS];

	P = sysconf(_SC_PAGESIZE);
	mem = mmap(NULL, NTHREADS * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED);
	for (int t = 0; t < NTHREADS; t++)
		CHECK(pthread_create(&th[t], NULL, writer, (void *)(long)t) == 0);
	for (int t = 0; t < NTHREADS; t++)
		while (__atomic_load_n(&pair_of(t)->b, __ATOMIC_ACQUIRE) < 1000)
			;

	for (int i = 0; i < NFORKS; i++) {
		long before[NTHREADS], after[NTHREADS];
		int fds[2];
		pid_t pid;

		CHECK(pipe(fds) == 0);
		for (int t = 0; t < NTHREADS; t++)
			before[t] = __atomic_load_n(&pair_of(t)->b, __ATOMIC_ACQUIRE);
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			close(fds[1]);
			child(before, fds[0]);
		}
		CHECK(pid > 0);
		for (int t = 0; t < NTHREADS; t++)
			after[t] = __atomic_load_n(&pair_of(t)->a, __ATOMIC_ACQUIRE);
		close(fds[0]);
		CHECK(write(fds[1], after, sizeof(after)) == (ssize_t)sizeof(after));
		close(fds[1]);
		reap(pid);
	}

	atomic_store(&stop, 1);
	for (int t = 0; t < NTHREADS; t++) {
		CHECK(pthread_join(th[t], NULL) == 0);
		CHECK(pair_of(t)->a == pair_of(t)->b);
	}
	printf("fork_threads: %d forks, consistent snapshots\n", NFORKS);
	CHECK(munmap(mem, NTHREADS * P) == 0);
	return 0;
}
