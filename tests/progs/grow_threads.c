/* Four threads, each on its own MAP_GROWSDOWN stack: 64 KiB mapped at the top of an 8 MiB free
 * area (pthread_attr_setstack), all started together, each recursing 2 MiB deep in 4 KiB frames
 * and so growing its stack by page faults while the others do the same. Every frame is filled
 * with a pattern of its thread and depth on the way down and checked on the way back up, twice
 * (the second time the stacks are already grown), while the main thread maps, protects and
 * unmaps in an area of its own. Afterwards each stack is mapped at least 2 MiB below its
 * top. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "progs.h"

#define NTHREADS 4
#define AREA	 (8 * MiB)  /* free area per thread */
#define STACK	 (64 * KiB) /* mapped at first */
#define DEPTH	 (2 * MiB)  /* how deep each thread goes */
#define FRAME	 (4 * KiB)  /* array per frame */
#define FRAMES	 (DEPTH / FRAME)
#define ROUNDS	 2
#define CHURN	 (4 * MiB) /* where the main thread maps and unmaps meanwhile */

struct worker {
	int id;
	char *top;
	char *bottom;  /* as mapped */
	uintptr_t low; /* the lowest frame's address */
	long bad;      /* frames whose pattern was not kept */
};

static pthread_barrier_t start;
static atomic_int finished;

static unsigned char pat(int id, int depth, size_t i)
{
	return (unsigned char)(id * 101 + depth * 7 + i * 13 + (i >> 8));
}

static long __attribute__((noinline)) recurse(struct worker *w, int depth)
{
	volatile unsigned char frame[FRAME];
	long bad = 0;

	for (size_t i = FRAME; i-- > 0;)
		frame[i] = pat(w->id, depth, i);
	if (depth + 1 < (int)FRAMES)
		bad = recurse(w, depth + 1);
	else
		w->low = (uintptr_t)frame;
	for (size_t i = 0; i < FRAME; i++)
		if (frame[i] != pat(w->id, depth, i)) {
			bad++;
			break;
		}
	return bad;
}

static void *run(void *arg)
{
	struct worker *w = arg;

	for (int r = 0; r < ROUNDS; r++) {
		pthread_barrier_wait(&start);
		w->bad += recurse(w, 0);
	}
	atomic_fetch_add(&finished, 1);
	return NULL;
}

int main(void)
{
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	pthread_attr_t attr;
	size_t P = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t low;
	unsigned long calls = 0;
	char *churn;
	char *area;

	setvbuf(stdout, NULL, _IOLBF, 0);
	stack_limit_at_least(8 * MiB);
	churn = mmap(NULL, CHURN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(churn != MAP_FAILED);
	/* One more area than threads: the lowest stack has a free area below it too. */
	area = free_range((NTHREADS + 1) * AREA);
	for (int i = 0; i < NTHREADS; i++) {
		w[i].id = i;
		w[i].top = area + (i + 2) * AREA;
		w[i].bottom = mmap(w[i].top - STACK, STACK, PROT_READ | PROT_WRITE,
				   MAP_GROWSDOWN | MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		CHECK(w[i].bottom == w[i].top - STACK);
		w[i].low = 0;
		w[i].bad = 0;
	}
	CHECK(pthread_barrier_init(&start, NULL, NTHREADS) == 0);
	for (int i = 0; i < NTHREADS; i++) {
		CHECK(pthread_attr_init(&attr) == 0);
		CHECK(pthread_attr_setstack(&attr, w[i].bottom, STACK) == 0);
		CHECK(pthread_create(&th[i], &attr, run, &w[i]) == 0);
		CHECK(pthread_attr_destroy(&attr) == 0);
	}
	/* Meanwhile, memory calls in an area of their own (kept mapped PROT_NONE: nothing
	 * accessible comes near a stack). */
	while (atomic_load(&finished) < NTHREADS) {
		char *c = churn + (size_t)(calls % (CHURN / STACK)) * STACK;

		CHECK(mmap(c, STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == c);
		c[calls % STACK] = 1;
		CHECK(mprotect(c, STACK / 2, PROT_READ) == 0);
		CHECK(mmap(c, STACK, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		      c);
		calls++;
	}
	for (int i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	for (int i = 0; i < NTHREADS; i++) {
		printf("thread %d: %lu KiB deep, every frame kept: %s\n", i, DEPTH / KiB,
		       w[i].bad == 0 ? "ok" : "no");
		CHECK(w[i].bad == 0);
		CHECK((uintptr_t)w[i].top - w[i].low >= DEPTH);
		low = w[i].low & ~(uintptr_t)(P - 1);
		CHECK(mapped((void *)low, (uintptr_t)w[i].top - low));
	}
	CHECK(pthread_barrier_destroy(&start) == 0);
	printf("grow_threads: all ok\n");
	return 0;
}
