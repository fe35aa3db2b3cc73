/*
 * brk(2) on the model, following the brk syscall of mm/mmap.c: on any refusal the current
 * break is returned (Linux's way of failing), never an errno.
 *
 * Translation: the heap is ANON memory backed by one VMO, resized as the break moves. Growth
 * first grows the heap's VMO (when the mapping just below the old break is the heap's and
 * ends at its VMO's end) and maps the new range at the next offset, or else makes a new VMO
 * for the new range (after the program unmapped or changed part of its heap). Shrinking is
 * munmap of [new break, old break) (unmap_prepare), which shrinks the VMO after the commit.
 */
#include <linux/capability.h>

#include "mm/internal.h"

/* mm.def_flags' VM_LOCKED (mlockall(MCL_FUTURE)) is not modelled yet: brk memory is unlocked. */

static bool data_rlimit_ok(struct mm *mm, uint64_t brk)
{
	uint64_t rlim = mm_rlimit(mm, RLIMIT_DATA);

	/* check_data_rlimit() */
	return rlim == RLIM_INFINITY ||
	       (brk - mm->start_brk) + (mm->end_data - mm->start_data) <= rlim;
}

/* The gap rule of the brk syscall: the next mapping (less its stack guard gap when it grows
 * down) must start at least a page above the new break. */
static bool room_above(struct mm *mm, uint64_t oldbrk, uint64_t newbrk)
{
	struct mapping *next = table_from(mm, oldbrk);
	uint64_t gap_start;

	if (!next || next->start >= newbrk + PAGE + STACK_GUARD_GAP)
		return true;
	gap_start = next->start;
	if (next->flags & MF_GROWSDOWN)
		gap_start = gap_start > STACK_GUARD_GAP ? gap_start - STACK_GUARD_GAP : 0;
	return newbrk + PAGE <= gap_start;
}

static long grow(struct mm *mm, uint64_t oldbrk, uint64_t newbrk)
{
	struct mapping *prev = oldbrk > mm->start_brk ? mm_find(mm, oldbrk - 1) : NULL;
	struct mapping *m = mapping_new();
	uint64_t len = newbrk - oldbrk;
	struct txn t;
	long r;

	txn_begin(&t, mm);
	m->start = oldbrk;
	m->end = newbrk;
	m->kind = MK_ANON;
	m->prot = PROT_READ | PROT_WRITE;
	m->max_prot = PROT_ALL;
	m->flags = MF_BRK;
	if (prev && prev->end == oldbrk && prev->kind == MK_ANON && prev->flags == MF_BRK &&
	    prev->prot == m->prot && vmo_refs(prev->vmo) == 1 &&
	    vmo_get_size(prev->vmo) == prev->off + (prev->end - prev->start)) {
		m->vmo = prev->vmo;
		m->off = vmo_get_size(prev->vmo);
		r = txn_vmo_grow(&t, m->vmo, m->off + len);
	} else {
		r = txn_vmo_create(&t, len, 0, &m->vmo);
	}
	if (r) {
		m->vmo = NULL; /* no reference taken yet */
		mapping_free(m);
		return txn_abort(&t, r);
	}
	vmo_ref(m->vmo);
	txn_map_above(&t, prev, m); /* the heap's kernel mapping grows in place */
	txn_set(&t, m->start, m->end, &m, 1);
	return txn_commit(&t);
}

static long shrink(struct mm *mm, uint64_t newbrk, uint64_t oldbrk)
{
	struct mapping *m = table_from(mm, newbrk);
	struct txn t;
	long r;

	if (!m || m->start >= oldbrk)
		return -EINVAL; /* something else than the heap is there */
	txn_begin(&t, mm);
	r = unmap_prepare(&t, newbrk, oldbrk);
	if (r)
		return txn_abort(&t, r);
	txn_set(&t, newbrk, oldbrk, NULL, 0);
	txn_unmap(&t, newbrk, oldbrk - newbrk);
	return txn_commit(&t);
}

long mm_brk(struct mm *mm, uint64_t brk)
{
	uint64_t newbrk, oldbrk;

	if (!mm->start_brk || brk < mm->start_brk)
		return (long)mm->brk;
	if (!data_rlimit_ok(mm, brk))
		return (long)mm->brk;
	newbrk = PAGE_ALIGN(brk);
	oldbrk = PAGE_ALIGN(mm->brk);
	if (newbrk == oldbrk) {
		mm->brk = brk;
		return (long)brk;
	}
	if (brk <= mm->brk) {
		if (shrink(mm, newbrk, oldbrk))
			return (long)mm->brk;
		mm->brk = brk;
		return (long)brk;
	}
	/* check_brk_limits(): get_unmapped_area(MAP_FIXED) and mlock_future_ok() */
	if (newbrk - oldbrk > TASK_SIZE || oldbrk > TASK_SIZE - (newbrk - oldbrk) ||
	    !in_vmar(&mm->vmar, oldbrk, newbrk - oldbrk))
		return (long)mm->brk;
	if (!room_above(mm, oldbrk, newbrk))
		return (long)mm->brk;
	/* do_brk_flags(): the heap is data */
	if (!may_expand_vm(mm, true, (newbrk - oldbrk) / PAGE))
		return (long)mm->brk;
	if (grow(mm, oldbrk, newbrk))
		return (long)mm->brk;
	mm->brk = brk;
	return (long)brk;
}
