/* Makes an i386 system call (int $0x80, getpid = 20): starmm-run refuses it. Natively it
 * returns the pid (or the process dies of SIGSEGV without IA32 emulation). */
#include <stdio.h>

int main(void)
{
	long ret = 20;

	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	printf("int80: returned %s\n", ret > 0 ? "a pid" : "an error");
	return 0;
}
