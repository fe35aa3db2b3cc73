/*
 * mm_snapshot: the address space a fork gives the child, built before the kernel forks.
 *
 * Shared mappings keep their VMO (or file); private ANON mappings get SNAPSHOT children, one
 * per parent VMO, so that two mappings of one VMO (pieces of an mprotect split, say) stay
 * pieces of one VMO in the child; DONTFORK mappings are dropped; WIPEONFORK mappings get
 * fresh zero VMOs; memory locks are not inherited (as fork(2) says). Every copy is made
 * before anything is committed: a failure releases them all and returns -ENOMEM with the
 * child empty and the parent untouched.
 *
 * The child's real address space is the kernel's copy of the parent's, where every VMO
 * mapping still shows the parent's memfd: the returned plan re-points the child's private
 * ANON and WIPEONFORK ranges at their new VMOs and unmaps its DONTFORK ranges. Guard markers
 * (MF_GUARD) are inherited as Linux's fork gives them, except in WIPEONFORK memory; the plan
 * installs them again where it re-points a range, and (last, passed-through steps) where the
 * kernel's fork may not have copied them.
 */
#include <string.h>
#include <sys/syscall.h>
#include <uthash.h>

#include "mm/internal.h"

struct copy {
	const struct vmo *parent;
	struct vmo *child;
	UT_hash_handle hh;
};

static void drop_copies(struct copy **copies)
{
	struct copy *c, *tmp;

	HASH_ITER(hh, *copies, c, tmp) {
		HASH_DEL(*copies, c);
		vmo_unref(c->child);
		free(c);
	}
}

/* Private memory that lives in a VMO (kernel memory not yet adopted is copied by the
 * kernel's own fork, like private file pages). */
static bool private_anon(const struct mapping *m)
{
	return m->kind == MK_ANON && !(m->flags & (MF_SHARED | MF_WIPEONFORK | MF_KERNEL));
}

/* Every fallible copy: one snapshot per private parent VMO. */
static long copy_vmos(struct mm *parent, struct copy **copies)
{
	for (struct mapping *m = mm_first(parent); m; m = mm_next(parent, m)) {
		struct copy *c;
		long e;

		if ((m->flags & MF_DONTFORK) || !private_anon(m))
			continue;
		HASH_FIND_PTR(*copies, &m->vmo, c);
		if (c)
			continue;
		c = xcalloc(1, sizeof(*c));
		c->parent = m->vmo;
		e = vmo_create_child(m->vmo, VMO_CHILD_SNAPSHOT, 0, vmo_get_size(m->vmo),
				     &c->child);
		if (e) {
			free(c);
			return e;
		}
		HASH_ADD_PTR(*copies, parent, c);
	}
	return 0;
}

/* The child's version of m (a new reference on its backing), or NULL when m is dropped. */
static long child_mapping(struct mapping *m, struct copy *copies, struct mapping **out)
{
	struct mapping *c;
	struct copy *cp;
	long e;

	*out = NULL;
	if (m->flags & MF_DONTFORK)
		return 0;
	c = mapping_slice(m, m->start, m->end);
	c->flags &= ~(MF_LOCKED | MF_LOCKONFAULT);
	if (m->kind == MK_ANON && (m->flags & MF_WIPEONFORK)) {
		vmo_unref(c->vmo);
		c->vmo = NULL;
		e = vmo_create(m->end - m->start, "starmm-anon", &c->vmo);
		if (e) {
			mapping_free(c);
			return e;
		}
		c->off = 0;
		c->flags &= ~(MF_KERNEL | MF_GUARD); /* fresh memory: no page table copied */
	} else if (private_anon(m)) {
		HASH_FIND_PTR(copies, &m->vmo, cp);
		vmo_unref(c->vmo);
		c->vmo = cp->child;
		vmo_ref(c->vmo);
	}
	*out = c;
	return 0;
}

static void plan_push(struct plan *p, const struct plan_step *s)
{
	if (p->n == p->cap)
		p->steps = xrealloc(p->steps, (p->cap = p->cap ? 2 * p->cap : 16) * sizeof(*s));
	p->steps[p->n++] = *s;
}

long mm_snapshot(struct mm *parent, struct mm *child, const struct mm_backend *be,
		 void *be_ctx, struct plan *plan)
{
	struct mm_config cfg = {
		.vmar = parent->vmar.cfg,
		.be = be,
		.be_ctx = be_ctx,
		.split = parent->split,
		.start_brk = parent->start_brk,
		.start_data = parent->start_data,
		.end_data = parent->end_data,
		.ext_total_pages = parent->ext_total_pages,
		.ext_data_pages = parent->ext_data_pages,
	};
	struct copy *copies = NULL;
	struct plan guards = {0}; /* markers to install again, as the plan's last steps */
	long e;

	memset(plan, 0, sizeof(*plan));
	/* The child's placement continues from the parent's generator state. */
	cfg.vmar.seed = parent->vmar.rng;
	e = mm_init(child, &cfg);
	if (e)
		return e;
	child->vmar.origin = parent->vmar.origin;
	child->brk = parent->brk;
	e = copy_vmos(parent, &copies);
	for (struct mapping *m = mm_first(parent); m && !e; m = mm_next(parent, m)) {
		struct plan_step s = { .addr = m->start, .len = m->end - m->start };
		struct mapping *c;

		e = child_mapping(m, copies, &c);
		if (e)
			break;
		if (!c) {
			s.op = PLAN_UNMAP;
			plan_push(plan, &s);
			continue;
		}
		if (c->vmo && c->vmo != m->vmo) {
			s.op = PLAN_MAP_VMO;
			s.vmo = c->vmo;
			s.off = c->off;
			s.prot = c->prot;
			s.map_flags = mapping_map_flags(c);
			/* the kernel copied the markers; remapping drops them */
			s.guard = c->flags & MF_GUARD;
			plan_push(plan, &s);
		} else if (c->flags & MF_GUARD) {
			/* Linux before 6.18 (no VM_MAYBE_GUARD) copies no page tables of a
			 * shared file mapping, markers included: install them (again). */
			struct plan_step g = {.op = PLAN_SYSCALL, .addr = c->start,
					      .len = c->end - c->start, .nr = SYS_madvise,
					      .args = {c->start, c->end - c->start,
						       MADV_GUARD_INSTALL}};

			plan_push(&guards, &g);
		}
		/* The mutation primitive cannot fail: no fault point may fire inside it. */
		fault_hold();
		table_set(child, c->start, c->end, &c, 1);
		fault_release();
	}
	for (size_t i = 0; i < guards.n && !e; i++)
		plan_push(plan, &guards.steps[i]);
	free(guards.steps);
	drop_copies(&copies); /* the child's mappings hold their own references */
	if (e) {
		mm_destroy(child);
		free(plan->steps);
		memset(plan, 0, sizeof(*plan));
		return -ENOMEM;
	}
	return 0;
}
