/*
 * The program `make demo` runs under starmm-run: the design note's scenario in a real
 * process. It maps 3 private anonymous pages, writes A, B, C, unmaps the middle page, checks
 * that pages 0 and 2 kept their bytes, then execs /bin/true (a new address space, imported
 * again by starmm-run).
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(p, 'A', 4096);
	memset(p + 4096, 'B', 4096);
	memset(p + 8192, 'C', 4096);
	if (munmap(p + 4096, 4096)) {
		perror("munmap");
		return 1;
	}
	printf("middle unmapped; page 0 holds '%c', page 2 holds '%c'\n", p[0], p[8192]);
	fflush(stdout);
	if (p[0] != 'A' || p[8192] != 'C')
		return 1;
	execl("/bin/true", "true", (char *)NULL);
	perror("exec /bin/true");
	return 1;
}
