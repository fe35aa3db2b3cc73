/* The main thread's stack, which Linux grows on faults below it, the kernel's own accesses
 * included. First a function with a 200 KiB local array (G - 56 KiB, G = 256 KiB being how far
 * below its stack pointer starmm-run keeps a growsdown stack mapped at each stop) reads 200 KiB
 * from a file into it with a system call made in place, so that nothing has touched the array
 * (nor anything below it) before the kernel writes it; the content is then checked. Then a
 * recursion 6 MiB deep in 4 KiB frames (under RLIMIT_STACK 8 MiB), each frame filled with a
 * pattern on the way down and checked on the way back up.
 *
 * `grow_mainstack beyond` only reads into an untouched 320 KiB array (G + 64 KiB): Linux grows
 * the stack for it, starmm-run (which does not see the read) mostly answers EFAULT, but not
 * always: an earlier stop a few KiB deeper (in ld.so) may have mapped it already, depending on
 * where the stack pointer falls within 64 KiB. The line it prints is expected to differ. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "progs.h"

#define G      (256 * KiB)
#define SMALL  (G - 56 * KiB)
#define BEYOND (G + 64 * KiB)
#define DEPTH  (6 * MiB)
#define FRAME  (4 * KiB)
#define FRAMES (DEPTH / FRAME)

static int fd;			      /* a file of BEYOND bytes of content[] */
static unsigned char content[BEYOND]; /* what the file holds */

/* pread(2) as a system call made in place: no call, so nothing is pushed below the stack
 * pointer. The result, or -errno. */
static inline long pread_here(int f, void *buf, size_t n)
{
#ifdef __x86_64__
	long ret;
	register long off __asm__("r10") = 0;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_pread64), "D"((long)f), "S"(buf), "d"(n), "r"(off)
			 : "rcx", "r11", "memory");
	return ret;
#else
	long ret = pread(f, buf, n, 0);

	return ret < 0 ? -errno : ret;
#endif
}

/* What a read of n bytes of the file into buf that returned r gave: "ok", or what went wrong. */
static const char *read_result(long r, const unsigned char *buf, size_t n)
{
	if (r < 0)
		return ename((int)-r);
	if (r != (long)n)
		return "short";
	return memcmp(buf, content, n) == 0 ? "ok" : "wrong content";
}

/* Reads the file into a local array nothing has touched: "ok", or what went wrong. */
static const char *__attribute__((noinline)) read_small(void)
{
	unsigned char buf[SMALL];
	long r = pread_here(fd, buf, sizeof(buf));

	return read_result(r, buf, sizeof(buf));
}

static const char *__attribute__((noinline)) read_beyond(void)
{
	unsigned char buf[BEYOND];
	long r = pread_here(fd, buf, sizeof(buf));

	return read_result(r, buf, sizeof(buf));
}

static void *page_of(const void *p)
{
	return (void *)((uintptr_t)p & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1));
}

static unsigned char pat(int depth, size_t i)
{
	return (unsigned char)(depth * 7 + i * 13 + (i >> 8));
}

static long __attribute__((noinline)) recurse(int depth)
{
	volatile unsigned char frame[FRAME];
	long bad = 0;

	for (size_t i = FRAME; i-- > 0;)
		frame[i] = pat(depth, i);
	if (depth + 1 < (int)FRAMES)
		bad = recurse(depth + 1);
	for (size_t i = 0; i < FRAME; i++)
		if (frame[i] != pat(depth, i)) {
			bad++;
			break;
		}
	return bad;
}

/* The file: an unlinked temporary one holding content[]. */
static void make_file(void)
{
	char path[4096];
	size_t done = 0;

	for (size_t i = 0; i < BEYOND; i++)
		content[i] = (unsigned char)(i * 31 + (i >> 12) * 7 + 1);
	fd = temp_file("grow_mainstack", path, sizeof(path));
	CHECK(unlink(path) == 0);
	while (done < BEYOND) {
		ssize_t n = write(fd, content + done, BEYOND - done);

		CHECK(n > 0);
		done += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	unsigned char vec;
	const char *r;
	long bad;

	setvbuf(stdout, NULL, _IOLBF, 0);
	stack_limit_at_least(8 * MiB);
	make_file();

	/* A memory call (one starmm-run traps: a stop of this thread) right before each read. */
	if (argc > 1 && strcmp(argv[1], "beyond") == 0) {
		CHECK(mincore(page_of(content), 1, &vec) == 0);
		r = read_beyond();
		printf("read into an untouched buffer G+64KiB below: %s\n", r);
		CHECK(strcmp(r, "ok") == 0 || strcmp(r, "EFAULT") == 0);
		return 0;
	}
	CHECK(argc == 1);

	CHECK(mincore(page_of(content), 1, &vec) == 0);
	r = read_small();
	printf("read into an untouched buffer G-56KiB below: %s\n", r);
	CHECK(strcmp(r, "ok") == 0);

	bad = recurse(0);
	printf("recursion 6 MiB deep in 4 KiB frames, every frame kept: %s\n",
	       bad == 0 ? "ok" : "no");
	CHECK(bad == 0);
	printf("grow_mainstack: all ok\n");
	return 0;
}
