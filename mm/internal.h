/*
 * Private interface of mm/: the mapping table (table.c), transactions (txn.c), accounting and
 * limits (mm.c). Operations (mmap.c, munmap.c, ...) are written against this file.
 */
#ifndef STARMM_MM_INTERNAL_H
#define STARMM_MM_INTERNAL_H

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "fault/inject.h"
#include "mm/mm.h"
#include "vmo/vmo.h"

#define PAGE MM_PAGE_SIZE
#define PAGE_ALIGN(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define PAGE_OFF(x) ((x) & (PAGE - 1))
/* x86-64 with 4-level page tables: the highest user address + 1 (TASK_SIZE_MAX). */
#define TASK_SIZE 0x7ffffffff000ULL
/* vm.mmap_min_addr's default: the lowest address a mapping may take without CAP_SYS_RAWIO. */
#define MMAP_MIN_ADDR 0x10000ULL
/* Linux's default stack_guard_gap (256 pages), mm/mmap.c. */
#define STACK_GUARD_GAP (256ULL * PAGE)

#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)

RB_PROTOTYPE(mm_tree, mapping, link, mapping_cmp)

void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);

/* --- table.c: the ordered mapping table and its one mutation primitive --- */

struct mapping *mapping_new(void);
/* A copy of m (references taken) restricted to [start, end) with the offset adjusted. */
struct mapping *mapping_slice(const struct mapping *m, uint64_t start, uint64_t end);
void mapping_free(struct mapping *m);
/* Whether a and b could be one mapping if adjacent (same backing, flags, protections). */
bool mapping_compatible(const struct mapping *a, const struct mapping *b);
/* The end of the mapping m is part of: m and the mappings above it that differ from it only
 * in guard markers (MF_GUARD): one mapping, and one VMA to Linux, that the markers split. */
uint64_t mapping_vma_end(struct mm *mm, struct mapping *m);

/*
 * The mutation primitive. Every change of the model goes through it: every mapping part in
 * [start, end) is removed (mappings straddling a bound keep their outside part), then the new
 * mappings news[0..n) (sorted, disjoint, inside [start, end); ownership passes to the table)
 * are inserted, neighbours that became compatible are merged, and the VMAR and the
 * accounting counters follow. It cannot fail.
 */
void table_set(struct mm *mm, uint64_t start, uint64_t end, struct mapping **news, size_t n);

/* The first mapping that ends above addr (may start above it), or NULL. */
struct mapping *table_from(struct mm *mm, uint64_t addr);

/* --- mm.c: accounting and limits --- */

/* Linux's is_data_mapping(): private writable, not a stack. */
bool mapping_is_data(const struct mapping *m);
uint64_t mapping_pages(const struct mapping *m);
void account(struct mm *mm, const struct mapping *m, int sign);

uint64_t mm_rlimit(struct mm *mm, int resource);
bool mm_capable(struct mm *mm, int cap);
/* Linux's may_expand_vm(): adding npages with these properties stays within RLIMIT_AS and,
 * for data mappings, RLIMIT_DATA. */
bool may_expand_vm(struct mm *mm, bool data, uint64_t npages);
/* Linux's mlock_future_ok(): locking len more bytes stays within RLIMIT_MEMLOCK. */
bool mlock_future_ok(struct mm *mm, bool locked, uint64_t len);
/* Pages of mappings overlapping [start, end) (Linux's count_vma_pages_range), total and data. */
void pages_in_range(struct mm *mm, uint64_t start, uint64_t end, uint64_t *total, uint64_t *data,
		    uint64_t *locked);

/* --- grow.c --- */

/* The room a growsdown mapping of len bytes gets below it in its VMO (RLIMIT_STACK, capped):
 * growth within it maps more of the same VMO, so the stack stays one kernel mapping. */
uint64_t stack_headroom(struct mm *mm, uint64_t len);

/* --- txn.c: one operation's prepare / plan / commit --- */

struct txn_undo_vmo {
	struct vmo *vmo;
	uint64_t old_size;
};
struct txn_edit {
	uint64_t start, end;
	struct mapping **news;
	size_t n;
};
enum txn_after_op { AFTER_SHRINK, AFTER_DECOMMIT };
struct txn_after {
	enum txn_after_op op;
	struct vmo *vmo;
	uint64_t off, len;
	uint64_t keep; /* AFTER_SHRINK: address of the mapping expected to keep using the VMO
			  below off, 0 if none */
};

struct txn {
	struct mm *mm;
	struct plan plan;
	struct vmo **vmos; /* created here: the transaction's reference, dropped at the end */
	size_t nvmos, capvmos;
	struct txn_undo_vmo *grown;
	size_t ngrown, capgrown;
	uint64_t *placed; /* VMAR allocations: pairs (addr, len), released on rollback */
	size_t nplaced, capplaced;
	struct txn_edit *edits;
	size_t nedits, capedits;
	struct txn_after *after;
	size_t nafter, capafter;
};

void txn_begin(struct txn *t, struct mm *mm);

/* Prepare: each may fail (fault points inside); each is undone if the transaction rolls back. */
long txn_vmo_create(struct txn *t, uint64_t size, unsigned vmo_flags, struct vmo **out);
long txn_vmo_snapshot(struct txn *t, struct vmo *parent, uint64_t off, uint64_t size,
		      struct vmo **out);
long txn_vmo_grow(struct txn *t, struct vmo *vmo, uint64_t size);
long txn_place(struct txn *t, const struct vmar_req *req);

/* The plan: kernel-level steps, in order. */
void txn_map_vmo(struct txn *t, uint64_t addr, uint64_t len, struct vmo *vmo, uint64_t off,
		 int prot, int map_flags);
void txn_map_file(struct txn *t, uint64_t addr, uint64_t len, struct mm_file *file, uint64_t off,
		  int prot, int map_flags);
void txn_unmap(struct txn *t, uint64_t addr, uint64_t len);
/* map_flags MAP_LOCKED: a run of locked mappings; only the parts the kernel populates when
 * they become writable keep it (txn.c). */
void txn_protect(struct txn *t, uint64_t addr, uint64_t len, int prot, int map_flags);
/* The kernel moves [addr, addr + len) to new_addr, resized to new_len (see PLAN_MOVE). */
void txn_move(struct txn *t, uint64_t addr, uint64_t len, uint64_t new_addr, uint64_t new_len,
	      bool dontunmap);
/* A call passed through to the real address space (addr/len of the step: a0/a1). It must be
 * the plan's last step: it is never undone. */
void txn_syscall(struct txn *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);
/* The plan steps that put mapping m (or its part [start, end)) into the real address space. */
void txn_map_mapping(struct txn *t, const struct mapping *m, uint64_t start, uint64_t end,
		     int extra_map_flags);
/* The same for a new mapping `ext` that starts where `below` (in the model, or mapped by an
 * earlier step of this plan) ends: PLAN_GROW when ext continues below's backing (the table
 * would merge them), so that the kernel's mapping grows in place. ext's range must hold no
 * real mapping when the step runs (the kernel grows into free space only). */
void txn_map_above(struct txn *t, const struct mapping *below, const struct mapping *ext);

/* The model edit applied at the commit (table_set); takes ownership of news[0..n). */
void txn_set(struct txn *t, uint64_t start, uint64_t end, struct mapping **news, size_t n);
/* The mapping holding addr once the edits recorded so far are made (NULL: a hole). */
const struct mapping *txn_find(const struct txn *t, uint64_t addr);
/* Irreversible work after the commit point. */
/* AFTER_SHRINK: shrink the VMO to off when no mapping uses it at or above off, else
 * decommit [off, off + len). AFTER_DECOMMIT: decommit [off, off + len). */
void txn_after(struct txn *t, enum txn_after_op op, struct vmo *vmo, uint64_t off, uint64_t len,
	       uint64_t keep);

/* The backend's quiesce (every other thread of the address space stopped until the
 * operation is over; see mm_backend). 0 or -errno. */
long txn_quiesce(struct txn *t);

/* Runs the plan; on success commits the edits, then the after-work, and returns 0. On a
 * failure rolls everything back and returns the failed step's -errno. Ends the transaction. */
long txn_commit(struct txn *t);
/* Ends a transaction that failed while preparing: everything prepared is undone. Returns err. */
long txn_abort(struct txn *t, long err);

/* e when it is in allowed (0-terminated: the errors the syscall's man page lists), else
 * -ENOMEM: Linux's answer when an operation fails for lack of resources, which is what a
 * failure inside starmm (or an injected one) is to the program. */
long syscall_errno(long e, const int *allowed);

/* Whether [addr, addr + len) lies inside the VMAR and off its reserved slot. */
bool in_vmar(const struct vmar *v, uint64_t addr, uint64_t len);

/* munmap.c: the model edits, snapshot children and after-commit VMO trimming that removing
 * [start, end) needs (no plan step: the caller unmaps or maps over the range). 0, -EPERM (a
 * sealed mapping in the range: nothing prepared) or -errno of a failed prepare step. */
long unmap_prepare(struct txn *t, uint64_t start, uint64_t end);

/* Whether no mapping uses the VMO at or above offset off, given that `held` of its
 * references are not mappings' and that the mapping at address keep (0: none) is expected to
 * use it below off: the VMO may then be shrunk to off. */
bool vmo_unused_above(struct mm *mm, struct vmo *vmo, uint64_t off, int held, uint64_t keep);

/* Whether mapping flags a and b could be those of one Linux VMA (guard markers live in the
 * page tables, not in the VMA). */
static inline bool vma_flags_equal(unsigned a, unsigned b)
{
	return !((a ^ b) & ~MF_GUARD);
}

/* The map flags a plan step passes down for a mapping's flags (MAP_LOCKED...). */
int mapping_map_flags(const struct mapping *m);

#endif
