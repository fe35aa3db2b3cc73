/* Prints a line, then execs /bin/true (a new address space). */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	puts("exec_true: before exec");
	fflush(stdout);
	execl("/bin/true", "true", (char *)NULL);
	perror("exec_true: execl");
	return 1;
}
