/*
 * Helpers shared by the unit tests (every tests/unit/test_*.c binary links testutil.o).
 */
#ifndef STARMM_TESTS_TESTUTIL_H
#define STARMM_TESTS_TESTUTIL_H

#include <check.h>
#include <stdint.h>

/* Open descriptors of this process (entries of /proc/self/fd), for leak checks; -1 on error. */
int tu_count_fds(void);

/* VMOs not yet destroyed (vmo_stats_get().live), for leak checks. */
uint64_t tu_live_vmos(void);

/* Runs the suite (CK_NORMAL; CK_FORK from the environment), frees it, and returns
 * EXIT_SUCCESS when every test passed, else EXIT_FAILURE: main() returns this. */
int tu_run(Suite *s);

/* --- The address space fixture: an mm with the self backend over a reserved region --- */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mm/mm.h"
#include "mm/self.h"

#define TU_PAGE	  4096ULL
#define TU_REGION (16ULL << 20)

struct tu_mm_opts {
	enum mm_split split;
	bool aslr;
	uint64_t size;		      /* region size; 0: TU_REGION */
	uint64_t slot_off, slot_size; /* reserved slot at lo + slot_off (slot_size 0: none) */
	uint64_t brk_off;	      /* start_brk at lo + brk_off (0: no program break) */
	uint64_t start_data, end_data;
};

struct tu_mm {
	struct self_backend sb;
	struct mm mm;
	uint64_t lo, hi; /* the region, which the VMAR covers exactly */
	int base_fds;
	uint64_t base_live;
};

/* Reserves a region, starts an mm over it (top-down placement from hi; aslr as asked) and
 * records the descriptors and live VMOs to compare against at teardown. Asserts. */
void tu_mm_setup(struct tu_mm *t, enum mm_split split, bool aslr);
void tu_mm_setup_opts(struct tu_mm *t, const struct tu_mm_opts *o);
/* Asserts mm_check passes, destroys the mm, releases the region, then asserts that live
 * VMOs and open descriptors are back to what they were at setup. */
void tu_mm_teardown(struct tu_mm *t);

/* mm_check(mm) == 0, failing the test with its message otherwise. */
#define TU_CHECK(mmp)                                                                              \
	do {                                                                                       \
		char tu_buf_[512] = "";                                                            \
		int tu_r_ = mm_check((mmp), tu_buf_, sizeof(tu_buf_));                             \
		ck_assert_msg(tu_r_ == 0, "mm_check: %s", tu_buf_);                                \
	} while (0)

/* A mapping made through the model that must succeed: asserts the result is an address
 * inside the region and that mm_check passes. */
uint64_t tu_mmap_ok(struct tu_mm *t, uint64_t addr, uint64_t len, int prot, int flags, int fd,
		    uint64_t off);

/* The model's mm_dump as a string (free it). */
char *tu_mm_dump(struct mm *mm);

/* The lines of /proc/self/maps that intersect [lo, hi), as one string (free it). */
char *tu_maps_range(uint64_t lo, uint64_t hi);

/* The /proc/self/maps line containing addr. 0, or -1 when addr is not mapped. */
struct tu_map {
	uint64_t start, end, off;
	char perms[5];
	unsigned long ino;
	char path[256];
};
int tu_map_at(uint64_t addr, struct tu_map *out);

/* The protection of each page of [addr, addr + npages pages) as the kernel shows it: three
 * characters per page ("rw-", "r--", ...), "..." for pages not mapped or covered by a self
 * backend placeholder. out must hold 3 * npages + 1 bytes. */
void tu_prots(uint64_t addr, size_t npages, char *out);

/* A temporary file (already unlinked) of size bytes of `byte`, opened with oflags (O_RDONLY,
 * O_WRONLY, O_RDWR). Asserts. */
int tu_tmpfile(size_t size, int byte, int oflags);

/* Runs fn(arg) in a forked child and returns its exit status (128 + signal when killed). The
 * child must not use ck_assert: it reports through memory from tu_shared(). */
int tu_in_child(int (*fn)(void *arg), void *arg);
/* Anonymous shared memory outside any region, for a child's results; tu_shared_free. */
void *tu_shared(size_t size);
void tu_shared_free(void *p, size_t size);

/* The native kernel's answer: mmap(2) and the result as a value or -errno (no unmapping). */
long tu_native_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off);
/* A syscall's -1/errno result as -errno (other values unchanged). */
long tu_sys(long r);
/* A native address range of len bytes that is free right now (mapped, then unmapped). */
uint64_t tu_native_free_range(uint64_t len);

/* Whether the VmFlags line of /proc/self/smaps for the mapping holding addr has `flag` ("lo",
 * "wf", "dc"...). Usable in forked children (no assertion). */
bool tu_vmflag(uint64_t addr, const char *flag);

/* Drops cap from the effective set of this process. 0 or -errno. */
int tu_drop_cap(int cap);
/* Pages of data_vm (VmData of /proc/self/status). */
uint64_t tu_vm_data_pages(void);
/* Whether the test runs under valgrind (whose mmap and rlimits differ from the kernel's). */
bool tu_under_valgrind(void);

/* Asserts that the kernel, asked natively, answers `want`. Skipped under valgrind, whose own
 * handling of mmap, mprotect and munmap answers some calls differently from the kernel (the
 * call is still made). */
#define TU_KERNEL_EQ(native, want)                                                                 \
	do {                                                                                       \
		long tu_k_ = (long)(native);                                                       \
		if (!tu_under_valgrind())                                                          \
			ck_assert_msg(tu_k_ == (long)(want), "kernel: %s = %ld, want %ld",         \
				      #native, tu_k_, (long)(want));                               \
	} while (0)

#endif
