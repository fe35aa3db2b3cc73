/* Maps 16 pages with MAP_GROWSDOWN, the flag thread stacks used to be made with, and uses them
 * only from the inside: every page is written and read back, parts are made read-only (also with
 * PROT_GROWSDOWN, which carries the change down to the start of the mapping), then the mapping is
 * unmapped piece by piece. Nothing below the mapping's start is ever touched, because growing the
 * mapping downward is not what this checks. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define NPAGES 16

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

/* Reads the byte at p and writes it back: 'w' when both work, 'r' when only the read does, '-'
 * when the read faults. */
static char access_of(char *p)
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
	return stage == 2 ? 'w' : stage == 1 ? 'r' : '-';
}

/* Prints the access of every page (lowest first), 'x' for a page that is not mapped (found with
 * mincore, which touches nothing), and fails unless it is `want`. */
static void access_map(const char *what, char *p, const char *want, int line)
{
	char got[NPAGES + 1];

	for (int i = 0; i < NPAGES; i++) {
		unsigned char v;

		if (mincore(p + i * P, P, &v) != 0) {
			CHECK(errno == ENOMEM);
			got[i] = 'x';
		} else {
			got[i] = access_of(p + i * P);
		}
	}
	got[NPAGES] = 0;
	printf("%s: %s\n", what, got);
	if (strcmp(got, want) != 0) {
		printf("FAIL %s: Linux gives %s (line %d)\n", what, want, line);
		exit(1);
	}
}
#define ACCESS_MAP(what, p, want) access_map(what, p, want, __LINE__)

static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 7 + (i / P) * 19 + 5);
}

static int kept(const char *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if ((unsigned char)p[i] != pat(i))
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

	p = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE,
		 MAP_GROWSDOWN | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT("mmap MAP_GROWSDOWN 16 pages", p == MAP_FAILED, 0);

	/* Every page inside, from the top down as a stack would be used. */
	for (size_t i = NPAGES * P; i-- > 0;)
		CHECK(p[i] == 0);
	for (size_t i = NPAGES * P; i-- > 0;)
		p[i] = (char)pat(i);
	CHECK(kept(p, 0, NPAGES * P));
	printf("write and read every page: ok\n");
	ACCESS_MAP("access start", p, "wwwwwwwwwwwwwwww");

	/* A plain mprotect of the middle splits the mapping. */
	EXPECT("mprotect pages 6-9 READ", mprotect(p + 6 * P, 4 * P, PROT_READ) != 0, 0);
	ACCESS_MAP("access after middle", p, "wwwwwwrrrrwwwwww");
	CHECK(kept(p, 0, NPAGES * P));
	EXPECT("mprotect all RW", mprotect(p, NPAGES * P, PROT_READ | PROT_WRITE) != 0, 0);
	ACCESS_MAP("access after all RW", p, "wwwwwwwwwwwwwwww");

	/* PROT_GROWSDOWN applies the change from the given range down to the mapping's start. */
	EXPECT("mprotect page 4 READ|PROT_GROWSDOWN",
	       mprotect(p + 4 * P, P, PROT_READ | PROT_GROWSDOWN) != 0, 0);
	ACCESS_MAP("access after PROT_GROWSDOWN", p, "rrrrrwwwwwwwwwww");
	EXPECT("mprotect PROT_GROWSUP", mprotect(p + 8 * P, P, PROT_READ | PROT_GROWSUP) != 0,
	       EINVAL);
	EXPECT("mprotect PROT_GROWSDOWN|PROT_GROWSUP",
	       mprotect(p + 8 * P, P, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP) != 0, EINVAL);
	ACCESS_MAP("access after errors", p, "rrrrrwwwwwwwwwww");
	CHECK(kept(p, 0, NPAGES * P));

	/* Unmap the top four pages, then a page in the middle, then the rest. */
	EXPECT("munmap top 4 pages", munmap(p + 12 * P, 4 * P) != 0, 0);
	ACCESS_MAP("access after top unmapped", p, "rrrrrwwwwwwwxxxx");
	EXPECT("munmap page 8", munmap(p + 8 * P, P) != 0, 0);
	ACCESS_MAP("access after page 8 unmapped", p, "rrrrrwwwxwwwxxxx");
	CHECK(kept(p, 0, 8 * P) && kept(p, 9 * P, 12 * P));
	EXPECT("munmap all", munmap(p, NPAGES * P) != 0, 0);
	ACCESS_MAP("access after all unmapped", p, "xxxxxxxxxxxxxxxx");

	printf("growsdown: all ok\n");
	return 0;
}
