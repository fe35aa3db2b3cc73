/*
 * Unit tests of mm_read/mm_write (mm/access.c), kernel-mode access, with the self backend:
 * ranges across mappings of every backing (anonymous VMO, shared file through the
 * supervisor's descriptor, private file with a copy-on-write page through the process,
 * imported kernel memory and special mappings through the process), all-or-nothing EFAULT on
 * holes and protections (with the kernel's own answer for a syscall buffer asked in the same
 * test), files whose end lies inside the mapping, O_APPEND descriptors, and that what
 * mm_write stores is what the program's pointer sees.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault/inject.h"
#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

#define P    UINT64_C(4096)
#define RW   (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)

static struct tu_mm T;

static void fill(unsigned char *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 7 + seed);
}

static bool all_bytes(const void *p, size_t len, int byte)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i] != (unsigned char)byte)
			return false;
	return true;
}

static off_t file_size(int fd)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_size;
}

/* Three mappings side by side at a: anonymous [a, a+2P), a shared file [a+2P, a+4P) at file
 * offset P, a private file [a+4P, a+6P) at file offset 2P whose first page is copied on write
 * already. */
struct three {
	uint64_t a;
	int fd_shared, fd_private;
};

static struct three make_three(void)
{
	struct three t = {.a = T.lo + 0x100000};

	t.fd_shared = tu_tmpfile(4 * P, 'S', O_RDWR);
	t.fd_private = tu_tmpfile(4 * P, 'P', O_RDWR);
	tu_mmap_ok(&T, t.a, 2 * P, RW, ANON, -1, 0);
	tu_mmap_ok(&T, t.a + 2 * P, 2 * P, RW, MAP_SHARED | MAP_FIXED, t.fd_shared, P);
	tu_mmap_ok(&T, t.a + 4 * P, 2 * P, RW, MAP_PRIVATE | MAP_FIXED, t.fd_private, 2 * P);
	fill((unsigned char *)t.a, 2 * P, 1);
	memset((char *)(t.a + 4 * P), 'c', P); /* the copy-on-write page */
	ck_assert_int_eq(mm_find(&T.mm, t.a)->kind, MK_ANON);
	ck_assert_int_eq(mm_find(&T.mm, t.a + 2 * P)->kind, MK_FILE);
	ck_assert_int_eq(mm_find(&T.mm, t.a + 4 * P)->kind, MK_FILE);
	return t;
}

static void free_three(struct three *t)
{
	close(t->fd_shared);
	close(t->fd_private);
}

START_TEST(test_read_across_anon_shared_file_and_private_file_is_what_the_program_sees)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	struct three t = make_three();
	size_t len = 4 * P + 300;
	unsigned char *buf = malloc(len);

	ck_assert_int_eq(mm_read(&T.mm, t.a + P + 100, buf, len), (long)len);
	ck_assert_int_eq(memcmp(buf, (void *)(t.a + P + 100), len), 0);
	/* and piece by piece: anon bytes, the shared file, the private copy, the file below it */
	ck_assert_int_eq(buf[0], (unsigned char)((P + 100) * 7 + 1));
	ck_assert(all_bytes(buf + P - 100, 2 * P, 'S'));
	ck_assert(all_bytes(buf + 3 * P - 100, P, 'c'));
	ck_assert(all_bytes(buf + 4 * P - 100, 400, 'P'));
	free(buf);
	free_three(&t);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_write_across_kinds_goes_to_each_backing_and_private_stays_private)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	struct three t = make_three();
	size_t len = 4 * P + 300;
	unsigned char *buf = malloc(len), *file = malloc(4 * P);
	uint64_t at = t.a + P + 100;

	fill(buf, len, 5);
	ck_assert_int_eq(mm_write(&T.mm, at, buf, len), (long)len);
	/* the program sees every byte */
	ck_assert_int_eq(memcmp((void *)at, buf, len), 0);
	/* the shared file holds its part, at the mapping's file offset */
	ck_assert_int_eq(pread(t.fd_shared, file, 4 * P, 0), (ssize_t)(4 * P));
	ck_assert(all_bytes(file, P, 'S'));
	ck_assert_int_eq(memcmp(file + P, buf + (t.a + 2 * P - at), 2 * P), 0);
	ck_assert(all_bytes(file + 3 * P, P, 'S'));
	/* the private file is untouched: both pages (one copied before, one by this write)
	 * went to the process's copy */
	ck_assert_int_eq(pread(t.fd_private, file, 4 * P, 0), (ssize_t)(4 * P));
	ck_assert(all_bytes(file, 4 * P, 'P'));
	ck_assert_int_eq(memcmp((void *)(t.a + 4 * P), buf + (t.a + 4 * P - at), P + 300), 0);
	/* the anonymous part is in the VMO */
	{
		unsigned char v[200];

		ck_assert_int_eq(vmo_read(mm_find(&T.mm, t.a)->vmo, v, P + 100, 200), 0);
		ck_assert_int_eq(memcmp(v, buf, 200), 0);
	}
	free(buf);
	free(file);
	free_three(&t);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_write_is_visible_through_the_real_pointer_and_back)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char got[32];

	ck_assert_int_eq(mm_write(&T.mm, a + P - 3, "kernel-mode", 11), 11);
	ck_assert_int_eq(memcmp((char *)(a + P - 3), "kernel-mode", 11), 0);
	strcpy((char *)(a + 2 * P), "user-mode");
	ck_assert_int_eq(mm_read(&T.mm, a + 2 * P, got, 10), 10);
	ck_assert_str_eq(got, "user-mode");
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_hole_fails_the_whole_access_and_writes_nothing)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, 3 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char buf[2 * 4096];

	ck_assert_int_eq(mm_munmap(&T.mm, a + P, P), 0);
	memset((void *)a, 'o', P);
	memset(buf, 'n', sizeof(buf));
	ck_assert_int_eq(mm_read(&T.mm, a + 100, buf, P), -EFAULT);
	ck_assert_int_eq(mm_write(&T.mm, a + 100, buf, P), -EFAULT);
	ck_assert(all_bytes((void *)a, P, 'o')); /* no prefix written */
	ck_assert_int_eq(mm_read(&T.mm, a + P + 8, buf, 8), -EFAULT);
	ck_assert_int_eq(mm_write(&T.mm, a + 2 * P - 8, buf, 16), -EFAULT); /* from the hole */
	ck_assert_int_eq(mm_read(&T.mm, a + P - 100, buf, 100), 100);	    /* up to the hole */
	ck_assert_int_eq(mm_read(&T.mm, a + 3 * P, buf, 1), -EFAULT);	    /* past the end */
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_protections_as_a_syscall_buffer_sees_them)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t base = T.lo + 0x100000;
	uint64_t none = tu_mmap_ok(&T, base, P, PROT_NONE, ANON, -1, 0);
	uint64_t ro = tu_mmap_ok(&T, base + 2 * P, P, PROT_READ, ANON, -1, 0);
	uint64_t rw = tu_mmap_ok(&T, base + 3 * P, P, RW, ANON, -1, 0);
	uint64_t wo = tu_mmap_ok(&T, base + 5 * P, P, PROT_WRITE, ANON, -1, 0);
	char buf[16] = "0123456789abcde";
	int pipefd[2];

	ck_assert_int_eq(pipe(pipefd), 0);
	/* The kernel: read(2) into PROT_NONE or read-only memory, write(2) from PROT_NONE */
	ck_assert_int_eq(write(pipefd[1], buf, 8), 8);
	ck_assert_int_eq(tu_sys(read(pipefd[0], (void *)ro, 4)), -EFAULT);
	if (!tu_under_valgrind()) { /* which reports the (deliberate) unaddressable buffers */
		ck_assert_int_eq(tu_sys(read(pipefd[0], (void *)none, 4)), -EFAULT);
		ck_assert_int_eq(tu_sys(write(pipefd[1], (void *)none, 4)), -EFAULT);
	}
	close(pipefd[0]);
	close(pipefd[1]);
	/* The model says the same */
	ck_assert_int_eq(mm_read(&T.mm, none, buf, 4), -EFAULT);
	ck_assert_int_eq(mm_write(&T.mm, none, buf, 4), -EFAULT);
	ck_assert_int_eq(mm_read(&T.mm, ro, buf, 4), 4);
	ck_assert_int_eq(mm_write(&T.mm, ro, buf, 4), -EFAULT);
	/* read-only then read-write: a write across both fails whole */
	ck_assert_int_eq(mm_write(&T.mm, rw - 2, "zz", 2), -EFAULT);
	ck_assert_int_eq(mm_write(&T.mm, rw, "zz", 2), 2);
	ck_assert_int_eq(mm_read(&T.mm, rw - 2, buf, 4), 4);
	/* mm.h's contract: a read needs PROT_READ. (x86-64 without pkeys is more lenient: a
	 * write(2) from a PROT_WRITE-only page succeeds; see mm/access.c.) */
	ck_assert_int_eq(mm_read(&T.mm, wo, buf, 4), -EFAULT);
	ck_assert_int_eq(mm_write(&T.mm, wo, buf, 4), 4);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_shared_file_past_its_end_goes_through_the_process)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(P + 100, 'E', O_RDWR);
	uint64_t c = tu_mmap_ok(&T, 0, 3 * P, RW, MAP_SHARED, fd, 0);
	unsigned char buf[200], w[100], f[100];

	ck_assert_int_eq(mm_read(&T.mm, c + P, buf, 200), 200);
	ck_assert(all_bytes(buf, 100, 'E'));
	ck_assert(all_bytes(buf + 100, 100, 0)); /* the end of the file's last page */
	fill(w, sizeof(w), 9);
	ck_assert_int_eq(mm_write(&T.mm, c + P + 50, w, 100), 100);
	ck_assert_int_eq(file_size(fd), (off_t)(P + 100)); /* pwrite would have extended it */
	ck_assert_int_eq(pread(fd, f, 100, (off_t)(P + 50)), 50);
	ck_assert_int_eq(memcmp(f, w, 50), 0);
	ck_assert_int_eq(memcmp((void *)(c + P + 50), w, 100), 0);
	/* a page wholly past the end: the program would get SIGBUS, a syscall EFAULT */
	ck_assert_int_eq(mm_read(&T.mm, c + 2 * P, buf, 10), -EFAULT);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_append_only_descriptor_does_not_append)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	int fd = tu_tmpfile(2 * P, 'A', O_RDWR);
	uint64_t c;
	char f[3];

	ck_assert_int_eq(fcntl(fd, F_SETFL, O_APPEND), 0);
	c = tu_mmap_ok(&T, 0, 2 * P, RW, MAP_SHARED, fd, 0);
	ck_assert_int_eq(mm_write(&T.mm, c + 10, "xyz", 3), 3);
	ck_assert_int_eq(file_size(fd), (off_t)(2 * P));
	ck_assert_int_eq(pread(fd, f, 3, 10), 3);
	ck_assert_int_eq(memcmp(f, "xyz", 3), 0);
	close(fd);
	tu_mm_teardown(&T);
}
END_TEST

/* A shared mapping grown by mremap past its object: that part would fault (SIGBUS). */
START_TEST(test_shared_anon_past_its_vmo_is_efault)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = T.lo + 0x100000;
	char buf[8];

	tu_mmap_ok(&T, a, P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ck_assert_int_eq(mm_mremap(&T.mm, a, P, 2 * P, 0, 0), (long)a);
	ck_assert_uint_eq(mm_find(&T.mm, a)->end, a + 2 * P);
	ck_assert_uint_eq(vmo_get_size(mm_find(&T.mm, a)->vmo), P);
	ck_assert_int_eq(mm_write(&T.mm, a + P - 4, "abcd", 4), 4);
	ck_assert_int_eq(mm_read(&T.mm, a + P - 4, buf, 8), -EFAULT);
	ck_assert_int_eq(mm_write(&T.mm, a + P, "abcd", 4), -EFAULT);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_empty_and_overflowing_ranges)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	char c;

	ck_assert_int_eq(mm_read(&T.mm, 0, &c, 0), 0);
	ck_assert_int_eq(mm_write(&T.mm, T.lo, &c, 0), 0);
	ck_assert_int_eq(mm_read(&T.mm, UINT64_MAX - 1, &c, 2), -EFAULT);
	ck_assert_int_eq(mm_read(&T.mm, T.lo, &c, SIZE_MAX), -EFAULT);
	tu_mm_teardown(&T);
}
END_TEST

START_TEST(test_failed_vmo_read_returns_its_error)
{
	tu_mm_setup(&T, MM_SPLIT_SNAPSHOT, false);
	uint64_t a = tu_mmap_ok(&T, 0, P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char c[4];

	ck_assert_int_eq(fault_arm("vmo.read"), 0);
	ck_assert_int_eq(mm_read(&T.mm, a, c, 4), -EIO);
	fault_disarm();
	ck_assert_int_eq(mm_read(&T.mm, a, c, 4), 4);
	tu_mm_teardown(&T);
}
END_TEST

/* An imported address space inside a region: kernel anonymous memory (no VMO), a special
 * mapping and a shared file without a descriptor all go through the process. */
START_TEST(test_imported_kernel_memory_special_and_fdless_files_go_through_the_process)
{
	struct self_backend sb;
	struct mm mm;
	struct mm_config c;
	uint64_t lo, live = tu_live_vmos();
	int fds = tu_count_fds(), fd, bad;
	char *text, buf[8];
	size_t len;
	FILE *f;

	ck_assert_int_eq(self_region_reserve(&sb, 1 << 20, 0), 0);
	lo = sb.lo;
	ck_assert_ptr_ne(mmap((void *)(lo + 0x10000), P, RW, ANON, -1, 0), MAP_FAILED);
	memset((void *)(lo + 0x10000), 'k', P);
	ck_assert_ptr_ne(mmap((void *)(lo + 0x20000), P, RW, ANON, -1, 0), MAP_FAILED);
	memset((void *)(lo + 0x20000), 'v', P);
	ck_assert_int_eq(mprotect((void *)(lo + 0x20000), P, PROT_READ), 0);
	fd = tu_tmpfile(P, 'F', O_RDWR);
	ck_assert_ptr_ne(mmap((void *)(lo + 0x30000), P, RW, MAP_SHARED | MAP_FIXED, fd, 0),
			 MAP_FAILED);
	f = open_memstream(&text, &len);
	fprintf(f,
		"%" PRIx64 "-%" PRIx64 " rw-p 00000000 00:00 0 \n"
		"%" PRIx64 "-%" PRIx64 " r--p 00000000 00:00 0    [vvar]\n"
		"%" PRIx64 "-%" PRIx64 " rw-s 00000000 fe:00 77   /tmp/shared data\n"
		"VmFlags: rd wr sh mr mw me ms \n",
		lo + 0x10000, lo + 0x10000 + P, lo + 0x20000, lo + 0x20000 + P, lo + 0x30000,
		lo + 0x30000 + P);
	fclose(f);
	memset(&c, 0, sizeof(c));
	c.vmar = (struct vmar_config){.base = lo,
				      .size = 1 << 20,
				      .place_lo = lo,
				      .place_hi = lo + (1 << 20),
				      .top = lo + (1 << 20)};
	c.be = &self_backend_ops;
	c.be_ctx = &sb;
	ck_assert_int_eq(mm_import(&mm, &c, text, &bad), 0);
	free(text);
	ck_assert_ptr_null(mm_find(&mm, lo + 0x10000)->vmo);
	ck_assert_int_eq(mm_find(&mm, lo + 0x30000)->file->fd, -1);

	ck_assert_int_eq(mm_read(&mm, lo + 0x10000 + 8, buf, 4), 4);
	ck_assert_int_eq(memcmp(buf, "kkkk", 4), 0);
	ck_assert_int_eq(mm_write(&mm, lo + 0x10000 + 8, "KERN", 4), 4);
	ck_assert_int_eq(memcmp((void *)(lo + 0x10000 + 8), "KERN", 4), 0);
	ck_assert_int_eq(mm_read(&mm, lo + 0x20000, buf, 4), 4);
	ck_assert_int_eq(memcmp(buf, "vvvv", 4), 0);
	ck_assert_int_eq(mm_write(&mm, lo + 0x20000, "x", 1), -EFAULT);
	ck_assert_int_eq(mm_write(&mm, lo + 0x30000 + 1, "FILE", 4), 4);
	ck_assert_int_eq(pread(fd, buf, 5, 0), 5);
	ck_assert_int_eq(memcmp(buf, "FFILE", 5), 0);
	/* a hole between them */
	ck_assert_int_eq(mm_read(&mm, lo + 0x10000 + P - 2, buf, 4), -EFAULT);

	mm_destroy(&mm);
	self_region_release(&sb);
	close(fd);
	ck_assert_uint_eq(tu_live_vmos(), live);
	ck_assert_int_eq(tu_count_fds(), fds);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("access");

	tcase_add_test(tc,
		       test_read_across_anon_shared_file_and_private_file_is_what_the_program_sees);
	tcase_add_test(tc, test_write_across_kinds_goes_to_each_backing_and_private_stays_private);
	tcase_add_test(tc, test_write_is_visible_through_the_real_pointer_and_back);
	tcase_add_test(tc, test_hole_fails_the_whole_access_and_writes_nothing);
	tcase_add_test(tc, test_protections_as_a_syscall_buffer_sees_them);
	tcase_add_test(tc, test_shared_file_past_its_end_goes_through_the_process);
	tcase_add_test(tc, test_append_only_descriptor_does_not_append);
	tcase_add_test(tc, test_shared_anon_past_its_vmo_is_efault);
	tcase_add_test(tc, test_empty_and_overflowing_ranges);
	tcase_add_test(tc, test_failed_vmo_read_returns_its_error);
	tcase_add_test(tc,
		       test_imported_kernel_memory_special_and_fdless_files_go_through_the_process);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
