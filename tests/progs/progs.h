/* progs.h: what the test programs of tests/progs/ share. Each program stays one .c file built
 * alone, this header found beside it by #include "progs.h":
 *
 *     gcc -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -g -o OUT tests/progs/NAME.c -lpthread
 *
 * and static_* also with -static. Everything here is a macro, a static inline function or a
 * static variable marked unused, so a program is not warned about what it does not use. A helper
 * makes only the system calls its description names (mincore, mmap, sigaction...), those the
 * program would make writing the same out itself.
 *
 * - Checks: FAIL(what) prints "FAIL <what> (line N)" and exits 1; CHECK(cond) fails with the
 *   condition's text, CHECK(cond, what) with `what` (a check inside a helper gives a line of this
 *   header).
 * - Answers compared with Linux's: EXPECT(what, failed, want) prints "<what>: <errno name>" ("ok"
 *   when the call worked) and fails unless that is `want`; expect_as() does it for any number
 *   and naming (ename, segv_code_name), expect_str() for strings.
 * - Memory: mapped(p, len) (one mincore: is the range all mapped?) and pages_are() (page by page:
 *   all mapped, or all a hole?); zero() and all_bytes(); fill() and holds() lay out and check a
 *   program's own pattern (a function of offset and seed), fill_addr() and holds_addr() the one
 *   keyed by address; free_range(len); stack_limit_at_least(); KiB, MiB and the flags older
 *   headers may lack.
 * - Faults: catch_fault(sig, on_altstack) sends SIGSEGV or SIGBUS to a handler that records the
 *   signal, si_code and si_addr (fault_sig, fault_code, fault_addr) and jumps back; try_read()
 *   and try_write() make one access and return the signal it raised; access_of(), page_access()
 *   and ACCESS_MAP() tell what each page allows.
 * - Processes and files: reap(pid) waits for a child that must exit 0; temp_file() makes a file
 *   in tmp_dir() ($TMPDIR, or /tmp).
 */
#ifndef PROGS_H
#define PROGS_H

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define KiB (1UL << 10)
#define MiB (1UL << 20)

/* What older headers may lack. */
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#endif
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/* --- Checks --- */

#define FAIL(what)                                                                                 \
	do {                                                                                       \
		printf("FAIL %s (line %d)\n", (what), __LINE__);                                   \
		exit(1);                                                                           \
	} while (0)
/* CHECK(cond) or CHECK(cond, what). */
#define CHECK(...)                                                                                 \
	PROGS_CHECK_PICK(__VA_ARGS__, PROGS_CHECK_WHAT, PROGS_CHECK_TEXT, )                        \
	(#__VA_ARGS__, __VA_ARGS__)
#define PROGS_CHECK_PICK(a, b, which, ...) which
#define PROGS_CHECK_TEXT(text, cond)                                                               \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAIL(text);                                                                \
	} while (0)
#define PROGS_CHECK_WHAT(text, cond, what)                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAIL(what);                                                                \
	} while (0)

/* --- Answers compared with Linux's --- */

/* An errno's name ("ok" for 0). */
static inline const char *ename(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case EINVAL:
		return "EINVAL";
	case ENOMEM:
		return "ENOMEM";
	case EFAULT:
		return "EFAULT";
	case EEXIST:
		return "EEXIST";
	case EBADF:
		return "EBADF";
	case EACCES:
		return "EACCES";
	case ENODEV:
		return "ENODEV";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case EPERM:
		return "EPERM";
	case EAGAIN:
		return "EAGAIN";
	default:
		return "E?";
	}
}

/* A SIGSEGV's si_code ("ok" for 0: no fault). */
static inline const char *segv_code_name(int code)
{
	switch (code) {
	case 0:
		return "ok";
	case SEGV_MAPERR:
		return "SEGV_MAPERR";
	case SEGV_ACCERR:
		return "SEGV_ACCERR";
	default:
		return "SEGV_?";
	}
}

/* Prints "<what>: <name of got>" and fails unless got is want. */
static inline void expect_as(const char *(*name)(int), const char *what, int got, int want,
			     int line)
{
	printf("%s: %s\n", what, name(got));
	if (got != want) {
		printf("FAIL %s gave %s, Linux gives %s (line %d)\n", what, name(got), name(want),
		       line);
		exit(1);
	}
}

/* Prints "<what>: <errno name>" ("ok" when the call worked) and fails unless the result is
 * `want` (0 for success). `failed` must be evaluated right after the call, before errno moves. */
#define EXPECT(what, failed, want)                                                                 \
	do {                                                                                       \
		int failed_ = (failed);                                                            \
		expect_as(ename, what, failed_ ? errno : 0, want, __LINE__);                       \
	} while (0)

/* Prints "<what>: <got>" and fails unless got is the string want. */
static inline void expect_str(const char *what, const char *got, const char *want, int line)
{
	printf("%s: %s\n", what, got);
	if (strcmp(got, want) != 0) {
		printf("FAIL %s: Linux gives %s (line %d)\n", what, want, line);
		exit(1);
	}
}

/* --- Memory --- */

static inline size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE); /* from the auxiliary vector: no system call */
}

/* Whether [p, p + len) is all mapped, p rounded down to its page: one mincore, whose only
 * failure taken for a hole is ENOMEM. Up to 8192 pages, one thread at a time (a static vector). */
static inline int mapped(const void *p, size_t len)
{
	static unsigned char vec[8192];
	size_t P = page_size();
	uintptr_t a = (uintptr_t)p & ~(P - 1);

	len += (uintptr_t)p - a;
	CHECK((len + P - 1) / P <= sizeof(vec));
	if (mincore((void *)a, len, vec) == 0)
		return 1;
	CHECK(errno == ENOMEM);
	return 0;
}

/* Whether every page of [p, p + len) is mapped (want 1) or a hole (want 0): mapped() page by
 * page. */
static inline int pages_are(const void *p, size_t len, int want)
{
	size_t P = page_size();

	for (size_t off = 0; off < len; off += P)
		if (mapped((const char *)p + off, P) != want)
			return 0;
	return 1;
}

/* Whether every byte of [p, p + len) is v. */
static inline int all_bytes(const void *p, size_t len, int v)
{
	for (size_t i = 0; i < len; i++)
		if (((const unsigned char *)p)[i] != (unsigned char)v)
			return 0;
	return 1;
}

static inline int zero(const void *p, size_t len)
{
	return all_bytes(p, len, 0);
}

/* A program's pattern: the byte at offset off of the memory it is laid out on, for a seed (a
 * program with a single pattern ignores the seed). */
typedef unsigned char pattern_fn(size_t off, int seed);

/* Lays pattern pat (seed) out over [p + from, p + to), offsets counted from p. */
static inline void fill(void *p, size_t from, size_t to, pattern_fn *pat, int seed)
{
	for (size_t i = from; i < to; i++)
		((unsigned char *)p)[i] = pat(i, seed);
}

/* Whether [p + from, p + to) holds pattern pat (seed), offsets counted from p. */
static inline int holds(const void *p, size_t from, size_t to, pattern_fn *pat, int seed)
{
	for (size_t i = from; i < to; i++)
		if (((const unsigned char *)p)[i] != pat(i, seed))
			return 0;
	return 1;
}

/* The pattern keyed by address, for memory that is looked at where it stands, whatever mapping
 * it is part of (a stack that grows). */
static inline unsigned char addr_pattern(const void *p)
{
	uintptr_t a = (uintptr_t)p;

	return (unsigned char)(a * 7 + (a >> 12) * 19 + 5);
}

static inline void fill_addr(void *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((unsigned char *)p)[i] = addr_pattern((char *)p + i);
}

static inline int holds_addr(const void *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (((const unsigned char *)p)[i] != addr_pattern((const char *)p + i))
			return 0;
	return 1;
}

/* An address range of len bytes that is free right now (mapped PROT_NONE, then unmapped). */
static inline char *free_range(size_t len)
{
	char *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	CHECK(p != MAP_FAILED);
	CHECK(munmap(p, len) == 0);
	return p;
}

/* Raises RLIMIT_STACK to min where it is lower (and not unlimited). */
static inline void stack_limit_at_least(rlim_t min)
{
	struct rlimit rl;

	CHECK(getrlimit(RLIMIT_STACK, &rl) == 0);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < min) {
		rl.rlim_cur = min;
		CHECK(setrlimit(RLIMIT_STACK, &rl) == 0);
	}
}

/* --- Faults --- */

static sigjmp_buf fault_jmp __attribute__((unused));
static volatile sig_atomic_t fault_sig __attribute__((unused));	 /* the signal, 0 for none */
static volatile sig_atomic_t fault_code __attribute__((unused)); /* its si_code */
static void *volatile fault_addr __attribute__((unused));	 /* its si_addr */

static inline void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(fault_jmp, 1);
}

/* Sends signal sig (SIGSEGV, SIGBUS) to on_fault; with on_altstack, on a 64 KiB alternate stack
 * set up here for the calling thread. */
static inline void catch_fault(int sig, int on_altstack)
{
	static char altstack[64 * 1024];
	struct sigaction sa;

	if (on_altstack) {
		stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};

		CHECK(sigaltstack(&ss, NULL) == 0);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | (on_altstack ? SA_ONSTACK : 0);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(sig, &sa, NULL) == 0);
}

/* Reads the byte at p; returns 0 or the signal the read raised. */
static inline int try_read(const char *p)
{
	fault_sig = 0;
	fault_code = 0;
	if (sigsetjmp(fault_jmp, 1) == 0)
		(void)*(const volatile char *)p;
	return fault_sig;
}

/* Writes v to p; returns 0 or the signal the write raised. */
static inline int try_write(char *p, char v)
{
	fault_sig = 0;
	fault_code = 0;
	if (sigsetjmp(fault_jmp, 1) == 0)
		*(volatile char *)p = v;
	return fault_sig;
}

/* Reads the byte at p and writes it back: 'w' when both work, 'r' when only the read does, '-'
 * when the read faults. Any signal but SIGSEGV fails the test. */
static inline char access_of(char *p)
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

/* The access of each of n pages from p (lowest first) into got (n + 1 bytes): access_of's
 * letter, or 'x' for a page that is not mapped (found with mincore, which touches nothing). */
static inline void page_access(char *p, int n, char *got)
{
	size_t P = page_size();

	for (int i = 0; i < n; i++)
		got[i] = mapped(p + i * P, P) ? access_of(p + i * P) : 'x';
	got[n] = 0;
}

/* Prints the access of n pages from p (up to 64) and fails unless it is `want`. */
static inline void access_map(const char *what, char *p, int n, const char *want, int line)
{
	char got[64 + 1];

	CHECK(n < (int)sizeof(got));
	page_access(p, n, got);
	expect_str(what, got, want, line);
}
#define ACCESS_MAP(what, p, n, want) access_map(what, p, n, want, __LINE__)

/* --- Processes and files --- */

/* Waits for child pid and fails unless it exited 0. */
static inline void reap(pid_t pid)
{
	int status;

	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* $TMPDIR, or /tmp. */
static inline const char *tmp_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir && *dir ? dir : "/tmp";
}

/* A new file <tmp_dir>/<name>.XXXXXX, its name left in path (size bytes): its descriptor. */
static inline int temp_file(const char *name, char *path, size_t size)
{
	int fd;

	CHECK(snprintf(path, size, "%s/%s.XXXXXX", tmp_dir(), name) < (int)size);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	return fd;
}

#endif
