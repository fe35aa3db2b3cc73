/* Signals on MAP_GROWSDOWN thread stacks. First a thread whose stack is the top of a 64 KiB
 * growsdown mapping (pthread_attr_setstack, a free area below it) recurses until its stack
 * pointer is within 1 KiB of the mapping's start, then raises SIGUSR1 (raise(), then again on a
 * fresh stack with a tgkill made in place, touching nothing below): the kernel pushes the
 * signal frame below the mapping, which Linux grows for it, and the handler uses 16 KiB more
 * there; its result and the frames above are checked. Then, under RLIMIT_STACK 1 MiB, a thread
 * on another growsdown stack recurses without end: the growth past the limit is refused, the
 * SIGSEGV (SEGV_MAPERR) runs its handler on the thread's alternate stack, which siglongjmps
 * out; the stack then ends exactly 1 MiB below its top. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "progs.h"

#define AREA	(16 * MiB)
#define STACK	(64 * KiB)
#define NEAR	(1 * KiB)  /* how close to the mapping's start the SIGUSR1 is raised */
#define HANDLER (16 * KiB) /* the SIGUSR1 handler's array */
#define LIMIT	(1 * MiB)  /* RLIMIT_STACK for the overflow */

static size_t P;
static char *bottom; /* the start of the thread's growsdown mapping as mapped */
static char *top;
static volatile long handler_sum;
static volatile uintptr_t handler_low; /* the lowest byte the SIGUSR1 handler used */
static sigjmp_buf overflow_jmp;
static volatile int overflow_code;
static char *volatile overflow_addr;
static volatile int overflow_on_alt;
static char altstack[64 * 1024];

static char *stack_pointer(void)
{
	char *sp;

#ifdef __x86_64__
	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
#else
	sp = __builtin_frame_address(0);
#endif
	return sp;
}

static long expected_sum(void)
{
	long sum = 0;

	for (size_t i = 0; i < HANDLER; i++)
		sum += (signed char)(i * 13 + 1);
	return sum;
}

static void on_usr1(int sig)
{
	volatile signed char big[HANDLER];
	long sum = 0;

	(void)sig;
	for (size_t i = HANDLER; i-- > 0;)
		big[i] = (signed char)(i * 13 + 1);
	for (size_t i = 0; i < HANDLER; i++)
		sum += big[i];
	handler_low = (uintptr_t)big;
	handler_sum = sum;
}

/* SIGUSR1 to this thread: raise(), or a tgkill system call made right here (no call: nothing
 * below the stack pointer is touched before the kernel pushes the signal frame). */
static pid_t pid, tid;
static int raw_kill;

static void usr1_here(void)
{
#ifdef __x86_64__
	if (raw_kill) {
		long ret;

		__asm__ volatile("syscall"
				 : "=a"(ret)
				 : "0"((long)SYS_tgkill), "D"((long)pid), "S"((long)tid),
				   "d"((long)SIGUSR1)
				 : "rcx", "r11", "memory");
		CHECK(ret == 0);
		return;
	}
#endif
	CHECK(raise(SIGUSR1) == 0);
}

/* Fills a 256-byte frame, goes deeper until the stack pointer is within NEAR of the mapping's
 * start, sends SIGUSR1 there, then checks the frame: the number of frames, or -1. */
static long __attribute__((noinline)) recurse_near(int depth)
{
	volatile unsigned char pad[256];
	long r;

	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] = (unsigned char)(depth * 31 + i);
	if (stack_pointer() - bottom > (long)NEAR) {
		r = recurse_near(depth + 1);
	} else {
		usr1_here();
		r = 0;
	}
	for (size_t i = 0; i < sizeof(pad); i++)
		if (pad[i] != (unsigned char)(depth * 31 + i))
			return -1;
	return r < 0 ? r : r + 1;
}

static void *near_thread(void *arg)
{
	long frames;

	(void)arg;
	pid = getpid();
	tid = gettid();
	frames = recurse_near(0);
	CHECK(frames > 100);
	return NULL;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	char here;

	(void)sig;
	(void)uc;
	overflow_code = si->si_code;
	overflow_addr = si->si_addr;
	overflow_on_alt = &here >= altstack && &here < altstack + sizeof(altstack);
	siglongjmp(overflow_jmp, 1);
}

static long __attribute__((noinline)) recurse_forever(long depth)
{
	volatile char pad[1000];

	for (size_t i = sizeof(pad); i-- > 0;)
		pad[i] = (char)(depth + i);
	if (depth == 0x7fffffff)
		return pad[0];
	return recurse_forever(depth + 1) + pad[depth % sizeof(pad)];
}

static void *overflow_thread(void *arg)
{
	stack_t ss;

	(void)arg;
	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	CHECK(sigaltstack(&ss, NULL) == 0);
	if (sigsetjmp(overflow_jmp, 1) == 0) {
		recurse_forever(0);
		FAIL("the recursion came back");
	}
	return NULL;
}

/* A 64 KiB growsdown mapping at the top of a free area of AREA bytes; sets bottom and top. */
static void growsdown_stack(void)
{
	top = free_range(AREA) + AREA;
	bottom = mmap(top - STACK, STACK, PROT_READ | PROT_WRITE,
		      MAP_GROWSDOWN | MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(bottom == top - STACK);
}

static void run_on_stack(void *(*fn)(void *))
{
	pthread_attr_t attr;
	pthread_t th;

	CHECK(pthread_attr_init(&attr) == 0);
	CHECK(pthread_attr_setstack(&attr, bottom, STACK) == 0);
	CHECK(pthread_create(&th, &attr, fn, NULL) == 0);
	CHECK(pthread_join(th, NULL) == 0);
	CHECK(pthread_attr_destroy(&attr) == 0);
}

int main(void)
{
	struct sigaction sa;
	struct rlimit rl, old;

	P = (size_t)sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* 1. SIGUSR1 with the stack pointer within 1 KiB of the mapping's start, from raise() and
	 * from a tgkill made in place. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	for (raw_kill = 0; raw_kill < 2; raw_kill++) {
		const char *how = raw_kill ? "tgkill in place" : "raise()";

		handler_sum = 0;
		growsdown_stack();
		run_on_stack(near_thread);
		printf("%s: handler with 16 KiB of locals near the stack's start: %s\n", how,
		       handler_sum == expected_sum() ? "sum ok" : "sum wrong");
		CHECK(handler_sum == expected_sum());
		printf("%s: the handler ran below the mapping's start: %s\n", how,
		       handler_low + HANDLER <= (uintptr_t)bottom ? "yes" : "no");
		CHECK(handler_low + HANDLER <= (uintptr_t)bottom);
		CHECK(mapped((char *)handler_low, (size_t)((uintptr_t)top - handler_low)));
		printf("%s: frames above it kept: ok\n", how);
	}

	/* 2. Overflow of a growsdown thread stack under RLIMIT_STACK 1 MiB. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
	CHECK(getrlimit(RLIMIT_STACK, &old) == 0);
	rl = old;
	rl.rlim_cur = LIMIT;
	CHECK(setrlimit(RLIMIT_STACK, &rl) == 0);
	growsdown_stack();
	run_on_stack(overflow_thread);
	CHECK(setrlimit(RLIMIT_STACK, &old) == 0);
	printf("overflow caught: %s\n", overflow_code ? segv_code_name(overflow_code) : "no");
	CHECK(overflow_code == SEGV_MAPERR);
	printf("handler on the alternate stack: %s\n", overflow_on_alt ? "yes" : "no");
	CHECK(overflow_on_alt);
	printf("fault in the page below the limit: %s\n",
	       overflow_addr >= top - LIMIT - P && overflow_addr < top - LIMIT ? "yes" : "no");
	CHECK(overflow_addr >= top - LIMIT - P && overflow_addr < top - LIMIT);
	printf("stack mapped down to the limit and no further: %s\n",
	       mapped(top - LIMIT, LIMIT) && !mapped(top - LIMIT - P, P) ? "yes" : "no");
	CHECK(mapped(top - LIMIT, LIMIT) && !mapped(top - LIMIT - P, P));

	printf("grow_signal: all ok\n");
	return 0;
}
