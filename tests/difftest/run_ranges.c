/*
 * One step of madvise, the mlock family, msync or mincore: the model first, then natively
 * over the same relative range (placeholders lifted, so that holes are holes), then the
 * results must agree; the layouts (flags: lo lf dc wf nh), the bytes and mm_check are
 * compared by run_step as after every operation.
 *
 * MADV_FREE on private anonymous memory. Linux keeps a freed page until memory pressure
 * reclaims it (and for good when it is written again first); the model decommits at once,
 * which is the "reclaimed" outcome. The harness checks the native side allows that outcome
 * and then makes it the native outcome too: before the call it hashes the native pages of
 * the range; after it, every page the call freed (the private anonymous pages of the
 * mappings it visited: all of them, or those before the mapping that refused with EINVAL)
 * must read either as before or zero, and is then dropped natively with MADV_DONTNEED. From
 * there the bytes are compared exactly, as everywhere else.
 *
 * mincore: both vectors are compared as mincore.c explains. mlockall runs only in a forked
 * child (fork.c) and munlockall in the main loop (see dt.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/difftest/dt.h"

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

#define WPAGES	 (DT_OPS_END / DT_PAGE)
#define SENTINEL 0xee

static uint64_t pre_hash[WPAGES];
static unsigned char nvec[DT_REGION / DT_PAGE + 8], mvec[DT_REGION / DT_PAGE + 8];
static const unsigned char *ro_page;

static bool lock_family(enum op_kind k)
{
	return k >= OP_MLOCK && k <= OP_MUNLOCKALL;
}

/* Private anonymous memory in the model's view: what MADV_FREE acts on. */
static bool free_target(const struct mview *v)
{
	return v->kind == MK_ANON && !(v->flags & (MF_SHARED | MF_LOCKED | MF_HUGETLB));
}

/* DT_SKIP_LOCK_BEYOND_OBJECT (dt.h): a populating lock over a shared anonymous mapping
 * that extends beyond its object. */
static bool beyond_object_skip(const struct op *op)
{
	uint64_t lo = op->addr & ~(DT_PAGE - 1), hi = DT_OPS_END;

	if (!DT_SKIP_LOCK_BEYOND_OBJECT)
		return false;
	if (op->kind == OP_MLOCKALL) {
		if ((op->flags & (MCL_CURRENT | MCL_ONFAULT)) != MCL_CURRENT)
			return false;
		lo = 0;
		hi = DT_REGION;
	} else if (op->kind == OP_MLOCK || (op->kind == OP_MLOCK2 && op->flags == 0)) {
		if (op->abs || lo >= DT_OPS_END)
			return false;
		if (DT_PAGE_ALIGN(op->len + (op->addr - lo)) < DT_OPS_END - lo)
			hi = lo + DT_PAGE_ALIGN(op->len + (op->addr - lo));
	} else {
		return false;
	}
	for (int i = 0; i < dt.nmv; i++) {
		const struct mview *v = &dt.mv[i];

		if (v->kind == MK_ANON && (v->flags & MF_SHARED) && v->start < hi && lo < v->end &&
		    v->off + (v->end - v->start) > v->obj_size)
			return true;
	}
	return false;
}

/* DT_SKIP_LOCKONFAULT_POPULATE (dt.h): mlock2(MLOCK_ONFAULT) over a private file mapping. */
static bool onfault_skip(const struct op *op)
{
	uint64_t lo = op->addr & ~(DT_PAGE - 1), hi;

	if (!DT_SKIP_LOCKONFAULT_POPULATE || op->kind != OP_MLOCK2 || op->flags != MLOCK_ONFAULT ||
	    op->abs || lo >= DT_OPS_END)
		return false;
	hi = DT_PAGE_ALIGN(op->len + (op->addr - lo)) < DT_OPS_END - lo
		 ? lo + DT_PAGE_ALIGN(op->len + (op->addr - lo))
		 : DT_OPS_END;
	for (int i = 0; i < dt.nmv; i++)
		if (dt.mv[i].kind == MK_FILE && !(dt.mv[i].flags & MF_SHARED) &&
		    dt.mv[i].start < hi && lo < dt.mv[i].end)
			return true;
	return false;
}

/* Whether populating [s, e) of mapping v fails (DT_SKIP_MLOCK_POPULATE_STOP's case b). */
static bool populate_fails(const struct mview *v, uint64_t e)
{
	if (v->prot == PROT_NONE)
		return true;
	if (v->kind == MK_FILE)
		return v->off + (e - v->start) > DT_PAGE_ALIGN(DT_FILE_SIZE);
	return v->kind == MK_ANON && (v->flags & MF_SHARED) &&
	       v->off + (e - v->start) > v->obj_size;
}

/* DT_SKIP_MLOCK_POPULATE_STOP (dt.h): a populating mlock over a private writable file
 * mapping that Linux would leave unpopulated. */
static bool populate_stop_skip(const struct op *op)
{
	uint64_t lo = op->addr & ~(DT_PAGE - 1), hi, at = lo;
	bool file = false, stopped = false;

	if (!DT_SKIP_MLOCK_POPULATE_STOP || op->abs || lo >= DT_OPS_END ||
	    !(op->kind == OP_MLOCK || (op->kind == OP_MLOCK2 && op->flags == 0)))
		return false;
	hi = DT_PAGE_ALIGN(op->len + (op->addr - lo)) < DT_OPS_END - lo
		 ? lo + DT_PAGE_ALIGN(op->len + (op->addr - lo))
		 : DT_OPS_END;
	for (int i = 0; i < dt.nmv && at < hi; i++) {
		const struct mview *v = &dt.mv[i];
		uint64_t e = v->end < hi ? v->end : hi;
		bool pfile =
		    v->kind == MK_FILE && !(v->flags & MF_SHARED) && (v->prot & PROT_WRITE);

		if (v->end <= at)
			continue;
		if (v->start > at)
			return at > lo && file; /* (a): a hole after the start */
		if (pfile && stopped)
			return true; /* (b) */
		file |= pfile;
		stopped |= populate_fails(v, e);
		at = v->end;
	}
	return at < hi && at > lo && file;
}

static bool madvise_args_valid(const struct op *op)
{
	uint64_t len = DT_PAGE_ALIGN(op->len);

	return !op->abs && !(op->addr & (DT_PAGE - 1)) && (op->len == 0 || len != 0) &&
	       op->addr + len >= op->addr;
}

/*
 * The pages of [addr, addr + len) MADV_FREE frees: madvise_walk_vmas() visits the mappings in
 * order and stops at the first that refuses (not private anonymous, or locked). Calls fn on
 * each run of freed pages, relative.
 */
static void freed_runs(const struct op *op, void (*fn)(uint64_t rel, uint64_t len))
{
	uint64_t lo = op->addr, hi;

	if (!madvise_args_valid(op) || lo >= DT_OPS_END)
		return;
	hi = DT_PAGE_ALIGN(op->len) > DT_OPS_END - lo ? DT_OPS_END : lo + DT_PAGE_ALIGN(op->len);
	for (int i = 0; i < dt.nmv; i++) {
		const struct mview *v = &dt.mv[i];
		uint64_t s = v->start > lo ? v->start : lo, e = v->end < hi ? v->end : hi;

		if (e <= s)
			continue;
		if (!free_target(v))
			return;
		fn(s, e - s);
	}
}

static uint64_t zero_hash;
static int free_bad = -1;
static uint64_t free_bad_page;

static void hash_run(uint64_t rel, uint64_t len)
{
	static char page[DT_PAGE];

	for (uint64_t a = rel; a < rel + len; a += DT_PAGE)
		pre_hash[a / DT_PAGE] = page_read_native(a, page) ? 1 : hash_bytes(page, DT_PAGE);
}

static void check_and_drop_run(uint64_t rel, uint64_t len)
{
	static char page[DT_PAGE];

	for (uint64_t a = rel; a < rel + len && free_bad < 0; a += DT_PAGE) {
		/* unreadable (a guard page) before and after counts as unchanged */
		uint64_t h = page_read_native(a, page) ? 1 : hash_bytes(page, DT_PAGE);

		if (h != pre_hash[a / DT_PAGE] && h != zero_hash)
			free_bad = 1, free_bad_page = a;
	}
	/* The reclaimed outcome, which the model gives: the kernel's own DONTNEED. */
	if (madvise((void *)(dt.nbase + rel), len, MADV_DONTNEED) < 0 && free_bad < 0)
		free_bad = 2, free_bad_page = rel;
}

static void *vec_for(const struct op *op, unsigned char *buf)
{
	switch (op->vec_mode) {
	case VEC_NULL:
		return NULL;
	case VEC_READONLY:
		return (void *)ro_page;
	case VEC_BEYOND:
		return (void *)(DT_TASK_SIZE - 1);
	default:
		return buf;
	}
}

static long model_call(const struct op *op)
{
	if (op->kind == OP_MINCORE) {
		memset(mvec, SENTINEL, sizeof(mvec));
		return model_mincore(op, vec_for(op, mvec));
	}
	if (op->kind == OP_MLOCKALL) {
		long kb = status_field_kb("VmSize"), r;
		uint64_t own = dt.mm.total_pages, save = dt.mm.ext_total_pages;

		/* mlockall(MCL_CURRENT) checks the whole process's total_vm */
		dt.mm.ext_total_pages =
		    kb > 0 && (uint64_t)kb / 4 > own ? (uint64_t)kb / 4 - own : 0;
		r = model_op(op);
		dt.mm.ext_total_pages = save;
		return r;
	}
	return model_op(op);
}

long range_model_only(const struct op *op)
{
	if (!ro_page)
		ro_page = mmap(NULL, DT_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return model_call(op);
}

static const char *label_for(const struct op *op, long r)
{
	static char buf[64];

	if (r >= 0)
		return "success";
	if (op->kind == OP_MADVISE && r == -EINVAL && op->intent &&
	    !strcmp(op->intent, "unknown-advice"))
		return "EINVAL(unknown-advice)";
	snprintf(buf, sizeof(buf), "%s", errno_label(r));
	return buf;
}

long do_range(const struct op *op, char *why, size_t wl, const char **label)
{
	bool is_free = op->kind == OP_MADVISE && op->advice == MADV_FREE;
	char adv[64];
	long mr, nr;

	if (!ro_page)
		ro_page = mmap(NULL, DT_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (lock_family(op->kind) && !dt.capable_lock && !dt.memlock_ok) {
		*label = "skipped(memlock-hard-limit)";
		run_set_results("not run");
		return 0;
	}
	if (populate_stop_skip(op)) {
		*label = "skipped(populate-stop)";
		run_set_results("not run");
		return 0;
	}
	if (onfault_skip(op)) {
		*label = "skipped(onfault-private-file)";
		run_set_results("not run");
		return 0;
	}
	if (beyond_object_skip(op)) {
		*label = "skipped(beyond-object)";
		run_set_results("not run");
		return 0;
	}
	if (is_free) {
		static char zero[DT_PAGE];

		zero_hash = hash_bytes(zero, DT_PAGE);
		freed_runs(op, hash_run);
	}
	mr = model_call(op);
	if (op->kind == OP_MINCORE)
		memset(nvec, SENTINEL, sizeof(nvec));
	nr = native_range_op(op, vec_for(op, nvec));
	run_set_results("model %ld (%s), native %ld (%s)", mr, mr < 0 ? errno_label(mr) : "ok", nr,
			nr < 0 ? errno_label(nr) : "ok");
	if (mr != nr) {
		snprintf(why, wl, "results differ");
		return -1;
	}
	if (is_free && (nr == 0 || nr == -ENOMEM || nr == -EINVAL)) {
		free_bad = -1;
		freed_runs(op, check_and_drop_run);
		if (free_bad == 1) {
			snprintf(why, wl,
				 "MADV_FREE: native page +%#" PRIx64
				 " reads neither as before nor zero",
				 free_bad_page);
			return -1;
		}
		if (free_bad == 2) {
			snprintf(why, wl,
				 "MADV_DONTNEED after MADV_FREE failed natively at +%#" PRIx64,
				 free_bad_page);
			return -1;
		}
	}
	if (op->kind == OP_MINCORE) {
		int n = mincore_compare(op, nvec, mvec, why, wl);

		if (n < 0)
			return -1;
		table_add("mincore-vector", "entries-compared", (unsigned long)n);
	}
	if (op->kind == OP_MADVISE && !op->abs) {
		written_clear(op->addr, op->len);
		if (op->advice == MADV_REMOVE)
			written_clear_aliases(op->addr, op->len);
		snprintf(adv, sizeof(adv), "%s:%s", advice_name(op->advice),
			 mr >= 0 ? "success" : errno_label(mr));
		table_count("madvise-advice", adv);
	}
	*label = label_for(op, mr);
	return 0;
}
