/*
 * mseal(2) on the model (Linux 6.10; probed on 6.18): flags must be 0 and the start
 * page-aligned (EINVAL), the length is rounded up to pages (a wrap is EINVAL, 0 does nothing),
 * then the whole range must be mapped (a hole, or a range beyond the user address space:
 * ENOMEM, nothing sealed), and every mapping in it gets MF_SEALED, split at the range's ends.
 *
 * The seal lives in the model only: the operations refuse what Linux refuses on a sealed
 * mapping (mm.h, MF_SEALED), while the kernel's mapping stays unsealed so that starmm can
 * still re-map it for its own reasons (a fork's snapshot, a rollback). No plan step: nothing
 * changes in the real address space.
 */
#include "mm/internal.h"

long mm_mseal(struct mm *mm, uint64_t start, uint64_t len_in, unsigned long flags)
{
	uint64_t len = PAGE_ALIGN(len_in), end = start + len, at = start;
	struct mapping **news = NULL;
	size_t n = 0;
	struct txn t;

	if (flags || PAGE_OFF(start) || (len_in && !len) || end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	if (end > TASK_SIZE)
		return -ENOMEM;
	for (struct mapping *m = table_from(mm, start); at < end; m = mm_next(mm, m)) {
		if (!m || m->start > at)
			return -ENOMEM; /* range_contains_unmapped() */
		at = m->end;
		n++;
	}
	news = xcalloc(n, sizeof(*news));
	n = 0;
	for (struct mapping *m = table_from(mm, start); m && m->start < end; m = mm_next(mm, m)) {
		news[n] = mapping_slice(m, m->start > start ? m->start : start,
					m->end < end ? m->end : end);
		news[n++]->flags |= MF_SEALED;
	}
	txn_begin(&t, mm);
	txn_set(&t, start, end, news, n);
	free(news);
	return txn_commit(&t);
}
