/*
 * Unit tests of mm_mprotect and mm_pkey_mprotect (mm/mprotect.c) with the self backend:
 * splitting into pieces of one VMO, the real protections, merging back, Linux's partial
 * effects (the part before a hole or a refused mapping keeps its new protection),
 * PROT_GROWSDOWN, protection keys, and the errors. Where cheap, the same calls are made
 * natively and the kernel's protections (/proc/self/maps) are compared page by page.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

#define P    TU_PAGE
#define RW   (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

static struct tu_mm T;

static long native_pkey_mprotect(uint64_t addr, uint64_t len, int prot, int pkey)
{
	return tu_sys(syscall(SYS_pkey_mprotect, addr, len, prot, pkey));
}

/* A native private anonymous mapping of n pages (for the kernel's side of a test). */
static uint64_t native_anon(int n, int prot, int flags)
{
	long r = tu_native_mmap(0, n * P, prot, ANON | flags, -1, 0);

	ck_assert_int_gt(r, 0);
	return (uint64_t)r;
}

/* The model's and the kernel's protections of n pages agree. */
static void same_prots(uint64_t model_addr, uint64_t native_addr, int n)
{
	char *m, *k;

	if (tu_under_valgrind())
		return; /* valgrind's mprotect is not the kernel's (PROT_GROWSDOWN) */
	m = malloc(3 * n + 1);
	k = malloc(3 * n + 1);
	tu_prots(model_addr, n, m);
	tu_prots(native_addr, n, k);
	ck_assert_msg(strcmp(m, k) == 0, "model %s, kernel %s", m, k);
	free(m);
	free(k);
}

static void prots_are(uint64_t addr, int n, const char *want)
{
	char *got = malloc(3 * n + 1);

	tu_prots(addr, n, got);
	ck_assert_str_eq(got, want);
	free(got);
}

/* The model refuses with err and changes nothing; the kernel refuses the same call on a
 * native copy of the mapping with the same error. */
static void refused_like_kernel(uint64_t a, uint64_t na, uint64_t off, uint64_t len, int prot,
				long err)
{
	char *before = tu_mm_dump(&T.mm), *after;

	ck_assert_int_eq(mm_mprotect(&T.mm, a + off, len, prot), err);
	TU_CHECK(&T.mm);
	after = tu_mm_dump(&T.mm);
	ck_assert_str_eq(after, before);
	TU_KERNEL_EQ(tu_sys(mprotect((void *)(na + off), len, prot)), err);
	free(before);
	free(after);
}

static uint64_t write_addr;

static int write_one(void *arg)
{
	(void)arg;
	signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would turn the fault into an exit */
	*(volatile char *)write_addr = 1;
	return 0;
}

/* Whether writing one byte at addr faults (tried in a child, so the test survives). */
static int write_faults(uint64_t addr)
{
	write_addr = addr;
	return tu_in_child(write_one, NULL) == 128 + SIGSEGV;
}

START_TEST(test_split_pieces_share_one_vmo_with_adjusted_offsets)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	struct vmo *vmo = mm_find(&T.mm, a)->vmo;
	uint64_t live = tu_live_vmos();

	memset((void *)a, 'm', 3 * P);
	ck_assert_int_eq(mm_mprotect(&T.mm, a + P, P, PROT_READ), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 3);
	for (int i = 0; i < 3; i++) {
		struct mapping *m = mm_find(&T.mm, a + i * P);

		ck_assert_uint_eq(m->start, a + i * P);
		ck_assert_ptr_eq(m->vmo, vmo);
		ck_assert_uint_eq(m->off, i * P);
		ck_assert_int_eq(m->prot, i == 1 ? PROT_READ : RW);
	}
	ck_assert_uint_eq(tu_live_vmos(), live);
	ck_assert_uint_eq(T.mm.data_pages, 2);
	prots_are(a, 3, "rw-r--rw-");
	ck_assert(((char *)a)[P] == 'm');
	ck_assert(write_faults(a + P));
	ck_assert(!write_faults(a + 2 * P));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_restoring_protection_merges_back)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, ANON, -1, 0);
	struct tu_map line;

	ck_assert_int_eq(mm_mprotect(&T.mm, a + P, P, PROT_READ), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 3);
	ck_assert_int_eq(mm_mprotect(&T.mm, a + P, P, RW), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 1);
	ck_assert_uint_eq(mm_find(&T.mm, a)->end, a + 3 * P);
	prots_are(a, 3, "rw-rw-rw-");
	/* The kernel merged the real pieces too. */
	ck_assert_int_eq(tu_map_at(a, &line), 0);
	ck_assert_uint_eq(line.end, a + 3 * P);
	ck_assert(!write_faults(a + P));
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_protect_across_two_vmos_keeps_both)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t b = T.lo + (1ULL << 20);

	tu_mmap_ok(&T, b, 2 * P, RW, ANON | MAP_FIXED, -1, 0);
	tu_mmap_ok(&T, b + 2 * P, 2 * P, RW, ANON | MAP_FIXED, -1, 0);
	ck_assert_uint_eq(T.mm.count, 2);
	ck_assert_int_eq(mm_mprotect(&T.mm, b + P, 2 * P, PROT_READ), 0);
	TU_CHECK(&T.mm);
	ck_assert_uint_eq(T.mm.count, 4);
	ck_assert_ptr_ne(mm_find(&T.mm, b + P)->vmo, mm_find(&T.mm, b + 2 * P)->vmo);
	prots_are(b, 4, "rw-r--r--rw-");
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_partial_page_length_protects_whole_page)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);

	ck_assert_int_eq(mm_mprotect(&T.mm, a, 1, PROT_READ), 0);
	TU_CHECK(&T.mm);
	prots_are(a, 2, "r--rw-");
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_hole_at_start_is_enomem_and_changes_nothing)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);
	uint64_t na = native_anon(3, RW, 0);

	munmap((void *)na, P);
	ck_assert_int_eq(mm_munmap(&T.mm, a, P), 0); /* same layout: hole, then a page */
	TU_CHECK(&T.mm);
	refused_like_kernel(a, na, 0, 2 * P, PROT_READ, -ENOMEM);
	same_prots(a, na, 2);
	munmap((void *)na, 3 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_hole_midway_is_enomem_after_changing_first_part)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t b = T.lo + (1ULL << 20), na = native_anon(4, RW, 0);

	tu_mmap_ok(&T, b, 2 * P, RW, ANON | MAP_FIXED, -1, 0);
	tu_mmap_ok(&T, b + 3 * P, P, RW, ANON | MAP_FIXED, -1, 0);
	munmap((void *)(na + 2 * P), P);
	ck_assert_int_eq(mm_mprotect(&T.mm, b, 4 * P, PROT_READ), -ENOMEM);
	TU_CHECK(&T.mm);
	TU_KERNEL_EQ(tu_sys(mprotect((void *)na, 4 * P, PROT_READ)), -ENOMEM);
	prots_are(b, 4, "r--r--...rw-");
	same_prots(b, na, 4);
	ck_assert_int_eq(mm_find(&T.mm, b)->prot, PROT_READ);
	ck_assert_int_eq(mm_find(&T.mm, b + 3 * P)->prot, RW);
	munmap((void *)na, 4 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_beyond_max_prot_midway_is_eacces_after_changing_first_part)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(P, 'f', O_RDONLY);
	uint64_t b = T.lo + (1ULL << 20), na = native_anon(3, PROT_READ, 0);

	tu_mmap_ok(&T, b, 2 * P, PROT_READ, ANON | MAP_FIXED, -1, 0);
	tu_mmap_ok(&T, b + 2 * P, P, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	ck_assert_int_gt(tu_native_mmap(na + 2 * P, P, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0),
			 0);
	ck_assert_int_eq(mm_mprotect(&T.mm, b, 3 * P, RW), -EACCES);
	TU_CHECK(&T.mm);
	TU_KERNEL_EQ(tu_sys(mprotect((void *)na, 3 * P, RW)), -EACCES);
	prots_are(b, 3, "rw-rw-r--");
	same_prots(b, na, 3);
	munmap((void *)na, 3 * P);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_growsdown_flag_applies_from_mapping_start)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t g = tu_mmap_ok(&T, 0, 4 * P, RW, ANON | MAP_GROWSDOWN, -1, 0);
	uint64_t ng = native_anon(4, RW, MAP_GROWSDOWN);

	ck_assert_int_eq(mm_mprotect(&T.mm, g + 2 * P, P, PROT_READ | PROT_GROWSDOWN), 0);
	TU_CHECK(&T.mm);
	TU_KERNEL_EQ(tu_sys(mprotect((void *)(ng + 2 * P), P, PROT_READ | PROT_GROWSDOWN)), 0);
	prots_are(g, 4, "r--r--r--rw-");
	same_prots(g, ng, 4);
	ck_assert_uint_eq(mm_find(&T.mm, g)->end, g + 3 * P);
	ck_assert_uint_eq(mm_find(&T.mm, g)->flags & MF_GROWSDOWN, MF_GROWSDOWN);
	munmap((void *)ng, 4 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_growsdown_flag_on_normal_mapping_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0), na = native_anon(2, RW, 0);

	refused_like_kernel(a, na, P, P, PROT_READ | PROT_GROWSDOWN, -EINVAL);
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_growsdown_with_growsup_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t g = tu_mmap_ok(&T, 0, 2 * P, RW, ANON | MAP_GROWSDOWN, -1, 0);
	uint64_t ng = native_anon(2, RW, MAP_GROWSDOWN);

	refused_like_kernel(g, ng, 0, P, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP, -EINVAL);
	munmap((void *)ng, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_growsup_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0), na = native_anon(2, RW, 0);

	refused_like_kernel(a, na, 0, P, PROT_READ | PROT_GROWSUP, -EINVAL);
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unknown_prot_bits_are_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0), na = native_anon(2, RW, 0);

	refused_like_kernel(a, na, 0, P, PROT_READ | 0x10, -EINVAL);
	refused_like_kernel(a, na, 0, P, PROT_READ | 0x100, -EINVAL);
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_prot_sem_is_accepted)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0), na = native_anon(2, RW, 0);

	ck_assert_int_eq(mm_mprotect(&T.mm, a, P, PROT_READ | PROT_SEM), 0);
	TU_CHECK(&T.mm);
	TU_KERNEL_EQ(tu_sys(mprotect((void *)na, P, PROT_READ | PROT_SEM)), 0);
	ck_assert_int_eq(mm_find(&T.mm, a)->prot, PROT_READ);
	same_prots(a, na, 2);
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_len_zero_is_zero_even_where_nothing_is_mapped)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t free_native = tu_native_free_range(P);

	ck_assert_int_eq(mm_mprotect(&T.mm, T.lo, 0, PROT_READ), 0);
	TU_CHECK(&T.mm);
	TU_KERNEL_EQ(tu_sys(mprotect((void *)free_native, 0, PROT_READ)), 0);
	ck_assert_uint_eq(T.mm.count, 0);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unaligned_start_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0), na = native_anon(2, RW, 0);

	refused_like_kernel(a, na, 1, P, PROT_READ, -EINVAL);
	refused_like_kernel(a, na, 1, 0, PROT_READ, -EINVAL); /* checked before len 0 */
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_wrapping_range_is_enomem)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0), na = native_anon(2, RW, 0);

	refused_like_kernel(a, na, 0, UINT64_MAX - a + 1, PROT_READ, -ENOMEM); /* end 0 */
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_pkey_minus_one_is_plain_mprotect)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0);

	ck_assert_int_eq(mm_pkey_mprotect(&T.mm, a, P, PROT_READ, -1), 0);
	TU_CHECK(&T.mm);
	prots_are(a, 2, "r--rw-");
	tu_mm_teardown(&T);
}
END_TEST

/* pkey 0 exists only when the CPU and kernel have protection keys: ask the kernel. */
START_TEST(test_pkey_zero_answers_as_the_kernel)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0), na = native_anon(2, RW, 0);
	long k = native_pkey_mprotect(na, P, PROT_READ, 0);
	long m = mm_pkey_mprotect(&T.mm, a, P, PROT_READ, 0);

	TU_CHECK(&T.mm);
	if (!tu_under_valgrind())
		ck_assert_int_eq(m, k);
	ck_assert_int_eq(m, T.sb.pkeys ? 0 : -EINVAL);
	same_prots(a, na, 2);
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_unallocated_pkey_is_einval)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 2 * P, RW, ANON, -1, 0), na = native_anon(2, RW, 0);
	long k = native_pkey_mprotect(na, P, PROT_READ, 5);

	ck_assert_int_eq(mm_pkey_mprotect(&T.mm, a, P, PROT_READ, 5), -EINVAL);
	ck_assert_int_eq(mm_pkey_mprotect(&T.mm, a, P, PROT_READ, -2), -EINVAL);
	TU_CHECK(&T.mm);
	TU_KERNEL_EQ(k, -EINVAL);
	ck_assert_int_eq(mm_find(&T.mm, a)->prot, RW);
	munmap((void *)na, 2 * P);
	tu_mm_teardown(&T);
}
END_TEST

struct data_res {
	long model, kernel;
	int checked;
	char msg[256];
};

static uint64_t ro_model;

/* In a child with RLIMIT_DATA just above what the process has: making 1024 read-only private
 * pages writable turns them into data and must be refused, by the kernel and by the model. */
static int data_child(void *arg)
{
	struct data_res *r = arg;
	uint64_t have = tu_vm_data_pages();
	struct rlimit rl;
	long n = tu_native_mmap(0, 1024 * P, PROT_READ, ANON, -1, 0);

	getrlimit(RLIMIT_DATA, &rl);
	rl.rlim_cur = (have + 512) * P;
	if (n < 0 || setrlimit(RLIMIT_DATA, &rl) < 0)
		return 2;
	T.mm.ext_data_pages = have;
	r->model = mm_mprotect(&T.mm, ro_model, 1024 * P, RW);
	r->kernel = tu_sys(mprotect((void *)n, 1024 * P, RW));
	r->checked = 1;
	return mm_check(&T.mm, r->msg, sizeof(r->msg)) ? 1 : 0;
}

START_TEST(test_data_rlimit_refuses_making_private_memory_writable)
{
	struct data_res *r = tu_shared(sizeof(*r));

	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	ro_model = tu_mmap_ok(&T, 0, 1024 * P, PROT_READ, ANON, -1, 0);
	ck_assert_int_eq(tu_in_child(data_child, r), 0);
	ck_assert_msg(r->checked, "the child did not run");
	ck_assert_int_eq(r->model, -ENOMEM);
	if (!tu_under_valgrind())
		ck_assert_int_eq(r->kernel, -ENOMEM);
	tu_shared_free(r, sizeof(*r));
	tu_mm_teardown(&T);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mprotect");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_split_pieces_share_one_vmo_with_adjusted_offsets);
	tcase_add_test(tc, test_restoring_protection_merges_back);
	tcase_add_test(tc, test_protect_across_two_vmos_keeps_both);
	tcase_add_test(tc, test_partial_page_length_protects_whole_page);
	tcase_add_test(tc, test_hole_at_start_is_enomem_and_changes_nothing);
	tcase_add_test(tc, test_hole_midway_is_enomem_after_changing_first_part);
	tcase_add_test(tc, test_beyond_max_prot_midway_is_eacces_after_changing_first_part);
	tcase_add_test(tc, test_growsdown_flag_applies_from_mapping_start);
	tcase_add_test(tc, test_growsdown_flag_on_normal_mapping_is_einval);
	tcase_add_test(tc, test_growsdown_with_growsup_is_einval);
	tcase_add_test(tc, test_growsup_is_einval);
	tcase_add_test(tc, test_unknown_prot_bits_are_einval);
	tcase_add_test(tc, test_prot_sem_is_accepted);
	tcase_add_test(tc, test_len_zero_is_zero_even_where_nothing_is_mapped);
	tcase_add_test(tc, test_unaligned_start_is_einval);
	tcase_add_test(tc, test_wrapping_range_is_enomem);
	tcase_add_test(tc, test_pkey_minus_one_is_plain_mprotect);
	tcase_add_test(tc, test_pkey_zero_answers_as_the_kernel);
	tcase_add_test(tc, test_unallocated_pkey_is_einval);
	tcase_add_test(tc, test_data_rlimit_refuses_making_private_memory_writable);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
