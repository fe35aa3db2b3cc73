/* Memory calls in one thread must not disturb another thread's blocking call. A thread blocks in
 * epoll_wait() (5 s timeout) on the read end of a pipe while the main thread maps, writes and
 * unmaps whole 16-page mappings 200 times and then writes one byte into the pipe; the waiting
 * thread must see exactly one event, never -1 with EINTR. The same is then done with a thread
 * blocked in read() on a second pipe, which must return the one byte. A supervisor that stops or
 * signals the other threads to change the address space must leave their system calls alone. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "progs.h"

#define ROUNDS 200
#define NPAGES 16

struct waiter {
	int fd;			/* epoll or pipe descriptor to wait on */
	int pipe_rd;		/* the pipe's read end */
	_Atomic pid_t tid;	/* set by the thread before it blocks */
	long ret;		/* what the call returned */
	int err;		/* errno after the call */
	struct epoll_event ev;
	char byte;
};

static void *epoll_waiter(void *arg)
{
	struct waiter *w = arg;

	atomic_store_explicit(&w->tid, (pid_t)syscall(SYS_gettid), memory_order_release);
	errno = 0;
	w->ret = epoll_wait(w->fd, &w->ev, 1, 5000);
	w->err = errno;
	return NULL;
}

static void *read_waiter(void *arg)
{
	struct waiter *w = arg;

	atomic_store_explicit(&w->tid, (pid_t)syscall(SYS_gettid), memory_order_release);
	errno = 0;
	w->ret = read(w->fd, &w->byte, 1);
	w->err = errno;
	return NULL;
}

/* Waits until thread tid sits in one of the system calls nr1, nr2 or nr3; 0 when it does. */
static int wait_blocked(pid_t tid, long nr1, long nr2, long nr3)
{
	char path[64], buf[128];
	struct timespec ms = { 0, 1000000 };

	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
	for (int tries = 0; tries < 3000; tries++) {
		FILE *f = fopen(path, "r");
		long nr = -1;

		if (f) {
			if (fgets(buf, sizeof buf, f) && sscanf(buf, "%ld", &nr) != 1)
				nr = -1;
			fclose(f);
		}
		if (nr >= 0 && (nr == nr1 || nr == nr2 || nr == nr3))
			return 0;
		nanosleep(&ms, NULL);
	}
	return -1;
}

/* Maps, writes and unmaps whole mappings. */
static void churn(void)
{
	long len = NPAGES * sysconf(_SC_PAGESIZE);

	for (int round = 0; round < ROUNDS; round++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		CHECK(p != MAP_FAILED, "mmap");
		memset(p, round, len);
		CHECK(p[0] == (char)round && p[len - 1] == (char)round, "contents");
		CHECK(munmap(p, len) == 0, "munmap");
	}
}

static void run(void *(*fn)(void *), int use_epoll)
{
	struct waiter w = { 0 };
	pthread_t th;
	int fds[2];
	pid_t tid;

	CHECK(pipe(fds) == 0, "pipe");
	w.pipe_rd = fds[0];
	w.fd = fds[0];
	if (use_epoll) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 0x5eed };

		w.fd = epoll_create1(0);
		CHECK(w.fd >= 0, "epoll_create1");
		CHECK(epoll_ctl(w.fd, EPOLL_CTL_ADD, fds[0], &ev) == 0, "epoll_ctl");
	}
	CHECK(pthread_create(&th, NULL, fn, &w) == 0, "pthread_create");
	while ((tid = atomic_load_explicit(&w.tid, memory_order_acquire)) == 0)
		sched_yield();
	if (use_epoll)
		CHECK(wait_blocked(tid, SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2) == 0,
		      "waiter blocked in epoll_wait");
	else
		CHECK(wait_blocked(tid, SYS_read, SYS_read, SYS_read) == 0,
		      "waiter blocked in read");
	churn();
	CHECK(write(fds[1], "x", 1) == 1, "write to pipe");
	CHECK(pthread_join(th, NULL) == 0, "pthread_join");
	if (use_epoll) {
		CHECK(!(w.ret < 0 && w.err == EINTR), "epoll_wait interrupted (EINTR)");
		CHECK(w.ret == 1, "epoll_wait returned 1");
		CHECK(w.ev.events == EPOLLIN && w.ev.data.u32 == 0x5eed, "epoll event");
		CHECK(close(w.fd) == 0, "close epoll");
	} else {
		CHECK(!(w.ret < 0 && w.err == EINTR), "read interrupted (EINTR)");
		CHECK(w.ret == 1 && w.byte == 'x', "read returned the byte");
	}
	CHECK(close(fds[0]) == 0 && close(fds[1]) == 0, "close pipe");
}

int main(void)
{
	run(epoll_waiter, 1);
	printf("epoll_quiet: epoll_wait returned 1 event\n");
	run(read_waiter, 0);
	printf("epoll_quiet: read returned 1 byte\n");
	return 0;
}
