/*
 * mincore(2) on the model, following the mincore syscall of Linux 6.x (mm/mincore.c): an
 * unaligned start is EINVAL; a range reaching beyond the user address space is ENOMEM and a
 * result vector that does (one byte per page) EFAULT, both as access_ok() decides; a length
 * of zero is then 0; then the mappings from the start, one after the other: the vector is
 * filled for the mapped pages up to the first hole, which is ENOMEM (at the start: ENOMEM
 * and nothing written).
 *
 * The vector is the program's memory and the residency is the kernel's: the mapped part is
 * passed through and the kernel writes the vector (a vector that is not writable is EFAULT
 * from that call, as on Linux). For ANON memory the kernel reports the residency of the VMO's
 * memfd pages (its page cache) where Linux reports, for private anonymous memory, whether the
 * process's page table maps the page. Measured on 6.18 they agree: a page written or only
 * read is resident in both (Linux counts the shared zero page), untouched and decommitted
 * (DONTNEED) pages are not. They would differ for a page the memfd holds but no fault or copy
 * of this mapping's put there (resident here, not on Linux); the model's operations on private
 * memory (splits, moves, snapshots) keep pages where Linux keeps page table entries.
 */
#include <sys/syscall.h>

#include "mm/internal.h"

static const int mincore_errnos[] = {EAGAIN, EFAULT, EINVAL, ENOMEM, 0};

/* access_ok() on x86-64: the range ends at or below the top of the user address space. */
static bool user_range(uint64_t addr, uint64_t len)
{
	return addr + len >= addr && addr + len <= TASK_SIZE;
}

long mm_mincore(struct mm *mm, uint64_t start, uint64_t len, uint64_t vec)
{
	uint64_t pages, end, at;
	struct mapping *m;
	struct txn t;
	long r;

	if (PAGE_OFF(start))
		return -EINVAL;
	if (!user_range(start, len))
		return -ENOMEM;
	pages = len / PAGE + (PAGE_OFF(len) != 0);
	if (!user_range(vec, pages))
		return -EFAULT;
	if (!pages)
		return 0;
	end = start + pages * PAGE;

	/* do_mincore(): the mapping holding each address in turn, until a hole. */
	for (at = start; at < end; at = m->end) {
		m = mm_find(mm, at);
		if (!m)
			break;
	}
	if (at == start)
		return -ENOMEM;
	txn_begin(&t, mm);
	txn_syscall(&t, SYS_mincore, start, at < end ? at - start : len, vec, 0);
	r = txn_commit(&t);
	if (r)
		return syscall_errno(r, mincore_errnos);
	return at < end ? -ENOMEM : 0;
}
