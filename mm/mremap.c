/*
 * mremap(2) on the model: Linux's argument checks in Linux's order (probed against the
 * running kernel), then:
 *  - shrink: the tail is removed as munmap removes it (unmap_prepare);
 *  - grow in place, when the old range ends its mapping and the space above is free: a
 *    private ANON VMO that nothing else uses beyond the range is grown first, then the
 *    extension is mapped at the next offset; otherwise the extension gets its own new VMO.
 *    Shared mappings never grow their object: as on Linux, the part beyond it faults (SIGBUS);
 *  - move (MREMAP_MAYMOVE at the VMAR's choice, or MREMAP_FIXED): the kernel moves the pages
 *    (a real mremap, so private file copy-on-write pages move too), then the extension as
 *    above; a FIXED target is first removed as munmap would. A FIXED shrink checks only the
 *    head that stays against its mapping: the tail is unmapped wherever it lies;
 *  - MREMAP_FIXED with old_len == new_len (Linux 6.17+, remap_move()): every mapping of the
 *    range moves to the same offset from new_addr, mapping after mapping; the holes between
 *    them are kept, and so is what the target holds at their offsets (move_mappings);
 *  - MREMAP_DONTUNMAP: private ANON: the old range gets a fresh zero VMO; shared and file
 *    mappings keep their object there (Linux since 5.13); the whole mapping is unlocked
 *    (leave_behind);
 *  - old_len 0 on a shared mapping: a second mapping of the same object range (an alias);
 *    EINVAL on private ones; a FIXED target at addr is unmapped, then EFAULT.
 */
#include <linux/mman.h>
#include <string.h>

#include "mm/internal.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

struct mremap_req {
	uint64_t addr, old_len, new_len, new_addr;
	int flags;
	struct mapping *vma; /* the mapping holding addr */
	uint64_t vma_end;    /* the end of its VMA: vma and the mappings guard markers split off */
};

static const int mremap_errnos[] = { EAGAIN, EFAULT, EINVAL, ENOMEM, EPERM, 0 };

static long check_args(struct mremap_req *r)
{
	if (r->flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((r->flags & MREMAP_FIXED) && !(r->flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if (PAGE_OFF(r->addr))
		return -EINVAL;
	r->old_len = PAGE_ALIGN(r->old_len);
	r->new_len = PAGE_ALIGN(r->new_len);
	/* Since Linux 6.16 the lengths are compared once page-aligned. */
	if ((r->flags & MREMAP_DONTUNMAP) &&
	    (!(r->flags & MREMAP_MAYMOVE) || r->old_len != r->new_len))
		return -EINVAL;
	if (!r->new_len || r->new_len > TASK_SIZE)
		return -EINVAL;
	if (r->addr + r->old_len < r->addr)
		return -EINVAL;
	if (r->flags & MREMAP_FIXED) {
		if (PAGE_OFF(r->new_addr) || r->new_addr > TASK_SIZE - r->new_len)
			return -EINVAL;
		/* overlapping old and new ranges */
		if (r->new_addr < r->addr + r->old_len && r->addr < r->new_addr + r->new_len)
			return -EINVAL;
	}
	return 0;
}

/*
 * check_prep_vma(): the mapping must hold the old range, or when shrinking (MREMAP_FIXED) the
 * head that stays: Linux unmaps the tail later, across mappings and holes (probed on 6.18: a
 * head leaving its mapping is EFAULT with nothing unmapped). Growth must be allowed.
 */
static long check_vma(struct mm *mm, struct mremap_req *r)
{
	struct mapping *m = r->vma;
	uint64_t delta;

	if (!r->old_len && !(m->flags & MF_SHARED))
		return -EINVAL;
	if ((r->new_len < r->old_len ? r->new_len : r->old_len) > r->vma_end - r->addr)
		return -EFAULT;
	if (r->new_len <= r->old_len)
		return 0;
	if (m->kind != MK_SPECIAL && m->off / PAGE + (r->addr - m->start + r->new_len) / PAGE <
					     m->off / PAGE)
		return -EINVAL;
	if (m->kind == MK_SPECIAL)
		return -EFAULT; /* VM_DONTEXPAND */
	delta = r->new_len - r->old_len;
	if (!mlock_future_ok(mm, m->flags & MF_LOCKED, delta))
		return -EAGAIN;
	if (!may_expand_vm(mm, mapping_is_data(m), delta / PAGE))
		return -ENOMEM;
	return 0;
}

/* The mapping for [start, end) taking over m's backing at vmo/file offset off. */
static struct mapping *piece(const struct mapping *m, uint64_t start, uint64_t end, uint64_t off)
{
	struct mapping *p = mapping_slice(m, m->start, m->start + (end - start));

	p->start = start;
	p->end = end;
	p->off = off;
	return p;
}

/*
 * The extension [at, at + len) of a mapping whose backing ends at offset off: the same VMO
 * grown when nothing else uses it beyond, else a new VMO; files and shared objects map on.
 */
static long extend(struct txn *t, const struct mapping *m, uint64_t at, uint64_t len,
		   uint64_t off, bool grow_vmo, struct mapping **out)
{
	struct mapping *ext;
	struct vmo *v;
	long e;

	if (m->kind == MK_ANON && !(m->flags & MF_SHARED) && !grow_vmo) {
		e = txn_vmo_create(t, len, 0, &v);
		if (e)
			return e;
		ext = piece(m, at, at + len, 0);
		vmo_unref(ext->vmo);
		ext->vmo = v;
		ext->flags &= ~MF_KERNEL;
		vmo_ref(v);
	} else {
		if (m->kind == MK_ANON && !(m->flags & MF_SHARED) &&
		    vmo_get_size(m->vmo) < off + len) {
			e = txn_vmo_grow(t, m->vmo, off + len);
			if (e)
				return e;
		}
		ext = piece(m, at, at + len, off);
	}
	ext->flags &= ~MF_GUARD; /* new pages: no marker */
	*out = ext;
	return 0;
}

/* Whether m's VMO may grow past offset end_off (nothing else uses it beyond). */
static bool may_grow_vmo(struct mm *mm, const struct mapping *m, uint64_t end_off)
{
	if (m->kind != MK_ANON || (m->flags & (MF_SHARED | MF_KERNEL)))
		return false;
	return vmo_unused_above(mm, m->vmo, end_off, 0, m->start);
}

static long shrink(struct mm *mm, struct mremap_req *r)
{
	struct txn t;
	long e;

	if (r->old_len == r->new_len)
		return (long)r->addr;
	txn_begin(&t, mm);
	e = unmap_prepare(&t, r->addr + r->new_len, r->addr + r->old_len);
	if (e)
		return txn_abort(&t, e);
	txn_set(&t, r->addr + r->new_len, r->addr + r->old_len, NULL, 0);
	txn_unmap(&t, r->addr + r->new_len, r->old_len - r->new_len);
	e = txn_commit(&t);
	return e ? e : (long)r->addr;
}

/* vma_expandable(): the old range ends its mapping and the space above it is free (no
 * stack guard gap: the kernel asks get_unmapped_area() with MAP_FIXED, which checks none). */
static bool expandable(struct mm *mm, const struct mremap_req *r)
{
	uint64_t end = r->addr + r->old_len, new_end = r->addr + r->new_len;
	struct mapping *next = mm_find_after(mm, end);

	if (end != r->vma_end || !in_vmar(&mm->vmar, end, new_end - end))
		return false;
	return !next || new_end <= next->start;
}

static long grow_in_place(struct mm *mm, struct mremap_req *r)
{
	const struct mapping *m = mm_find(mm, r->vma_end - 1);
	uint64_t end_off = m->off + (r->addr + r->old_len - m->start);
	struct mapping *ext;
	struct txn t;
	long e;

	txn_begin(&t, mm);
	e = extend(&t, m, r->addr + r->old_len, r->new_len - r->old_len, end_off,
		   may_grow_vmo(mm, m, end_off), &ext);
	if (e)
		return txn_abort(&t, e);
	txn_map_above(&t, m, ext);
	txn_set(&t, ext->start, ext->end, &ext, 1);
	e = txn_commit(&t);
	return e ? e : (long)r->addr;
}

/* Where the moved range goes: the FIXED address, or the VMAR's choice. */
static long target(struct txn *t, const struct mremap_req *r)
{
	struct vmar_req req = {
		.size = r->new_len,
		.flags = r->vma->flags & MF_GROWSDOWN ? VMAR_GUARD : 0,
	};

	if (r->flags & MREMAP_FIXED)
		return in_vmar(&t->mm->vmar, r->new_addr, r->new_len) ? (long)r->new_addr
								      : -ENOMEM;
	return txn_place(t, &req);
}

/* The kernel moves [addr, addr + len) of m to na, same size: the mapping there, on m's backing
 * (for the caller's txn_set). */
static struct mapping *move_part(struct txn *t, const struct mapping *m, uint64_t addr,
				 uint64_t len, uint64_t na, bool dontunmap)
{
	txn_move(t, addr, len, na, len, dontunmap);
	return piece(m, na, na + len, m->off + (addr - m->start));
}

/* [s, e) of m, on m's backing, without the flags `clear`. */
static void clear_part(struct txn *t, const struct mapping *m, uint64_t s, uint64_t e,
		       unsigned clear)
{
	struct mapping *p;

	if (s == e)
		return;
	p = piece(m, s, e, m->off + (s - m->start));
	p->flags &= ~clear;
	txn_set(t, s, e, &p, 1);
}

/*
 * What stays at [addr, addr + len) of m once its pages moved away (to the call's target
 * [tlo, thi)): nothing; with MREMAP_DONTUNMAP, for private ANON a fresh zero VMO (the old
 * range reads zero from now on, as Linux's emptied page tables do), while shared and file
 * mappings keep their object there; either way no longer locked. dontunmap_complete() clears
 * VM_LOCKED and VM_LOCKONFAULT on the whole VMA the old range lies in (probed on 6.18), so
 * the rest of m is unlocked too, m standing for that VMA (the kernel may have merged it with
 * its neighbours: see DT_SKIP_VMA_BOUNDS in the difftest). Not when the target lies in m:
 * removing it split the VMA, and unmap_prepare() may have replaced m's parts; only the old
 * range is unlocked then.
 */
static long leave_behind(struct txn *t, const struct mapping *m, uint64_t addr, uint64_t len,
			 bool dontunmap, uint64_t tlo, uint64_t thi)
{
	struct mapping *rest;
	struct vmo *v;
	long e;

	if (dontunmap && (m->flags & (MF_LOCKED | MF_LOCKONFAULT)) &&
	    (thi <= m->start || m->end <= tlo)) {
		clear_part(t, m, m->start, addr, MF_LOCKED | MF_LOCKONFAULT);
		clear_part(t, m, addr + len, m->end, MF_LOCKED | MF_LOCKONFAULT);
	}
	if (!dontunmap) {
		txn_set(t, addr, addr + len, NULL, 0);
	} else if (m->kind == MK_ANON && !(m->flags & MF_SHARED)) {
		e = txn_vmo_create(t, len, 0, &v);
		if (e)
			return e;
		rest = piece(m, addr, addr + len, 0);
		vmo_unref(rest->vmo);
		rest->vmo = v;
		rest->flags &= ~(MF_KERNEL | MF_LOCKED | MF_LOCKONFAULT | MF_GUARD);
		vmo_ref(v);
		txn_map_mapping(t, rest, addr, addr + len, 0);
		txn_set(t, addr, addr + len, &rest, 1);
	} else if (m->flags & (MF_LOCKED | MF_LOCKONFAULT | MF_GUARD)) {
		/* the guard markers went with the page tables */
		clear_part(t, m, addr, addr + len, MF_LOCKED | MF_LOCKONFAULT | MF_GUARD);
	}
	return 0;
}

/* A move that resizes, or is not MREMAP_FIXED: the old range lies in one VMA (r->vma up to
 * r->vma_end), which guard markers may have split into several mappings (pieces). */
static long move(struct mm *mm, struct mremap_req *r)
{
	bool dontunmap = r->flags & MREMAP_DONTUNMAP;
	/* What moves; nothing for an alias (old_len 0), which maps on from r->vma's offset. */
	uint64_t moved = r->new_len < r->old_len ? r->new_len : r->old_len, mend = r->addr + moved;
	const struct mapping *last = moved ? mm_find(mm, mend - 1) : r->vma, *now;
	uint64_t end_off = last->off + ((moved ? mend : r->addr) - last->start), a, b;
	/* Decided before any new reference to the VMO is taken below. */
	bool grow_vmo = moved && r->addr + r->old_len == last->end &&
			may_grow_vmo(mm, last, end_off);
	const struct mapping **srcs = NULL;
	struct mapping **news = NULL;
	size_t n = 0, npieces = 0;
	struct txn t;
	long na, e;

	txn_begin(&t, mm);
	na = target(&t, r);
	if (na < 0)
		return txn_abort(&t, na);
	/* DONTUNMAP comes here without MREMAP_FIXED only: its target is free. */
	if (dontunmap && !may_expand_vm(mm, mapping_is_data(r->vma), r->old_len / PAGE))
		return txn_abort(&t, -ENOMEM);
	/* A FIXED target loses what was there; a shrinking move loses the old tail. */
	e = unmap_prepare(&t, (uint64_t)na, (uint64_t)na + r->new_len);
	if (!e && r->old_len > r->new_len)
		e = unmap_prepare(&t, r->addr + r->new_len, r->addr + r->old_len);
	if (e)
		return txn_abort(&t, e);
	/* A target in the VMA below the old range made its top part a snapshot child
	 * (unmap_prepare()): the kernel moves that part's pages, and its VMO is not ours to
	 * grow. */
	now = txn_find(&t, moved ? mend - 1 : r->addr);
	if (now != last) {
		last = now;
		end_off = last->off + ((moved ? mend : r->addr) - last->start);
		grow_vmo = false;
	}
	for (a = r->addr; a < mend; a = txn_find(&t, a)->end)
		npieces++;
	srcs = xcalloc(npieces + 1, sizeof(*srcs));
	news = xcalloc(npieces + 1, sizeof(*news));
	if (r->old_len > r->new_len) {
		txn_set(&t, r->addr + r->new_len, r->addr + r->old_len, NULL, 0);
		txn_unmap(&t, r->addr + r->new_len, r->old_len - r->new_len);
	}
	for (a = r->addr; a < mend; a = b) {
		srcs[n] = txn_find(&t, a);
		b = srcs[n]->end < mend ? srcs[n]->end : mend;
		news[n] = move_part(&t, srcs[n], a, b - a, (uint64_t)na + (a - r->addr), dontunmap);
		n++;
	}
	if (r->new_len > moved) {
		/* An alias maps on the same object; growth beyond follows the usual rule. */
		e = extend(&t, last, (uint64_t)na + moved, r->new_len - moved, end_off, grow_vmo,
			   &news[n]);
		if (e) {
			while (n)
				mapping_free(news[--n]);
			goto out;
		}
		/* a FIXED target may hold mappings there still: PLAN_GROW needs free space */
		if (r->flags & MREMAP_FIXED)
			txn_unmap(&t, news[n]->start, news[n]->end - news[n]->start);
		txn_map_above(&t, n ? news[n - 1] : NULL, news[n]);
		n++;
	}
	txn_set(&t, (uint64_t)na, (uint64_t)na + r->new_len, news, n);
	/* An alias leaves the old range as it is. */
	for (size_t i = 0; i < npieces && !e; i++) {
		a = srcs[i]->start > r->addr ? srcs[i]->start : r->addr;
		b = srcs[i]->end < mend ? srcs[i]->end : mend;
		e = leave_behind(&t, srcs[i], a, b - a, dontunmap, (uint64_t)na,
				 (uint64_t)na + r->new_len);
	}
out:
	free(srcs);
	free(news);
	if (e)
		return txn_abort(&t, e);
	e = txn_commit(&t);
	return e ? e : na;
}

/*
 * vma_multi_allowed(): whether Linux moves this mapping along with others: not one whose file
 * places its mappings itself (a get_unmapped_area other than shmem's, hugetlbfs's or THP's,
 * which ext4, xfs and tmpfs files have): SysV shm (probed). Linux also refuses mappings armed
 * with userfaultfd, files of filesystems such as ramfs and devices whose driver places their
 * mappings (device DAX, io_uring rings); the model cannot tell those apart and moves them.
 */
static bool multi_allowed(const struct mapping *m)
{
	return m->kind != MK_SPECIAL || (m->flags & MF_HUGETLB) || !m->name ||
	       strcmp(m->name, "[sysv-shm]") != 0; /* import.c's name for SysV shm */
}

/* may_expand_vm() with the counters as the call has changed them so far (by d_total and
 * d_data pages): the model's own are adjusted for the question only. */
static bool may_expand_now(struct mm *mm, bool data, uint64_t npages, int64_t d_total,
			   int64_t d_data)
{
	bool ok;

	mm->total_pages += (uint64_t)d_total;
	mm->data_pages += (uint64_t)d_data;
	ok = may_expand_vm(mm, data, npages);
	mm->total_pages -= (uint64_t)d_total;
	mm->data_pages -= (uint64_t)d_data;
	return ok;
}

/*
 * MREMAP_FIXED with old_len == new_len: Linux's remap_move() (6.17+), probed on 6.18. EFAULT
 * when addr is in a hole, or when its mapping is not multi_allowed() and the range goes on
 * past it; else each mapping's part of the range moves to the same offset from new_addr, in
 * turn, as a FIXED move of its own: its target is unmapped, then (DONTUNMAP) may_expand_vm()
 * is asked. The holes of the range move nowhere: what the target holds at their offsets stays.
 * Linux stops at the first mapping it refuses and returns the error, keeping the moves made
 * before (and, for the limit, the unmapped target): a later mapping that is not
 * multi_allowed() (EFAULT), or the limit (ENOMEM). The whole call is one transaction: a plan
 * step that fails undoes all of it.
 *
 * Linux asks these questions per VMA, the model per mapping: only the limit's answer depends
 * on where VMAs begin and end (two mappings that are one VMA to the kernel are checked
 * together), and only under a finite RLIMIT_AS or RLIMIT_DATA. With DONTUNMAP Linux also
 * refuses a VM_DONTEXPAND or VM_PFNMAP mapping ([vdso], most devices: EINVAL before its
 * target is unmapped), which the model cannot see: the real mremap refuses it and the whole
 * call is undone, where Linux keeps the moves made before.
 */
static long move_mappings(struct mm *mm, const struct mremap_req *r)
{
	uint64_t end = r->addr + r->old_len;
	bool dontunmap = r->flags & MREMAP_DONTUNMAP;
	struct mapping *first = mm_find(mm, r->addr), *moved;
	const struct mapping *src;
	int64_t d_total = 0, d_data = 0;
	long err = 0, e;
	struct txn t;

	if (!first || (!multi_allowed(first) && first->end < end))
		return -EFAULT;
	if (first->flags & MF_SEALED)
		return -EPERM;
	if (!in_vmar(&mm->vmar, r->new_addr, r->new_len))
		return -ENOMEM;
	txn_begin(&t, mm);
	for (struct mapping *m = first; m && m->start < end; m = mm_next(mm, m)) {
		uint64_t a = m->start > r->addr ? m->start : r->addr;
		uint64_t len = (m->end < end ? m->end : end) - a, pages = len / PAGE;
		uint64_t na = r->new_addr + (a - r->addr), total, data, locked;

		if (m != first && !multi_allowed(m)) {
			err = -EFAULT;
			break;
		}
		if (m->flags & MF_SEALED) {
			err = -EPERM;
			break;
		}
		e = unmap_prepare(&t, na, na + len);
		if (e)
			return txn_abort(&t, e);
		if (dontunmap) {
			pages_in_range(mm, na, na + len, &total, &data, &locked);
			d_total -= (int64_t)total;
			d_data -= (int64_t)data;
			if (!may_expand_now(mm, mapping_is_data(m), pages, d_total, d_data)) {
				txn_set(&t, na, na + len, NULL, 0);
				txn_unmap(&t, na, len);
				err = -ENOMEM;
				break;
			}
			d_total += (int64_t)pages;
			d_data += mapping_is_data(m) ? (int64_t)pages : 0;
		}
		/* m as the target's removal left it (a snapshot child above a target in it) */
		src = txn_find(&t, a);
		moved = move_part(&t, src, a, len, na, dontunmap);
		txn_set(&t, na, na + len, &moved, 1);
		e = leave_behind(&t, src, a, len, dontunmap, r->new_addr, r->new_addr + r->new_len);
		if (e)
			return txn_abort(&t, e);
	}
	e = txn_commit(&t);
	return e ? e : err ? err : (long)r->new_addr;
}

long mm_mremap(struct mm *mm, uint64_t addr, uint64_t old_len, uint64_t new_len, int flags,
	       uint64_t new_addr)
{
	struct mremap_req r = {
		.addr = addr, .old_len = old_len, .new_len = new_len, .flags = flags,
		.new_addr = new_addr,
	};
	long e = check_args(&r);

	if (e)
		return e;
	if ((flags & MREMAP_FIXED) && r.old_len == r.new_len) {
		e = move_mappings(mm, &r);
		return e < 0 ? syscall_errno(e, mremap_errnos) : e;
	}
	r.vma = mm_find(mm, addr);
	if (!r.vma)
		return -EFAULT;
	if (r.vma->flags & MF_SEALED)
		return -EPERM; /* can_modify_vma() */
	r.vma_end = mapping_vma_end(mm, r.vma);
	if (!(flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) && r.old_len >= r.new_len) {
		e = shrink(mm, &r);
		return e < 0 ? syscall_errno(e, mremap_errnos) : e;
	}
	e = check_vma(mm, &r);
	if (e)
		return e;
	if ((flags & MREMAP_FIXED) && !r.old_len && r.new_addr == addr) {
		/* mremap_to() unmaps the target, then finds no mapping at addr any more (a target
		 * starting below addr overlapped: EINVAL). Probed on 6.18. */
		e = mm_munmap(mm, r.new_addr, r.new_len);
		return e ? e : -EFAULT;
	}
	if (!(flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) && r.old_len &&
	    r.new_len > r.old_len && expandable(mm, &r))
		e = grow_in_place(mm, &r);
	else if (flags & MREMAP_MAYMOVE)
		e = move(mm, &r);
	else
		e = -ENOMEM;
	return e < 0 ? syscall_errno(e, mremap_errnos) : e;
}
