/*
 * msync(2) on the model, following the msync syscall of Linux 6.x (mm/msync.c): the flags
 * (unknown bits, or MS_ASYNC with MS_SYNC: EINVAL), an unaligned start (EINVAL), a wrapping
 * range (ENOMEM), a length of zero (0); then the mappings in order: a hole is ENOMEM at once
 * for plain MS_ASYNC and otherwise skipped and reported at the end, MS_INVALIDATE on a locked
 * mapping stops with EBUSY, and MS_SYNC writes back the shared file mappings on the way
 * (an I/O error stops the walk with that error).
 *
 * Only MS_SYNC on a shared FILE mapping the program may write through (VM_SHARED) does
 * anything on Linux: that part is passed through, with MS_SYNC alone, as a plan step of its
 * own so that a failed write-back stops the walk where Linux stops. MS_ASYNC and
 * MS_INVALIDATE do nothing else on Linux; ANON mappings (shared ones are shmem) have nothing
 * to write back. There is no model change, so nothing is ever rolled back but the calls.
 */
#include <sys/syscall.h>

#include "mm/internal.h"

static const int msync_errnos[] = {EBUSY, EINVAL, EIO, ENOMEM, ENOSPC, EROFS, 0};

/* A shared file mapping whose file is open for writing (Linux's VM_SHARED). */
static bool written_back(const struct mapping *m)
{
	return m->kind == MK_FILE && (m->flags & MF_SHARED) && (m->max_prot & PROT_WRITE);
}

long mm_msync(struct mm *mm, uint64_t start, uint64_t len, int flags)
{
	long err = 0, unmapped = 0, r;
	struct mapping *m;
	uint64_t end;
	struct txn t;

	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if (PAGE_OFF(start))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end < start)
		return -ENOMEM;
	if (end == start)
		return 0;

	txn_begin(&t, mm);
	for (m = table_from(mm, start);; m = mm_next(mm, m)) {
		uint64_t e;

		if (!m || m->start >= TASK_SIZE) {
			err = -ENOMEM;
			break;
		}
		if (start < m->start) {
			if (flags == MS_ASYNC) {
				err = -ENOMEM;
				break;
			}
			start = m->start;
			if (start >= end) {
				err = -ENOMEM;
				break;
			}
			unmapped = -ENOMEM;
		}
		if ((flags & MS_INVALIDATE) && (m->flags & MF_LOCKED)) {
			err = -EBUSY;
			break;
		}
		e = m->end < end ? m->end : end;
		if ((flags & MS_SYNC) && written_back(m))
			txn_syscall(&t, SYS_msync, start, e - start, MS_SYNC, 0);
		start = m->end;
		if (start >= end)
			break;
	}
	r = txn_commit(&t);
	if (r)
		return syscall_errno(r, msync_errnos);
	return err ? err : unmapped;
}
