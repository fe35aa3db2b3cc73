/*
 * mlock(2), mlock2(2), munlock(2), mlockall(2) and munlockall(2) on the model, following
 * mm/mlock.c of Linux 6.x:
 *  - mlock/mlock2: the flags (MLOCK_ONFAULT only, EINVAL), can_do_mlock() (EPERM when
 *    RLIMIT_MEMLOCK is 0 without CAP_IPC_LOCK), the start rounded down and the length up,
 *    the limit (locked pages plus the new ones, less those of the range already locked,
 *    beyond RLIMIT_MEMLOCK without CAP_IPC_LOCK: ENOMEM), then apply_vma_lock_flags(): a hole
 *    at the start is ENOMEM with nothing changed, a later hole ENOMEM after the mappings
 *    before it were locked (and nothing populated); then populating, whose failure (a
 *    PROT_NONE mapping, guard pages, a file mapping beyond the end of its file, a shared
 *    anonymous one beyond its object) is ENOMEM with the flags kept and nothing after it
 *    populated;
 *  - munlock: the same walk without checks;
 *  - mlockall: the flags (EINVAL for 0, unknown bits, MCL_ONFAULT alone), can_do_mlock(),
 *    with MCL_CURRENT the whole address space against RLIMIT_MEMLOCK (total_vm, as Linux),
 *    then every mapping locked; munlockall unlocks every mapping.
 * SPECIAL and MAP_HUGETLB mappings never get the flags and are not counted (Linux's
 * vma_supports_mlock()).
 *
 * The model keeps MF_LOCKED / MF_LOCKONFAULT on the mappings (split as mprotect splits them;
 * mm->locked_pages follows through the table's accounting) and passes the calls through over
 * the accepted mapped ranges so that the real pages are locked. A part that Linux does not
 * populate (it cannot, or populating stopped before it) is passed with MLOCK_ONFAULT, so that
 * the kernel locks it without failing or populating (its VmFlags then show "lf" there, the
 * model's flags do not); the model gives the populate error itself. A populate failure the
 * model cannot foresee (a file mapped at exec, whose size it cannot read; memory running out)
 * fails the pass-through: the operation is rolled back and returns that error, where Linux
 * keeps the flags it applied.
 *
 * Not modelled: mlockall(MCL_FUTURE) is checked and accepted but recorded nowhere (struct mm
 * has no def_flags): later mappings are not locked, and the call is not passed through (it
 * would lock every later mapping of the real process, placeholders and trampoline included,
 * behind the model's back).
 */
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "mm/internal.h"

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 0x01
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

#define MF_LOCK_MASK (MF_LOCKED | MF_LOCKONFAULT) /* VM_LOCKED_MASK */

static const int mlock_errnos[] = {EAGAIN, EINVAL, ENOMEM, EPERM, 0};

/* vma_supports_mlock() */
static bool lockable(const struct mapping *m)
{
	return m->kind != MK_SPECIAL && !(m->flags & MF_HUGETLB) && m->start < TASK_SIZE;
}

/* can_do_mlock() */
static bool can_do_mlock(struct mm *mm)
{
	return mm_rlimit(mm, RLIMIT_MEMLOCK) != 0 || mm_capable(mm, CAP_IPC_LOCK);
}

/* Where populating [s, e) of m stops (e when it does not fail): nothing of a PROT_NONE
 * mapping, a file mapping up to the end of its file and a shared anonymous mapping up to the
 * end of its object, which mremap may have grown it beyond (beyond: SIGBUS, so EFAULT). */
static uint64_t populate_end(const struct mapping *m, uint64_t s, uint64_t e)
{
	struct stat st;
	uint64_t obj_end, last;

	if (m->kind == MK_SPECIAL)
		return e; /* [vvar] is skipped, [vdso] is readable */
	if (m->prot == PROT_NONE || (m->flags & MF_GUARD))
		return s; /* no access at all; a guard page faults with SIGSEGV */
	if (m->kind == MK_ANON && (m->flags & MF_SHARED) && m->vmo)
		obj_end = vmo_get_size(m->vmo);
	else if (m->kind != MK_FILE || m->file->fd < 0 || fstat(m->file->fd, &st) < 0)
		return e; /* no descriptor (mapped at exec): the kernel's pass-through tells */
	else
		obj_end = PAGE_ALIGN((uint64_t)st.st_size);
	if (obj_end <= m->off + (s - m->start))
		return s;
	last = m->start + (obj_end - m->off);
	return last < e ? last : e;
}

/* One lock or unlock operation: the transaction, and the pass-through run being gathered. */
struct lock_op {
	struct mm *mm;
	struct txn t;
	unsigned lock; /* the MF_LOCK_MASK flags the range gets */
	bool stops;    /* populating stops at its first failure (mlock; mlockall goes on) */
	bool stopped;  /* nothing more is populated: a failure, or no populating at all */
	bool onfault;  /* the run being gathered is passed with MLOCK_ONFAULT */
	uint64_t run_start, run_end;
};

static void end_run(struct lock_op *op)
{
	uint64_t len = op->run_end - op->run_start;

	if (!len)
		return;
	if (!op->lock)
		txn_syscall(&op->t, SYS_munlock, op->run_start, len, 0, 0);
	else if (op->onfault)
		txn_syscall(&op->t, SYS_mlock2, op->run_start, len, MLOCK_ONFAULT, 0);
	else
		txn_syscall(&op->t, SYS_mlock, op->run_start, len, 0, 0);
	op->run_start = op->run_end = 0;
}

static void pass(struct lock_op *op, uint64_t s, uint64_t e, bool onfault)
{
	if (s == e)
		return;
	if (op->run_end != s || op->run_end == op->run_start || op->onfault != onfault) {
		end_run(op);
		op->run_start = s;
		op->onfault = onfault;
	}
	op->run_end = e;
}

/* [s, e) of m gets the lock flags (mlock_fixup) and is passed through: populating up to
 * where Linux populates it, with MLOCK_ONFAULT beyond. */
static void lock_part(struct lock_op *op, const struct mapping *m, uint64_t s, uint64_t e)
{
	unsigned flags = (m->flags & ~MF_LOCK_MASK) | op->lock;
	bool onfault = op->lock & MF_LOCKONFAULT;
	uint64_t pe = onfault || !op->lock ? e : op->stopped ? s : populate_end(m, s, e);

	if (lockable(m) && flags != m->flags) {
		struct mapping *slice = mapping_slice(m, s, e);

		slice->flags = flags;
		txn_set(&op->t, s, e, &slice, 1);
	}
	pass(op, s, pe, onfault);
	pass(op, pe, e, true);
	op->stopped |= op->stops && pe < e;
}

static long lock_commit(struct lock_op *op)
{
	end_run(op);
	return txn_commit(&op->t);
}

/* apply_vma_lock_flags(): the end of the part [start, *stop) that gets the flags, and the
 * error (ENOMEM for a hole at the start or after it; EINVAL for a wrapping range). */
static long lock_walk(struct mm *mm, uint64_t start, uint64_t len, uint64_t *stop)
{
	uint64_t end = start + len, tmp;
	struct mapping *m;

	*stop = start;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	m = mm_find(mm, start);
	if (!m || m->start >= TASK_SIZE)
		return -ENOMEM;
	for (tmp = m->start; m && m->start < end; m = mm_next(mm, m)) {
		if (m->start != tmp)
			break;
		tmp = m->end < end ? m->end : end;
	}
	*stop = tmp;
	return tmp < end ? -ENOMEM : 0;
}

/*
 * Locks (lock != 0) or unlocks [start, start + len): apply_vma_lock_flags(), then, when
 * locking without MLOCK_ONFAULT and no hole came first (do_mlock() returns its ENOMEM before
 * populating anything), __mm_populate(): it stops at the first part that cannot be populated
 * (populated up to there, nothing after it) with ENOMEM (EFAULT, as mlock reports it).
 */
static long apply(struct mm *mm, uint64_t start, uint64_t len, unsigned lock)
{
	struct lock_op op = {.mm = mm, .lock = lock, .stops = true};
	uint64_t stop;
	long err = lock_walk(mm, start, len, &stop), r;

	if (stop == start)
		return err;
	op.stopped = err != 0;
	txn_begin(&op.t, mm);
	for (struct mapping *m = table_from(mm, start); m && m->start < stop; m = mm_next(mm, m))
		lock_part(&op, m, m->start > start ? m->start : start,
			  m->end < stop ? m->end : stop);
	if (!err && op.stopped)
		err = -ENOMEM;
	r = lock_commit(&op);
	return r ? syscall_errno(r, mlock_errnos) : err;
}

long mm_mlock(struct mm *mm, uint64_t start, uint64_t len, unsigned flags)
{
	unsigned lock = MF_LOCKED;
	uint64_t locked, limit, total, data, in_range, end;
	bool capable;

	if (flags & ~MLOCK_ONFAULT)
		return -EINVAL;
	if (flags & MLOCK_ONFAULT)
		lock |= MF_LOCKONFAULT;
	/* do_mlock() */
	if (!can_do_mlock(mm))
		return -EPERM;
	len = PAGE_ALIGN(len + PAGE_OFF(start));
	start &= ~(PAGE - 1);
	limit = mm_rlimit(mm, RLIMIT_MEMLOCK) / PAGE;
	locked = len / PAGE + mm->locked_pages + mm->ext_locked_pages;
	capable = mm_capable(mm, CAP_IPC_LOCK);
	if (locked > limit && !capable) {
		/* count_mm_mlocked_page_nr(): what the range already has locked is not new. */
		end = len > UINT64_MAX - start ? UINT64_MAX : start + len;
		pages_in_range(mm, start, end, &total, &data, &in_range);
		locked -= in_range;
	}
	if (locked > limit && !capable)
		return -ENOMEM;
	return apply(mm, start, len, lock);
}

long mm_munlock(struct mm *mm, uint64_t start, uint64_t len)
{
	len = PAGE_ALIGN(len + PAGE_OFF(start));
	start &= ~(PAGE - 1);
	return apply(mm, start, len, 0);
}

/* apply_mlockall_flags() over the existing mappings: lock 0 unlocks them all. Every mapping
 * is passed through, one call per run of adjacent mappings. Populating errors are ignored,
 * as mm_populate() ignores them: it goes on with the next VMA. */
static long apply_all(struct mm *mm, unsigned lock)
{
	struct lock_op op = {.mm = mm, .lock = lock};
	long r;

	txn_begin(&op.t, mm);
	for (struct mapping *m = mm_first(mm); m && m->start < TASK_SIZE; m = mm_next(mm, m))
		lock_part(&op, m, m->start, m->end);
	r = lock_commit(&op);
	return r ? syscall_errno(r, mlock_errnos) : 0;
}

long mm_mlockall(struct mm *mm, int flags)
{
	uint64_t limit;

	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	if (!can_do_mlock(mm))
		return -EPERM;
	limit = mm_rlimit(mm, RLIMIT_MEMLOCK) / PAGE;
	if ((flags & MCL_CURRENT) && mm->total_pages + mm->ext_total_pages > limit &&
	    !mm_capable(mm, CAP_IPC_LOCK))
		return -ENOMEM;
	if (!(flags & MCL_CURRENT))
		return 0; /* MCL_FUTURE alone changes only mm->def_flags: not modelled */
	return apply_all(mm, MF_LOCKED | (flags & MCL_ONFAULT ? MF_LOCKONFAULT : 0));
}

long mm_munlockall(struct mm *mm)
{
	return apply_all(mm, 0);
}
