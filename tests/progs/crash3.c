/* Dereferences a bad pointer three calls deep (crash_a -> crash_b -> crash_c), for the crash
 * report test: under starmm-run the report must name the three functions, SIGSEGV and the
 * address, and show the model's mappings around it. Dies of SIGSEGV natively too. */
#include <stdint.h>
#include <stdio.h>

__attribute__((noinline, noipa)) static int crash_c(volatile int *p)
{
	return *p + 1;
}

__attribute__((noinline, noipa)) static int crash_b(volatile int *p)
{
	return crash_c(p) + 2;
}

__attribute__((noinline, noipa)) static int crash_a(volatile int *p)
{
	return crash_b(p) + 3;
}

int main(void)
{
	printf("crash3: about to crash\n");
	fflush(stdout);
	return crash_a((volatile int *)(uintptr_t)0xdead000);
}
