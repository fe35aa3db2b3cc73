/*
 * starmm-demo: the design note's scenario (shared/STARNIX-MM.md, "Unmap and remap") played
 * through the model with the self backend, printing the model after each step.
 *
 * A 3-page private anonymous mapping is created and each page written; then its middle page
 * is unmapped. Under the default policy the top page moves to a SNAPSHOT child VMO and the
 * first VMO is shrunk to one page; under --split=offset one VMO stays, the middle decommitted.
 * The real memory is checked after each step: the kept pages still hold what was written.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/mm.h"
#include "mm/self.h"
#include "vmo/vmo.h"

#define REGION (64ULL << 20)

static void show(struct mm *mm, const char *step)
{
	struct vmo_stats st;
	char err[256];

	vmo_stats_get(&st);
	printf("\n== %s\n", step);
	mm_dump(mm, stdout);
	printf("   VMOs live %lu, created %lu, snapshot bytes copied %lu; mm_check: %s\n",
	       (unsigned long)st.live, (unsigned long)st.created,
	       (unsigned long)st.bytes_copied, mm_check(mm, err, sizeof(err)) ? err : "ok");
}

static int play(enum mm_split split, uint64_t seed)
{
	struct self_backend sb;
	struct mm mm;
	struct mm_config cfg = { .be = &self_backend_ops, .split = split };
	char *p;
	long addr, r;

	if (self_region_reserve(&sb, REGION, 0) < 0) {
		perror("starmm-demo: reserving a region");
		return 1;
	}
	cfg.be_ctx = &sb;
	cfg.vmar = (struct vmar_config){ .base = sb.lo, .size = REGION, .place_lo = sb.lo,
					 .place_hi = sb.hi, .top = sb.hi, .aslr = true,
					 .seed = seed };
	if (mm_init(&mm, &cfg) < 0) {
		fputs("starmm-demo: bad VMAR configuration\n", stderr);
		return 1;
	}
	printf("\n#### policy --split=%s: a %lu MiB VMAR at %#lx, seed %lu\n",
	       split == MM_SPLIT_SNAPSHOT ? "snapshot" : "offset",
	       (unsigned long)(REGION >> 20), (unsigned long)sb.lo, (unsigned long)seed);

	addr = mm_mmap(&mm, 0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	if (addr < 0) {
		fprintf(stderr, "starmm-demo: mmap: %s\n", strerror((int)-addr));
		return 1;
	}
	printf("mmap(NULL, 3 pages, RW, PRIVATE|ANONYMOUS) = %#lx\n", addr);
	p = (char *)addr;
	memset(p, 'A', 4096);
	memset(p + 4096, 'B', 4096);
	memset(p + 8192, 'C', 4096);
	show(&mm, "after mmap and writing A, B, C to its pages: one VMO backs the range");

	r = mm_munmap(&mm, (uint64_t)addr + 4096, 4096);
	printf("\nmunmap(%#lx, 1 page) = %ld\n", addr + 4096, r);
	show(&mm, split == MM_SPLIT_SNAPSHOT
			  ? "after unmapping the middle: the top page is a snapshot child, the "
			    "first VMO shrunk"
			  : "after unmapping the middle: one VMO, the top at its offset, the middle "
			    "decommitted");
	printf("   memory: page 0 starts with '%c', page 2 starts with '%c' (expected A, C)\n",
	       p[0], p[8192]);
	r = p[0] == 'A' && p[8192] == 'C' ? 0 : 1;

	mm_munmap(&mm, (uint64_t)addr, 3 * 4096);
	show(&mm, "after unmapping everything");
	mm_destroy(&mm);
	self_region_release(&sb);
	return (int)r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t seed = 1;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'h':
			printf("usage: %s [--seed=N]\n"
			       "Plays the Starnix design note's middle-unmap scenario through the\n"
			       "starmm model (self backend) under both split policies.\n",
			       argv[0]);
			return 0;
		default:
			return 2;
		}
	}
	puts("starmm demo: the Starnix design note's \"middle unmap\", through the model.");
	if (play(MM_SPLIT_SNAPSHOT, seed) || play(MM_SPLIT_OFFSET, seed)) {
		fputs("starmm-demo: the kept pages lost their content\n", stderr);
		return 1;
	}
	puts("\nBoth policies kept pages 0 and 2 intact; compare VMOs created and bytes copied.");
	return 0;
}
