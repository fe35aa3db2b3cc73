/* Mappings that grow in place stay one kernel mapping: 3000 mremap growths of one mapping (as
 * realloc does for large blocks) and 3000 brk growths of the heap, then /proc/self/maps must
 * still be short. Linux merges each extension into its mapping; a supervisor that mapped every
 * extension separately would leave thousands of mappings, and a long-running program would
 * run into vm.max_map_count (65530), where mremap and brk fail with ENOMEM. The content is
 * checked too. */
#include <sys/syscall.h>

#include "progs.h"

#define GROWTHS 3000

static int maps_lines(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

int main(void)
{
	size_t P = page_size();
	char *p = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *brk0 = NULL;
	int before = maps_lines(), after;

	CHECK(p != MAP_FAILED);
	for (size_t i = 1; i <= GROWTHS; i++) {
		char *q = (char *)syscall(SYS_mremap, p, i * P, (i + 1) * P, MREMAP_MAYMOVE);

		CHECK(q != MAP_FAILED, "mremap growth");
		p = q;
		p[i * P] = (char)i;
	}
	for (size_t i = 0; i < GROWTHS; i++) {
		char *b = sbrk((intptr_t)P);

		CHECK(b != (char *)-1, "brk growth");
		CHECK(!brk0 || b == brk0 + i * P, "the heap grows by one page each time");
		brk0 = brk0 ? brk0 : b;
		b[0] = (char)i;
	}
	for (size_t i = 1; i <= GROWTHS; i++)
		CHECK(p[i * P] == (char)i, "mremap content");
	for (size_t i = 0; i < GROWTHS; i++)
		CHECK(brk0[i * P] == (char)i, "heap content");
	after = maps_lines();
	printf("grown %d times each: maps lines %s\n", GROWTHS,
	       after - before <= 8 ? "about the same" : "many more");
	CHECK(after - before <= 8, "few new mappings");
	return 0;
}
