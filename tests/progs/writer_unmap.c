/* No write may be lost while the middle of a mapping is unmapped. Each round maps 16 pages and
 * starts a thread that walks round the last 4 pages (2048 words) storing an increasing number
 * into one word after another, slowly enough that one lap takes longer than an unmap, and
 * remembering in its own array what it stored where. Once it is busy, the main thread unmaps
 * pages 4..7 and then stops it. Every word must then hold what the writer last stored there:
 * a store that landed while the supervisor copied the part above the hole into a new object,
 * and went into the old copy, would never be written again before the check. Pages 0..3 keep
 * their pattern and pages 4..7 are holes. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "progs.h"

#define NPAGES	 16
#define ROUNDS	 100
#define HOLE_LO	 4  /* first page unmapped */
#define HOLE_HI	 8  /* one past the last page unmapped */
#define WORDS_LO 12 /* first page the writer stores into */
#define NWORDS	 ((NPAGES - WORDS_LO) * 4096 / sizeof(long))
#define BEFORE	 100 /* stores the writer makes before the unmap */
#define SPIN	 300 /* busy loop between stores: a lap of NWORDS takes a few ms */

static long *slots;	     /* the words in the mapping */
static long mine[NWORDS];    /* what the writer stored in each */
static atomic_long stores;   /* stores made this round */
static atomic_int stop;

static void *writer(void *arg)
{
	long v = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		size_t i = (size_t)v % NWORDS;

		v++;
		slots[i] = v;
		mine[i] = v;
		atomic_store(&stores, v);
		for (volatile int j = 0; j < SPIN; j++)
			;
	}
	return NULL;
}

int main(void)
{
	for (int r = 0; r < ROUNDS; r++) {
		char *p = mmap(NULL, NPAGES * 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pthread_t th;

		CHECK(p != MAP_FAILED);
		memset(p, 0x5a, NPAGES * 4096);
		slots = (long *)(p + WORDS_LO * 4096);
		memcpy(mine, slots, sizeof(mine));
		atomic_store(&stop, 0);
		atomic_store(&stores, 0);
		CHECK(pthread_create(&th, NULL, writer, NULL) == 0);
		while (atomic_load(&stores) < BEFORE)
			;
		CHECK(munmap(p + HOLE_LO * 4096, (HOLE_HI - HOLE_LO) * 4096) == 0);
		atomic_store(&stop, 1);
		CHECK(pthread_join(th, NULL) == 0);
		for (size_t i = 0; i < NWORDS; i++)
			CHECK(slots[i] == mine[i]);
		for (int pg = 0; pg < HOLE_LO; pg++)
			CHECK(p[pg * 4096] == 0x5a && p[pg * 4096 + 4095] == 0x5a);
		for (int pg = HOLE_LO; pg < HOLE_HI; pg++)
			CHECK(!mapped(p + pg * 4096, 4096));
		CHECK(munmap(p, NPAGES * 4096) == 0);
	}
	printf("writer_unmap: %d rounds, no lost write\n", ROUNDS);
	return 0;
}
