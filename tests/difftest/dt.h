/*
 * The differential test's shared declarations: the operation record, region layouts, the
 * run's state, and each file's entry points.
 *
 * Two regions of DT_REGION bytes, one per side, laid out the same way, relative to their
 * base:
 *
 *	[0, DT_OPS_END)			the ops window: mmap/munmap/mprotect act only here
 *	[DT_OPS_END, DT_REGION)		the heap window: the model's brk heap and its ceiling;
 *					natively a permanent placeholder (the native heap lives
 *					in the forked brk child, see brk.c)
 *
 * Addresses in an operation are relative to a region base unless the operation says they
 * are absolute (then they are the same on both sides and lie at or above DT_TASK_SIZE, or
 * make the call fail before it touches anything: see native_assert_safe()).
 */
#ifndef DT_H
#define DT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>

#include "mm/mm.h"
#include "mm/self.h"

#define DT_PAGE		 4096ULL
#define DT_PAGE_ALIGN(x) (((x) + DT_PAGE - 1) & ~(DT_PAGE - 1))
#define DT_REGION	 (2ULL << 20)
#define DT_OPS_END	 (DT_REGION - (512ULL << 10))
#define DT_HEAP_WIN	 (DT_REGION - DT_OPS_END)
/* The model's brk ceiling: a PROT_NONE mapping at the top of the heap window, mirrored at the
 * same distance above the child's start_brk, so brk refuses growth at the same point. */
#define DT_CEIL_OFF (DT_HEAP_WIN - (64ULL << 10))
/* x86-64, 4-level page tables: TASK_SIZE_MAX. */
#define DT_TASK_SIZE 0x7ffffffff000ULL
/* Linux's default stack_guard_gap: automatic placement keeps it free below growsdown. */
#define DT_GUARD_GAP (256ULL * DT_PAGE)
/* RLIMIT_MEMLOCK of the run (soft): small, so that MAP_LOCKED past it gives EAGAIN when the
 * process lacks CAP_IPC_LOCK. */
#define DT_MEMLOCK (64ULL << 10)

/*
 * LOCAL SKIP FLAGS for model bugs found by this test (reported, to be removed once mm/ is
 * fixed). Each keeps the generator away from one class of operation.
 *  DT_SKIP_SYNC_FILE: MAP_SYNC (with MAP_SHARED_VALIDATE) on an ext4 file. ext4 has
 *	FOP_MMAP_SYNC, so do_mmap() accepts the flag and the later checks decide (EACCES for
 *	the file mode, EINVAL for MAP_GROWSDOWN); ext4_file_mmap() then refuses it on a
 *	non-DAX file (EOPNOTSUPP) after a MAP_FIXED mmap_region() tore the old mappings down,
 *	and Linux leaves a hole there. The model answers EOPNOTSUPP first and keeps the old
 *	mappings.
 *  DT_SKIP_PIPE_EXEC: PROT_EXEC on a pipe: pipefs is SB_I_NOEXEC, so Linux gives EPERM; the
 *	model (statvfs sees no MNT_NOEXEC) gives ENODEV.
 *  DT_SKIP_LOCKED_PRIVATE_FILE: MAP_LOCKED on a private file mapping. Linux populates a
 *	locked private writable mapping with write faults (populate_vma_page_range: FOLL_WRITE),
 *	so every page is a private copy from the start and later writes to the file through a
 *	shared mapping no longer show; the self backend drops MAP_LOCKED and the model's
 *	mapping keeps showing the file's pages.
 *  DT_SKIP_VMA_BOUNDS: two mprotect behaviours depend on where the kernel's VMAs begin and
 *	end: PROT_GROWSDOWN extends the range down to the start of the VMA it starts in, and
 *	a finite RLIMIT_DATA is checked VMA by VMA (a part-way failure keeps the VMAs before
 *	the one refused). The model's mappings are not the kernel's VMAs: the kernel merges
 *	adjacent anonymous mappings of separate mmaps (one VMA, two VMOs in the model) and
 *	refuses merges the model makes (VM_ACCOUNT cleared by mprotect on never-faulted
 *	memory, anon_vma). Such operations are not run when the two sets of bounds differ
 *	over the range; they are counted as skipped(vma-boundary).
 *  DT_SKIP_BRK_GROW_FAULT: --faults with vmo.resize armed skips brk. When growing the
 *	heap's VMO fails, grow() (mm/brk.c) frees its new mapping, whose vmo field points at the
 *	heap's VMO without holding a reference: the heap's only reference is dropped, the
 *	heap mapping is left with a freed VMO (wrong content, then a crash in mm_destroy).
 */
#define DT_SKIP_BRK_GROW_FAULT	    0
#define DT_SKIP_VMA_BOUNDS	    1
#define DT_SKIP_SYNC_FILE	    0
#define DT_SKIP_PIPE_EXEC	    0
#define DT_SKIP_LOCKED_PRIVATE_FILE 0

/* The test files: FILE_SIZE bytes of a pattern, the last page partial. */
#define DT_FILE_SIZE (3 * DT_PAGE + 1000)

enum fslot {
	FS_RDWR,
	FS_RDONLY,
	FS_WRONLY,
	FS_APPEND, /* O_RDWR | O_APPEND */
	FS_DIR,
	FS_PIPE,   /* the read end */
	FS_CLOSED, /* a descriptor number that is not open */
	FS_MINUS1,
	FS_NSLOTS,
	FS_ANON = -1,
};

enum op_kind { OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_PKEY_MPROTECT, OP_BRK, OP_WRITE, OP_NKINDS };

struct op {
	enum op_kind kind;
	bool abs; /* addr is absolute, not relative to the region */
	uint64_t addr, len;
	int prot, flags, pkey;
	int fslot; /* enum fslot, FS_ANON for anonymous mmaps */
	uint64_t off;
	const char *intent; /* mmap: "len0", "fixed-unaligned", ...; labels the outcome */
	/* brk: the new break, relative to start_brk unless brk_abs */
	bool brk_abs;
	int64_t brk;
	/* RLIMIT_DATA around the op: data_mode 0 none; mmap/mprotect 1: VmData + data_margin;
	 * brk 1: data segment + data_margin, 2: the child's base VmData + data_margin */
	int data_mode;
	uint64_t data_margin;
	uint64_t seed; /* write: pattern seed */
};

/* Attributes of a layout segment. */
#define A_R	    0x01u
#define A_W	    0x02u
#define A_X	    0x04u
#define A_RWX	    0x07u
#define A_SHARED    0x08u
#define A_GROWSDOWN 0x10u
#define A_LOCKED    0x20u
#define A_NORESERVE 0x40u /* VM_NORESERVE, "nr" */
#define A_NOHUGE    0x80u /* VM_NOHUGEPAGE, "nh": MAP_STACK */
#define A_ALL	    0xffu

struct seg {
	uint64_t start, end; /* relative */
	unsigned attr;
};

#define DT_MAXSEG 1024
struct layout {
	int n;
	struct seg s[DT_MAXSEG];
};

/* One /proc/self/smaps entry inside one of the regions. */
struct rawmap {
	uint64_t start, end;
	unsigned attr; /* A_R|A_W|A_X|A_SHARED (the p/s letter), and from VmFlags A_GROWSDOWN,
			  A_LOCKED, A_NORESERVE, A_NOHUGE */
	bool hole;     /* a starmm-hole placeholder */
	bool file;     /* backed by a file other than a memfd (inode, not /memfd:) */
	char name[64];
};

struct region_maps {
	int n;
	struct rawmap m[4 * DT_MAXSEG];
};

/* The model's view of one mapping, relative to the model base (generator input). */
struct mview {
	uint64_t start, end;
	int prot;
	unsigned flags;
	enum mapping_kind kind;
	int oflags; /* MK_FILE: the file's O_ACCMODE */
	uint64_t off;
};

struct dt {
	uint64_t seed;
	long nops;
	bool verbose, table, faults;
	enum mm_split split;
	const char *table_out;

	/* regions */
	struct self_backend sb;
	uint64_t mbase, nbase; /* model and native region bases */
	int nhole_fd;	       /* the native side's placeholder memfd */
	struct mm mm;
	bool mm_live;
	int memfd_self; /* /proc/self/mem */

	/* files: [0] native side, [1] model side */
	int fd[2][FS_NSLOTS];
	char tmpdir[128];

	/* data segment, from /proc/self/stat */
	uint64_t start_data, end_data;

	/* the brk child */
	int brk_pid, brk_req, brk_rep;
	uint64_t child_base_pages; /* its VmData without the heap */
	int64_t child_brk;	   /* its break, relative to its start_brk */

	/* layouts after the last operation */
	struct layout nat, mreal, mview_l, cheap;
	struct layout pre; /* the model's table before the current operation */
	struct mview mv[DT_MAXSEG];
	int nmv;

	/* RLIMIT_DATA as the model sees it during one operation (model.c) */
	bool data_override;
	uint64_t data_limit;

	uint64_t step;
	bool skip_compare_bytes;
};

extern struct dt dt;

/* rng.c */
uint64_t rng_next(uint64_t *s);
uint64_t rng_below(uint64_t *s, uint64_t n); /* [0, n); 0 when n is 0 */
bool rng_pct(uint64_t *s, unsigned pct);
void pattern_fill(void *buf, uint64_t len, uint64_t seed);
uint64_t hash_bytes(const void *buf, uint64_t len);

/* files.c */
int files_setup(void);
void files_cleanup(void);
int file_fd(int side, int fslot); /* side 0 native, 1 model; -1 for FS_ANON */
const char *fslot_name(int fslot);

/* maps.c */
int maps_read2(bool smaps, struct region_maps *nat, struct region_maps *mod);
int maps_window(uint64_t base, uint64_t size, struct layout *out);
void layout_from_maps(const struct region_maps *rm, uint64_t base, unsigned mask,
		      struct layout *out);
void layout_add(struct layout *l, uint64_t start, uint64_t end, unsigned attr);
void layout_clip(const struct layout *in, uint64_t lo, uint64_t hi, uint64_t shift, unsigned mask,
		 struct layout *out);
bool layout_equal(const struct layout *a, const struct layout *b);
void layout_print(FILE *f, const char *title, const struct layout *l);
long status_field_kb(const char *name); /* VmData, VmLck... in KiB, -1 on error */
int stat_field(int n, uint64_t *out);	/* field n (1-based) of /proc/self/stat */
void maps_print_region(FILE *f, const char *title, uint64_t base, uint64_t size);

/* gen.c */
void gen_op(uint64_t *rng, struct op *op);
void op_print(FILE *f, const struct op *op);
const char *op_kind_name(enum op_kind k);

/* native.c */
int native_setup(void);
void native_teardown(void);
long native_op(const struct op *op, uint64_t at, bool use_at);
long native_probe_mmap(const struct op *op);
bool native_placeable(uint64_t len, uint64_t *rel);
void native_lift(uint64_t rel, uint64_t len);
void native_restore(void);
uint64_t native_data_pages(void);

/* model.c */
int model_setup(bool with_heap);
void model_teardown(void);
long model_op(const struct op *op);
void model_view(void);
uint64_t model_nonheap_data_pages(void);
uint64_t model_heap_pages(void);

/* brk.c */
int brk_child_start(void);
void brk_child_stop(void);
int64_t brk_child_op(const struct op *op, uint64_t rlim);
int brk_child_write(uint64_t rel, uint64_t len, uint64_t seed);
const uint64_t *brk_child_hashes(void);

/* compare.c */
void guard_install(void);
int compare_all(char *why, size_t len);
void mismatch_report(const struct op *op, const char *results, const char *why);
int page_read_native(uint64_t rel, void *buf);
int native_vma_bounds(uint64_t lo, uint64_t hi, uint64_t *out, int max);
int page_read_model(uint64_t rel, void *buf);
int region_write(uint64_t base, uint64_t rel, uint64_t len, uint64_t seed);

/* table.c */
void table_count(const char *op, const char *label);
void table_print(FILE *f);
int table_write(const char *path);
const char *errno_label(long err);

/* faults.c */
int faults_run(void);

/* run.c */
int run_step(const struct op *op);
long run_model_only(const struct op *op);

#endif
