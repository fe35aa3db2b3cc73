/* glibc finds the main thread's stack through /proc/self/maps (pthread_getattr_np: the mapping
 * holding __libc_stack_end, down to the previous mapping's end, within RLIMIT_STACK), as JVMs,
 * Go and Python's stack checks do. Under starmm-run the main stack is a VMO mapping grown by
 * the supervisor: it must still be found whole, as one mapping, after growth too. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static int check(const char *when)
{
	pthread_attr_t a;
	struct rlimit rl;
	size_t size;
	void *addr;
	int local;

	if (pthread_getattr_np(pthread_self(), &a) || pthread_attr_getstack(&a, &addr, &size))
		return printf("FAIL pthread_getattr_np %s\n", when), 1;
	getrlimit(RLIMIT_STACK, &rl);
	if ((char *)&local < (char *)addr || (char *)&local >= (char *)addr + size)
		return printf("FAIL %s: the stack found does not hold a local\n", when), 1;
	if (rl.rlim_cur != RLIM_INFINITY && size < rl.rlim_cur / 2)
		return printf("FAIL %s: stack size %zu, RLIMIT_STACK %lu\n", when, size,
			      (unsigned long)rl.rlim_cur), 1;
	pthread_attr_destroy(&a);
	printf("stack_attr %s: found, holds a local, as large as RLIMIT_STACK allows\n", when);
	return 0;
}

__attribute__((noinline)) static int deep(int n)
{
	volatile char buf[16384];

	int r;

	memset((char *)buf, n, sizeof(buf));
	r = n ? deep(n - 1) : check("after 2 MiB of growth");
	return r | (buf[sizeof(buf) - 1] != (char)n); /* the frame kept its content */
}

int main(void)
{
	if (check("at start"))
		return 1;
	return deep(128);
}
