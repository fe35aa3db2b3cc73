/* process_madvise(2) aimed at the process itself is madvise, range by range: DONTNEED zeroes
 * private memory, FREE is accepted, guard markers come and go; a vector of two ranges returns
 * the bytes of both; one that fails part-way returns the bytes done before; flags, a long
 * vector and an unreadable one are errors. Aimed at another process (a child) only hints are
 * allowed. */
#include <sys/syscall.h>
#include <sys/uio.h>

#include "progs.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE  103
#endif

static long pmadvise(int pidfd, const struct iovec *iov, size_t n, int advice, unsigned flags)
{
	return syscall(SYS_process_madvise, pidfd, iov, n, advice, flags);
}

static void result(const char *what, long r, long want)
{
	printf("%s: %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? ename(errno) : "");
	if (r != want)
		FAIL(what);
}

int main(void)
{
	size_t P = page_size();
	int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	char *p = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iovec two[2] = {{p, P}, {p + 4 * P, 2 * P}}, bad[2] = {{p, P}, {p + 1, P}};
	pid_t child;
	int cfd;

	CHECK(self >= 0 && p != MAP_FAILED);
	catch_fault(SIGSEGV, 0);
	memset(p, 'm', 8 * P);
	result("DONTNEED of two ranges", pmadvise(self, two, 2, MADV_DONTNEED, 0), (long)(3 * P));
	CHECK(zero(p, P) && zero(p + 4 * P, 2 * P), "both ranges zeroed");
	CHECK(all_bytes(p + P, 3 * P, 'm') && all_bytes(p + 6 * P, 2 * P, 'm'), "the rest kept");
	result("FREE", pmadvise(self, two, 1, MADV_FREE, 0), (long)P);
	result("GUARD_INSTALL", pmadvise(self, two + 1, 1, MADV_GUARD_INSTALL, 0), (long)(2 * P));
	ACCESS_MAP("access with guards", p, 8, "wwww--ww");
	result("GUARD_REMOVE", pmadvise(self, two + 1, 1, MADV_GUARD_REMOVE, 0), (long)(2 * P));
	ACCESS_MAP("access without guards", p, 8, "wwwwwwww");
	result("second range unaligned", pmadvise(self, bad, 2, MADV_DONTNEED, 0), (long)P);
	result("first range unaligned", pmadvise(self, bad + 1, 1, MADV_DONTNEED, 0), -1);
	result("flags 1", pmadvise(self, two, 2, MADV_DONTNEED, 1), -1);
	result("1025 ranges", pmadvise(self, two, 1025, MADV_DONTNEED, 0), -1);
	result("unreadable vector", pmadvise(self, (struct iovec *)8, 1, MADV_DONTNEED, 0), -1);
	result("no range", pmadvise(self, two, 0, MADV_DONTNEED, 0), 0);

	fflush(stdout);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	cfd = (int)syscall(SYS_pidfd_open, child, 0);
	CHECK(cfd >= 0);
	result("child: COLD", pmadvise(cfd, two, 2, MADV_COLD, 0), (long)(3 * P));
	result("child: DONTNEED", pmadvise(cfd, two, 2, MADV_DONTNEED, 0), -1);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	printf("process_madvise: all ok\n");
	return 0;
}
