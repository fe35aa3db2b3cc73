/* Changes the protection of the middle, head and tail of one mapping and checks, page by page,
 * what really happens on access (a SIGSEGV handler tells read and write faults apart), that the
 * contents survive every split, that setting RW again over the whole range makes the pieces work
 * as one, and that mprotect's errors match Linux, including the part of a range before a hole
 * that Linux changes before it reports ENOMEM. The supervisor has to split and rejoin its records
 * at exactly these page boundaries. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define NPAGES 8

#define FAIL(what)                                                                                 \
	do {                                                                                       \
		printf("FAIL %s (line %d)\n", what, __LINE__);                                     \
		exit(1);                                                                           \
	} while (0)
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAIL(#cond);                                                               \
	} while (0)
/* Prints "<what>: <errno name>" ("ok" when the call worked) and fails unless the result is
 * `want` (0 for success). */
#define EXPECT(what, failed, want)                                                                 \
	do {                                                                                       \
		int failed_ = (failed);                                                            \
		expect(what, failed_ ? errno : 0, want, __LINE__);                                 \
	} while (0)

static size_t P;
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_sig;

static const char *ename(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case EINVAL:
		return "EINVAL";
	case ENOMEM:
		return "ENOMEM";
	default:
		return "E?";
	}
}

static void expect(const char *what, int got, int want, int line)
{
	printf("%s: %s\n", what, ename(got));
	if (got != want) {
		printf("FAIL %s gave %s, Linux gives %s (line %d)\n", what, ename(got), ename(want),
		       line);
		exit(1);
	}
}

static void on_fault(int sig)
{
	fault_sig = sig;
	siglongjmp(fault_jmp, 1);
}

/* Reads the byte at p, then writes the same value back; returns "rw", "r-" (the write faulted,
 * nothing changed) or "--" (the read faulted). Any signal but SIGSEGV fails the test. */
static const char *access_of(char *p)
{
	volatile char *v = p;
	volatile int stage = 0;
	char c;

	fault_sig = 0;
	if (sigsetjmp(fault_jmp, 1) == 0) {
		c = *v;
		stage = 1;
		*v = c;
		stage = 2;
	}
	CHECK(fault_sig == 0 || fault_sig == SIGSEGV);
	return stage == 2 ? "rw" : stage == 1 ? "r-" : "--";
}

/* Checks the access of each page of the NPAGES-page mapping at p against `want` (entries
 * separated by spaces, "xx" for a hole that must not be touched) and prints the map. */
static void access_map(const char *what, char *p, const char *want, int line)
{
	char got[NPAGES * 3 + 1] = "";

	for (int i = 0; i < NPAGES; i++) {
		unsigned char v;

		if (i)
			strcat(got, " ");
		if (mincore(p + i * P, P, &v) != 0) {
			CHECK(errno == ENOMEM);
			strcat(got, "xx");
		} else {
			strcat(got, access_of(p + i * P));
		}
	}
	printf("%s: %s\n", what, got);
	if (strcmp(got, want) != 0) {
		printf("FAIL %s: Linux gives %s (line %d)\n", what, want, line);
		exit(1);
	}
}
#define ACCESS_MAP(what, p, want) access_map(what, p, want, __LINE__)

static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 13 + (i / P) * 41 + 3);
}

/* Whether the pages of p listed in `pages` (a bit per page) still hold the pattern. */
static int kept(const char *p, unsigned pages)
{
	for (size_t i = 0; i < NPAGES * P; i++)
		if ((pages >> (i / P) & 1) && (unsigned char)p[i] != pat(i))
			return 0;
	return 1;
}

int main(void)
{
	struct sigaction sa;
	char *p;

	P = (size_t)sysconf(_SC_PAGESIZE);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
	CHECK(sigaction(SIGBUS, &sa, NULL) == 0);

	p = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	for (size_t i = 0; i < NPAGES * P; i++)
		p[i] = (char)pat(i);
	ACCESS_MAP("access start", p, "rw rw rw rw rw rw rw rw");

	EXPECT("mprotect middle READ", mprotect(p + 3 * P, 2 * P, PROT_READ) != 0, 0);
	ACCESS_MAP("access after middle", p, "rw rw rw r- r- rw rw rw");
	CHECK(kept(p, 0xff));

	EXPECT("mprotect head NONE", mprotect(p, P, PROT_NONE) != 0, 0);
	ACCESS_MAP("access after head", p, "-- rw rw r- r- rw rw rw");

	EXPECT("mprotect tail READ", mprotect(p + 7 * P, P, PROT_READ) != 0, 0);
	ACCESS_MAP("access after tail", p, "-- rw rw r- r- rw rw r-");
	CHECK(kept(p, 0xfe));

	/* Widening part of the read-only middle splits it again. */
	EXPECT("mprotect half of middle RW", mprotect(p + 4 * P, P, PROT_READ | PROT_WRITE) != 0,
	       0);
	ACCESS_MAP("access after half of middle", p, "-- rw rw r- rw rw rw r-");
	CHECK(kept(p, 0xfe));

	/* RW over the whole range: one write across all of it works, the head kept its bytes. */
	EXPECT("mprotect whole RW", mprotect(p, NPAGES * P, PROT_READ | PROT_WRITE) != 0, 0);
	ACCESS_MAP("access after whole", p, "rw rw rw rw rw rw rw rw");
	CHECK(kept(p, 0xff));
	memset(p + P / 2, 0x5c, (NPAGES - 1) * P);
	for (size_t i = 0; i < NPAGES * P; i++)
		CHECK((unsigned char)p[i] ==
		      (i >= P / 2 && i < P / 2 + (NPAGES - 1) * P ? 0x5c : pat(i)));
	for (size_t i = 0; i < NPAGES * P; i++)
		p[i] = (char)pat(i);

	/* Errors. */
	EXPECT("mprotect unaligned", mprotect(p + 1, P, PROT_READ) != 0, EINVAL);
	EXPECT("mprotect unknown prot bit", mprotect(p, P, PROT_READ | 0x10) != 0, EINVAL);
	EXPECT("mprotect PROT_GROWSDOWN on plain mapping",
	       mprotect(p + P, P, PROT_READ | PROT_GROWSDOWN) != 0, EINVAL);
	ACCESS_MAP("access after errors", p, "rw rw rw rw rw rw rw rw");

	/* A hole in the range: ENOMEM, and Linux has already changed the pages before the hole;
	 * the pages after it are left alone. */
	CHECK(munmap(p + 4 * P, P) == 0);
	EXPECT("mprotect range with hole", mprotect(p + P, 6 * P, PROT_READ) != 0, ENOMEM);
	ACCESS_MAP("access after hole", p, "rw r- r- r- xx rw rw rw");
	/* Starting in the hole changes nothing. */
	EXPECT("mprotect starting in hole", mprotect(p + 4 * P, 2 * P, PROT_READ) != 0, ENOMEM);
	ACCESS_MAP("access after hole start", p, "rw r- r- r- xx rw rw rw");
	CHECK(kept(p, 0xef));

	CHECK(munmap(p, NPAGES * P) == 0);
	printf("mprotect_split: all ok\n");
	return 0;
}
