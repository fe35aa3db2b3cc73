/*
 * The model side: struct mm with the self backend over the model region, and the model's
 * own view of its mappings.
 *
 * Setup mirrors the native side: the VMAR covers the whole region but places automatically
 * only in the ops window ([base, base + DT_OPS_END), top-down from its end), so the heap
 * window holds nothing but the brk heap (start_brk = base + DT_OPS_END) and the ceiling, a
 * PROT_NONE private anonymous mapping DT_CEIL_OFF above start_brk that stops brk growth
 * where the child's ceiling stops it natively. The backend is the self backend, except that
 * its rlimit answer for RLIMIT_DATA can be overridden for one operation (run.c): the model
 * then sees a low limit without the harness's own process living under it (its malloc, or
 * ASan's, would fail); only the native syscall runs under the real low limit. The ext_*
 * counters are set per operation by run.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>

#include "tests/difftest/dt.h"

static int dt_rlimit(void *ctx, int resource, struct rlimit *out)
{
	int r = self_backend_ops.rlimit(ctx, resource, out);

	if (r == 0 && resource == RLIMIT_DATA && dt.data_override)
		out->rlim_cur = dt.data_limit < out->rlim_max ? dt.data_limit : out->rlim_max;
	return r;
}

static struct mm_backend dt_backend;

int model_setup(bool with_heap)
{
	struct mm_config cfg;
	long r;

	r = self_region_reserve(&dt.sb, DT_REGION, DT_REGION);
	if (r < 0)
		return (int)r;
	dt.mbase = dt.sb.lo;
	memset(&cfg, 0, sizeof(cfg));
	cfg.vmar.base = dt.mbase;
	cfg.vmar.size = DT_REGION;
	cfg.vmar.slot_size = 0;
	cfg.vmar.place_lo = dt.mbase;
	cfg.vmar.place_hi = dt.mbase + DT_OPS_END;
	cfg.vmar.top = dt.mbase + DT_OPS_END;
	cfg.vmar.aslr = true;
	cfg.vmar.seed = dt.seed;
	dt_backend = self_backend_ops;
	dt_backend.rlimit = dt_rlimit;
	cfg.be = &dt_backend;
	cfg.be_ctx = &dt.sb;
	cfg.split = dt.split;
	if (with_heap) {
		cfg.start_brk = dt.mbase + DT_OPS_END;
		cfg.start_data = dt.start_data;
		cfg.end_data = dt.end_data;
	}
	r = mm_init(&dt.mm, &cfg);
	if (r < 0)
		return (int)r;
	dt.mm_live = true;
	if (with_heap) {
		r = mm_mmap(&dt.mm, dt.mbase + DT_OPS_END + DT_CEIL_OFF, DT_HEAP_WIN - DT_CEIL_OFF,
			    PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (r < 0)
			return (int)r;
	}
	dt.child_brk = 0;
	return 0;
}

void model_teardown(void)
{
	if (dt.mm_live)
		mm_destroy(&dt.mm);
	dt.mm_live = false;
	if (dt.sb.hi)
		self_region_release(&dt.sb);
}

/* Runs op on the model. Addresses come back absolute (mmap) or as the raw break (brk). */
long model_op(const struct op *op)
{
	uint64_t addr = op->abs ? op->addr : dt.mbase + op->addr;

	switch (op->kind) {
	case OP_MMAP:
		return mm_mmap(&dt.mm, addr, op->len, op->prot, op->flags, file_fd(1, op->fslot),
			       op->off);
	case OP_MUNMAP:
		return mm_munmap(&dt.mm, addr, op->len);
	case OP_MPROTECT:
		return mm_mprotect(&dt.mm, addr, op->len, op->prot);
	case OP_PKEY_MPROTECT:
		return mm_pkey_mprotect(&dt.mm, addr, op->len, op->prot, op->pkey);
	case OP_BRK:
		return mm_brk(&dt.mm, op->brk_abs ? (uint64_t)op->brk
						  : dt.mm.start_brk + (uint64_t)op->brk);
	default:
		return -ENOSYS;
	}
}

static unsigned model_attr(const struct mapping *m)
{
	return (unsigned)(m->prot & A_RWX) | (m->flags & MF_SHARED ? A_SHARED : 0) |
	       (m->flags & MF_GROWSDOWN ? A_GROWSDOWN : 0) | (m->flags & MF_LOCKED ? A_LOCKED : 0) |
	       (m->flags & MF_NORESERVE ? A_NORESERVE : 0) | (m->flags & MF_STACK ? A_NOHUGE : 0);
}

/* The model's table: dt.mv (generator input) and its layout with every attribute. */
void model_view(void)
{
	dt.nmv = 0;
	dt.mview_l.n = 0;
	for (struct mapping *m = mm_first(&dt.mm); m; m = mm_next(&dt.mm, m)) {
		struct mview *v = &dt.mv[dt.nmv];

		if (dt.nmv == DT_MAXSEG)
			break;
		v->start = m->start - dt.mbase;
		v->end = m->end - dt.mbase;
		v->prot = m->prot;
		v->flags = m->flags;
		v->kind = m->kind;
		v->oflags = m->kind == MK_FILE && m->file ? m->file->oflags & O_ACCMODE : 0;
		v->off = m->off;
		dt.nmv++;
		layout_add(&dt.mview_l, v->start, v->end, model_attr(m));
	}
}

/* Pages of the model's ops-window mappings that are data by Linux's rule. */
uint64_t model_nonheap_data_pages(void)
{
	uint64_t pages = 0;

	for (int i = 0; i < dt.nmv; i++) {
		const struct mview *v = &dt.mv[i];

		if (v->start < DT_OPS_END && (v->prot & PROT_WRITE) && !(v->flags & MF_SHARED) &&
		    !(v->flags & MF_GROWSDOWN))
			pages += (v->end - v->start) / DT_PAGE;
	}
	return pages;
}

/* Pages of the heap as the last verified break says (Linux counts them as data). */
uint64_t model_heap_pages(void)
{
	return dt.child_brk > 0 ? DT_PAGE_ALIGN((uint64_t)dt.child_brk) / DT_PAGE : 0;
}
