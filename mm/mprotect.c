/*
 * mprotect(2) and pkey_mprotect(2) on the model, following do_mprotect_pkey(): argument
 * checks, the first mapping (PROT_GROWSDOWN extends the range down to the start of a
 * growsdown mapping), then mapping by mapping until a hole (ENOMEM) or a mapping that may not
 * get the protection (EACCES: beyond its max_prot; ENOMEM: RLIMIT_DATA when it turns into
 * data). As on Linux, the mappings before the failure keep their new protection: the part
 * that was accepted is committed and the error returned.
 *
 * Translation: the mapping is split (same VMO or file, adjusted offsets) and the real range
 * is protected in one step. Protection keys: only pkey -1 and 0 (the default key, which
 * exists when the CPU has PKU); starmm does not model pkey_alloc.
 */
#include "mm/internal.h"

#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

static const int mprotect_errnos[] = { EACCES, EINVAL, ENOMEM, 0 };

/* Walks [start, end) as mprotect_fixup() would; returns where it stopped and the error. */
static uint64_t accepted_until(struct mm *mm, struct mapping *m, uint64_t start, uint64_t end,
			       int prot, long *err)
{
	uint64_t tmp = m->start > start ? m->start : start;
	int64_t data_delta = 0;

	*err = 0;
	for (; m && m->start < end; m = mm_next(mm, m)) {
		uint64_t s = m->start > start ? m->start : start;
		uint64_t e = m->end < end ? m->end : end;
		bool was_data = mapping_is_data(m);
		bool will_data = (prot & PROT_WRITE) && !(m->flags & (MF_SHARED | MF_GROWSDOWN));

		if (m->start > tmp) {
			*err = -ENOMEM;
			return tmp;
		}
		if (prot & ~m->max_prot) {
			*err = -EACCES;
			return tmp;
		}
		if (m->flags & MF_SEALED) {
			/* mprotect_fixup(): the mappings before it keep the change */
			*err = -EPERM;
			return tmp;
		}
		if (will_data && !was_data) {
			uint64_t n = (e - s) / PAGE;

			mm->data_pages += data_delta;
			if (!may_expand_vm(mm, true, n) && may_expand_vm(mm, false, n)) {
				mm->data_pages -= data_delta;
				*err = -ENOMEM;
				return tmp;
			}
			mm->data_pages -= data_delta;
			data_delta += n;
		}
		tmp = e;
	}
	if (tmp < end)
		*err = -ENOMEM;
	return tmp;
}

static long apply(struct mm *mm, uint64_t start, uint64_t end, int prot)
{
	struct mapping **news = NULL;
	size_t n = 0, cap = 0;
	struct txn t;

	txn_begin(&t, mm);
	for (struct mapping *m = table_from(mm, start); m && m->start < end; m = mm_next(mm, m)) {
		struct mapping *s = mapping_slice(m, m->start > start ? m->start : start,
						  m->end < end ? m->end : end);

		s->prot = prot;
		if (n == cap)
			news = xrealloc(news, (cap = cap ? 2 * cap : 8) * sizeof(*news));
		news[n++] = s;
	}
	/* One step per run of mappings equally locked: the kernel populates locked memory
	 * that turns writable, and the backend must know which. */
	for (size_t i = 0, j; i < n; i = j) {
		unsigned locked = news[i]->flags & MF_LOCKED;

		for (j = i + 1; j < n && (news[j]->flags & MF_LOCKED) == locked; j++)
			;
		txn_protect(&t, news[i]->start, news[j - 1]->end - news[i]->start, prot,
			    locked ? MAP_LOCKED : 0);
	}
	txn_set(&t, start, end, news, n);
	free(news);
	return txn_commit(&t);
}

long mm_pkey_mprotect(struct mm *mm, uint64_t start, uint64_t len, int prot, int pkey)
{
	int grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	struct mapping *m;
	uint64_t end, stop;
	long err, r;

	prot &= ~grows;
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (PAGE_OFF(start))
		return -EINVAL;
	if (!len)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	if (prot & ~(PROT_ALL | PROT_SEM))
		return -EINVAL;
	prot &= PROT_ALL;
	if (pkey != -1 && !(pkey == 0 && mm->be->pkeys && mm->be->pkeys(mm->be_ctx)))
		return -EINVAL;

	m = table_from(mm, start);
	if (!m || m->start >= end)
		return -ENOMEM;
	if (grows & PROT_GROWSDOWN) {
		if (!(m->flags & MF_GROWSDOWN))
			return -EINVAL;
		m = mm_stack_bottom(mm, m);
		start = m->start;
	} else {
		if (m->start > start)
			return -ENOMEM;
		if (grows & PROT_GROWSUP)
			return -EINVAL; /* x86-64 has no VM_GROWSUP mappings */
	}
	stop = accepted_until(mm, m, start, end, prot, &err);
	if (stop > start) {
		r = apply(mm, start, stop, prot);
		if (r)
			return syscall_errno(r, mprotect_errnos);
	}
	return err;
}

long mm_mprotect(struct mm *mm, uint64_t start, uint64_t len, int prot)
{
	return mm_pkey_mprotect(mm, start, len, prot, -1);
}
