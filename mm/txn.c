/*
 * Transactions: how every operation changes the model and the real address space.
 *
 * An operation prepares everything that can fail and be undone (new VMOs, snapshot copies,
 * VMO growth, VMAR placement), records its kernel-level plan and its model edits, then calls
 * txn_commit:
 *   1. the backend runs the whole plan in one go;
 *   2. if step k failed, the undo plan restores every range steps 0..k-1 touched to what the
 *      (still unchanged) model says, everything prepared is released, and the operation
 *      returns the errno Linux gives for lack of resources;
 *   3. otherwise the commit point: the edits go through table_set, then the irreversible
 *      work (shrinking or decommitting VMOs), which may not fail.
 * No fault point fires during a rollback or after the commit point (fault_hold). A failed
 * undo step, or a failed step after the commit point, is starmm's own failure: it is
 * reported and mm->failed is set.
 */
#include <stdio.h>
#include <string.h>

#include "mm/internal.h"

#define PUSH(arr, n, cap)                                                                   \
	(((n) == (cap) ? ((cap) = (cap) ? 2 * (cap) : 8,                                    \
			  (arr) = xrealloc((arr), (cap) * sizeof(*(arr))))                    \
		       : 0),                                                                \
	 &(arr)[(n)++])

void txn_begin(struct txn *t, struct mm *mm)
{
	memset(t, 0, sizeof(*t));
	t->mm = mm;
	mm->stats.ops++;
}

long txn_vmo_create(struct txn *t, uint64_t size, unsigned vmo_flags, struct vmo **out)
{
	long r = vmo_create_ex(size, "starmm-anon", vmo_flags, out);

	if (r == 0)
		*PUSH(t->vmos, t->nvmos, t->capvmos) = *out;
	return r;
}

long txn_quiesce(struct txn *t)
{
	const struct mm_backend *be = t->mm->be;

	return be->quiesce ? be->quiesce(t->mm->be_ctx) : 0;
}

/* The copy must not race with the program's writes to the parent's pages. */
long txn_vmo_snapshot(struct txn *t, struct vmo *parent, uint64_t off, uint64_t size,
		      struct vmo **out)
{
	long r = txn_quiesce(t);

	if (r == 0)
		r = vmo_create_child(parent, VMO_CHILD_SNAPSHOT, off, size, out);

	if (r == 0)
		*PUSH(t->vmos, t->nvmos, t->capvmos) = *out;
	return r;
}

long txn_vmo_grow(struct txn *t, struct vmo *vmo, uint64_t size)
{
	uint64_t old = vmo_get_size(vmo);
	long r = vmo_set_size(vmo, size);

	if (r == 0)
		*PUSH(t->grown, t->ngrown, t->capgrown) = (struct txn_undo_vmo){ vmo, old };
	return r;
}

long txn_place(struct txn *t, const struct vmar_req *req)
{
	long addr = vmar_alloc(&t->mm->vmar, req);

	if (addr >= 0) {
		*PUSH(t->placed, t->nplaced, t->capplaced) = (uint64_t)addr;
		*PUSH(t->placed, t->nplaced, t->capplaced) = req->size;
	}
	return addr;
}

static struct plan_step *step(struct txn *t, enum plan_op op, uint64_t addr, uint64_t len)
{
	struct plan_step *s = PUSH(t->plan.steps, t->plan.n, t->plan.cap);

	memset(s, 0, sizeof(*s));
	s->op = op;
	s->addr = addr;
	s->len = len;
	return s;
}

void txn_map_vmo(struct txn *t, uint64_t addr, uint64_t len, struct vmo *vmo, uint64_t off,
		 int prot, int map_flags)
{
	struct plan_step *s = step(t, PLAN_MAP_VMO, addr, len);

	s->vmo = vmo;
	s->off = off;
	s->prot = prot;
	s->map_flags = map_flags;
}

void txn_map_file(struct txn *t, uint64_t addr, uint64_t len, struct mm_file *file, uint64_t off,
		  int prot, int map_flags)
{
	struct plan_step *s = step(t, PLAN_MAP_FILE, addr, len);

	s->file = file;
	s->off = off;
	s->prot = prot;
	s->map_flags = map_flags;
}

void txn_unmap(struct txn *t, uint64_t addr, uint64_t len)
{
	step(t, PLAN_UNMAP, addr, len);
}

/*
 * The map flags a step passes down for m. MAP_LOCKED tells the backend that the kernel
 * populates the memory (when mapped, or made writable); it never populates VM_LOCKONFAULT
 * memory (populate_vma_page_range()), which goes without it.
 */
static int step_map_flags(const struct mapping *m)
{
	int flags = mapping_map_flags(m);

	return m->flags & MF_LOCKONFAULT ? flags & ~MAP_LOCKED : flags;
}

static void protect_step(struct txn *t, uint64_t addr, uint64_t len, int prot, int map_flags)
{
	struct plan_step *s = step(t, PLAN_PROTECT, addr, len);

	s->prot = prot;
	s->map_flags = map_flags;
}

/* mprotect_fixup(): the kernel populates (for write) a private locked mapping that becomes
 * writable: not one that was writable already, nor VM_LOCKONFAULT memory. m: as before. */
static bool populated_if_writable(const struct mapping *m)
{
	return (step_map_flags(m) & MAP_LOCKED) && !(m->flags & MF_SHARED) &&
	       !(m->prot & PROT_WRITE);
}

/* A locked range (MAP_LOCKED) keeps MAP_LOCKED only where the table's mappings, as they are
 * before the call, are populated_if_writable(): one step per run of each. */
void txn_protect(struct txn *t, uint64_t addr, uint64_t len, int prot, int map_flags)
{
	uint64_t end = addr + len, at = addr;
	int run = map_flags;

	if (!(map_flags & MAP_LOCKED)) {
		protect_step(t, addr, len, prot, map_flags);
		return;
	}
	for (struct mapping *m = table_from(t->mm, addr); m && m->start < end;
	     m = mm_next(t->mm, m)) {
		int flags = populated_if_writable(m) ? map_flags : map_flags & ~MAP_LOCKED;
		uint64_t s = m->start > addr ? m->start : addr;

		if (flags != run && s > at) {
			protect_step(t, at, s - at, prot, run);
			at = s;
		}
		run = flags;
	}
	protect_step(t, at, end - at, prot, run);
}

void txn_move(struct txn *t, uint64_t addr, uint64_t len, uint64_t new_addr, uint64_t new_len,
	      bool dontunmap)
{
	struct plan_step *s = step(t, PLAN_MOVE, addr, len);

	s->new_addr = new_addr;
	s->new_len = new_len;
	s->dontunmap = dontunmap;
}

void txn_syscall(struct txn *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct plan_step *s = step(t, PLAN_SYSCALL, a0, a1);

	s->nr = nr;
	s->args[0] = a0;
	s->args[1] = a1;
	s->args[2] = a2;
	s->args[3] = a3;
}

void txn_map_mapping(struct txn *t, const struct mapping *m, uint64_t start, uint64_t end,
		     int extra_map_flags)
{
	uint64_t off = m->off + (start - m->start);
	int flags = step_map_flags(m) | extra_map_flags;

	if (m->kind == MK_ANON)
		txn_map_vmo(t, start, end - start, m->vmo, off, m->prot, flags);
	else
		txn_map_file(t, start, end - start, m->file, off, m->prot,
			     flags | (m->flags & MF_SHARED ? MAP_SHARED : MAP_PRIVATE));
	t->plan.steps[t->plan.n - 1].guard = m->flags & MF_GUARD;
}

void txn_map_above(struct txn *t, const struct mapping *below, const struct mapping *ext)
{
	if (below && below->end == ext->start && mapping_compatible(below, ext)) {
		struct plan_step *s = step(t, PLAN_GROW, ext->start, ext->end - ext->start);

		s->prot = ext->prot;
		s->map_flags = step_map_flags(ext) |
			       (ext->flags & MF_SHARED ? MAP_SHARED : MAP_PRIVATE);
	} else
		txn_map_mapping(t, ext, ext->start, ext->end, 0);
}

void txn_set(struct txn *t, uint64_t start, uint64_t end, struct mapping **news, size_t n)
{
	struct txn_edit *e = PUSH(t->edits, t->nedits, t->capedits);

	e->start = start;
	e->end = end;
	e->n = n;
	e->news = n ? xcalloc(n, sizeof(*news)) : NULL;
	if (n)
		memcpy(e->news, news, n * sizeof(*news));
}

const struct mapping *txn_find(const struct txn *t, uint64_t addr)
{
	for (size_t i = t->nedits; i-- > 0;) {
		const struct txn_edit *e = &t->edits[i];

		if (addr < e->start || addr >= e->end)
			continue;
		for (size_t j = 0; j < e->n; j++)
			if (e->news[j]->start <= addr && addr < e->news[j]->end)
				return e->news[j];
		return NULL;
	}
	return mm_find(t->mm, addr);
}

void txn_after(struct txn *t, enum txn_after_op op, struct vmo *vmo, uint64_t off, uint64_t len,
	       uint64_t keep)
{
	vmo_ref(vmo);
	*PUSH(t->after, t->nafter, t->capafter) = (struct txn_after){ op, vmo, off, len, keep };
}

/* References the transaction itself holds on vmo (not the table's). */
static int held_refs(const struct txn *t, const struct vmo *vmo)
{
	int n = 0;

	for (size_t i = 0; i < t->nafter; i++)
		n += t->after[i].vmo == vmo;
	for (size_t i = 0; i < t->nvmos; i++)
		n += t->vmos[i] == vmo;
	return n;
}

/* The steps that bring [a, b) back to what the model says: its mappings, or holes. */
static void restore_range(struct txn *undo, struct mm *mm, uint64_t a, uint64_t b)
{
	uint64_t at = a;

	for (struct mapping *m = table_from(mm, a); m && m->start < b; m = mm_next(mm, m)) {
		uint64_t s = m->start > a ? m->start : a, e = m->end < b ? m->end : b;

		if (s > at)
			txn_unmap(undo, at, s - at);
		if (m->kind == MK_SPECIAL || (m->flags & MF_KERNEL)) {
			/* Only the kernel can make these (special mappings, its own anonymous
			 * memory): a plan that replaced them cannot bring them back. */
			fprintf(stderr, "starmm: cannot restore special mapping %#lx-%#lx\n",
				(unsigned long)s, (unsigned long)e);
			mm->failed = true;
		} else {
			txn_map_mapping(undo, m, s, e, 0);
		}
		at = e;
	}
	if (at < b)
		txn_unmap(undo, at, b - at);
}

static void reprotect_range(struct txn *undo, struct mm *mm, uint64_t a, uint64_t b)
{
	for (struct mapping *m = table_from(mm, a); m && m->start < b; m = mm_next(mm, m)) {
		uint64_t s = m->start > a ? m->start : a, e = m->end < b ? m->end : b;

		protect_step(undo, s, e - s, m->prot, 0); /* restoring populates nothing */
	}
}

/* Undoes steps [0, done), and the failed step `done` too when it reached the kernel (a
 * kernel failure may leave part of its range changed: a MAP_FIXED that tore the old mapping
 * down, an mprotect that changed some of the range). */
static void run_undo(struct txn *t, size_t done)
{
	struct mm *mm = t->mm;
	struct txn undo;
	size_t ok, n = done + (done < t->plan.n && t->plan.steps[done].touched);

	if (!n)
		return;
	memset(&undo, 0, sizeof(undo));
	undo.mm = mm;
	for (size_t i = n; i-- > 0;) {
		struct plan_step *s = &t->plan.steps[i];

		if (s->op == PLAN_SYSCALL)
			continue; /* passed-through calls come last in a plan: nothing to undo */
		if (s->op == PLAN_MOVE && i == done)
			continue; /* a failed mremap moved nothing */
		if (s->op == PLAN_MOVE) {
			/* Pages go back where they were, then the target gets its old content. */
			if (!s->dontunmap)
				txn_move(&undo, s->new_addr, s->new_len, s->addr, s->len, false);
			restore_range(&undo, mm, s->new_addr, s->new_addr + s->new_len);
			continue;
		}
		if (s->op == PLAN_PROTECT)
			reprotect_range(&undo, mm, s->addr, s->addr + s->len);
		else
			restore_range(&undo, mm, s->addr, s->addr + s->len);
	}
	ok = mm->be->run(mm->be_ctx, &undo.plan);
	if (ok != undo.plan.n) {
		fprintf(stderr, "starmm: rollback failed at step %zu of %zu: %s\n", ok,
			undo.plan.n, strerror((int)-undo.plan.steps[ok].result));
		mm->failed = true;
	}
	free(undo.plan.steps);
}

static void release(struct txn *t, bool committed)
{
	for (size_t i = 0; i < t->nedits; i++) {
		if (!committed)
			for (size_t j = 0; j < t->edits[i].n; j++)
				mapping_free(t->edits[i].news[j]);
		free(t->edits[i].news);
	}
	for (size_t i = 0; i < t->nafter; i++)
		vmo_unref(t->after[i].vmo);
	for (size_t i = 0; i < t->nvmos; i++)
		vmo_unref(t->vmos[i]);
	free(t->plan.steps);
	free(t->vmos);
	free(t->grown);
	free(t->placed);
	free(t->edits);
	free(t->after);
}

long txn_abort(struct txn *t, long err)
{
	fault_hold();
	for (size_t i = t->ngrown; i-- > 0;)
		if (vmo_set_size(t->grown[i].vmo, t->grown[i].old_size) < 0)
			t->mm->failed = true;
	for (size_t i = 0; i < t->nplaced; i += 2)
		vmar_release(&t->mm->vmar, t->placed[i], t->placed[i + 1]);
	release(t, false);
	fault_release();
	t->mm->stats.rollbacks++;
	return err;
}

static void after_commit(struct txn *t)
{
	for (size_t i = 0; i < t->nafter; i++) {
		struct txn_after *a = &t->after[i];
		long r;

		uint64_t size = vmo_get_size(a->vmo);

		/* An earlier entry may have shrunk the same VMO already; and a VMO no mapping
		 * holds any more goes with the transaction's references: nothing to trim. */
		if (a->off >= size || vmo_refs(a->vmo) == held_refs(t, a->vmo))
			continue;
		if (a->op == AFTER_SHRINK &&
		    vmo_unused_above(t->mm, a->vmo, a->off, held_refs(t, a->vmo), a->keep))
			r = vmo_set_size(a->vmo, a->off);
		else
			r = vmo_op_range(a->vmo, VMO_OP_DECOMMIT, a->off,
					 a->len < size - a->off ? a->len : size - a->off);
		if (r < 0) {
			fprintf(stderr, "starmm: after commit: VMO %lu: %s\n",
				(unsigned long)vmo_koid(a->vmo), strerror((int)-r));
			t->mm->failed = true;
		}
	}
}

/* Steps that change mappings (a passed-through call is one kernel operation). */
static size_t visible_steps(const struct plan *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += p->steps[i].op != PLAN_SYSCALL;
	return n;
}

long txn_commit(struct txn *t)
{
	struct mm *mm = t->mm;
	size_t done = 0;
	long r;

	if (visible_steps(&t->plan) > 1 && (r = txn_quiesce(t)) < 0)
		return txn_abort(t, r);
	if (t->plan.n) {
		mm->stats.plans++;
		mm->stats.steps += t->plan.n;
		done = mm->be->run(mm->be_ctx, &t->plan);
	}
	if (done < t->plan.n) {
		long err = t->plan.steps[done].result;

		/* -ESRCH: the process died under the plan; its address space is gone with it. */
		if (err != -ESRCH) {
			fault_hold();
			run_undo(t, done);
			fault_release();
		}
		return txn_abort(t, err < 0 ? err : -EIO);
	}
	fault_hold();
	for (size_t i = 0; i < t->nedits; i++)
		table_set(mm, t->edits[i].start, t->edits[i].end, t->edits[i].news,
			  t->edits[i].n);
	after_commit(t);
	release(t, true);
	fault_release();
	return 0;
}
