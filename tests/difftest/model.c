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
 * counters are set per operation by run.c. RLIMIT_MEMLOCK is overridden the same way for
 * every operation (limits.c): the model reads DT_MEMLOCK (or 0) while the process's real
 * limit is lifted for the calls the model passes through.
 *
 * In a forked child (fork.c), model_fork() makes the child's model: mm_snapshot of the
 * parent's (whose copy stays in the child's memory, untouched, still holding its references:
 * shared VMOs then count users outside the child's table, as in the supervisor), its plan run
 * by the self backend on the child's region, after the child's own /proc/self/mem was opened
 * (the parent's descriptor reads the parent).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/difftest/dt.h"
#include "vmo/vmo.h"

static int dt_rlimit(void *ctx, int resource, struct rlimit *out)
{
	int r = self_backend_ops.rlimit(ctx, resource, out);

	if (r == 0 && resource == RLIMIT_DATA && dt.data_override)
		out->rlim_cur = dt.data_limit < out->rlim_max ? dt.data_limit : out->rlim_max;
	if (r == 0 && resource == RLIMIT_MEMLOCK && dt.memlock_override)
		out->rlim_cur = dt.memlock_limit < out->rlim_max ? dt.memlock_limit : out->rlim_max;
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
	case OP_MREMAP:
		return mm_mremap(&dt.mm, addr, op->len, op->new_len, op->flags,
				 op->abs_new ? op->new_addr : dt.mbase + op->new_addr);
	case OP_MADVISE:
		return mm_madvise(&dt.mm, addr, op->len, op->advice);
	case OP_MLOCK:
		return mm_mlock(&dt.mm, addr, op->len, 0);
	case OP_MLOCK2:
		return mm_mlock(&dt.mm, addr, op->len, (unsigned)op->flags);
	case OP_MUNLOCK:
		return mm_munlock(&dt.mm, addr, op->len);
	case OP_MLOCKALL:
		return mm_mlockall(&dt.mm, op->flags);
	case OP_MUNLOCKALL:
		return mm_munlockall(&dt.mm);
	case OP_MSYNC:
		return mm_msync(&dt.mm, addr, op->len, op->flags);
	default:
		return -ENOSYS;
	}
}

/* mincore on the model: the vector is written by the call the model passes through. */
long model_mincore(const struct op *op, void *vec)
{
	uint64_t addr = op->abs ? op->addr : dt.mbase + op->addr;

	return mm_mincore(&dt.mm, addr, op->len, (uint64_t)vec);
}

long model_fork(void)
{
	struct mm child;
	struct plan plan;
	size_t done;
	long r;

	close(dt.sb.mem_fd);
	dt.sb.mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (dt.sb.mem_fd < 0)
		return -errno;
	r = mm_snapshot(&dt.mm, &child, &dt_backend, &dt.sb, &plan);
	if (r < 0)
		return r;
	done = dt_backend.run(&dt.sb, &plan);
	r = done == plan.n ? 0 : plan.steps[done].result;
	free(plan.steps);
	if (r < 0)
		return r;
	dt.mm = child; /* the parent's model stays behind, unused (see the top comment) */
	return 0;
}

static unsigned model_attr(const struct mapping *m)
{
	return (unsigned)(m->prot & A_RWX) | (m->flags & MF_SHARED ? A_SHARED : 0) |
	       (m->flags & MF_GROWSDOWN ? A_GROWSDOWN : 0) | (m->flags & MF_LOCKED ? A_LOCKED : 0) |
	       (m->flags & MF_NORESERVE ? A_NORESERVE : 0) | (m->flags & MF_STACK ? A_NOHUGE : 0) |
	       (m->flags & MF_LOCKONFAULT ? A_LOCKONFAULT : 0) |
	       (m->flags & MF_DONTFORK ? A_DONTFORK : 0) |
	       (m->flags & MF_WIPEONFORK ? A_WIPEONFORK : 0);
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
		v->obj_size = m->kind == MK_ANON && (m->flags & MF_SHARED) && m->vmo
				  ? vmo_get_size(m->vmo)
				  : 0;
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

long model_snapshot_only(void)
{
	struct plan plan;
	struct mm child;
	long r = mm_snapshot(&dt.mm, &child, &dt_backend, &dt.sb, &plan);

	if (r < 0)
		return r;
	free(plan.steps);
	mm_destroy(&child);
	return 0;
}

void model_fill_holes(void)
{
	static struct region_maps rm;
	uint64_t at = dt.mbase;

	if (!DT_SKIP_MOVE_HOLES || maps_read2(false, NULL, &rm) < 0)
		return;
	for (int i = 0; i <= rm.n; i++) {
		uint64_t s = i < rm.n ? rm.m[i].start : dt.mbase + DT_REGION;

		if (s > at)
			self_hole(&dt.sb, at, s - at);
		if (i < rm.n && rm.m[i].end > at)
			at = rm.m[i].end;
	}
}
