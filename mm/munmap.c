/*
 * munmap(2) on the model, and unmap_prepare, the removal of a range that mmap(MAP_FIXED) and
 * brk share.
 *
 * The Starnix translation for private anonymous memory (shared/STARNIX-MM.md, "Unmap and
 * remap"): unmapping the middle of a mapping makes the top part a SNAPSHOT child of the VMO,
 * mapped over the top part in one replacing map, and the VMO is shrunk to the bottom part
 * when no other mapping uses it beyond that point (else the unmapped range is decommitted).
 * Head and tail trims copy nothing: the head is decommitted, the tail shrunk (same rule).
 * With --split=offset the middle case keeps one VMO: the top part stays at its offset and the
 * middle is decommitted. Shared anonymous and file mappings keep their objects untouched:
 * their content outlives a mapping, as on Linux.
 *
 * Plan order: the snapshot maps (reversible: the old VMO range can be mapped back) come
 * before the unmap; shrinking and decommitting happen after the commit point.
 */
#include "mm/internal.h"

static uint64_t vmo_off_at(const struct mapping *m, uint64_t addr)
{
	return m->off + (addr - m->start);
}

/* The top part [e, top_end) of a mapping whose middle goes (m holds e; pieces that guard
 * markers split off follow it): a snapshot child mapped over it, piece by piece. */
static long split_top(struct txn *t, struct mapping *m, uint64_t e, uint64_t top_end)
{
	struct vmo *child;
	long r = txn_vmo_snapshot(t, m->vmo, vmo_off_at(m, e), top_end - e, &child);

	if (r)
		return r;
	for (uint64_t s = e;; m = mm_next(t->mm, m), s = m->start) {
		struct mapping *top = mapping_slice(m, s, m->end);

		vmo_unref(top->vmo);
		top->vmo = child;
		vmo_ref(child);
		top->off = s - e;
		txn_map_mapping(t, top, top->start, top->end, 0);
		txn_set(t, top->start, top->end, &top, 1);
		if (m->end == top_end)
			return 0;
	}
}

/* A mapping that will still use m's VMO below the removed part, as a hint for the shrink
 * decision: m's own bottom, or the previous mapping when it shares the VMO (an mprotect
 * split). 0 when none is known. */
static uint64_t kept_user(struct mapping *m, bool head)
{
	struct mapping *prev = mm_tree_RB_PREV(m);

	if (!head)
		return m->start;
	return prev && prev->vmo == m->vmo ? prev->start : 0;
}

static long remove_part(struct txn *t, struct mapping *m, uint64_t s, uint64_t e)
{
	bool head = s == m->start, tail = e == m->end;
	uint64_t top_end;

	if (m->kind != MK_ANON || (m->flags & (MF_SHARED | MF_KERNEL)))
		return 0;
	if (tail) {
		txn_after(t, AFTER_SHRINK, m->vmo, vmo_off_at(m, s), m->end - s,
			  kept_user(m, head));
		return 0;
	}
	if (head || t->mm->split == MM_SPLIT_OFFSET) {
		txn_after(t, AFTER_DECOMMIT, m->vmo, vmo_off_at(m, s), e - s, 0);
		return 0;
	}
	/* The middle: the old VMO keeps the bottom part only. */
	top_end = mapping_vma_end(t->mm, m); /* guard pieces above go with the top part */
	txn_after(t, AFTER_SHRINK, m->vmo, vmo_off_at(m, s), top_end - s, m->start);
	return split_top(t, m, e, top_end);
}

long unmap_prepare(struct txn *t, uint64_t start, uint64_t end)
{
	for (struct mapping *m = table_from(t->mm, start); m && m->start < end;
	     m = mm_next(t->mm, m))
		if (m->flags & MF_SEALED)
			return -EPERM; /* can_modify_vma(), before anything is gathered */
	for (struct mapping *m = table_from(t->mm, start); m && m->start < end;
	     m = mm_next(t->mm, m)) {
		long r = remove_part(t, m, m->start > start ? m->start : start,
				     m->end < end ? m->end : end);

		if (r)
			return r;
	}
	return 0;
}

static const int munmap_errnos[] = { EINVAL, ENOMEM, EPERM, 0 };

long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t end;
	struct txn t;
	long r;

	/* do_vmi_munmap() */
	if (PAGE_OFF(addr) || addr > TASK_SIZE || len > TASK_SIZE - addr)
		return -EINVAL;
	end = addr + PAGE_ALIGN(len);
	if (end == addr)
		return -EINVAL;
	if (!mm_find_after(mm, addr) || mm_find_after(mm, addr)->start >= end)
		return 0; /* nothing mapped there: Linux succeeds */
	txn_begin(&t, mm);
	r = unmap_prepare(&t, addr, end);
	if (r)
		return txn_abort(&t, r == -EPERM ? r : -ENOMEM);
	txn_set(&t, addr, end, NULL, 0);
	txn_unmap(&t, addr, end - addr);
	r = txn_commit(&t);
	return r ? syscall_errno(r, munmap_errnos) : 0;
}
