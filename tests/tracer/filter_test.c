/*
 * The filter without a tracer: a trapped call then fails with ENOSYS (SECCOMP_RET_TRACE with
 * no tracer), an allowed one runs. So this process loads the filter itself and checks, on
 * real calls, which calls trap and where the trampoline's exemption starts and ends:
 * - listed calls (mmap, munmap, mprotect, brk) trap outside the trampoline;
 * - other calls (getpid, write) run;
 * - a syscall instruction inside the code page runs, at its start and in its last 2 bytes;
 * - a syscall instruction in the last 2 bytes of the page before it traps (its instruction
 *   pointer, the address after it, is the code page's first byte);
 * - prctl traps only for PR_SET_VMA/PR_SET_MM/PR_SET_SECCOMP;
 * - an i386 call (int $0x80) traps.
 * Exits 0 when all hold; prints one line per failed check.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tracer/filter.h"

#define PAGE 4096

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("filter_test: %s failed (line %d)\n", #cond, __LINE__);             \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* Call the code at fn with a system call's registers; returns rax. The red zone below rsp is
 * stepped over: the call pushes a return address. */
static long call_at(uint64_t fn, long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret = nr;

	__asm__ volatile("sub $128, %%rsp\n\tcall *%[fn]\n\tadd $128, %%rsp"
			 : "+a"(ret), "+r"(r10), "+r"(r8), "+r"(r9)
			 : [fn] "b"(fn), "D"(a0), "S"(a1), "d"(a2)
			 : "rcx", "r11", "memory", "cc");
	return ret;
}

static long direct(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	long ret = syscall(nr, a0, a1, a2, a3, a4, a5);

	return ret < 0 ? -errno : ret;
}

static long int80_getpid(void)
{
	long ret = 20; /* i386 getpid */

	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	return ret;
}

int main(void)
{
	static const uint8_t syscall_ret[] = {0x0f, 0x05, 0xc3};
	struct sock_fprog prog;
	uint8_t *area;
	uint64_t code;
	int status;
	pid_t pid;
	long r;

	CHECK(tr_filter_reason(SYS_mmap) != NULL);
	CHECK(tr_filter_reason(SYS_read) == NULL);
	CHECK(tr_filter_build(12345, &prog) == -EINVAL);
	/* Three pages: the one before the code page, the code page, the one after. */
	area = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (area == MAP_FAILED)
		return 2;
	code = (uint64_t)(uintptr_t)area + PAGE;
	area[PAGE] = 0xc3;			     /* code+0: ret */
	memcpy(area + PAGE + 16, syscall_ret, 3);    /* code+16: syscall; ret */
	memcpy(area + PAGE - 2, syscall_ret, 2);     /* code-2: syscall, then code+0: ret */
	memcpy(area + 2 * PAGE - 2, syscall_ret, 3); /* code+4094: syscall, code+4096: ret */
	/* i386 ABI: trapped whatever the call (getpid is not listed). In a child (fork is a
	 * trapped call once the filter is on): a kernel without IA32 emulation answers int $0x80
	 * with SIGSEGV, and then there is nothing to check. */
	pid = fork();
	if (pid == 0)
		_exit(tr_filter_build(code, &prog) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
			      tr_filter_load(&prog) || int80_getpid() != -ENOSYS
			  ? 1
			  : 0);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid &&
	      (WIFSIGNALED(status) ? WTERMSIG(status) == SIGSEGV : WEXITSTATUS(status) == 0));
	if (tr_filter_build(code, &prog) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    tr_filter_load(&prog)) {
		puts("filter_test: cannot load the filter");
		return 2;
	}
	tr_filter_free(&prog);

	/* Outside the trampoline. */
	CHECK(direct(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == -ENOSYS);
	CHECK(direct(SYS_mprotect, (long)area, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, 0, 0, 0) ==
	      -ENOSYS);
	CHECK(direct(SYS_munmap, (long)area, PAGE, 0, 0, 0, 0) == -ENOSYS);
	CHECK(direct(SYS_brk, 0, 0, 0, 0, 0, 0) == -ENOSYS);
	CHECK(direct(SYS_getpid, 0, 0, 0, 0, 0, 0) == getpid());
	CHECK(direct(SYS_write, 1, (long)"", 0, 0, 0, 0) == 0);
	CHECK(direct(SYS_prctl, PR_SET_VMA, 0, 0, 0, 0, 0) == -ENOSYS);
	CHECK(direct(SYS_prctl, PR_SET_MM, 0, 0, 0, 0, 0) == -ENOSYS);
	CHECK(direct(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0, 0) >= 0);
	CHECK(direct(SYS_prctl, PR_GET_DUMPABLE | (1L << 32), 0, 0, 0, 0, 0) >= 0);
	CHECK(direct(SYS_prctl, PR_SET_MM | (1L << 32), 0, 0, 0, 0, 0) == -ENOSYS);

	/* Inside: a page mapped and unmapped through the code page. */
	r = call_at(code + 16, SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(r > 0 && r % PAGE == 0);
	if (r > 0)
		CHECK(call_at(code + 16, SYS_munmap, r, PAGE, 0, 0, 0, 0) == 0);
	/* The last 2 bytes of the code page: ip = code + 4096, still allowed. */
	CHECK(call_at(code + PAGE - 2, SYS_brk, 0, 0, 0, 0, 0, 0) > 0);
	/* The last 2 bytes of the page before: ip = code, not allowed. */
	CHECK(call_at(code - 2, SYS_brk, 0, 0, 0, 0, 0, 0) == -ENOSYS);

	CHECK(direct(0x40000000 | SYS_getpid, 0, 0, 0, 0, 0, 0) == -ENOSYS);

	printf("filter_test: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
