/* Four threads each own a 64-page private anonymous mapping filled with a per-thread pattern and,
 * all at the same time, split it over and over: make the middle read-only and writable again,
 * unmap one middle page and map it back with MAP_FIXED, and move the 4-page tail out with a
 * growing mremap(MREMAP_FIXED) and back with a shrinking one. After every round each thread
 * compares every byte of its mapping with its pattern. This checks that splits, unmaps and moves
 * in one thread's mapping never disturb another thread's memory, nor its own unchanged parts,
 * while the address space is being changed from several threads at once. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define NTHREADS 4
#define NPAGES 64
#define ROUNDS 200
#define MID_LO 16 /* first page made read-only */
#define MID_HI 48 /* one past the last page made read-only */
#define HOLE 32   /* the page unmapped and mapped back */
#define TAIL 60   /* first page of the tail moved out and back */

struct worker {
	int id;
	const char *fail_what; /* NULL while every check passed */
	int fail_line;
};

static long page;
static pthread_barrier_t start;

#define CHECK(w, cond, what)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			(w)->fail_what = (what);                                                   \
			(w)->fail_line = __LINE__;                                                 \
			return NULL;                                                               \
		}                                                                                  \
	} while (0)

static unsigned char pattern(int id, long off)
{
	return (unsigned char)(off * 7 + (off / page) * 13 + id * 61 + 1);
}

static void fill(unsigned char *p, int id, long from, long to)
{
	for (long off = from; off < to; off++)
		p[off] = pattern(id, off);
}

/* 1 when [p, p + len) is all mapped, 0 when its first page is a hole, -1 otherwise. */
static int mapped(void *p, long len)
{
	unsigned char vec[NPAGES * 2];

	if (mincore(p, len, vec) == 0)
		return 1;
	if (errno == ENOMEM && mincore(p, page, vec) != 0 && errno == ENOMEM)
		return 0;
	return -1;
}

static int all_zero(const unsigned char *p, long len)
{
	for (long i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	long len = NPAGES * page, tail = (NPAGES - TAIL) * page;
	unsigned char *p, *ref, *scratch, *q;

	pthread_barrier_wait(&start);
	ref = malloc(len);
	CHECK(w, ref != NULL, "malloc");
	fill(ref, w->id, 0, len);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(w, p != MAP_FAILED, "mmap");
	memcpy(p, ref, len);
	for (int round = 0; round < ROUNDS; round++) {
		/* Split into three by protection, check, and join again. */
		CHECK(w, mprotect(p + MID_LO * page, (MID_HI - MID_LO) * page, PROT_READ) == 0,
		      "mprotect read-only");
		CHECK(w, memcmp(p, ref, len) == 0, "contents while middle read-only");
		CHECK(w, mprotect(p + MID_LO * page, (MID_HI - MID_LO) * page,
				  PROT_READ | PROT_WRITE) == 0,
		      "mprotect writable");

		/* Punch a one-page hole, check it is one, and fill it again. */
		CHECK(w, munmap(p + HOLE * page, page) == 0, "munmap middle page");
		CHECK(w, mapped(p + HOLE * page, page) == 0, "middle page a hole");
		CHECK(w, mapped(p, HOLE * page) == 1, "pages before the hole mapped");
		CHECK(w, memcmp(p + (HOLE + 1) * page, ref + (HOLE + 1) * page,
				len - (HOLE + 1) * page) == 0,
		      "contents after the hole");
		q = mmap(p + HOLE * page, page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		CHECK(w, q == p + HOLE * page, "mmap MAP_FIXED into the hole");
		CHECK(w, all_zero(q, page), "refilled page starts zero");
		fill(p, w->id, HOLE * page, (HOLE + 1) * page);

		/* Move the tail out, growing it, then back, shrinking it to its old size. */
		scratch = mmap(NULL, 2 * tail, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(w, scratch != MAP_FAILED, "mmap scratch");
		q = mremap(p + TAIL * page, tail, 2 * tail, MREMAP_MAYMOVE | MREMAP_FIXED, scratch);
		CHECK(w, q == scratch, "mremap tail out");
		CHECK(w, mapped(p + TAIL * page, tail) == 0, "old tail a hole");
		CHECK(w, memcmp(q, ref + TAIL * page, tail) == 0, "moved tail contents");
		CHECK(w, all_zero(q + tail, tail), "grown part zero");
		q = mremap(scratch, 2 * tail, tail, MREMAP_MAYMOVE | MREMAP_FIXED, p + TAIL * page);
		CHECK(w, q == p + TAIL * page, "mremap tail back");
		/* The scratch range is free now; another thread's scratch may already use it. */

		CHECK(w, mapped(p, len) == 1, "whole mapping mapped");
		CHECK(w, memcmp(p, ref, len) == 0, "contents after round");
	}
	CHECK(w, munmap(p, len) == 0, "munmap");
	free(ref);
	return NULL;
}

int main(void)
{
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];

	page = sysconf(_SC_PAGESIZE);
	if (pthread_barrier_init(&start, NULL, NTHREADS))
		return 2;
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .id = i };
		if (pthread_create(&th[i], NULL, work, &w[i]))
			return 2;
	}
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_join(th[i], NULL))
			return 2;
	for (int i = 0; i < NTHREADS; i++) {
		if (w[i].fail_what) {
			printf("FAIL thread %d: %s (line %d)\n", i, w[i].fail_what, w[i].fail_line);
			return 1;
		}
	}
	printf("threads_split: ok\n");
	return 0;
}
