/*
 * One step of the differential test: run an operation on the model, then natively, check
 * that the results agree, compare everything (compare.c) and count the outcome.
 *
 * The model always goes first. An automatic mmap (no MAP_FIXED*) is placed by the model's
 * VMAR; the native side replays it MAP_FIXED at the same relative address (the range is a
 * hole on both sides, checked), so the layouts stay comparable. A failed automatic mmap is
 * replayed natively where a hole could take it (same result expected), or else probed
 * (native.c): a model ENOMEM for want of room in its small VMAR cannot be compared and is
 * counted as model-only, never as agreement.
 *
 * Resource limits: ext_* tell the model what the process has outside its region.
 *  - RLIMIT_DATA, mmap/mprotect: ext_data_pages = VmData - the native region's data pages -
 *    the heap's (which lives in the brk child natively), so model and kernel count the same
 *    total; with data_mode 1 the model sees a finite limit (VmData + margin) through the
 *    backend, and the native call runs under it for real, raised by whatever the harness
 *    itself allocated in between.
 *  - RLIMIT_DATA, brk: ext_data_pages = the child's VmData without its heap - the model's
 *    non-heap data pages; the same limit is set in the child and shown to mm_brk.
 *  - RLIMIT_MEMLOCK: limits.c, around every operation (see dt.h). RLIMIT_AS is not set.
 *
 * The operations of the second core issue have their own files: run_mremap.c, and
 * run_ranges.c for madvise, the mlock family, msync and mincore.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>

#include "tests/difftest/dt.h"

static char results[256];
static char last_label[48];

const char *run_last_label(void)
{
	return last_label;
}

const char *run_results(void)
{
	return results;
}

void run_set_results(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(results, sizeof(results), fmt, ap);
	va_end(ap);
}

static uint64_t vmdata_pages(void)
{
	long kb = status_field_kb("VmData");

	return kb > 0 ? (uint64_t)kb / 4 : 0;
}

static void data_limit(uint64_t bytes)
{
	struct rlimit rl;

	getrlimit(RLIMIT_DATA, &rl);
	rl.rlim_cur = bytes > rl.rlim_max ? rl.rlim_max : bytes;
	setrlimit(RLIMIT_DATA, &rl);
}

static bool start_mapped(const struct op *op)
{
	for (int i = 0; i < dt.nmv; i++)
		if (!op->abs && dt.mv[i].start <= op->addr && op->addr < dt.mv[i].end)
			return true;
	return false;
}

static bool range_free(uint64_t rel, uint64_t len)
{
	uint64_t end = rel + DT_PAGE_ALIGN(len);

	for (int i = 0; i < dt.nmv; i++)
		if (dt.mv[i].start < end && rel < dt.mv[i].end)
			return false;
	return true;
}

static const char *mmap_label(const struct op *op, long r)
{
	static char buf[64];
	const char *what = r >= 0 ? "success" : errno_label(r);

	if (op->intent && !strcmp(op->intent, "validate-unknown")) {
		snprintf(buf, sizeof(buf), "validate-unknown:%s", what);
		return buf;
	}
	if (r == -EINVAL && op->intent &&
	    (!strcmp(op->intent, "len0") || !strcmp(op->intent, "fixed-unaligned") ||
	     !strcmp(op->intent, "off-unaligned") || !strcmp(op->intent, "no-type"))) {
		snprintf(buf, sizeof(buf), "EINVAL(%s)", op->intent);
		return buf;
	}
	return what;
}

/*
 * Data limits around an mmap/mprotect: the model's call sees VmData + margin through the
 * backend (model.c); the native call runs under the real limit, raised by what the harness
 * itself allocated in between.
 */
static uint64_t lim_v1, lim_bytes;

static void limits_model(const struct op *op)
{
	uint64_t v = vmdata_pages(), own = native_data_pages() + model_heap_pages();

	lim_v1 = v;
	dt.mm.ext_data_pages = v > own ? v - own : 0;
	if (op->data_mode) {
		lim_bytes = (v + op->data_margin) * DT_PAGE;
		dt.data_override = true;
		dt.data_limit = lim_bytes;
	}
}

/* ...and around the native call. */
static void limits_native(const struct op *op, bool set)
{
	dt.data_override = false;
	if (!op->data_mode)
		return;
	data_limit(RLIM_INFINITY);
	if (set) {
		uint64_t v2 = vmdata_pages();

		data_limit(lim_bytes + (v2 > lim_v1 ? (v2 - lim_v1) * DT_PAGE : 0));
	}
}

static long do_mmap(const struct op *op, char *why, size_t wl, const char **label)
{
	bool fixed = op->flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	long mr, nr;
	uint64_t rel;

	limits_model(op);
	mr = model_op(op);
	limits_native(op, true);
	if (fixed) {
		nr = native_op(op, 0, false);
		if (mr >= 0)
			mr -= (long)dt.mbase;
	} else if (mr >= 0) {
		rel = (uint64_t)mr - dt.mbase;
		if ((uint64_t)mr < dt.mbase || rel >= DT_OPS_END || rel & (DT_PAGE - 1) ||
		    DT_PAGE_ALIGN(op->len) > DT_OPS_END - rel) {
			limits_native(op, false);
			snprintf(why, wl,
				 "the model placed the mapping at %#lx, outside the ops window",
				 mr);
			return -1;
		}
		if (!range_free(rel, op->len)) {
			limits_native(op, false);
			snprintf(why, wl,
				 "the model placed the mapping at +%#" PRIx64
				 " over an existing mapping",
				 rel);
			return -1;
		}
		mr = (long)rel;
		nr = native_op(op, rel, true);
	} else if (native_placeable(op->len, &rel)) {
		nr = native_op(op, rel, true);
		if (nr >= 0 && mr == -ENOMEM)
			snprintf(why, wl, "the model found no room, Linux maps it (at +%#lx)", nr);
	} else {
		nr = native_probe_mmap(op);
		if (nr == -EEXIST && mr != -EBADF) {
			limits_native(op, false);
			snprintf(results, sizeof(results), "model %s, native probe EEXIST",
				 errno_label(mr));
			*label = "model-only";
			return 0;
		}
	}
	limits_native(op, false);
	if (fixed && !op->abs)
		written_clear(op->addr, op->len);
	else if (mr >= 0)
		written_clear((uint64_t)mr, op->len);
	snprintf(results, sizeof(results), "model %ld (%s), native %ld (%s)", mr,
		 mr < 0 ? errno_label(mr) : "ok", nr, nr < 0 ? errno_label(nr) : "ok");
	if (mr != nr) {
		if (!why[0])
			snprintf(why, wl, "results differ");
		return -1;
	}
	*label = mmap_label(op, mr);
	return 0;
}

/* Whether the native VMAs (placeholders aside) and the model's mappings that intersect the
 * relative range [lo, hi) have different bounds. */
bool vma_bounds_differ(uint64_t lo, uint64_t hi)
{
	uint64_t nb[64], mb[64];
	int nn, mn = 0;

	nn = native_vma_bounds(lo, hi, nb, 64);
	for (int i = 0; i < dt.nmv && mn + 2 <= 64; i++) {
		if (dt.mv[i].start < hi && lo < dt.mv[i].end) {
			mb[mn++] = dt.mv[i].start;
			mb[mn++] = dt.mv[i].end;
		}
	}
	return nn != mn || memcmp(nb, mb, sizeof(nb[0]) * (size_t)nn);
}

/* DT_SKIP_VMA_BOUNDS (dt.h): an mprotect whose outcome depends on VMA bounds, over a range
 * where the kernel's VMAs and the model's mappings have different bounds. PROT_GROWSDOWN
 * extends the range down to the start of the native VMA, and to the bottom of the model's
 * stack (adjacent growsdown mappings alike, mm_stack_bottom(): several VMOs, several VMAs). */
static bool vma_bounds_skip(const struct op *op)
{
	uint64_t lo = op->addr, hi, nb[2];
	struct mapping *m;

	if (!DT_SKIP_VMA_BOUNDS || op->kind == OP_MUNMAP || op->abs || op->addr >= DT_OPS_END ||
	    (!(op->prot & PROT_GROWSDOWN) && !op->data_mode))
		return false;
	hi = op->len > DT_OPS_END - lo ? DT_OPS_END : lo + DT_PAGE_ALIGN(op->len);
	if (hi <= lo)
		hi = lo + 1;
	m = mm_find(&dt.mm, dt.mbase + lo);
	if ((op->prot & PROT_GROWSDOWN) && m && native_vma_bounds(lo, lo + 1, nb, 2) == 2 &&
	    nb[0] != mm_stack_bottom(&dt.mm, m)->start - dt.mbase)
		return true;
	return vma_bounds_differ(lo, hi);
}

static long do_range_op(const struct op *op, char *why, size_t wl, const char **label)
{
	bool part = op->kind != OP_MUNMAP && start_mapped(op) && !(op->addr & (DT_PAGE - 1));
	long mr, nr;

	if (vma_bounds_skip(op)) {
		*label = "skipped(vma-boundary)";
		snprintf(results, sizeof(results), "not run");
		return 0;
	}
	if (op->kind != OP_MUNMAP)
		limits_model(op);
	mr = model_op(op);
	if (op->kind != OP_MUNMAP)
		limits_native(op, true);
	nr = native_op(op, 0, false);
	if (op->kind != OP_MUNMAP)
		limits_native(op, false);
	if (op->kind == OP_MUNMAP && !op->abs)
		written_clear(op->addr, op->len);
	snprintf(results, sizeof(results), "model %ld (%s), native %ld (%s)", mr,
		 mr < 0 ? errno_label(mr) : "ok", nr, nr < 0 ? errno_label(nr) : "ok");
	if (mr != nr) {
		snprintf(why, wl, "results differ");
		return -1;
	}
	*label = mr >= 0 ? "success" : mr == -ENOMEM && part ? "ENOMEM(part-way)" : errno_label(mr);
	return 0;
}

static long do_brk(const struct op *op, char *why, size_t wl, const char **label)
{
	uint64_t own = model_nonheap_data_pages(), rlim = RLIM_INFINITY;
	uint64_t sb = dt.mm.start_brk, old = dt.mm.brk;
	uint64_t req = op->brk_abs ? (uint64_t)op->brk : sb + (uint64_t)op->brk;
	int64_t old_rel = dt.child_brk, cr;
	long mr;

	if (op->data_mode == 1)
		rlim = (dt.end_data - dt.start_data) + op->data_margin;
	else if (op->data_mode == 2)
		rlim = (dt.child_base_pages + op->data_margin) * DT_PAGE;
	dt.mm.ext_data_pages = dt.child_base_pages > own ? dt.child_base_pages - own : 0;
	dt.data_override = true;
	dt.data_limit = rlim;
	mr = model_op(op);
	dt.data_override = false;
	if (dt.brk_pid > 0) {
		cr = brk_child_op(op, rlim);
		snprintf(results, sizeof(results),
			 "model start_brk%+" PRId64 ", child start_brk%+" PRId64
			 " (before: %+" PRId64 ")",
			 (int64_t)(mr - (long)sb), cr, old_rel);
		if ((int64_t)(mr - (long)sb) != cr) {
			snprintf(why, wl, "brk results differ");
			return -1;
		}
	} else {
		dt.child_brk = (int64_t)(mr - (long)sb);
	}
	if ((uint64_t)mr == req && req != old)
		*label = DT_PAGE_ALIGN(req) > DT_PAGE_ALIGN(old)   ? "grow"
			 : DT_PAGE_ALIGN(req) < DT_PAGE_ALIGN(old) ? "shrink"
								   : "same";
	else if (req == old && (uint64_t)mr == old)
		*label = "same";
	else if ((uint64_t)mr == old)
		*label = "refused";
	else
		*label = "other";
	return 0;
}

static long do_write(const struct op *op, char *why, size_t wl, const char **label)
{
	int m = region_write(dt.mbase, op->addr, op->len, op->seed), n = 0;

	if (op->addr >= DT_OPS_END) {
		if (dt.brk_pid > 0)
			n = brk_child_write(op->addr - DT_OPS_END, op->len, op->seed);
	} else if (!dt.faults) {
		n = region_write(dt.nbase, op->addr, op->len, op->seed);
	}
	snprintf(results, sizeof(results), "model signal %d, native %d", m, n);
	/* Both sides may fault alike: a shared mapping that mremap grew beyond its object
	 * raises SIGBUS there, on Linux as in the model (the bytes before it are written);
	 * the generator aims there now and then (gen.c), never in --faults or the heap. */
	if (m && (dt.faults || op->addr >= DT_OPS_END)) {
		snprintf(why, wl, "a write to a writable mapping faulted");
		return -1;
	}
	if (m != n) {
		snprintf(why, wl, "a write faulted on one side only");
		return -1;
	}
	/* A faulting write wrote an unknown part (nothing when it began on a guard page). */
	if (!m)
		written_mark(op->addr, op->len);
	if (m) {
		*label = m == SIGBUS ? "SIGBUS" : "signal";
		return 0;
	}
	*label = "success";
	return 0;
}

/* The native-less variant for --faults: the model's result only. */
long run_model_only(const struct op *op)
{
	char why[8];
	const char *label;

	memlock_model(op);
	if (op->kind == OP_WRITE)
		return do_write(op, why, sizeof(why), &label);
	if (op->kind == OP_BRK) {
		do_brk(op, why, sizeof(why), &label);
		return strcmp(label, "refused") ? 0 : -EAGAIN;
	}
	if (op->kind >= OP_MADVISE && op->kind <= OP_MINCORE)
		return range_model_only(op);
	if (op->kind == OP_SNAPSHOT)
		return model_snapshot_only();
	if (op->kind == OP_MREMAP) {
		long r = model_op(op);

		model_fill_holes();
		return r;
	}
	return model_op(op);
}

int run_step(const struct op *op)
{
	char why[512] = "";
	const char *label = "?";
	long r;

	results[0] = 0;
	dt.pre = dt.mview_l;
	memlock_model(op);
	switch (op->kind) {
	case OP_MMAP:
		r = do_mmap(op, why, sizeof(why), &label);
		break;
	case OP_MUNMAP:
	case OP_MPROTECT:
	case OP_PKEY_MPROTECT:
		r = do_range_op(op, why, sizeof(why), &label);
		break;
	case OP_BRK:
		r = do_brk(op, why, sizeof(why), &label);
		break;
	case OP_WRITE:
		r = do_write(op, why, sizeof(why), &label);
		break;
	case OP_MREMAP:
		r = do_mremap(op, why, sizeof(why), &label);
		break;
	default:
		r = do_range(op, why, sizeof(why), &label);
		break;
	}
	dt.memlock_override = false;
	if (r == 0 && compare_all(why, sizeof(why)) < 0)
		r = -1;
	if (r < 0) {
		mismatch_report(op, results, why);
		return -1;
	}
	if (dt.verbose)
		printf("        -> %s (%s)\n", label, results);
	snprintf(last_label, sizeof(last_label), "%s", label);
	table_count(op_kind_name(op->kind), label);
	return 0;
}
