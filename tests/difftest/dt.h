/*
 * The differential test's shared declarations: the operation record, region layouts, the
 * run's state, and each file's entry points.
 *
 * Two regions of DT_REGION bytes, one per side, laid out the same way, relative to their
 * base:
 *
 *	[0, DT_OPS_END)			the ops window: mmap/munmap/mprotect/mremap/madvise/
 *					mlock/msync/mincore act only here
 *	[DT_OPS_END, DT_REGION)		the heap window: the model's brk heap and its ceiling;
 *					natively a permanent placeholder (the native heap lives
 *					in the forked brk child, see brk.c)
 *
 * Addresses in an operation are relative to a region base unless the operation says they
 * are absolute (then they are the same on both sides and lie at or above DT_TASK_SIZE, or
 * make the call fail before it touches anything: see native_assert_safe()).
 *
 * RLIMIT_MEMLOCK. The self backend passes mlock/munlock (and madvise, msync, mincore) through
 * for real (PLAN_SYSCALL), so the model region's really locked pages count against the same
 * process locked_vm as the native region's (MAP_LOCKED, on the other hand, is not passed
 * down: the model's locked pages and the real ones differ). Each side is made to meet the
 * limit as if it were alone (limits.c): the model reads RLIMIT_MEMLOCK = DT_MEMLOCK through
 * the backend and is told of no locked pages outside its table (mm.ext_locked_pages = 0), so
 * it checks its own locked_pages; while a model call runs, the real soft limit is the hard
 * one, so that what the model passes through never meets it; before a native call, the real
 * soft limit is DT_MEMLOCK plus whatever the rest of the process has locked (VmLck minus the
 * native region's "lo" pages), so the kernel checks the native region's locked_vm alone. The
 * two checks agree because both regions hold the same layout. Root passes have CAP_IPC_LOCK
 * and meet no limit; the unprivileged pass meets DT_MEMLOCK exactly, on both sides. When the
 * hard limit is too low to lift, the mlock family is not run (skipped(memlock-hard-limit)).
 * mlockall locks the whole process: it runs only in the forked child of a fork snapshot
 * (fork.c), where the harness's own memory may be locked without harm (and with MCL_ONFAULT
 * always under ASan, whose shadow mappings cannot be populated). munlockall runs in the main
 * loop: unlocking every VMA of the process changes nothing the harness relies on.
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
 *	end: PROT_GROWSDOWN extends the range down to the start of the VMA it starts in (in
 *	the model: to the bottom of its stack, mm_stack_bottom(); seed 8, step 4396), and
 *	a finite RLIMIT_DATA is checked VMA by VMA (a part-way failure keeps the VMAs before
 *	the one refused). The model's mappings are not the kernel's VMAs: the kernel merges
 *	adjacent anonymous mappings of separate mmaps (one VMA, two VMOs in the model) and
 *	refuses merges the model makes (VM_ACCOUNT cleared by mprotect on never-faulted
 *	memory, anon_vma). Such operations are not run when the two sets of bounds differ
 *	over the range; they are counted as skipped(vma-boundary).
 *	The same holds for mremap (the old range must lie in one VMA when it is resized):
 *	such mremaps are skipped too, counted as skipped(vma-boundary).
 *  DT_SKIP_BRK_GROW_FAULT: --faults with vmo.resize armed skips brk. When growing the
 *	heap's VMO fails, grow() (mm/brk.c) frees its new mapping, whose vmo field points at the
 *	heap's VMO without holding a reference: the heap's only reference is dropped, the
 *	heap mapping is left with a freed VMO (wrong content, then a crash in mm_destroy).
 */
/*
 * Skip flags added with the second core issue's operations (model bugs, see the report in
 * each comment; 1 keeps the generator away from the case):
 *  DT_SKIP_MREMAP_MULTI: mremap(MREMAP_MAYMOVE|MREMAP_FIXED) with old_len == new_len over a
 *	range that is not inside one mapping (it spans several mappings, or holes after the
 *	first one). Since Linux 6.17 ("mm/mremap: permit mremap() move of multiple VMAs") the
 *	kernel moves every VMA of the range, keeping the gaps; the model checked the old range
 *	against the first mapping only and returned EFAULT (seed 1, step 150:
 *	mremap(B+0x2000, 0x75000, 0x75000, MAYMOVE|FIXED, B+0x8d000)). Fixed: move_mappings()
 *	(mm/mremap.c) follows remap_move() as probed on 6.18; the step is no longer skipped when
 *	VMA bounds differ over the range (run_mremap.c, checks_vma()).
 *  DT_SKIP_MREMAP_FIXED_SHRINK: mremap(MREMAP_MAYMOVE|MREMAP_FIXED) with new_len < old_len
 *	whose old range leaves its mapping. check_prep_vma() checks only the head [addr,
 *	addr + new_len) against its VMA (a head leaving it is EFAULT before anything is
 *	unmapped, probed on 6.18), then mremap_to() unmaps the target and the tail
 *	[addr + new_len, addr + old_len), wherever it lies, and moves the head; the model
 *	checked the whole old range and returned EFAULT (seed 1, step 1715: mremap(B+0x17a000,
 *	0x2000, 0x1000, MAYMOVE|FIXED, B+0xae000)). Fixed in check_vma() (mm/mremap.c).
 *  DT_SKIP_MOVE_HOLES: the self backend's PLAN_MOVE (mm/self.c) is a real mremap, which
 *	leaves the old range (and, rolled back, the target) really unmapped, where every other
 *	step leaves a placeholder (self.h: "Unmapped parts of the region are never left really
 *	unmapped"); the process's own allocations may then land in the model region (seed 1,
 *	step 16). While 1, the harness maps placeholders over such holes after each model
 *	mremap (model.c). Fixed in c3e8d2e.
 *  DT_SKIP_MREMAP_ALIAS_SELF: mremap(addr, 0, new_len, MAYMOVE|FIXED, new_addr) with the
 *	target covering addr. mremap_to() unmaps the target first, which removes the
 *	mapping at addr, then looks it up again: EFAULT, with the target (and so the source)
 *	unmapped. The model checks the source first and made the alias (success) (seed 1,
 *	step 2534: mremap(B+0x96000, 0, 0x40000, MAYMOVE|FIXED, B+0x96000)). Fixed: probed on
 *	6.18, a target starting at addr is unmapped, then EFAULT (one starting below addr
 *	overlaps: EINVAL, nothing changed); mm_mremap() (mm/mremap.c) unmaps it as munmap
 *	would and returns EFAULT.
 *  DT_SKIP_DONTUNMAP_UNALIGNED: mremap(MREMAP_DONTUNMAP) with old_len != new_len that are
 *	the same once page-aligned (0x4000 and 0x3b38). Since the 6.16 rework of mremap
 *	(check_mremap_params()) the kernel compares the aligned lengths and moves the
 *	mapping; the model compared them before aligning (the order of Linux up to 6.15)
 *	and returned EINVAL (seed 3, step 930). While 1, the generator keeps both lengths
 *	equal for DONTUNMAP. Fixed in c3e8d2e.
 *  DT_SKIP_DONTUNMAP_LOCKED: mremap(MREMAP_DONTUNMAP) of a locked range. move_vma() clears
 *	VM_LOCKED/VM_LOCKONFAULT on the whole VMA the old range lies in, not only on the
 *	range left behind (probed on 6.18: DONTUNMAP of one page of an 8-page locked VMA
 *	leaves all 8 pages unlocked, and locked_vm still counts them: VmLck 64 kB -> 72 kB).
 *	Before c3e8d2e the model kept the range locked (seed 1, step 196); since, it unlocks
 *	the range but keeps the rest of the mapping locked (seed 9, step 47: mremap(B+0,
 *	0x1000, 0x1000, MAYMOVE|DONTUNMAP) of the locked shared mapping [0, 0xb000): native
 *	[0, 0xb000) unlocked, model [0x1000, 0xb000) still "lo"); while 1 the generator drops
 *	DONTUNMAP (keeps the move) when the old range is locked. Fixed as far as the model can:
 *	leave_behind() (mm/mremap.c) unlocks the whole mapping. Following Linux exactly needs
 *	the kernel's VMA bounds, which the model does not have (probed on 6.18: two adjacent
 *	anonymous mmaps locked together are one VMA, and DONTUNMAP of the first page unlocks
 *	both; see DT_SKIP_VMA_BOUNDS): such mremaps are not run when a locked mapping of the
 *	old range and the native VMAs there have different bounds, or when the FIXED target
 *	lies in it, counted as skipped(vma-boundary) (run_mremap.c).
 *  DT_SKIP_LOCK_BEYOND_OBJECT: mlock/mlock2 (populating) and mlockall(MCL_CURRENT) over a
 *	shared anonymous mapping that mremap grew beyond its object. Populating there fails
 *	(SIGBUS): Linux's mlock keeps the flags it applied and returns ENOMEM, its mlockall
 *	ignores the failure and returns 0; the model's populate_end() (mm/mlock.c) does not
 *	foresee it, its pass-through mlock fails, and the whole operation is rolled back with
 *	ENOMEM (mlockall too; seed 1, step 2780: mlock(B+0x7d000, 0x6daf), both ENOMEM,
 *	native "lo" kept, model unlocked); while 1, not run (skipped(beyond-object)). Fixed
 *	(probed on 6.18: ENOMEM, "lo" kept, nothing after it populated): populate_end()
 *	stops a shared anonymous mapping at the end of its VMO, so that part and the rest are
 *	passed with MLOCK_ONFAULT (seed 1, step 524: mlockall(MCL_CURRENT|MCL_FUTURE)).
 *  DT_SKIP_MREMAP_GUARD_GAP: mremap growing in place up to less than stack_guard_gap below a
 *	MAP_GROWSDOWN mapping. vma_expandable() asks get_unmapped_area() with MAP_FIXED, which
 *	checks no guard gap: Linux grows in place. The model's expandable() (mm/mremap.c)
 *	kept the gap: ENOMEM without MREMAP_MAYMOVE, a move with it (seed 3 offset, step
 *	3617). While 1, not run (skipped(guard-gap)). Fixed in c3e8d2e.
 *  DT_SKIP_LOCKONFAULT_POPULATE: mlock2(MLOCK_ONFAULT) over private file mappings. The model
 *	maps and protects MF_LOCKONFAULT mappings with MAP_LOCKED (mapping_map_flags() in
 *	mm/mm.c), which the self backend turns into population (MAP_POPULATE, or
 *	MADV_POPULATE_WRITE when made writable), so a private writable file mapping gets
 *	private copies of its pages when mremap extends or moves it, or mprotect makes it
 *	writable; Linux does not populate VM_LOCKONFAULT memory
 *	(populate_vma_page_range()), and its pages keep showing later writes to the file.
 *	Found with seed 17, step 2885 (a write through a shared mapping of the file shows
 *	natively at +0x97000, not in the model, after mlock2(B+0x96000, 0x2000, ONFAULT) at
 *	step 2670 and a later remap); while 1, not run (skipped(onfault-private-file)). Fixed:
 *	probed on 6.18, an mlock2(MLOCK_ONFAULT) private writable file mapping still shows
 *	writes to the file after mprotect, mremap growth in place and a move; the plan steps
 *	carry no MAP_LOCKED for MF_LOCKONFAULT mappings (step_map_flags(), txn_protect() in
 *	mm/txn.c), so the self backend does not populate them (seed 6, step 2113).
 *  DT_SKIP_MLOCK_POPULATE_STOP: a populating mlock/mlock2 whose range holds a private
 *	writable file mapping that Linux does not populate: (a) before a hole: do_mlock()
 *	returns apply_vma_lock_flags()'s ENOMEM before __mm_populate(), so the mappings
 *	before the hole are locked but not populated; (b) after a mapping whose population
 *	fails (PROT_NONE, pages past the end of a file, a shared object grown past its end):
 *	__mm_populate() stops at the first failure (ENOMEM) and populates nothing after it.
 *	The model passes every locked part through with a populating mlock (only the parts it
 *	knows to fail with MLOCK_ONFAULT), which makes private copies of file pages that
 *	Linux leaves shared with the page cache: later writes to the file show natively, not
 *	in the model. Found with seed 2, step 4766 (case a, after step 4765) and seed 8, fork
 *	at step 1750 (case b, after step 1708: mlock2 over a PROT_NONE shared mapping and a
 *	private file mapping); while 1, not run (skipped(populate-stop)). Fixed: probed on
 *	6.18 (mlock over a private file mapping and a hole, or after a PROT_NONE mapping:
 *	ENOMEM, "lo", the file's later writes show; before a PROT_NONE mapping it is
 *	populated), apply() (mm/mlock.c) passes every part after the first failure, or all
 *	of them when a hole ends the walk, with MLOCK_ONFAULT. Such locked but unpopulated
 *	memory showed that mprotect_fixup() populates only a private locked mapping that
 *	was not writable (probed: RW -> RW populates nothing; split offset, seed 2, fork
 *	at step 3000): txn_protect() (mm/txn.c) follows it.
 *  DT_SKIP_MREMAP_TARGET_IN_SOURCE: mremap(MREMAP_FIXED) whose target lies in the private
 *	anonymous mapping that holds the old range (not overlapping the old range itself).
 *	The model first removes the target as munmap would: with --split snapshot the part
 *	of the mapping above the target becomes a snapshot child, mapped over the old range
 *	too; the real mremap then moves the child's pages, while the model's moved piece keeps
 *	the old VMO and offset (seed 9, unprivileged, step 873: the real mapping at the
 *	target has the child's inode and offset). From there the model's reads and the
 *	program's writes go to different objects. While 1, not run (skipped(target-in-source)).
 *	Fixed: move() and move_mappings() (mm/mremap.c) take the old range's mapping as the
 *	target's removal left it (txn_find(), mm/txn.c), the child there.
 *  DT_SKIP_SNAPSHOT_VMAR_FAULT: --faults with vmar.alloc armed skips mm_snapshot.
 *	mm_snapshot() (mm/snapshot.c) fills the child's table with table_set() outside
 *	fault_hold(), so the child's VMAR allocations inside the mutation primitive (which
 *	"cannot fail") meet the armed point: "starmm: internal error: VMAR refused committed
 *	range", abort (seed 1, vmar.alloc, op 15). Fixed in c3e8d2e.
 *  DT_SKIP_MADV_GUARD: MADV_GUARD_INSTALL/REMOVE (102, 103), valid since Linux 6.13. The model
 *	answered EINVAL (no per-page record of guard markers; seed 1, step 65: GUARD_REMOVE,
 *	model EINVAL, native 0); not generated while 1. Fixed: MF_GUARD (mm/mm.h), and the
 *	markers compared page by page (compare.c).
 */
/* Each may be set from the command line to see its bug, e.g.
 *	make CC="cc -DDT_SKIP_MADV_GUARD=0" B=build-bug build-bug/difftest */
#ifndef DT_SKIP_MREMAP_MULTI
#define DT_SKIP_MREMAP_MULTI 0
#endif
#ifndef DT_SKIP_MREMAP_FIXED_SHRINK
#define DT_SKIP_MREMAP_FIXED_SHRINK 0
#endif
#ifndef DT_SKIP_MADV_GUARD
#define DT_SKIP_MADV_GUARD 0
#endif
#ifndef DT_SKIP_MOVE_HOLES
#define DT_SKIP_MOVE_HOLES 0
#endif
#ifndef DT_SKIP_DONTUNMAP_LOCKED
#define DT_SKIP_DONTUNMAP_LOCKED 0
#endif
#ifndef DT_SKIP_LOCK_BEYOND_OBJECT
#define DT_SKIP_LOCK_BEYOND_OBJECT 0
#endif
#ifndef DT_SKIP_MREMAP_ALIAS_SELF
#define DT_SKIP_MREMAP_ALIAS_SELF 0
#endif
#ifndef DT_SKIP_DONTUNMAP_UNALIGNED
#define DT_SKIP_DONTUNMAP_UNALIGNED 0
#endif
#ifndef DT_SKIP_MREMAP_GUARD_GAP
#define DT_SKIP_MREMAP_GUARD_GAP 0
#endif
#ifndef DT_SKIP_LOCKONFAULT_POPULATE
#define DT_SKIP_LOCKONFAULT_POPULATE 0
#endif
#ifndef DT_SKIP_MLOCK_POPULATE_STOP
#define DT_SKIP_MLOCK_POPULATE_STOP 0
#endif
#ifndef DT_SKIP_SNAPSHOT_VMAR_FAULT
#define DT_SKIP_SNAPSHOT_VMAR_FAULT 0
#endif
#ifndef DT_SKIP_MREMAP_TARGET_IN_SOURCE
#define DT_SKIP_MREMAP_TARGET_IN_SOURCE 0
#endif

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

enum op_kind {
	OP_MMAP,
	OP_MUNMAP,
	OP_MPROTECT,
	OP_PKEY_MPROTECT,
	OP_BRK,
	OP_WRITE,
	OP_MREMAP,
	OP_MADVISE,
	OP_MLOCK,
	OP_MLOCK2,
	OP_MUNLOCK,
	OP_MLOCKALL, /* forked child only (fork.c), and --faults */
	OP_MUNLOCKALL,
	OP_MSYNC,
	OP_MINCORE,
	OP_SNAPSHOT, /* --faults only: mm_snapshot into a throw-away child mm */
	OP_NKINDS,
};

/* mincore's result vector (vec_mode): where the vector lies. */
enum vec_mode {
	VEC_OK,	      /* a harness buffer */
	VEC_NULL,     /* address 0: the kernel's copy fails (EFAULT) */
	VEC_READONLY, /* a read-only page of the harness (EFAULT) */
	VEC_BEYOND,   /* at DT_TASK_SIZE - 1: access_ok fails (EFAULT) */
};

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
	/* mremap: len is old_len; flags the MREMAP_* flags; new_addr relative unless abs_new */
	uint64_t new_len, new_addr;
	bool abs_new;
	int advice;    /* madvise */
	int vec_mode;  /* mincore: enum vec_mode */
	bool memlock0; /* mlock family, unprivileged: RLIMIT_MEMLOCK 0 on both sides (EPERM) */
};

/* Attributes of a layout segment. */
#define A_R	      0x01u
#define A_W	      0x02u
#define A_X	      0x04u
#define A_RWX	      0x07u
#define A_SHARED      0x08u
#define A_GROWSDOWN   0x10u
#define A_LOCKED      0x20u
#define A_NORESERVE   0x40u  /* VM_NORESERVE, "nr" */
#define A_NOHUGE      0x80u  /* VM_NOHUGEPAGE, "nh": MAP_STACK, MADV_NOHUGEPAGE */
#define A_LOCKONFAULT 0x100u /* VM_LOCKONFAULT, "lf": mlock2(MLOCK_ONFAULT) */
#define A_DONTFORK    0x200u /* VM_DONTCOPY, "dc": MADV_DONTFORK */
#define A_WIPEONFORK  0x400u /* VM_WIPEONFORK, "wf": MADV_WIPEONFORK */
#define A_ALL	      0x7ffu

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
	unsigned attr;	   /* A_R|A_W|A_X|A_SHARED (the p/s letter), and from VmFlags A_GROWSDOWN,
			      A_LOCKED, A_NORESERVE, A_NOHUGE */
	bool hole;	   /* a starmm-hole placeholder */
	bool file;	   /* backed by a file other than a memfd (inode, not /memfd:) */
	uint64_t off, ino; /* the offset and inode of the backing */
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
	uint64_t obj_size; /* shared MK_ANON: the VMO's size (beyond it: SIGBUS) */
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
	int pagemap_self; /* /proc/self/pagemap */

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
	/* RLIMIT_MEMLOCK as the model sees it (limits.c, model.c) */
	bool memlock_override;
	uint64_t memlock_limit;
	bool capable_lock;	  /* CAP_IPC_LOCK: no limit applies */
	uint64_t memlock_missing; /* a forked mremap probe: locked pages it could not lock */
	bool memlock_ok;	  /* the hard limit leaves room to lift the soft one (limits.c) */
	uint64_t memlock_hard;

	/* pages of the ops window written since their mapping last changed (mincore.c) */
	uint8_t written[DT_OPS_END / DT_PAGE];

	/* fork snapshots (fork.c): every fork_every operations of the main loop; in the
	 * forked child, in_fork is set and the brk child is not used */
	long fork_every;
	bool in_fork;
	uint64_t forks, fork_mismatches;

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
void gen_op_kind(uint64_t *rng, struct op *op, enum op_kind k); /* k: MMAP, MUNMAP, WRITE */
void op_print(FILE *f, const struct op *op);
const char *op_kind_name(enum op_kind k);
/* The generator's helpers, for gen_*.c (gen_rng is the current generator state). */
extern uint64_t *gen_rng;
uint64_t gen_rnd(uint64_t n);
bool gen_pct(unsigned p);
const struct mview *gen_pick_mapping(unsigned want_flags, bool writable);
uint64_t gen_pages(void);
uint64_t gen_unalign_len(uint64_t len);
void gen_range(uint64_t *a, uint64_t *len);
uint64_t gen_map_addr(void);

/* gen_mremap.c */
void gen_mremap(struct op *op);
void mremap_print(FILE *f, const struct op *op);

/* gen_ranges.c: madvise, the mlock family, msync, mincore */
void gen_madvise(struct op *op);
void gen_mlock(struct op *op);
void gen_msync(struct op *op);
void gen_mincore(struct op *op);
void ranges_print(FILE *f, const struct op *op);
const char *advice_name(int advice);

/* native.c */
int native_setup(void);
void native_teardown(void);
long native_op(const struct op *op, uint64_t at, bool use_at);
/* mremap natively with these flags and absolute target (native.c, run_mremap.c) */
enum { NM_PLAIN, NM_PROBED, NM_IN_PROBE };
long native_mremap_at(const struct op *op, int flags, uint64_t target, int mode);
/* madvise, mlock family, msync, mincore natively (vec: the vector for mincore) */
long native_range_op(const struct op *op, void *vec);
long native_probe_mmap(const struct op *op);
bool native_placeable(uint64_t len, uint64_t *rel);
void native_lift(uint64_t rel, uint64_t len);
void native_restore(void);
uint64_t native_data_pages(void);

/* model.c */
int model_setup(bool with_heap);
void model_teardown(void);
long model_op(const struct op *op);
long model_mincore(const struct op *op, void *vec);
/* In a forked child: the child's model (mm_snapshot of the parent's, its plan run) replaces
 * dt.mm. 0 or -errno. */
long model_fork(void);
/* DT_SKIP_MOVE_HOLES: placeholders over whatever of the model region is really unmapped. */
void model_fill_holes(void);
/* --faults: mm_snapshot into a child mm that is destroyed at once (no fork). */
long model_snapshot_only(void);
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
/* The page at rel holds no bytes to read when it carries a guard marker: -EFAULT. */
int page_read_native(uint64_t rel, void *buf);
int native_vma_bounds(uint64_t lo, uint64_t hi, uint64_t *out, int max);
int page_read_model(uint64_t rel, void *buf);
int region_write(uint64_t base, uint64_t rel, uint64_t len, uint64_t seed);

/* table.c */
void table_count(const char *op, const char *label);
void table_add(const char *op, const char *label, unsigned long n);
void table_print(FILE *f);
int table_write(const char *path);
const char *errno_label(long err);

/* faults.c */
int faults_run(void);

/* run.c */
int run_step(const struct op *op);
long run_model_only(const struct op *op);
const char *run_results(void);	  /* the results line of the current step, for reports */
const char *run_last_label(void); /* the outcome label of the last step run */
void run_set_results(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool vma_bounds_differ(uint64_t lo, uint64_t hi);

/* run_mremap.c */
long do_mremap(const struct op *op, char *why, size_t wl, const char **label);

/* run_ranges.c: madvise, the mlock family, msync, mincore */
long do_range(const struct op *op, char *why, size_t wl, const char **label);
long range_model_only(const struct op *op);

/* limits.c: RLIMIT_MEMLOCK around each side's calls */
void memlock_setup(void);
void memlock_model(const struct op *op);
void memlock_native(const struct op *op);
void memlock_done(void);
uint64_t layout_locked_pages(const struct layout *l);

/* mincore.c: the written-page record and the vector comparison */
void written_mark(uint64_t rel, uint64_t len);
void written_clear(uint64_t rel, uint64_t len);
/* The same for every mapping of the shared objects mapped in [rel, rel + len) (MADV_REMOVE
 * empties them for all their mappings). */
void written_clear_aliases(uint64_t rel, uint64_t len);
int mincore_compare(const struct op *op, const unsigned char *nv, const unsigned char *mv,
		    char *why, size_t wl);

/* fork.c */
int fork_run(uint64_t seed);
void fork_mlockall_flags(uint64_t *rng, int *flags);

#endif
