/* Makes an x32 system call (getpid with __X32_SYSCALL_BIT): starmm-run refuses it. Natively
 * it returns the pid, or ENOSYS on kernels without x32 support. */
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(void)
{
	long ret = syscall(0x40000000 | SYS_getpid);

	printf("x32: returned %s\n", ret > 0 ? "a pid" : "an error");
	return 0;
}
