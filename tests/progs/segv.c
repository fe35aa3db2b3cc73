/* Dies of SIGSEGV (raise, no fault), without a core file: the status is 128+11. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

int main(void)
{
	struct rlimit no_core = {0, 0};

	setrlimit(RLIMIT_CORE, &no_core);
	puts("segv: raising SIGSEGV");
	fflush(stdout);
	raise(SIGSEGV);
	return 0;
}
