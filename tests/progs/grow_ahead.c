/* The documented bound of kernel-side accesses below a growsdown stack. A thread runs on a
 * 64 KiB MAP_GROWSDOWN stack; after a memory call (a stop of the thread under starmm-run,
 * where its stack is grown G = 256 KiB ahead of its stack pointer) it read(2)s into a page
 * G - 4 KiB below its stack pointer and into one ending G + 64 KiB below it, neither touched
 * before. Linux grows the stack for both; under starmm-run the first works and the second
 * gets EFAULT (the kernel's accesses never fault to the supervisor). Prints what each got. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define G     (256 << 10)
#define AREA  (8 << 20)
#define STACK (64 << 10)

static int fds[2];
static const char *result[2];

static const char *read_at(char *p)
{
	char page[4096];

	memset(page, 7, sizeof(page));
	if (write(fds[1], page, sizeof(page)) != (ssize_t)sizeof(page))
		return "write failed";
	if (read(fds[0], p, sizeof(page)) == (ssize_t)sizeof(page))
		return "ok";
	return errno == EFAULT ? "EFAULT" : "other error";
}

static void *thread(void *arg)
{
	char *sp = __builtin_frame_address(0), *page;
	unsigned char v;

	(void)arg;
	mincore((void *)((uintptr_t)sp & ~4095UL), 4096, &v); /* a stop of this thread */
	page = (char *)(((uintptr_t)sp - (G - 4096)) & ~4095UL);
	result[0] = read_at(page);
	page = (char *)(((uintptr_t)sp - G - (64 << 10)) & ~4095UL) - 4096;
	result[1] = read_at(page);
	return NULL;
}

int main(void)
{
	char *area = mmap(NULL, AREA, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *stack;
	pthread_attr_t attr;
	pthread_t th;

	if (area == MAP_FAILED || munmap(area, AREA) || pipe(fds))
		return 1;
	stack = mmap(area + AREA - STACK, STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED, -1, 0);
	if (stack == MAP_FAILED || pthread_attr_init(&attr) ||
	    pthread_attr_setstack(&attr, stack, STACK) ||
	    pthread_create(&th, &attr, thread, NULL) || pthread_join(th, NULL))
		return 1;
	printf("read into an untouched page G - 4 KiB below the stack pointer: %s\n", result[0]);
	printf("read into an untouched page G + 64 KiB below the stack pointer: %s\n", result[1]);
	return 0;
}
