/* Closes every descriptor except 0, 1 and 2 (close_range(), or a loop over /proc/self/fd where
 * that is missing), checks none is left open, and then maps, protects, remaps and unmaps anonymous
 * memory and a shared mapping of a temporary file, checking the contents at each step. Programs
 * that close every descriptor they did not open are common; a supervisor must not rely on any
 * descriptor it may have left inside the program. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "progs.h"

static long page;

/* Closes descriptors 3 and up by listing /proc/self/fd; 0 on success. */
static int close_by_listing(void)
{
	int fds[1024], n = 0, again = 1;

	while (again) {
		DIR *d = opendir("/proc/self/fd");
		struct dirent *e;

		if (!d)
			return -1;
		again = 0;
		n = 0;
		while ((e = readdir(d))) {
			int fd = atoi(e->d_name);

			if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd < 3 || fd == dirfd(d))
				continue;
			if (n == (int)(sizeof fds / sizeof fds[0])) {
				again = 1;
				break;
			}
			fds[n++] = fd;
		}
		closedir(d);
		for (int i = 0; i < n; i++)
			close(fds[i]);
	}
	return 0;
}

static unsigned char pattern(long off)
{
	return (unsigned char)(off * 13 + (off / page) * 7 + 5);
}

static void anon(void)
{
	unsigned char *p, *q;

	p = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap anonymous");
	for (long off = 0; off < 8 * page; off++)
		p[off] = pattern(off);
	CHECK(mprotect(p + page, 2 * page, PROT_READ) == 0, "mprotect anonymous");
	CHECK(munmap(p + 3 * page, page) == 0, "munmap anonymous middle page");
	CHECK(!mapped(p + 3 * page, page), "anonymous hole");
	q = mremap(p + 4 * page, 4 * page, 8 * page, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED, "mremap anonymous");
	for (long off = 0; off < 4 * page; off++)
		CHECK(q[off] == pattern(4 * page + off), "remapped anonymous contents");
	for (long off = 4 * page; off < 8 * page; off++)
		CHECK(q[off] == 0, "grown anonymous part zero");
	for (long off = 0; off < 3 * page; off++)
		CHECK(p[off] == pattern(off), "anonymous contents below the hole");
	CHECK(mapped(q, 8 * page), "remapped anonymous mapped");
	CHECK(munmap(p, 3 * page) == 0 && munmap(q, 8 * page) == 0, "munmap anonymous");
}

static void file(void)
{
	char path[4096], buf[64];
	unsigned char *p, *q;
	int fd = temp_file("close_fds", path, sizeof path);

	CHECK(unlink(path) == 0, "unlink");
	CHECK(ftruncate(fd, 4 * page) == 0, "ftruncate");
	p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap file");
	for (long off = 0; off < 4 * page; off++)
		p[off] = pattern(off);
	CHECK(pread(fd, buf, sizeof buf, 2 * page + 100) == (ssize_t)sizeof buf, "pread");
	for (unsigned i = 0; i < sizeof buf; i++)
		CHECK((unsigned char)buf[i] == pattern(2 * page + 100 + i),
		      "file sees mapping's write");
	CHECK(pwrite(fd, "starmm", 6, 3 * page + 10) == 6, "pwrite");
	CHECK(memcmp(p + 3 * page + 10, "starmm", 6) == 0, "mapping sees file's write");
	CHECK(mprotect(p, 2 * page, PROT_READ) == 0, "mprotect file");
	CHECK(munmap(p + page, page) == 0, "munmap file middle page");
	CHECK(ftruncate(fd, 8 * page) == 0, "ftruncate grow");
	q = mremap(p + 2 * page, 2 * page, 6 * page, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED, "mremap file");
	q[5 * page] = 0x42;
	CHECK(pread(fd, buf, 1, 7 * page) == 1 && buf[0] == 0x42, "grown file mapping shared");
	for (long off = 0; off < page; off++)
		CHECK(p[off] == pattern(off), "file mapping first page");
	CHECK(memcmp(q + page + 10, "starmm", 6) == 0, "remapped file mapping contents");
	CHECK(munmap(p, page) == 0 && munmap(q, 6 * page) == 0, "munmap file");
	CHECK(close(fd) == 0, "close file");
}

int main(void)
{
	page = sysconf(_SC_PAGESIZE);
	if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
		CHECK(errno == ENOSYS, "close_range");
		CHECK(close_by_listing() == 0, "close by listing /proc/self/fd");
	}
	for (int fd = 3; fd < 1024; fd++)
		CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF, "descriptor above 2 still open");
	anon();
	file();
	printf("close_fds: anonymous and file mappings work with only descriptors 0-2 left\n");
	return 0;
}
