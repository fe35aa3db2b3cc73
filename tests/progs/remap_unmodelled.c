/* remap_file_pages puts file page 1 under the first page of a two-page shared file mapping:
 * the same range and protection, another offset. starmm-run passes the call through without
 * modelling it, so only --verify's backing comparison (inode and offset per mapping) can see
 * the difference: the test of that comparison. Natively it prints the byte now visible. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>

int main(void)
{
	char path[] = "/tmp/starmm-remap-XXXXXX", *p;
	int fd = mkstemp(path);

	if (fd < 0 || unlink(path) || ftruncate(fd, 2 * 4096) || pwrite(fd, "B", 1, 4096) != 1)
		return 1;
	p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || remap_file_pages(p, 4096, 0, 1, 0))
		return 1;
	printf("remap_unmodelled: first page shows '%c'\n", p[0]);
	return 0;
}
