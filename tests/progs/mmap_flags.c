/* Tries every mmap flag the supervisor has to understand and every mmap error a caller can
 * provoke, printing one line per case with the errno name (or "ok"). The expected answers are the
 * ones Linux gives, so running this natively and supervised must print the same lines; a case
 * that differs prints FAIL and the program exits 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "progs.h"

/* A flag bit no architecture-independent or x86 mmap flag uses. */
#define MAP_UNKNOWN_BIT 0x200000

static long page;

/* Maps len bytes of fresh anonymous memory with extra flags; NULL (errno set) on failure. */
static char *anon(size_t len, int prot, int flags)
{
	char *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Maps a fresh private RW anonymous mapping with `extra` flags: must succeed and read zero, and a
 * write must read back. */
static void plain_case(const char *what, int extra, size_t len)
{
	char *p = anon(len, PROT_READ | PROT_WRITE, MAP_PRIVATE | extra);

	EXPECT(what, p == NULL, 0);
	CHECK(all_bytes(p, len, 0));
	memset(p, 0x5a, len);
	CHECK(all_bytes(p, len, 0x5a));
	CHECK(munmap(p, len) == 0);
}

int main(void)
{
	char path[4096];
	unsigned char vec[4];
	char *p, *q, *hole;
	int fd, rofd, dirfd;

	page = sysconf(_SC_PAGESIZE);
	fd = temp_file("mmap_flags", path, sizeof(path));
	rofd = open(path, O_RDONLY);
	unlink(path);
	CHECK(rofd >= 0);
	CHECK(ftruncate(fd, 2 * page) == 0);
	dirfd = open(tmp_dir(), O_RDONLY | O_DIRECTORY);
	CHECK(dirfd >= 0);

	/* Private and shared anonymous memory start zeroed and keep what is written. */
	plain_case("mmap private anon", 0, 3 * page);
	p = anon(3 * page, PROT_READ | PROT_WRITE, MAP_SHARED);
	EXPECT("mmap shared anon", p == NULL, 0);
	CHECK(all_bytes(p, 3 * page, 0));
	memset(p + page, 0x33, page);
	CHECK(all_bytes(p + page, page, 0x33) && all_bytes(p, page, 0));
	CHECK(munmap(p, 3 * page) == 0);

	/* MAP_FIXED over a mapping replaces it: same address, old contents gone. */
	p = anon(4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	CHECK(p != NULL);
	memset(p, 0x77, 4 * page);
	q = mmap(p + page, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT("mmap MAP_FIXED over mapping", q == MAP_FAILED, 0);
	CHECK(q == p + page);
	CHECK(all_bytes(q, 2 * page, 0));
	CHECK(all_bytes(p, page, 0x77) && all_bytes(p + 3 * page, page, 0x77));

	/* MAP_FIXED_NOREPLACE refuses an occupied range and leaves it alone. */
	q = mmap(p + page, page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	EXPECT("mmap MAP_FIXED_NOREPLACE over mapping", q == MAP_FAILED, EEXIST);
	CHECK(all_bytes(p, page, 0x77));
	/* ... also when only part of the range is occupied. */
	q = mmap(p + 3 * page, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (q != MAP_FAILED)
		munmap(q, 2 * page);
	EXPECT("mmap MAP_FIXED_NOREPLACE half over mapping", q == MAP_FAILED, EEXIST);
	CHECK(all_bytes(p + 3 * page, page, 0x77));
	CHECK(munmap(p, 4 * page) == 0);
	hole = free_range(2 * page);
	q = mmap(hole, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	EXPECT("mmap MAP_FIXED_NOREPLACE over hole", q == MAP_FAILED, 0);
	CHECK(q == hole && all_bytes(q, 2 * page, 0));
	CHECK(munmap(q, 2 * page) == 0);

	/* A free hint address is used as given. */
	hole = free_range(3 * page);
	q = mmap(hole + page, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT("mmap hint free", q == MAP_FAILED, 0);
	CHECK(q == hole + page);
	CHECK(munmap(q, page) == 0);

	/* MAP_POPULATE prefaults: mincore reports every page resident right away. */
	p = anon(4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE);
	EXPECT("mmap MAP_POPULATE", p == NULL, 0);
	CHECK(mincore(p, 4 * page, vec) == 0);
	CHECK((vec[0] & vec[1] & vec[2] & vec[3] & 1) == 1);
	CHECK(all_bytes(p, 4 * page, 0));
	CHECK(munmap(p, 4 * page) == 0);

	plain_case("mmap MAP_NORESERVE", MAP_NORESERVE, 4 * page);
	plain_case("mmap MAP_LOCKED", MAP_LOCKED, page);
	plain_case("mmap MAP_STACK", MAP_STACK, 4 * page);
	/* MAP_UNINITIALIZED is ignored unless the kernel was built for no-MMU embedded use. */
	plain_case("mmap MAP_UNINITIALIZED", MAP_UNINITIALIZED, 2 * page);

	/* MAP_32BIT places the mapping in the first 2 GiB. */
	p = anon(2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_32BIT);
	EXPECT("mmap MAP_32BIT", p == NULL, 0);
	CHECK((uintptr_t)p + 2 * page <= 0x80000000u);
	CHECK(all_bytes(p, 2 * page, 0));
	CHECK(munmap(p, 2 * page) == 0);

	/* MAP_GROWSDOWN is accepted; only its own pages are touched, never below it. */
	p = anon(4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_GROWSDOWN);
	EXPECT("mmap MAP_GROWSDOWN", p == NULL, 0);
	for (int i = 0; i < 4; i++) {
		CHECK(p[i * page + 5] == 0);
		p[i * page + 5] = (char)(i + 1);
	}
	for (int i = 0; i < 4; i++)
		CHECK(p[i * page + 5] == (char)(i + 1));
	CHECK(munmap(p, 4 * page) == 0);

	/* With no huge page pool configured (vm.nr_hugepages = 0 here) Linux refuses MAP_HUGETLB
	 * with ENOMEM; that is what this machine answers natively, so it is the expected value. */
	p = anon(2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_HUGETLB);
	if (p)
		munmap(p, 2 << 20);
	EXPECT("mmap MAP_HUGETLB", p == NULL, ENOMEM);

	/* PROT_EXEC anonymous memory is allowed. */
	p = anon(page, PROT_READ | PROT_EXEC, MAP_PRIVATE);
	EXPECT("mmap PROT_READ|PROT_EXEC anon", p == NULL, 0);
	CHECK(all_bytes(p, page, 0));
	CHECK(munmap(p, page) == 0);

	/* MAP_SHARED_VALIDATE refuses flags the file cannot honour; MAP_SHARED ignores them. */
	p = mmap(NULL, page, PROT_READ, MAP_SHARED_VALIDATE | MAP_UNKNOWN_BIT, fd, 0);
	EXPECT("mmap MAP_SHARED_VALIDATE unknown flag", p == MAP_FAILED, EOPNOTSUPP);
	p = mmap(NULL, page, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	EXPECT("mmap MAP_SHARED_VALIDATE MAP_SYNC non-DAX file", p == MAP_FAILED, EOPNOTSUPP);
	p = mmap(NULL, page, PROT_READ, MAP_SHARED_VALIDATE, fd, 0);
	EXPECT("mmap MAP_SHARED_VALIDATE known flags", p == MAP_FAILED, 0);
	CHECK(munmap(p, page) == 0);
	p = mmap(NULL, page, PROT_READ, MAP_SHARED | MAP_UNKNOWN_BIT, fd, 0);
	EXPECT("mmap MAP_SHARED unknown flag", p == MAP_FAILED, 0);
	CHECK(munmap(p, page) == 0);

	/* Errors. */
	p = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT("mmap len=0", p == MAP_FAILED, EINVAL);
	p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 1);
	EXPECT("mmap unaligned offset", p == MAP_FAILED, EINVAL);
	p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, -1, 0);
	EXPECT("mmap bad fd", p == MAP_FAILED, EBADF);
	p = mmap(NULL, page, PROT_READ, MAP_ANONYMOUS, -1, 0);
	EXPECT("mmap neither shared nor private", p == MAP_FAILED, EINVAL);
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, rofd, 0);
	EXPECT("mmap shared writable on O_RDONLY fd", p == MAP_FAILED, EACCES);
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, rofd, 0);
	EXPECT("mmap private writable on O_RDONLY fd", p == MAP_FAILED, 0);
	CHECK(all_bytes(p, page, 0));
	CHECK(munmap(p, page) == 0);
	p = mmap(NULL, (size_t)1 << 50, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT("mmap huge length", p == MAP_FAILED, ENOMEM);
	hole = free_range(2 * page);
	p = mmap(hole + 1, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT("mmap MAP_FIXED unaligned addr", p == MAP_FAILED, EINVAL);
	CHECK(!mapped(hole, page));
	p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, dirfd, 0);
	EXPECT("mmap directory fd", p == MAP_FAILED, ENODEV);

	close(dirfd);
	close(rofd);
	close(fd);
	printf("mmap_flags: all ok\n");
	return 0;
}
