/* A hostile program that unmaps memory behind its supervisor's back, to test starmm-run's
 * mismatch path end to end. Under starmm-run, calls made from the trampoline's syscall
 * instruction are not trapped (the filter lets the trampoline's own calls through). This
 * program finds that instruction (the executable page just below the "starmm-tramp" data page
 * in /proc/self/maps), sets the registers the trampoline's routine uses after its syscall so
 * that it stores the result in a buffer of ours and ends at its int3 (a SIGTRAP we catch),
 * and jumps there with munmap's arguments. The model still has the page; touching it faults
 * where the model says there is memory: starmm-run must report a MISMATCH and fail (125).
 * Natively there is no trampoline: it says so and exits 0. */
#include <setjmp.h>
#include <sys/syscall.h>

#include "progs.h"

static sigjmp_buf trap_jmp;

static void on_trap(int sig)
{
	(void)sig;
	siglongjmp(trap_jmp, 1);
}

/* The address of the syscall instruction in the trampoline's code page, or 0. */
static uintptr_t trampoline_syscall(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long s, e, prev_s = 0, prev_e = 0;
	uintptr_t found = 0;

	CHECK(maps != NULL);
	while (!found && fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%lx-%lx", &s, &e) != 2)
			continue;
		if (strstr(line, "starmm-tramp") && prev_e == s) {
			const unsigned char *end = (const unsigned char *)prev_e;

			for (const unsigned char *p = (void *)prev_s; p + 1 < end; p++)
				if (p[0] == 0x0f && p[1] == 0x05) {
					found = (uintptr_t)p;
					break;
				}
		}
		prev_s = s;
		prev_e = e;
	}
	fclose(maps);
	return found;
}

int main(void)
{
	static char recs[4096] __attribute__((aligned(64)));
	size_t P = page_size();
	char *p = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t sys = trampoline_syscall();
	volatile char sink;

	CHECK(p != MAP_FAILED);
	memset(p, 'd', 4 * P);
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!sys) {
		printf("desync: no trampoline (not under starmm-run)\n");
		return 0;
	}
	signal(SIGTRAP, on_trap);
	if (sigsetjmp(trap_jmp, 1) == 0) {
		/* rbx: "data page" (done at +4), r13: "record" (result at +56), r12/r14: n = 1,
		 * i = 0, so that the routine ends at its int3 after our call. Operands in memory:
		 * every general register but rbp and r15 is taken. */
		static struct {
			uint64_t addr, len, rec, sys;
		} a;

		a.addr = (uint64_t)(p + P);
		a.len = P;
		a.rec = (uint64_t)recs;
		a.sys = sys;
		__asm__ volatile("mov %[addr], %%rdi\n\t"
				 "mov %[len], %%rsi\n\t"
				 "mov %[rec], %%rbx\n\t"
				 "mov %[rec], %%r13\n\t"
				 "mov $1, %%r12\n\t"
				 "xor %%r14d, %%r14d\n\t"
				 "mov %[nr], %%rax\n\t"
				 "jmp *%[sys]\n\t"
				 :
				 : [addr] "m"(a.addr), [len] "m"(a.len), [rec] "m"(a.rec),
				   [sys] "m"(a.sys), [nr] "i"(SYS_munmap)
				 : "rax", "rbx", "rcx", "rdx", "rdi", "rsi", "r8", "r9", "r10",
				   "r11", "r12", "r13", "r14", "memory");
	}
	printf("desync: munmap ran from the trampoline, result %ld\n", *(long *)(recs + 56));
	sink = p[P]; /* the model still has this page: a MISMATCH */
	(void)sink;
	printf("desync: the page is still there\n");
	return 1;
}
