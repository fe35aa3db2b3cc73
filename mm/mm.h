/*
 * mm: one Linux address space, modelled the way the Starnix memory manager models it.
 *
 * The model is an ordered table of non-overlapping mappings, each backed by a VMO range
 * (ANON), a file range (FILE: copy-on-write done by the Linux kernel) or something only the
 * kernel can make (SPECIAL), plus the program break and the VMAR that places new mappings.
 * Every operation returns what the Linux syscall returns for the same arguments (a result or
 * -errno) and drives the real address space through the backend (backend.h).
 *
 * How an operation runs (mm/txn.c): validate in Linux's order; prepare everything that can
 * fail and be undone (VMOs, snapshot copies, VMAR placement); run the plan on the backend in
 * one go; on failure undo the steps that ran, release what was prepared and return the errno
 * Linux would give; on success commit the model through the one mutation primitive
 * (mm/table.c), then do what cannot be undone (shrink VMOs, decommit), which may not fail.
 *
 * Invariants (mm_check): mappings never overlap and lie inside the VMAR; every private ANON
 * mapping's VMO range lies within the VMO's size (a shared one may extend past its object, as
 * a shared mapping grown by mremap does on Linux, and faults there); every VMO's reference count covers the mappings
 * using it; the VMAR's allocations are exactly the mapped ranges; the accounting counters
 * (total, data, locked pages) equal what the table says.
 */
#ifndef STARMM_MM_H
#define STARMM_MM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <bsd/sys/tree.h>
#include <sys/mman.h>

#include "mm/backend.h"
#include "vmo/vmar.h"

/* madvise advice of Linux 6.x that older C library headers lack (the kernel's numbers). */
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#endif
#ifndef MADV_COLD
#define MADV_COLD    20
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ  22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE  103
#endif

#define MM_PAGE_SIZE 4096ULL

enum mapping_kind {
	MK_ANON,    /* a VMO range owned by the memory manager */
	MK_FILE,    /* a file range; private ones are copy-on-write in the kernel */
	MK_SPECIAL, /* [vdso], [vvar], [vsyscall], SysV shm, devices: modelled, never re-backed */
};

/* Mapping flags (the Linux VM_* that matter here) */
#define MF_SHARED 0x001u
#define MF_GROWSDOWN 0x002u
#define MF_LOCKED 0x004u
#define MF_LOCKONFAULT 0x008u
#define MF_NORESERVE 0x010u
#define MF_DONTFORK 0x020u
#define MF_WIPEONFORK 0x040u
#define MF_STACK 0x080u   /* MAP_STACK (VM_NOHUGEPAGE) */
#define MF_BRK 0x100u	  /* part of the heap made by brk */
#define MF_HUGETLB 0x200u
#define MF_ACCOUNT 0x400u /* private writable: counted as committed memory */
#define MF_KERNEL 0x800u  /* MK_ANON still backed by the kernel's own anonymous memory (imported
			     at exec, not adopted): no VMO; the kernel copies it on fork */
#define MF_GUARD 0x1000u  /* every page carries a guard marker (MADV_GUARD_INSTALL): any access
			     is a SIGSEGV. Not a VMA flag on Linux, where the markers live in
			     the page tables: they stay through mprotect, madvise, mlock, move
			     with mremap, are copied on fork (not into WIPEONFORK memory) and
			     go with munmap or a mapping placed over them. The model keeps them
			     as a property of its mappings, so a mapping is split where they
			     begin and end; every plan step that maps such a mapping installs
			     the markers again (plan_step.guard). */
#define MF_SEALED 0x2000u /* mseal(2): Linux's VM_SEALED. The model refuses what Linux refuses
			     on it (EPERM: munmap, mremap, MAP_FIXED over it, mprotect,
			     discarding read-only private memory); the kernel's own mapping is
			     not sealed, so that starmm may still re-map it (fork, rollback) */

struct mapping {
	RB_ENTRY(mapping) link;
	uint64_t start, end;
	enum mapping_kind kind;
	struct vmo *vmo;      /* MK_ANON: one reference held per mapping (NULL with MF_KERNEL) */
	struct mm_file *file; /* MK_FILE: one reference held per mapping */
	uint64_t off;	      /* offset in the VMO or file of `start` */
	int prot;	      /* PROT_READ|PROT_WRITE|PROT_EXEC */
	int max_prot;	      /* VM_MAY*: what mprotect may grant */
	unsigned flags;	      /* MF_* */
	const char *name;     /* SPECIAL kinds: "[vdso]" ...; static storage */
};
RB_HEAD(mm_tree, mapping);

enum mm_split {
	MM_SPLIT_SNAPSHOT, /* the design note: top part becomes a snapshot child */
	MM_SPLIT_OFFSET,   /* one VMO, top part mapped at its offset, middle decommitted */
};

struct mm_config {
	struct vmar_config vmar;
	const struct mm_backend *be;
	void *be_ctx;
	enum mm_split split;
	/* The program break and data segment, as the kernel set them at exec. start_brk 0:
	 * brk always fails (returns the current break, 0). */
	uint64_t start_brk;
	uint64_t start_data, end_data;
	/* Pages the process has outside the model (the self backend's own process), counted
	 * against RLIMIT_AS / RLIMIT_DATA / RLIMIT_MEMLOCK as Linux counts them. */
	uint64_t ext_total_pages, ext_data_pages, ext_locked_pages;
};

struct mm_stats {
	uint64_t ops, plans, steps, rollbacks;
};

struct mm {
	struct mm_tree maps;
	struct vmar vmar;
	const struct mm_backend *be;
	void *be_ctx;
	enum mm_split split;
	uint64_t start_brk, brk;
	uint64_t start_data, end_data;
	uint64_t count;				 /* mappings in the table */
	uint64_t total_pages, data_pages, locked_pages; /* Linux's total_vm, data_vm, locked_vm */
	uint64_t ext_total_pages, ext_data_pages, ext_locked_pages;
	struct mapping *spare;			 /* preallocated nodes for the commit */
	struct mm_stats stats;
	bool failed; /* a step after a commit point failed: starmm's own failure */
};

/* 0, or -errno (bad VMAR configuration). */
int mm_init(struct mm *mm, const struct mm_config *cfg);
/* Drops every mapping of the model (no backend call: the address space is gone or not ours). */
void mm_destroy(struct mm *mm);

/* The memory syscalls, with Linux's arguments and Linux's results. */
long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags, int fd,
	     uint64_t off);
long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
long mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot);
long mm_pkey_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot, int pkey);
long mm_brk(struct mm *mm, uint64_t brk);
long mm_mremap(struct mm *mm, uint64_t addr, uint64_t old_len, uint64_t new_len, int flags,
	       uint64_t new_addr);
long mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice);
/* process_madvise(2) aimed at this address space itself (the caller knows its pidfd names
 * the process): vec is the program's address of vlen struct iovec, read as the kernel reads
 * them (mm_read). */
long mm_process_madvise(struct mm *mm, uint64_t vec, uint64_t vlen, int advice,
			unsigned long flags);
/* mlock (flags 0) and mlock2 (MLOCK_ONFAULT) */
long mm_mlock(struct mm *mm, uint64_t addr, uint64_t len, unsigned flags);
long mm_munlock(struct mm *mm, uint64_t addr, uint64_t len);
long mm_mlockall(struct mm *mm, int flags);
long mm_munlockall(struct mm *mm);
long mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags);
long mm_mseal(struct mm *mm, uint64_t addr, uint64_t len, unsigned long flags);
/* vec is the program's address of the result vector; the backend's call writes it. */
long mm_mincore(struct mm *mm, uint64_t addr, uint64_t len, uint64_t vec);

/* Kernel-mode access (Starnix's zx_vmo_read/write path): the bytes of [addr, addr + len)
 * through the VMOs of the mappings (ANON and shared FILE), the backend's mem_read/mem_write
 * for private FILE and SPECIAL. Returns len, or -EFAULT when any part is unmapped or lacks
 * the protection the kernel's own access would need (read: PROT_READ; write: PROT_WRITE). */
long mm_read(struct mm *mm, uint64_t addr, void *buf, size_t len);
long mm_write(struct mm *mm, uint64_t addr, const void *buf, size_t len);

/*
 * fork: a new address space `child` (uninitialised on entry) with the parent's layout, as
 * the kernel's fork would give it: shared mappings share the VMO; private ANON mappings get
 * SNAPSHOT children (one per parent VMO, so aliases stay aliases); DONTFORK mappings are
 * dropped; WIPEONFORK mappings get fresh zero VMOs; FILE and SPECIAL mappings are copied as
 * they are. Every copy is made before anything is committed; a failure returns -ENOMEM and
 * leaves nothing behind. `be`/`be_ctx` drive the child. The returned plan (in *plan, to free
 * with free(plan->steps)) re-points the child's private ANON and WIPEONFORK mappings at
 * their new VMOs: the caller runs it on the child's backend before the child runs.
 */
long mm_snapshot(struct mm *parent, struct mm *child, const struct mm_backend *be,
		 void *be_ctx, struct plan *plan);

/*
 * exec: the model of a freshly exec'd address space, built from the text of
 * /proc/PID/smaps (ranges, protections, names, and the VmFlags line). [vdso], [vvar],
 * [vvar_vclock], SysV shm and device files become SPECIAL ([vsyscall], above the user range,
 * is not part of the mm); file-backed lines FILE (an mm_file without descriptor: fd -1, the
 * path, dev and inode); anonymous lines ANON with MF_KERNEL and no VMO, to be adopted. `cfg`
 * gives the VMAR and backend. 0 or -errno (-EINVAL: text that does not parse or does not fit
 * the VMAR, with the line number in *bad_line; the mm is then destroyed).
 */
int mm_import(struct mm *mm, const struct mm_config *cfg, const char *smaps, int *bad_line);
/* The kernel changed [lo, hi) through a call the model does not emulate (shmat, shmdt): the
 * model's mappings there are dropped and the smaps lines overlapping it imported in their
 * place (clipped), as mm_import would. 0 or -EINVAL (a range outside the VMAR, a bad line;
 * the lines before it stay imported). */
int mm_import_range(struct mm *mm, const char *smaps, uint64_t lo, uint64_t hi);
/* Adoption: every MF_KERNEL mapping (bss, heap, and the stack unless skip_stack) gets an ANON
 * VMO holding its current content (read with mem_read), mapped over it, all in one plan.
 * A failure while preparing (-ENOMEM) changes nothing. Kernel memory that a plan step has
 * replaced cannot be put back, so when a step fails the steps that ran stay committed as
 * adopted and the step's error is returned; calling mm_adopt again finishes the job. */
long mm_adopt(struct mm *mm, bool skip_stack);

/*
 * A fault at addr (a user address the program touched and the kernel found unmapped): when
 * it lies below a MAP_GROWSDOWN mapping and Linux would grow that stack there (guard gap,
 * RLIMIT_STACK, RLIMIT_AS, mmap_min_addr), the stack is grown down to addr's page, or further
 * to a multiple of step (a power of two) while every rule still holds. 0 (grown: the access
 * may be retried), -EFAULT (not below a growsdown mapping), -ENOMEM or -EPERM (Linux would
 * refuse: the program gets its SIGSEGV).
 */
long mm_grow_down(struct mm *mm, uint64_t addr, uint64_t step);
/* The lowest mapping of the growsdown stack m is part of: m and the adjacent mappings below
 * it with its flags and protections (Linux's one VMA, which growth made several). */
struct mapping *mm_stack_bottom(struct mm *mm, struct mapping *m);

/* The mapping containing addr, or NULL. The first mapping ending above addr: mm_find_after. */
struct mapping *mm_find(struct mm *mm, uint64_t addr);
struct mapping *mm_find_after(struct mm *mm, uint64_t addr);
struct mapping *mm_first(struct mm *mm);
struct mapping *mm_next(struct mm *mm, struct mapping *m);
struct mapping *mm_prev(struct mm *mm, struct mapping *m);

/* Every invariant of the model; 0, or -EUCLEAN with the first violation in buf. */
int mm_check(struct mm *mm, char *buf, size_t buflen);

/* The model in /proc/PID/maps form, with the backing of each line: VMO koid, offset in it,
 * VMO size, committed bytes, or the file. */
void mm_dump(struct mm *mm, FILE *out);

/* Kind and flags as text ("anon", "file", "special") for dumps and traces. */
const char *mapping_kind_name(enum mapping_kind k);

#endif
