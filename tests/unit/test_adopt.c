/*
 * Unit tests of mm_adopt (mm/adopt.c) with the self backend: an "imported" address space is
 * made inside a reserved region (real private anonymous memory with content, mapped natively,
 * described by a synthetic smaps text given to mm_import), then adopted: the content stays,
 * the kernel now shows the VMOs' memfds, VMOs hold only the non-zero pages, and a failure
 * before the plan runs (vmo.create, vmo.write) leaves the model and the real mappings as they
 * were, with no VMO left behind. A failed plan step keeps what it replaced, as stated in
 * adopt.c. With skip_stack the stack stays the kernel's (MK_ANON, no VMO, MF_KERNEL).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fault/inject.h"
#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

#define P	   UINT64_C(4096) /* TU_PAGE, as uint64_t for the formats */
#define RW	   (PROT_READ | PROT_WRITE)
#define MEMFD_ANON "/memfd:starmm-anon (deleted)"

/* The layout, as offsets from the region's start. */
#define BSS    UINT64_C(0x10000) /* 4 pages rw-, pages 0 and 2 written */
#define RO     UINT64_C(0x20000) /* 2 pages r--, both written */
#define NONE   UINT64_C(0x30000) /* 1 page ---, written before mprotect */
#define HEAP   UINT64_C(0x40000) /* 8 pages rw- [heap], pages 0, 1 and 7 written */
#define FILE_  UINT64_C(0x60000) /* 2 pages r-- of a file: not adopted */
#define STACK  UINT64_C(0xf8000) /* 8 pages rw- [stack] gd, the top 3 written */
#define REGION (UINT64_C(1) << 20)

struct fx {
	struct self_backend sb;
	struct mm mm;
	uint64_t lo;
	int fd;
	int base_fds;
	uint64_t base_live;
};

static struct fx F;

static void native(uint64_t off, uint64_t len, int prot, int fill_from, int npages_written,
		   const int *pages)
{
	void *p =
	    mmap((void *)(F.lo + off), len, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	ck_assert_ptr_eq(p, (void *)(F.lo + off));
	for (int i = 0; i < npages_written; i++)
		memset((char *)p + pages[i] * P, fill_from + pages[i], P);
	ck_assert_int_eq(mprotect(p, len, prot), 0);
}

/* The content every test expects, page by page: 0 for a zero page. */
static int expect_byte(uint64_t off)
{
	uint64_t pg;

	if (off >= BSS && off < BSS + 4 * P)
		return (pg = (off - BSS) / P) == 0 || pg == 2 ? 'a' + (int)pg : 0;
	if (off >= RO && off < RO + 2 * P)
		return 'R' + (int)((off - RO) / P);
	if (off >= NONE && off < NONE + P)
		return 'N';
	if (off >= HEAP && off < HEAP + 8 * P)
		return (pg = (off - HEAP) / P) <= 1 || pg == 7 ? 'h' + (int)pg : 0;
	if (off >= STACK && off < STACK + 8 * P)
		return (pg = (off - STACK) / P) >= 5 ? 's' + (int)pg : 0;
	return -1;
}

static void setup(void)
{
	static const int bss[] = {0, 2}, ro[] = {0, 1}, none[] = {0}, heap[] = {0, 1, 7},
			 stack[] = {5, 6, 7};
	struct mm_config c;
	char *text;
	size_t len;
	FILE *f;
	int bad, r;

	memset(&F, 0, sizeof(F));
	fault_disarm();
	F.base_fds = tu_count_fds();
	F.base_live = tu_live_vmos();
	ck_assert_int_eq(self_region_reserve(&F.sb, REGION, 0), 0);
	F.lo = F.sb.lo;
	native(BSS, 4 * P, RW, 'a', 2, bss);
	native(RO, 2 * P, PROT_READ, 'R', 2, ro);
	native(NONE, P, PROT_NONE, 'N', 1, none);
	native(HEAP, 8 * P, RW, 'h', 3, heap);
	native(STACK, 8 * P, RW, 's', 3, stack);
	F.fd = tu_tmpfile(2 * P, 'F', O_RDONLY);
	ck_assert_ptr_eq(
	    mmap((void *)(F.lo + FILE_), 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, F.fd, 0),
	    (void *)(F.lo + FILE_));

	f = open_memstream(&text, &len);
	fprintf(f,
		"%" PRIx64 "-%" PRIx64 " rw-p 00000000 00:00 0 \nVmFlags: rd wr mr mw me ac \n"
		"%" PRIx64 "-%" PRIx64 " r--p 00000000 00:00 0 \nVmFlags: rd mr mw me ac \n"
		"%" PRIx64 "-%" PRIx64 " ---p 00000000 00:00 0 \nVmFlags: mr mw me ac \n"
		"%" PRIx64 "-%" PRIx64 " rw-p 00000000 00:00 0     [heap]\n"
		"VmFlags: rd wr mr mw me ac \n"
		"%" PRIx64 "-%" PRIx64 " r--p 00000000 fe:00 42    /tmp/data file\n"
		"VmFlags: rd mr mw me \n"
		"%" PRIx64 "-%" PRIx64 " rw-p 00000000 00:00 0     [stack]\n"
		"VmFlags: rd wr mr mw me gd ac \n",
		F.lo + BSS, F.lo + BSS + 4 * P, F.lo + RO, F.lo + RO + 2 * P, F.lo + NONE,
		F.lo + NONE + P, F.lo + HEAP, F.lo + HEAP + 8 * P, F.lo + FILE_,
		F.lo + FILE_ + 2 * P, F.lo + STACK, F.lo + STACK + 8 * P);
	fclose(f);
	memset(&c, 0, sizeof(c));
	c.vmar = (struct vmar_config){
	    .base = F.lo,
	    .size = REGION,
	    .place_lo = F.lo,
	    .place_hi = F.lo + REGION,
	    .top = F.lo + REGION,
	};
	c.be = &self_backend_ops;
	c.be_ctx = &F.sb;
	r = mm_import(&F.mm, &c, text, &bad);
	free(text);
	ck_assert_msg(r == 0, "mm_import: %s at line %d", strerror(-r), bad);
	ck_assert_uint_eq(F.mm.count, 6);
}

static void teardown(void)
{
	fault_disarm();
	ck_assert(!F.mm.failed);
	mm_destroy(&F.mm);
	self_region_release(&F.sb);
	close(F.fd);
	ck_assert_uint_eq(tu_live_vmos(), F.base_live);
	ck_assert_int_eq(tu_count_fds(), F.base_fds);
}

/* The real bytes of every modelled anonymous range are what setup wrote. */
static void check_content(void)
{
	static const uint64_t ranges[][2] = {
	    {BSS, 4}, {RO, 2}, {HEAP, 8}, {STACK, 8}, {NONE, 1},
	};
	unsigned char *buf = malloc(8 * P);

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		uint64_t off = ranges[i][0], len = ranges[i][1] * P;

		/* /proc/self/mem reads through PROT_NONE, as the kernel's own access does */
		ck_assert_int_eq(pread(F.sb.mem_fd, buf, len, (off_t)(F.lo + off)), (ssize_t)len);
		for (uint64_t b = 0; b < len; b += 997)
			ck_assert_msg(buf[b] == expect_byte(off + b), "byte %#lx: %#x, want %#x",
				      off + b, buf[b], expect_byte(off + b));
	}
	free(buf);
}

static bool is_adopted_real(uint64_t off)
{
	struct tu_map m;

	ck_assert_int_eq(tu_map_at(F.lo + off, &m), 0);
	return !strcmp(m.path, MEMFD_ANON);
}

/* A description of the model that needs no VMO (mm_dump does not yet accept MF_KERNEL). */
static char *model_text(void)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	for (struct mapping *m = mm_first(&F.mm); m; m = mm_next(&F.mm, m))
		fprintf(f, "%lx-%lx %d %x %x %x %lx vmo=%lu\n", m->start, m->end, m->kind, m->prot,
			m->max_prot, m->flags, m->off, m->vmo ? vmo_koid(m->vmo) : 0);
	fclose(f);
	return buf;
}

START_TEST(test_adopt_moves_kernel_anon_memory_into_sparse_vmos)
{
	static const struct {
		uint64_t off;
		int prot;
		uint64_t committed_pages;
	} want[] = {
	    {BSS, RW, 2}, {RO, PROT_READ, 2}, {NONE, PROT_NONE, 1}, {HEAP, RW, 3}, {STACK, RW, 3},
	};
	struct mm_stats before = F.mm.stats;

	ck_assert_int_eq(mm_adopt(&F.mm, false), 0);
	TU_CHECK(&F.mm);
	ck_assert_uint_eq(F.mm.stats.plans, before.plans + 1);
	ck_assert_uint_eq(F.mm.stats.steps, before.steps + 5);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct mapping *m = mm_find(&F.mm, F.lo + want[i].off);

		ck_assert_int_eq(m->kind, MK_ANON);
		ck_assert_ptr_nonnull(m->vmo);
		ck_assert(!(m->flags & MF_KERNEL));
		ck_assert_int_eq(m->prot, want[i].prot);
		/* The stack's VMO has room below it to grow into; the others fit exactly. */
		ck_assert_uint_eq(vmo_get_size(m->vmo), m->off + m->end - m->start);
		if (!(m->flags & MF_GROWSDOWN))
			ck_assert_uint_eq(m->off, 0);
		else
			ck_assert_uint_gt(m->off, 0);
		ck_assert_uint_eq(vmo_committed(m->vmo), want[i].committed_pages * P);
		ck_assert_msg(is_adopted_real(want[i].off), "%#lx is not the VMO's memfd",
			      want[i].off);
	}
	/* Read last: a memfd allocates a page on a first read (DESIGN.md section 6). */
	check_content();
	ck_assert(mm_find(&F.mm, F.lo + HEAP)->flags & MF_BRK);
	ck_assert(mm_find(&F.mm, F.lo + STACK)->flags & MF_GROWSDOWN);
	ck_assert_int_eq(mm_find(&F.mm, F.lo + FILE_)->kind, MK_FILE);
	ck_assert(!is_adopted_real(FILE_));
	/* The real protections are the model's */
	{
		char prots[3 * 4 + 1];

		tu_prots(F.lo + RO, 2, prots);
		ck_assert_str_eq(prots, "r--r--");
		tu_prots(F.lo + NONE, 1, prots);
		ck_assert_str_eq(prots, "---");
	}
	/* Adopting again finds nothing to do */
	ck_assert_int_eq(mm_adopt(&F.mm, false), 0);
	ck_assert_uint_eq(F.mm.stats.plans, before.plans + 1);
}
END_TEST

START_TEST(test_adopted_memory_is_the_programs_memory)
{
	char buf[64];

	ck_assert_int_eq(mm_adopt(&F.mm, false), 0);
	/* the program's store is in the VMO, and the VMO's content is what the program sees */
	memset((char *)(F.lo + BSS + P), 'Z', 16);
	ck_assert_int_eq(vmo_read(mm_find(&F.mm, F.lo + BSS)->vmo, buf, P, 16), 0);
	ck_assert_int_eq(buf[15], 'Z');
	ck_assert_int_eq(vmo_write(mm_find(&F.mm, F.lo + HEAP)->vmo, "hello", 5 * P, 5), 0);
	ck_assert_int_eq(memcmp((char *)(F.lo + HEAP + 5 * P), "hello", 5), 0);
}
END_TEST

START_TEST(test_skip_stack_leaves_the_stack_to_the_kernel)
{
	struct mapping *s;

	ck_assert_int_eq(mm_adopt(&F.mm, true), 0);
	check_content();
	s = mm_find(&F.mm, F.lo + STACK);
	ck_assert_ptr_null(s->vmo);
	ck_assert(s->flags & MF_KERNEL);
	ck_assert(!is_adopted_real(STACK));
	ck_assert(is_adopted_real(BSS) && is_adopted_real(HEAP));
	TU_CHECK(&F.mm);
	/* then the stack too */
	ck_assert_int_eq(mm_adopt(&F.mm, false), 0);
	ck_assert(is_adopted_real(STACK));
	check_content();
	TU_CHECK(&F.mm);
}
END_TEST

static void check_failure_changes_nothing(const char *spec, const char *point)
{
	char *maps = tu_maps_range(F.lo, F.lo + REGION), *model = model_text(), *maps2, *model2;
	uint64_t live = tu_live_vmos();
	int fds = tu_count_fds();

	ck_assert_int_eq(fault_arm(spec), 0);
	ck_assert_int_eq(mm_adopt(&F.mm, false), -ENOMEM);
	ck_assert_uint_eq(fault_fired(point), 1);
	fault_disarm();
	maps2 = tu_maps_range(F.lo, F.lo + REGION);
	model2 = model_text();
	ck_assert_str_eq(maps2, maps);
	ck_assert_str_eq(model2, model);
	ck_assert_uint_eq(tu_live_vmos(), live);
	ck_assert_int_eq(tu_count_fds(), fds);
	ck_assert_uint_eq(F.mm.stats.plans, 0);
	check_content();
	/* and the same adoption then succeeds */
	ck_assert_int_eq(mm_adopt(&F.mm, false), 0);
	TU_CHECK(&F.mm);
	check_content();
	free(maps);
	free(maps2);
	free(model);
	free(model2);
}

START_TEST(test_failed_vmo_create_leaves_everything_as_before)
{
	check_failure_changes_nothing("vmo.create:nth=2", "vmo.create");
}
END_TEST

START_TEST(test_failed_copy_leaves_everything_as_before)
{
	check_failure_changes_nothing("vmo.write:nth=3", "vmo.write");
}
END_TEST

/* A plan step failing: the mappings already replaced are adopted, the others stay the
 * kernel's, and model and real mappings agree; a second adoption finishes. */
START_TEST(test_failed_plan_step_keeps_what_it_replaced)
{
	uint64_t live = tu_live_vmos();
	int n_adopted = 0;

	ck_assert_int_eq(fault_arm("backend.step:nth=3"), 0);
	ck_assert_int_eq(mm_adopt(&F.mm, false), -ENOMEM);
	fault_disarm();
	check_content();
	for (struct mapping *m = mm_first(&F.mm); m; m = mm_next(&F.mm, m)) {
		if (m->kind != MK_ANON)
			continue;
		ck_assert_msg(!!m->vmo == is_adopted_real(m->start - F.lo),
			      "%#lx: model and kernel disagree", m->start);
		ck_assert(!!m->vmo != !!(m->flags & MF_KERNEL));
		n_adopted += !!m->vmo;
	}
	ck_assert_int_eq(n_adopted, 2);
	ck_assert_uint_eq(tu_live_vmos(), live + 2); /* no VMO of the failed part is left */
	ck_assert(!F.mm.failed);
	ck_assert_int_eq(mm_adopt(&F.mm, false), 0);
	check_content();
	TU_CHECK(&F.mm);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("adopt");
	TCase *tc = tcase_create("adopt");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_adopt_moves_kernel_anon_memory_into_sparse_vmos);
	tcase_add_test(tc, test_adopted_memory_is_the_programs_memory);
	tcase_add_test(tc, test_skip_stack_leaves_the_stack_to_the_kernel);
	tcase_add_test(tc, test_failed_vmo_create_leaves_everything_as_before);
	tcase_add_test(tc, test_failed_copy_leaves_everything_as_before);
	tcase_add_test(tc, test_failed_plan_step_keeps_what_it_replaced);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
