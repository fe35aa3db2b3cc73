/* Memory calls under a storm of signals. An interval timer raises SIGALRM every 250 us; the handler
 * (installed with SA_RESTART) counts and scribbles on a stack buffer. Meanwhile 3000 rounds map 16
 * pages, fill them, make the middle read-only, unmap one middle page and unmap the rest, checking
 * the contents after each step. Every call must succeed (no EINTR) and no signal may disturb the
 * memory. A supervisor that runs several system calls in the program for one of its calls must
 * cope with signals arriving between them. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/time.h>

#include "progs.h"

#define ROUNDS 3000
#define NPAGES 16
#define RO_LO 4	 /* first read-only page */
#define RO_HI 12 /* one past the last read-only page */
#define GONE 8	 /* the page unmapped */

static atomic_uint ticks;
static atomic_uint sink; /* keeps the handler's stack work from being optimised away */
static long page;

static void on_alarm(int sig)
{
	volatile unsigned char buf[512];
	unsigned sum = 0;

	for (unsigned i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i + sig);
	for (unsigned i = 0; i < sizeof buf; i++)
		sum += buf[i];
	atomic_store_explicit(&sink, sum, memory_order_relaxed);
	atomic_fetch_add_explicit(&ticks, 1, memory_order_relaxed);
}

/* The byte at offset o of page pg in the given round. */
static unsigned char pattern(int round, long pg, long o)
{
	return (unsigned char)(o * 3 + pg * 17 + round);
}

static void fill_round(unsigned char *p, int round)
{
	for (long pg = 0; pg < NPAGES; pg++)
		for (long o = 0; o < page; o++)
			p[pg * page + o] = pattern(round, pg, o);
}

/* True when pages [from, to) hold their pattern. */
static int contents_ok(const unsigned char *p, int round, long from, long to)
{
	unsigned char bad = 0;

	for (long pg = from; pg < to; pg++)
		for (long o = 0; o < page; o++)
			bad |= p[pg * page + o] ^ pattern(round, pg, o);
	return bad == 0;
}

int main(void)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 250 }, { 0, 250 } }, off = { { 0, 0 }, { 0, 0 } };
	long len;

	page = sysconf(_SC_PAGESIZE);
	len = NPAGES * page;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
	for (int round = 0; round < ROUNDS; round++) {
		unsigned char *p;

		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(p != MAP_FAILED, "mmap");
		fill_round(p, round);
		CHECK(mprotect(p + RO_LO * page, (RO_HI - RO_LO) * page, PROT_READ) == 0,
		      "mprotect middle read-only");
		CHECK(contents_ok(p, round, 0, NPAGES), "contents after mprotect");
		CHECK(munmap(p + GONE * page, page) == 0, "munmap middle page");
		CHECK(!mapped(p + GONE * page, page), "middle page a hole");
		CHECK(contents_ok(p, round, 0, GONE), "contents below the hole");
		CHECK(contents_ok(p, round, GONE + 1, NPAGES), "contents above the hole");
		CHECK(munmap(p, len) == 0, "munmap");
	}
	CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0, "stop timer");
	CHECK(atomic_load(&ticks) > 0, "handler ran");
	printf("signal_storm: ok\n");
	return 0;
}
