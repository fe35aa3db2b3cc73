/*
 * The native side: real Linux syscalls on the native region, kept comparable with the model.
 *
 * The native region is reserved like the model's (a placeholder of an empty memfd named
 * starmm-hole over all of it). Invariant: every part of the region that holds no mapping of
 * the test holds a placeholder, so the harness's own allocations never land there. Around
 * each operation: native_lift() unmaps the placeholders inside the range the operation will
 * touch (only where the region is a hole: a real mapping is never lifted), the syscall runs,
 * and native_restore() maps placeholders back over every hole (MAP_FIXED over the known-hole
 * parts only, with the page offset of the address so neighbouring placeholders merge).
 * Between the two nothing allocates memory. The heap window is never lifted: a placeholder
 * always sits there, which the probe of a failed automatic mmap relies on.
 *
 * Safety: native_assert_safe() aborts before a native call that could change memory outside
 * the ops window (a generator bug must never wreck the harness). A call may reach outside
 * only when it is certain to fail before touching anything. mremap is held to more: the
 * harness never makes a native MREMAP_MAYMOVE call without MREMAP_FIXED (the kernel would
 * choose an address anywhere in the process) unless the same call already failed in a forked
 * probe (run_mremap.c), which makes its failure here certain.
 *
 * RLIMIT_MEMLOCK: every native call runs between memlock_native() and memlock_done()
 * (limits.c), which give it the limit the native side alone would have.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/difftest/dt.h"

static struct region_maps nrm;

static long sys(long r)
{
	return r == -1 ? -errno : r;
}

static int place_hole(uint64_t rel, uint64_t len)
{
	void *p = mmap((void *)(dt.nbase + rel), len, PROT_NONE,
		       MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, dt.nhole_fd, (off_t)rel);

	return p == MAP_FAILED ? -errno : 0;
}

int native_setup(void)
{
	uint64_t a = DT_REGION, p;
	int e;

	dt.nhole_fd = memfd_create(SELF_HOLE_NAME, MFD_CLOEXEC);
	if (dt.nhole_fd < 0)
		return -errno;
	p = (uint64_t)mmap(NULL, DT_REGION + a, PROT_NONE, MAP_PRIVATE | MAP_NORESERVE, dt.nhole_fd,
			   0);
	if ((void *)p == MAP_FAILED)
		return -errno;
	dt.nbase = (p + a - 1) & ~(a - 1);
	if (dt.nbase > p)
		munmap((void *)p, dt.nbase - p);
	if (p + DT_REGION + a > dt.nbase + DT_REGION)
		munmap((void *)(dt.nbase + DT_REGION), p + a - dt.nbase);
	e = place_hole(0, DT_REGION);
	if (e)
		return e;
	native_restore();
	return 0;
}

void native_teardown(void)
{
	if (dt.nbase)
		munmap((void *)dt.nbase, DT_REGION);
	if (dt.nhole_fd >= 0)
		close(dt.nhole_fd);
	dt.nbase = 0;
}

/*
 * Lifting: unmaps what of [lo, hi) holds no real mapping (placeholders, per the last read).
 * Restoring: maps a placeholder over what of [lo, hi) holds nothing at all.
 */
static void for_gaps(uint64_t lo, uint64_t hi, bool lift)
{
	uint64_t at = lo;

	for (int i = 0; i <= nrm.n && at < hi; i++) {
		uint64_t s = i < nrm.n ? nrm.m[i].start - dt.nbase : hi;
		uint64_t e = i < nrm.n ? nrm.m[i].end - dt.nbase : hi;

		if (i < nrm.n && lift && nrm.m[i].hole)
			continue;
		if (s > hi)
			s = hi;
		if (s > at) {
			if (lift)
				munmap((void *)(dt.nbase + at), s - at);
			else if (place_hole(at, s - at) < 0)
				abort();
		}
		if (e > at)
			at = e;
	}
}

void native_lift(uint64_t rel, uint64_t len)
{
	uint64_t end;

	if (rel >= DT_OPS_END)
		return;
	end = len > DT_OPS_END - rel ? DT_OPS_END : DT_PAGE_ALIGN(rel + len);
	for_gaps(rel & ~(DT_PAGE - 1), end, true);
}

void native_restore(void)
{
	if (maps_read2(false, &nrm, NULL) < 0)
		abort();
	for_gaps(0, DT_REGION, false);
	if (maps_read2(false, &nrm, NULL) < 0)
		abort();
}

/*
 * Whether a native call with these arguments stays inside the ops window or fails before
 * touching memory (Linux's early checks: x86 sys_mmap's offset check, do_mmap's length
 * checks, __get_unmapped_area's TASK_SIZE checks, munmap's and mprotect's range checks).
 */
static bool native_safe(enum op_kind k, uint64_t addr, uint64_t len, bool fixed)
{
	uint64_t lo = dt.nbase, hi = dt.nbase + DT_OPS_END;
	uint64_t alen = DT_PAGE_ALIGN(len);

	switch (k) {
	case OP_MMAP:
		if (!fixed || len == 0 || alen == 0 || len > DT_TASK_SIZE || addr & (DT_PAGE - 1))
			return true;
		if (addr > DT_TASK_SIZE - alen)
			return true;
		break;
	case OP_MUNMAP:
		if (len == 0 || addr & (DT_PAGE - 1) || addr > DT_TASK_SIZE ||
		    len > DT_TASK_SIZE - addr)
			return true;
		break;
	default: /* mprotect */
		if (len == 0 || addr & (DT_PAGE - 1) || addr >= DT_TASK_SIZE || addr + alen <= addr)
			return true;
		break;
	}
	return addr >= lo && alen <= hi - addr;
}

static void native_assert_safe(enum op_kind k, uint64_t addr, uint64_t len, bool fixed)
{
	if (native_safe(k, addr, len, fixed))
		return;
	fprintf(stderr,
		"difftest: refusing a native %s at %#" PRIx64 " len %#" PRIx64
		" outside the native ops window (generator bug), seed %" PRIu64 " step %" PRIu64
		"\n",
		op_kind_name(k), addr, len, dt.seed, dt.step);
	abort();
}

static uint64_t native_addr(const struct op *op)
{
	return op->abs ? op->addr : dt.nbase + op->addr;
}

/*
 * Runs op natively. For an automatic mmap the model's choice is passed as a relative address
 * in `at` and the call is made MAP_FIXED there (the range is a hole on both sides); `at` is
 * ignored otherwise.
 */
long native_op(const struct op *op, uint64_t at, bool use_at)
{
	uint64_t addr = native_addr(op);
	int fd = file_fd(0, op->fslot);
	int flags = op->flags;
	long r;

	switch (op->kind) {
	case OP_MMAP:
		if (use_at) {
			addr = dt.nbase + at;
			flags |= MAP_FIXED;
		}
		native_assert_safe(OP_MMAP, addr, op->len,
				   flags & (MAP_FIXED | MAP_FIXED_NOREPLACE));
		if (!op->abs || use_at)
			native_lift(addr - dt.nbase, op->len);
		memlock_native(op);
		r = sys(syscall(SYS_mmap, addr, op->len, op->prot, flags, fd, op->off));
		memlock_done();
		native_restore();
		return r >= 0 ? r - (long)dt.nbase : r;
	case OP_MUNMAP:
		native_assert_safe(OP_MUNMAP, addr, op->len, true);
		r = sys(syscall(SYS_munmap, addr, op->len));
		native_restore();
		return r;
	case OP_MPROTECT:
	case OP_PKEY_MPROTECT:
		native_assert_safe(OP_MPROTECT, addr, op->len, true);
		if (!op->abs)
			native_lift(op->addr, op->len);
		memlock_native(op);
		if (op->kind == OP_MPROTECT)
			r = sys(syscall(SYS_mprotect, addr, op->len, op->prot));
		else
			r = sys(syscall(SYS_pkey_mprotect, addr, op->len, op->prot, op->pkey));
		memlock_done();
		native_restore();
		return r;
	default:
		return -ENOSYS;
	}
}

/*
 * A failed automatic mmap of the model that has no hole to be replayed in: the same call
 * made MAP_FIXED_NOREPLACE over the permanent placeholder of the heap window. It can never
 * map anything: either it fails with one of Linux's early errors (compared with the model's),
 * or with EEXIST, meaning Linux gets past them.
 */
long native_probe_mmap(const struct op *op)
{
	uint64_t addr = dt.nbase + DT_OPS_END;
	int flags = (op->flags & ~MAP_FIXED) | MAP_FIXED_NOREPLACE;
	long r;

	memlock_native(op);
	r = sys(syscall(SYS_mmap, addr, op->len, op->prot, flags, file_fd(0, op->fslot), op->off));
	memlock_done();
	return r;
}

/* The range ops' early failures (madvise, mlock, msync, mincore): a range that wraps, or lies
 * at or above TASK_SIZE (no VMA there), touches nothing. */
static bool range_safe(const struct op *op)
{
	uint64_t a = native_addr(op), s = a & ~(DT_PAGE - 1);
	uint64_t alen = DT_PAGE_ALIGN(op->len + (a - s));

	if (op->len == 0 || a >= DT_TASK_SIZE || s + alen < s || alen < op->len)
		return true;
	/* only mlock and munlock round an unaligned start down; the others refuse it */
	if (a != s && op->kind != OP_MLOCK && op->kind != OP_MLOCK2 && op->kind != OP_MUNLOCK)
		return true;
	return s >= dt.nbase && alen <= dt.nbase + DT_OPS_END - s;
}

static void refuse(const struct op *op)
{
	fprintf(stderr, "difftest: refusing a native ");
	op_print(stderr, op);
	fprintf(stderr, " (generator bug), seed %" PRIu64 " step %" PRIu64 "\n", dt.seed, dt.step);
	abort();
}

long native_range_op(const struct op *op, void *vec)
{
	uint64_t addr = native_addr(op);
	long r;

	if (op->kind != OP_MLOCKALL && op->kind != OP_MUNLOCKALL && !range_safe(op))
		refuse(op);
	if (!op->abs && op->kind != OP_MLOCKALL && op->kind != OP_MUNLOCKALL)
		native_lift(op->addr, op->len);
	memlock_native(op);
	switch (op->kind) {
	case OP_MADVISE:
		r = sys(syscall(SYS_madvise, addr, op->len, op->advice));
		break;
	case OP_MLOCK:
		r = sys(syscall(SYS_mlock, addr, op->len));
		break;
	case OP_MLOCK2:
		r = sys(syscall(SYS_mlock2, addr, op->len, op->flags));
		break;
	case OP_MUNLOCK:
		r = sys(syscall(SYS_munlock, addr, op->len));
		break;
	case OP_MLOCKALL:
		r = sys(syscall(SYS_mlockall, op->flags));
		break;
	case OP_MUNLOCKALL:
		r = sys(syscall(SYS_munlockall));
		break;
	case OP_MSYNC:
		r = sys(syscall(SYS_msync, addr, op->len, op->flags));
		break;
	case OP_MINCORE:
		r = sys(syscall(SYS_mincore, addr, op->len, vec));
		break;
	default:
		r = -ENOSYS;
	}
	memlock_done();
	native_restore();
	return r;
}

/*
 * Whether a native mremap with these flags and absolute target stays in the ops window or
 * fails before touching anything (check_mremap_params(): flags, alignment, lengths, a
 * wrapping old range, a FIXED target beyond TASK_SIZE). With mode NM_PROBED (the same call
 * failed in a forked probe) or NM_IN_PROBE (the probe itself), any flags are allowed.
 */
static bool mremap_safe(const struct op *op, int flags, uint64_t target, int mode)
{
	uint64_t a = native_addr(op), old = DT_PAGE_ALIGN(op->len), nl = DT_PAGE_ALIGN(op->new_len);
	uint64_t lo = dt.nbase, hi = dt.nbase + DT_OPS_END;

	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | 4) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) ||
	    ((flags & 4) && (!(flags & MREMAP_MAYMOVE) || old != nl)))
		return true;
	if (a & (DT_PAGE - 1) || nl == 0 || nl > DT_TASK_SIZE || a + old < a ||
	    (op->len && old == 0))
		return true;
	if (a < lo || a >= hi || old > hi - a)
		return false;
	if (flags & MREMAP_FIXED) {
		if (target & (DT_PAGE - 1) || target > DT_TASK_SIZE - nl)
			return true;
		return target >= lo && nl <= hi - target;
	}
	return !(flags & MREMAP_MAYMOVE) || mode != NM_PLAIN;
}

/*
 * mremap natively with `flags` (the op's, or the replay's) and the absolute target `target`
 * (MREMAP_FIXED only). The native side lifts its placeholders from the old range, the room
 * above it up to addr + new_len (growth in place), and a target in the ops window, so that
 * the kernel sees the holes the model sees. Returns the kernel's raw result: the new
 * (absolute) address, or -errno. NM_IN_PROBE (a forked probe about to exit) leaves the holes
 * lifted.
 */
long native_mremap_at(const struct op *op, int flags, uint64_t target, int mode)
{
	uint64_t a = native_addr(op), old = DT_PAGE_ALIGN(op->len), nl = DT_PAGE_ALIGN(op->new_len);
	long r;

	if (!mremap_safe(op, flags, target, mode))
		refuse(op);
	if (!op->abs && op->addr < DT_OPS_END) {
		uint64_t span = old > nl ? old : nl;

		native_lift(op->addr, span > DT_OPS_END ? DT_OPS_END : span);
	}
	if ((flags & MREMAP_FIXED) && target >= dt.nbase && target < dt.nbase + DT_OPS_END)
		native_lift(target - dt.nbase, nl);
	memlock_native(op);
	r = sys(syscall(SYS_mremap, a, op->len, op->new_len, flags, target));
	memlock_done();
	if (mode != NM_IN_PROBE)
		native_restore();
	return r;
}

/*
 * A hole of the native ops window where Linux's automatic placement could put len bytes:
 * free, and not within the stack guard gap below a growsdown mapping (from the model's
 * view, which equals the native layout after every step). The lowest one, in *rel.
 */
bool native_placeable(uint64_t len, uint64_t *rel)
{
	uint64_t alen = DT_PAGE_ALIGN(len), at = 0;

	if (len == 0 || alen == 0 || alen > DT_OPS_END)
		return false;
	for (int i = 0; i <= dt.nmv; i++) {
		uint64_t next = DT_OPS_END;

		if (i < dt.nmv && dt.mv[i].start < DT_OPS_END) {
			next = dt.mv[i].start;
			if (dt.mv[i].flags & MF_GROWSDOWN)
				next = next > DT_GUARD_GAP ? next - DT_GUARD_GAP : 0;
		}
		if (next >= at && next - at >= alen) {
			*rel = at;
			return true;
		}
		if (i < dt.nmv && dt.mv[i].end > at)
			at = dt.mv[i].end;
		if (at >= DT_OPS_END)
			break;
	}
	return false;
}

/* Pages of native-region mappings Linux counts as data (private, writable, not a stack),
 * from the layout read after the last operation. */
uint64_t native_data_pages(void)
{
	uint64_t pages = 0;

	for (int i = 0; i < dt.nat.n; i++) {
		unsigned a = dt.nat.s[i].attr;

		if ((a & A_W) && !(a & A_SHARED) && !(a & A_GROWSDOWN))
			pages += (dt.nat.s[i].end - dt.nat.s[i].start) / DT_PAGE;
	}
	return pages;
}
