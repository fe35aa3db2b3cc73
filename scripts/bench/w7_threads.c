/*
 * Workload W7 of scripts/bench.sh (not a benchmark on its own): 4 threads doing random malloc
 * and free. Each thread has its own xorshift64 generator (a fixed seed per thread) and a table
 * of 256 slots; each of its 200,000 operations picks a slot and frees the block there, or, if
 * the slot is empty, allocates a block of 16 B to 1 MiB (size class 16 << 0..15, uniform inside
 * the class, so small and large blocks are equally frequent) and writes its first and last
 * byte. glibc serves this from per-thread arenas (mmap'd heaps grown with mprotect, trimmed
 * with madvise) and from mmap for blocks above its threshold. Prints one deterministic
 * checksum line.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 4
#define OPS	200000
#define SLOTS	256

struct worker {
	pthread_t thread;
	uint64_t seed;
	uint64_t sum;
};

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char *slot[SLOTS] = {0};
	size_t size[SLOTS] = {0};
	uint64_t s = w->seed, sum = 0;

	for (long i = 0; i < OPS; i++) {
		uint64_t r = xorshift64(&s);
		unsigned k = r % SLOTS;

		if (slot[k]) {
			sum += slot[k][0] + slot[k][size[k] - 1];
			free(slot[k]);
			slot[k] = NULL;
			continue;
		}
		size_t cls = 16UL << ((r >> 8) % 16);
		size_t n = cls + (r >> 16) % cls;

		slot[k] = malloc(n);
		if (!slot[k]) {
			fprintf(stderr, "w7_threads: malloc(%zu) failed\n", n);
			exit(1);
		}
		size[k] = n;
		slot[k][0] = (unsigned char)i;
		slot[k][n - 1] = (unsigned char)(i >> 8);
		sum += n;
	}
	for (unsigned k = 0; k < SLOTS; k++)
		free(slot[k]);
	w->sum = sum;
	return NULL;
}

int main(void)
{
	struct worker w[THREADS];
	uint64_t total = 0;

	for (int t = 0; t < THREADS; t++) {
		w[t].seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(t + 1);
		if (pthread_create(&w[t].thread, NULL, work, &w[t]) != 0) {
			fprintf(stderr, "w7_threads: pthread_create failed\n");
			return 1;
		}
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_join(w[t].thread, NULL);
		total += w[t].sum;
	}
	printf("w7_threads: %d threads x %d ops, checksum %llu\n", THREADS, OPS,
	       (unsigned long long)total);
	return 0;
}
