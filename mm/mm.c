/*
 * struct mm: creation, lookup, iteration, and Linux's accounting of an address space
 * (total_vm, data_vm, locked_vm and the resource limits they are checked against).
 *
 * The counters are kept by the table (account() on every insert, clip and erase); the limits
 * come from the backend, which knows the real process.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>

#include "mm/internal.h"

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fputs("starmm: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		fputs("starmm: out of memory\n", stderr);
		abort();
	}
	return p;
}

int mm_init(struct mm *mm, const struct mm_config *cfg)
{
	int r;

	memset(mm, 0, sizeof(*mm));
	r = vmar_init(&mm->vmar, &cfg->vmar);
	if (r < 0)
		return r;
	RB_INIT(&mm->maps);
	mm->be = cfg->be;
	mm->be_ctx = cfg->be_ctx;
	mm->split = cfg->split;
	mm->start_brk = mm->brk = cfg->start_brk;
	mm->start_data = cfg->start_data;
	mm->end_data = cfg->end_data;
	mm->ext_total_pages = cfg->ext_total_pages;
	mm->ext_data_pages = cfg->ext_data_pages;
	mm->ext_locked_pages = cfg->ext_locked_pages;
	return 0;
}

void mm_destroy(struct mm *mm)
{
	struct mapping *m, *next;

	RB_FOREACH_SAFE(m, mm_tree, &mm->maps, next) {
		RB_REMOVE(mm_tree, &mm->maps, m);
		mapping_free(m);
	}
	mm->count = mm->total_pages = mm->data_pages = mm->locked_pages = 0;
	vmar_destroy(&mm->vmar);
}

struct mapping *mm_find(struct mm *mm, uint64_t addr)
{
	struct mapping *m = table_from(mm, addr);

	return m && m->start <= addr ? m : NULL;
}

struct mapping *mm_find_after(struct mm *mm, uint64_t addr)
{
	return table_from(mm, addr);
}

struct mapping *mm_first(struct mm *mm)
{
	return RB_MIN(mm_tree, &mm->maps);
}

struct mapping *mm_next(struct mm *mm, struct mapping *m)
{
	(void)mm;
	return RB_NEXT(mm_tree, &mm->maps, m);
}

struct mapping *mm_prev(struct mm *mm, struct mapping *m)
{
	(void)mm;
	return RB_PREV(mm_tree, &mm->maps, m);
}

const char *mapping_kind_name(enum mapping_kind k)
{
	static const char *const names[] = {
		[MK_ANON] = "anon",
		[MK_FILE] = "file",
		[MK_SPECIAL] = "special",
	};
	return names[k];
}

uint64_t mapping_pages(const struct mapping *m)
{
	return (m->end - m->start) / PAGE;
}

bool mapping_is_data(const struct mapping *m)
{
	return (m->prot & PROT_WRITE) && !(m->flags & (MF_SHARED | MF_GROWSDOWN));
}

void account(struct mm *mm, const struct mapping *m, int sign)
{
	uint64_t n = mapping_pages(m) * (uint64_t)(int64_t)sign;

	mm->total_pages += n;
	if (mapping_is_data(m))
		mm->data_pages += n;
	if (m->flags & MF_LOCKED)
		mm->locked_pages += n;
}

void pages_in_range(struct mm *mm, uint64_t start, uint64_t end, uint64_t *total, uint64_t *data,
		    uint64_t *locked)
{
	*total = *data = *locked = 0;
	for (struct mapping *m = table_from(mm, start); m && m->start < end; m = mm_next(mm, m)) {
		uint64_t a = m->start > start ? m->start : start;
		uint64_t b = m->end < end ? m->end : end;
		uint64_t n = (b - a) / PAGE;

		*total += n;
		if (mapping_is_data(m))
			*data += n;
		if (m->flags & MF_LOCKED)
			*locked += n;
	}
}

uint64_t mm_rlimit(struct mm *mm, int resource)
{
	struct rlimit rl;

	if (!mm->be->rlimit || mm->be->rlimit(mm->be_ctx, resource, &rl) < 0)
		return RLIM_INFINITY;
	return rl.rlim_cur;
}

static uint64_t mm_rlimit_max(struct mm *mm, int resource)
{
	struct rlimit rl;

	if (!mm->be->rlimit || mm->be->rlimit(mm->be_ctx, resource, &rl) < 0)
		return RLIM_INFINITY;
	return rl.rlim_max;
}

bool mm_capable(struct mm *mm, int cap)
{
	return mm->be->capable && mm->be->capable(mm->be_ctx, cap);
}

bool may_expand_vm(struct mm *mm, bool data, uint64_t npages)
{
	uint64_t as = mm_rlimit(mm, RLIMIT_AS), lim;

	if (mm->total_pages + mm->ext_total_pages + npages > as / PAGE)
		return false;
	if (!data)
		return true;
	lim = mm_rlimit(mm, RLIMIT_DATA);
	if (mm->data_pages + mm->ext_data_pages + npages <= lim / PAGE)
		return true;
	/* Linux's workaround for Valgrind: a soft limit of 0 is checked against the hard one. */
	return lim == 0 &&
	       mm->data_pages + mm->ext_data_pages + npages <= mm_rlimit_max(mm, RLIMIT_DATA) / PAGE;
}

bool mlock_future_ok(struct mm *mm, bool locked, uint64_t len)
{
	if (!locked || mm_capable(mm, CAP_IPC_LOCK))
		return true;
	return len / PAGE + mm->locked_pages + mm->ext_locked_pages <=
	       mm_rlimit(mm, RLIMIT_MEMLOCK) / PAGE;
}

int mapping_map_flags(const struct mapping *m)
{
	return (m->flags & MF_LOCKED ? MAP_LOCKED : 0) | (m->flags & MF_NORESERVE ? MAP_NORESERVE : 0);
}

bool vmo_unused_above(struct mm *mm, struct vmo *vmo, uint64_t off, int held, uint64_t keep)
{
	int users = 0, refs = vmo_refs(vmo) - held;
	struct mapping *k = keep ? mm_find(mm, keep) : NULL;

	if (refs <= 0)
		return true;
	/* The common case, a trim: the kept part is the only user, and it lies below off. */
	if (refs == 1 && k && k->vmo == vmo)
		return k->off + (k->end - k->start) <= off;
	for (struct mapping *m = mm_first(mm); m; m = mm_next(mm, m)) {
		if (m->vmo != vmo)
			continue;
		users++;
		if (m->off + (m->end - m->start) > off)
			return false;
	}
	/* References held outside this table (another mm) may use any part. */
	return refs == users;
}

long syscall_errno(long e, const int *allowed)
{
	for (; *allowed; allowed++)
		if (e == -*allowed)
			return e;
	return -ENOMEM;
}

bool in_vmar(const struct vmar *v, uint64_t addr, uint64_t len)
{
	const struct vmar_config *c = &v->cfg;

	if (addr < c->base || len > c->size || addr - c->base > c->size - len)
		return false;
	return !c->slot_size || addr + len <= c->slot || addr >= c->slot + c->slot_size;
}
