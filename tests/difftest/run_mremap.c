/*
 * One step of mremap: the model first, then the native side replays what the model did at
 * the same relative addresses.
 *
 *  - The model kept the address (shrink, grow in place, same size): the native call is the
 *    same without MREMAP_MAYMOVE, so it can only resize in place (or fail) inside the ops
 *    window, never move elsewhere in the process.
 *  - The model moved the mapping (MREMAP_MAYMOVE at the VMAR's choice, FIXED, DONTUNMAP,
 *    an alias of old_len 0): the native call is MREMAP_MAYMOVE|MREMAP_FIXED (plus the op's
 *    DONTUNMAP) to the model's chosen address, relative to the native base, as mmap replays
 *    an automatic placement with MAP_FIXED. The target is checked to be in the ops window
 *    and, for an automatic placement, to have been free.
 *  - The model failed: a call with MREMAP_MAYMOVE and without FIXED could make the kernel
 *    move the mapping anywhere in the process, so it is first made in a forked probe
 *    (see probe() for what a fork changes, and skipped(probe-dontfork)), which
 *    reports its result and exits); only when it failed there is it made here too (the same
 *    failure, or a mismatch if not). A model ENOMEM where the ops window has no room for
 *    the new size either, while the probe moved the mapping elsewhere, is the model's small
 *    VMAR: counted as model-only (as for mmap), never as agreement. Other calls are made
 *    as they are.
 *
 * Before each native call the placeholders are lifted from the old range, the room above it
 * (growth in place) and a FIXED target (native.c). The old range's VMA bounds matter to
 * mremap (the old range must lie in one VMA once it is resized): when the kernel's VMAs and
 * the model's mappings have different bounds over it, the step is not run
 * (DT_SKIP_VMA_BOUNDS, dt.h). Outcome labels: success(shrink), success(grow-in-place),
 * success(same), success(move), success(fixed), success(dontunmap), success(alias), errno.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/difftest/dt.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif

/*
 * How much of the old range the kernel checks against the VMA holding addr (check_prep_vma),
 * after the early checks: all of it, or the head that stays when MREMAP_FIXED shrinks (the
 * tail is unmapped wherever it lies); nothing (false) for a shrink or no-op without FIXED or
 * DONTUNMAP, nor for a FIXED move that keeps the size: remap_move() moves the range VMA by
 * VMA, and where they begin and end changes its answer only through DONTUNMAP's
 * may_expand_vm() under a finite RLIMIT_AS or RLIMIT_DATA, which mremap steps never run with
 * (mm/mremap.c, move_mappings()).
 */
static bool checks_vma(const struct op *op, uint64_t *len)
{
	uint64_t old = DT_PAGE_ALIGN(op->len), nl = DT_PAGE_ALIGN(op->new_len);

	if (op->abs || op->addr >= DT_OPS_END || op->addr & (DT_PAGE - 1))
		return false;
	if ((op->flags & MREMAP_FIXED) && old == nl)
		return false;
	*len = nl < old ? nl : old;
	return (op->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) || nl > old;
}

static bool bounds_skip(const struct op *op)
{
	uint64_t len, hi;

	if (!DT_SKIP_VMA_BOUNDS || !checks_vma(op, &len))
		return false;
	hi = len > DT_OPS_END - op->addr ? DT_OPS_END : op->addr + (len ? len : 1);
	return vma_bounds_differ(op->addr, hi);
}

/* DT_SKIP_VMA_BOUNDS (dt.h): MREMAP_DONTUNMAP unlocks the whole VMA that holds the old range,
 * the model its mapping (mm/mremap.c, leave_behind()); not run when a locked mapping of the
 * old range and the native VMAs there have different bounds, or when the target lies in it
 * (the target's removal splits it). */
static bool dontunmap_bounds_skip(const struct op *op)
{
	uint64_t old = DT_PAGE_ALIGN(op->len), tlo = op->new_addr;
	uint64_t thi = (op->flags & MREMAP_FIXED) && !op->abs_new ? tlo + DT_PAGE_ALIGN(op->new_len)
								   : tlo;

	if (!DT_SKIP_VMA_BOUNDS || !(op->flags & MREMAP_DONTUNMAP) || op->abs ||
	    op->addr >= DT_OPS_END)
		return false;
	for (int i = 0; i < dt.nmv; i++) {
		const struct mview *v = &dt.mv[i];

		if (v->start < op->addr + old && op->addr < v->end && (v->flags & MF_LOCKED) &&
		    (vma_bounds_differ(v->start, v->end) || (tlo < v->end && v->start < thi)))
			return true;
	}
	return false;
}

/* DT_SKIP_MREMAP_GUARD_GAP (dt.h): growth in place ending within the guard gap below a
 * growsdown mapping (with room up to it). */
static bool guard_gap_skip(const struct op *op)
{
	uint64_t old = DT_PAGE_ALIGN(op->len), nl = DT_PAGE_ALIGN(op->new_len), end, new_end;

	if (!DT_SKIP_MREMAP_GUARD_GAP || (op->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) ||
	    op->abs || op->addr >= DT_OPS_END || !old || nl <= old)
		return false;
	end = op->addr + old;
	new_end = op->addr + nl;
	for (int i = 0; i < dt.nmv; i++) {
		const struct mview *v = &dt.mv[i];

		if (v->start < end || v->start >= new_end + DT_GUARD_GAP)
			continue;
		return (v->flags & MF_GROWSDOWN) && new_end <= v->start;
	}
	return false;
}

/* DT_SKIP_MREMAP_TARGET_IN_SOURCE (dt.h): a FIXED target in the private anonymous mapping
 * that holds the start of the old range. */
static bool target_in_source_skip(const struct op *op)
{
	uint64_t nl = DT_PAGE_ALIGN(op->new_len);

	if (!DT_SKIP_MREMAP_TARGET_IN_SOURCE || !(op->flags & MREMAP_FIXED) || op->abs ||
	    op->abs_new || op->addr >= DT_OPS_END)
		return false;
	for (int i = 0; i < dt.nmv; i++) {
		const struct mview *v = &dt.mv[i];

		if (v->start <= op->addr && op->addr < v->end)
			return v->kind == MK_ANON && !(v->flags & MF_SHARED) &&
			       op->new_addr < v->end && v->start < op->new_addr + nl;
	}
	return false;
}

/* A raw mremap result: an address, or -errno in -4095..-1. */
static bool is_err(long r)
{
	return r < 0 && r >= -4095;
}

/* A raw result as compared with the model's: an address relative to the native base. */
static long native_rel(long r)
{
	return is_err(r) ? r : r - (long)dt.nbase;
}

/* The native segments [lo, hi) with attribute a (relative, from the last layout read). */
static int segs_with(unsigned a, uint64_t lo, uint64_t hi, struct seg *out, int max)
{
	int n = 0;

	for (int i = 0; i < dt.nat.n && n < max; i++)
		if ((dt.nat.s[i].attr & a) && dt.nat.s[i].start < hi && lo < dt.nat.s[i].end)
			out[n++] = dt.nat.s[i];
	return n;
}

/*
 * The exact call in a forked child: its raw result, -ECHILD, or PROBE_BLIND. The child's
 * address space is the parent's as fork(2) copies it, less two things mremap depends on:
 *  - memory locks are not inherited (a locked mapping's growth meets RLIMIT_MEMLOCK): the
 *    child locks again what the parent had locked, and its limit is lowered by the locked
 *    pages it cannot lock again, those of DONTFORK ranges;
 *  - DONTFORK ranges are absent: when one meets the old range or the room above it, the
 *    child would see another address space (a hole for a mapping, room where there is
 *    none), and the probe is not made (PROBE_BLIND; made DOFORK for the fork instead,
 *    such a range may merge with its neighbours and change the VMA bounds mremap checks).
 */
#define PROBE_BLIND (-4096L)

static long probe(const struct op *op)
{
	static struct seg lck[DT_MAXSEG], dfk[DT_MAXSEG];
	uint64_t span = DT_PAGE_ALIGN(op->len > op->new_len ? op->len : op->new_len) + DT_PAGE;
	uint64_t lo = op->addr & ~(DT_PAGE - 1), missing = 0;
	int nl, nd, p[2], st;
	long r = -ECHILD;
	pid_t pid;

	if (!op->abs && lo < DT_OPS_END && segs_with(A_DONTFORK, lo, lo + span, dfk, 1))
		return PROBE_BLIND;
	nl = segs_with(A_LOCKED, 0, DT_OPS_END, lck, DT_MAXSEG);
	nd = segs_with(A_DONTFORK, 0, DT_OPS_END, dfk, DT_MAXSEG);
	for (int i = 0; i < nd; i++)
		if (dfk[i].attr & A_LOCKED)
			missing += (dfk[i].end - dfk[i].start) / DT_PAGE;
	fflush(NULL);
	if (pipe(p) < 0)
		return -ECHILD;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (int i = 0; i < nl; i++)
			syscall(SYS_mlock2, dt.nbase + lck[i].start, lck[i].end - lck[i].start,
				lck[i].attr & A_LOCKONFAULT ? MLOCK_ONFAULT : 0);
		dt.memlock_missing = missing;
		r = native_mremap_at(op, op->flags, 0, NM_IN_PROBE);
		_exit(write(p[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &r, sizeof(r)) != sizeof(r))
		r = -ECHILD;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	return r;
}

static bool target_free(uint64_t rel, uint64_t len)
{
	for (int i = 0; i < dt.nmv; i++)
		if (dt.mv[i].start < rel + len && rel < dt.mv[i].end)
			return false;
	return true;
}

static const char *label(const struct op *op, long r)
{
	uint64_t old = DT_PAGE_ALIGN(op->len), nl = DT_PAGE_ALIGN(op->new_len);

	if (r < 0)
		return errno_label(r);
	if (!old)
		return "success(alias)";
	if (op->flags & MREMAP_DONTUNMAP)
		return "success(dontunmap)";
	if (op->flags & MREMAP_FIXED)
		return "success(fixed)";
	if ((uint64_t)r != op->addr)
		return "success(move)";
	return nl > old ? "success(grow-in-place)" : nl < old ? "success(shrink)" : "success(same)";
}

long do_mremap(const struct op *op, char *why, size_t wl, const char **lab)
{
	uint64_t nl = DT_PAGE_ALIGN(op->new_len), rel = 0;
	long mr, nr, pr;

	if (bounds_skip(op) || dontunmap_bounds_skip(op)) {
		*lab = "skipped(vma-boundary)";
		run_set_results("not run");
		return 0;
	}
	if (target_in_source_skip(op)) {
		*lab = "skipped(target-in-source)";
		run_set_results("not run");
		return 0;
	}
	if (guard_gap_skip(op)) {
		*lab = "skipped(guard-gap)";
		run_set_results("not run");
		return 0;
	}
	mr = model_op(op);
	model_fill_holes();
	if (mr >= 0) {
		rel = (uint64_t)mr - dt.mbase;
		if ((uint64_t)mr < dt.mbase || rel >= DT_OPS_END || rel & (DT_PAGE - 1) ||
		    nl > DT_OPS_END - rel) {
			snprintf(why, wl,
				 "the model put the mapping at %#lx, outside the ops window", mr);
			return -1;
		}
		mr = (long)rel;
		if (rel == op->addr && !(op->flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) &&
		    op->len) {
			nr = native_rel(
			    native_mremap_at(op, op->flags & ~MREMAP_MAYMOVE, 0, NM_PLAIN));
		} else {
			if (!(op->flags & MREMAP_FIXED) && !target_free(rel, nl)) {
				snprintf(why, wl,
					 "the model moved the mapping to +%#" PRIx64
					 " over an existing mapping",
					 rel);
				return -1;
			}
			nr = native_rel(native_mremap_at(op,
							 op->flags | MREMAP_MAYMOVE | MREMAP_FIXED,
							 dt.nbase + rel, NM_PLAIN));
		}
	} else if ((op->flags & MREMAP_MAYMOVE) && !(op->flags & MREMAP_FIXED)) {
		pr = probe(op);
		if (pr == PROBE_BLIND) {
			run_set_results("model %s, not probed", errno_label(mr));
			*lab = "skipped(probe-dontfork)";
			return 0;
		}
		if (!is_err(pr) && mr == -ENOMEM && !native_placeable(nl, &rel)) {
			/* no room in the model's small VMAR, and none in the native ops window
			 * either: Linux moved it elsewhere in the process (not comparable) */
			run_set_results("model ENOMEM, native probe moves it outside the window");
			*lab = "model-only";
			return 0;
		}
		if (!is_err(pr) || pr == -ECHILD) {
			run_set_results("model %s, native probe %#lx", errno_label(mr), pr);
			snprintf(why, wl,
				 !is_err(pr) ? "the model failed, Linux moves the mapping"
					     : "the native probe died");
			return -1;
		}
		nr = native_mremap_at(op, op->flags, 0, NM_PROBED);
		if (!is_err(nr)) {
			run_set_results("model %s, native probe %s, native %#lx", errno_label(mr),
					errno_label(pr), nr);
			snprintf(why, wl, "the probe failed, the native call did not (harness)");
			return -1;
		}
	} else {
		nr = native_rel(native_mremap_at(
		    op, op->flags, op->abs_new ? op->new_addr : dt.nbase + op->new_addr, NM_PLAIN));
	}
	if (!op->abs) {
		written_clear(op->addr, op->len);
		if (mr >= 0)
			written_clear((uint64_t)mr, op->new_len);
		if (op->flags & MREMAP_FIXED && !op->abs_new)
			written_clear(op->new_addr, op->new_len);
	}
	run_set_results("model %ld (%s), native %ld (%s)", mr, mr < 0 ? errno_label(mr) : "ok", nr,
			nr < 0 ? errno_label(nr) : "ok");
	if (mr != nr) {
		snprintf(why, wl, "results differ");
		return -1;
	}
	*lab = label(op, mr);
	return 0;
}
