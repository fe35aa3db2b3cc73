/*
 * mm_check: every invariant of the model, checked from scratch (the Linux kernel's
 * validate_mm, valgrind's sync checker without the kernel side). Tests run it after every
 * operation; it is O(n) and allocates only a hash of the VMOs in use.
 */
#include <stdarg.h>
#include <uthash.h>

#include "mm/internal.h"

struct vmo_use {
	const struct vmo *vmo;
	int mappings;
	UT_hash_handle hh;
};

static int fail(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return -EUCLEAN;
}

static int check_mapping(struct mm *mm, const struct mapping *m, const struct mapping *prev,
			 char *buf, size_t len)
{
	if (m->start >= m->end || PAGE_OFF(m->start) || PAGE_OFF(m->end))
		return fail(buf, len, "mapping %#lx-%#lx: bad bounds", m->start, m->end);
	if (prev && prev->end > m->start)
		return fail(buf, len, "mappings %#lx-%#lx and %#lx-%#lx overlap", prev->start,
			    prev->end, m->start, m->end);
	if (prev && prev->end == m->start && mapping_compatible(prev, m))
		return fail(buf, len, "mappings %#lx-%#lx and %#lx-%#lx were not merged",
			    prev->start, prev->end, m->start, m->end);
	if (!in_vmar(&mm->vmar, m->start, m->end - m->start))
		return fail(buf, len, "mapping %#lx-%#lx outside the VMAR", m->start, m->end);
	if (m->prot & ~m->max_prot)
		return fail(buf, len, "mapping %#lx-%#lx: prot %#x beyond max %#x", m->start,
			    m->end, m->prot, m->max_prot);
	switch (m->kind) {
	case MK_ANON:
		if (m->flags & MF_KERNEL) {
			if (m->vmo || m->file || (m->flags & MF_SHARED))
				return fail(buf, len,
					    "kernel anon mapping %#lx-%#lx with a VMO, a file "
					    "or shared",
					    m->start, m->end);
			break;
		}
		if (!m->vmo || m->file)
			return fail(buf, len, "anon mapping %#lx-%#lx without its VMO", m->start,
				    m->end);
		/* A shared mapping may extend past its object (mremap growth): that part
		 * faults with SIGBUS, as on Linux. Private memory always has its pages. */
		if (!(m->flags & MF_SHARED) && m->off + (m->end - m->start) > vmo_get_size(m->vmo))
			return fail(buf, len,
				    "mapping %#lx-%#lx: VMO %lu range %#lx+%#lx beyond its size "
				    "%#lx",
				    m->start, m->end, vmo_koid(m->vmo), m->off, m->end - m->start,
				    vmo_get_size(m->vmo));
		break;
	case MK_FILE:
		if (m->flags & MF_KERNEL)
			return fail(buf, len, "file mapping %#lx-%#lx marked kernel anon", m->start,
				    m->end);
		if (!m->file || m->vmo)
			return fail(buf, len, "file mapping %#lx-%#lx without its file", m->start,
				    m->end);
		break;
	case MK_SPECIAL:
		break;
	}
	return 0;
}

static int check_vmos(struct vmo_use *uses, char *buf, size_t len)
{
	struct vmo_use *u, *tmp;
	int r = 0;

	HASH_ITER(hh, uses, u, tmp) {
		if (!r && vmo_refs(u->vmo) < u->mappings)
			r = fail(buf, len, "VMO %lu: %d references for %d mappings",
				 vmo_koid(u->vmo), vmo_refs(u->vmo), u->mappings);
		HASH_DEL(uses, u);
		free(u);
	}
	return r;
}

static void count_use(struct vmo_use **uses, const struct vmo *vmo)
{
	struct vmo_use *u;

	HASH_FIND_PTR(*uses, &vmo, u);
	if (!u) {
		u = xcalloc(1, sizeof(*u));
		u->vmo = vmo;
		HASH_ADD_PTR(*uses, vmo, u);
	}
	u->mappings++;
}

/* The VMAR's allocations, coalesced, must be the mapped ranges, coalesced. */
static int check_vmar(struct mm *mm, char *buf, size_t len)
{
	struct vmar_node *n = vmar_first(&mm->vmar);
	struct mapping *m = mm_first(mm);

	while (m || n) {
		uint64_t ms = 0, me = 0, ns = 0, ne = 0;

		if (m) {
			ms = m->start;
			me = m->end;
			for (m = mm_next(mm, m); m && m->start == me; m = mm_next(mm, m))
				me = m->end;
		}
		if (n) {
			ns = n->start;
			ne = n->end;
			for (n = vmar_next(&mm->vmar, n); n && n->start == ne;
			     n = vmar_next(&mm->vmar, n))
				ne = n->end;
		}
		if (ms != ns || me != ne)
			return fail(buf, len, "table range %#lx-%#lx but VMAR range %#lx-%#lx", ms,
				    me, ns, ne);
	}
	return vmar_check(&mm->vmar, buf, len);
}

int mm_check(struct mm *mm, char *buf, size_t len)
{
	uint64_t count = 0, total = 0, data = 0, locked = 0;
	struct vmo_use *uses = NULL;
	struct mapping *prev = NULL;
	int r = 0;

	for (struct mapping *m = mm_first(mm); m && !r; prev = m, m = mm_next(mm, m)) {
		r = check_mapping(mm, m, prev, buf, len);
		count++;
		total += mapping_pages(m);
		data += mapping_is_data(m) ? mapping_pages(m) : 0;
		locked += m->flags & MF_LOCKED ? mapping_pages(m) : 0;
		if (m->vmo)
			count_use(&uses, m->vmo);
	}
	if (check_vmos(uses, buf, len) && !r)
		r = -EUCLEAN;
	if (r)
		return r;
	if (count != mm->count || total != mm->total_pages || data != mm->data_pages ||
	    locked != mm->locked_pages)
		return fail(buf, len,
			    "counters: %lu mappings %lu/%lu/%lu pages, table says %lu %lu/%lu/%lu",
			    mm->count, mm->total_pages, mm->data_pages, mm->locked_pages, count,
			    total, data, locked);
	if (mm->brk < mm->start_brk)
		return fail(buf, len, "break %#lx below its start %#lx", mm->brk, mm->start_brk);
	return check_vmar(mm, buf, len);
}
