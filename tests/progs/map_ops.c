/* Maps, writes, protects, remaps and unmaps anonymous memory, moves the break; prints a
 * checksum of what it read back. Exits 0 when every step behaved as Linux says. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "map_ops: %s failed (line %d)\n", #cond, __LINE__);        \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned sum = 0;
	char *p, *q, *brk0;

	p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	for (long i = 0; i < 4 * page; i++)
		p[i] = (char)i;
	CHECK(mprotect(p, page, PROT_READ) == 0);
	CHECK(munmap(p + page, page) == 0);
	q = mremap(p + 2 * page, 2 * page, 4 * page, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED);
	for (long i = 0; i < 2 * page; i++)
		sum += (unsigned char)q[i];
	CHECK(madvise(q, page, MADV_DONTNEED) == 0);
	CHECK(q[0] == 0);
	brk0 = sbrk(0);
	CHECK(sbrk(page) == brk0);
	memset(brk0, 1, page);
	CHECK(sbrk(-page) != (void *)-1);
	CHECK(munmap(p, page) == 0 && munmap(q, 4 * page) == 0);
	printf("map_ops: sum %u\n", sum);
	return 0;
}
