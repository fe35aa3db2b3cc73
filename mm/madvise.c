/*
 * madvise(2) on the model, following do_madvise() of Linux 6.x: the advice, the alignment and
 * the length are checked first (EINVAL; a length of zero is then 0), then the mappings of the
 * range are visited in order as madvise_walk_vmas() visits them. A hole is skipped and
 * remembered (ENOMEM at the end, after every mapped part got the advice); a mapping that
 * refuses the advice stops the walk with its error, the parts before it keeping theirs.
 * MADV_POPULATE_* walk like get_user_pages (stop at the first hole, ENOMEM) and
 * MADV_HWPOISON/SOFT_OFFLINE page by page (CAP_SYS_ADMIN, EFAULT at the first bad page).
 *
 * The answer comes from the model's kind of mapping, never from what the kernel says about
 * the memfd mapping that backs an ANON one (a shared mapping in the kernel's eyes):
 *  - DONTNEED / DONTNEED_LOCKED / FREE on private ANON: the VMO range is decommitted after
 *    the commit point; the program reads zeros, as on Linux (FREE may keep or drop: starmm
 *    drops, which is what memory pressure does);
 *  - REMOVE on shared ANON: decommitted too (the data is gone for every user of the object);
 *  - DONTFORK, DOFORK, WIPEONFORK, KEEPONFORK: model flags (MF_DONTFORK, MF_WIPEONFORK), the
 *    mapping split as mprotect splits it; NOHUGEPAGE / HUGEPAGE set and clear MF_STACK, the
 *    model's VM_NOHUGEPAGE;
 *  - GUARD_INSTALL / GUARD_REMOVE (Linux 6.13; on every kind of mapping since 6.15): MF_GUARD
 *    set and cleared (mm.h), EINVAL on locked (install only), huge page and (the kernel
 *    says) special mappings; the markers themselves are the kernel's, so the call is passed
 *    through over the parts whose flag changed. Installing zaps private pages: a private
 *    ANON range is decommitted, and reads zeros once the markers are removed. starmm
 *    answers EINVAL when the running kernel cannot put markers on a VMO's (shared memfd)
 *    mapping;
 *  - a discarding advice (DONTNEED, FREE, REMOVE, DONTFORK, WIPEONFORK, GUARD_INSTALL...) on
 *    sealed private anonymous memory without PROT_WRITE: EPERM;
 *  - hints whose effect is the kernel's business (NORMAL, RANDOM, SEQUENTIAL, WILLNEED,
 *    DONTNEED on shared ANON and FILE, COLD, PAGEOUT, MERGEABLE, UNMERGEABLE, HUGEPAGE,
 *    NOHUGEPAGE, DONTDUMP, DODUMP, POPULATE_*): passed through over the accepted mapped parts
 *    only, one call per run of adjacent mappings, as the plan's last steps;
 *  - where only the kernel knows the answer (SPECIAL mappings, REMOVE on a shared FILE
 *    mapping: the filesystem decides, COLLAPSE on shared ANON and FILE: shmem's and the
 *    filesystem's huge page policy) the call for that one mapping is passed through in a
 *    transaction of its own, after the parts before it were committed, so that its error
 *    stops the walk exactly where Linux would.
 * Memory the kernel still backs itself (FILE mappings, MF_KERNEL anonymous memory imported at
 * exec and not adopted) is the real thing: advice about its content is passed through.
 *
 * Not modelled: MADV_COLLAPSE on private ANON in a VMO is accepted without collapsing when
 * Linux's checks pass (Linux's result also depends on whether the mapping was ever written,
 * and on the collapse itself). Which config-dependent advice (KSM, THP, memory failure)
 * exists is asked of the running kernel with a zero-length madvise.
 *
 * Invariants: nothing is changed before the commit point of each transaction; a decommit is
 * scheduled with txn_after and never undone; a pass-through call only covers model mappings
 * (never a hole, which the self backend fills with a placeholder).
 */
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mm/internal.h"

/* x86-64's PMD size: the unit of MAP_HUGETLB mappings and of transparent huge pages. */
#define HPAGE_PMD (2ULL << 20)

/* madvise(2)'s errors: a failure of starmm's own becomes ENOMEM (syscall_errno). */
static const int madvise_errnos[] = {EACCES, EAGAIN, EBADF,	 EFAULT,    EINVAL, EIO,
				     ENOMEM, EPERM,  EOPNOTSUPP, EHWPOISON, 0};

/* madvise_behavior_valid(); config-dependent advice (KSM, THP, memory failure) is valid
 * when the running kernel has it, which the backend knows. */
static bool advice_valid(struct mm *mm, int advice)
{
	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
	case MADV_REMOVE:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
		return true;
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_COLLAPSE:
	case MADV_HWPOISON:
	case MADV_SOFT_OFFLINE:
	case MADV_GUARD_INSTALL:
	case MADV_GUARD_REMOVE:
		return mm->be->advice_known && mm->be->advice_known(mm->be_ctx, advice);
	default:
		return false;
	}
}

/* The first mapping ending above addr, user space only ([vsyscall] is no VMA to madvise). */
static struct mapping *vma_from(struct mm *mm, uint64_t addr)
{
	struct mapping *m = table_from(mm, addr);

	return m && m->start < TASK_SIZE ? m : NULL;
}

/* vma_is_anonymous(): private ANON memory; a MAP_HUGETLB mapping has a hugetlbfs file. */
static bool anonymous(const struct mapping *m)
{
	return m->kind == MK_ANON && !(m->flags & (MF_SHARED | MF_HUGETLB));
}

/* vma->vm_file != NULL: file mappings, shared ANON (shmem), MAP_HUGETLB (hugetlbfs). */
static bool has_file(const struct mapping *m)
{
	return m->kind == MK_FILE || (m->flags & (MF_SHARED | MF_HUGETLB));
}

/* Private ANON memory whose content lives in the model's VMO (huge pages included). */
static bool private_vmo(const struct mapping *m)
{
	return m->kind == MK_ANON && !(m->flags & (MF_SHARED | MF_KERNEL));
}

/* The real mapping is what Linux would have: a file, or the kernel's own anonymous memory
 * (MF_KERNEL, not adopted yet). Advice about content is the kernel's to carry out there. */
static bool kernel_memory(const struct mapping *m)
{
	return m->kind == MK_FILE || (m->flags & MF_KERNEL);
}

/* The model flags an advice sets or clears (the VM_* flags the model keeps). */
static unsigned advised_flags(int advice, unsigned fl)
{
	switch (advice) {
	case MADV_DONTFORK:
		return fl | MF_DONTFORK;
	case MADV_DOFORK:
		return fl & ~MF_DONTFORK;
	case MADV_WIPEONFORK:
		return fl | MF_WIPEONFORK;
	case MADV_KEEPONFORK:
		return fl & ~MF_WIPEONFORK;
	case MADV_HUGEPAGE:
		return fl & ~MF_STACK;
	case MADV_NOHUGEPAGE:
		return fl | MF_STACK;
	case MADV_GUARD_INSTALL:
		return fl | MF_GUARD;
	case MADV_GUARD_REMOVE:
		return fl & ~MF_GUARD;
	default:
		return fl;
	}
}

/* One madvise call's walk: the open transaction and the pass-through run being gathered. */
struct walk {
	struct mm *mm;
	int advice;
	struct txn t;
	bool open;
	uint64_t run_start, run_end;
};

static void begin(struct walk *w)
{
	if (!w->open)
		txn_begin(&w->t, w->mm);
	w->open = true;
}

static void end_run(struct walk *w)
{
	if (w->run_end > w->run_start)
		txn_syscall(&w->t, SYS_madvise, w->run_start, w->run_end - w->run_start,
			    (uint64_t)w->advice, 0);
	w->run_start = w->run_end = 0;
}

/* [s, e) gets the advice from the kernel as well, in one call with its mapped neighbours. */
static void pass(struct walk *w, uint64_t s, uint64_t e)
{
	begin(w);
	if (w->run_end != s || w->run_end == w->run_start) {
		end_run(w);
		w->run_start = s;
	}
	w->run_end = e;
}

static void set_flags(struct walk *w, const struct mapping *m, uint64_t s, uint64_t e,
		      unsigned flags)
{
	struct mapping *slice;

	if (flags == m->flags)
		return;
	begin(w);
	slice = mapping_slice(m, s, e);
	slice->flags = flags;
	txn_set(&w->t, s, e, &slice, 1);
}

static void decommit(struct walk *w, const struct mapping *m, uint64_t s, uint64_t e)
{
	begin(w);
	txn_after(&w->t, AFTER_DECOMMIT, m->vmo, m->off + (s - m->start), e - s, 0);
}

/* Commits what the walk gathered so far: 0, or the -errno of a failed step (rolled back). */
static long commit(struct walk *w)
{
	if (!w->open)
		return 0;
	w->open = false;
	end_run(w);
	return txn_commit(&w->t);
}

/* The kernel decides for [s, e) of m: what came before is committed first, then the call for
 * this part alone, with the model flags it changes. Its error stops the walk. */
static long kernel_decides(struct walk *w, const struct mapping *m, uint64_t s, uint64_t e)
{
	unsigned flags = advised_flags(w->advice, m->flags);
	long r = commit(w);

	if (r)
		return r;
	m = mm_find(w->mm, s); /* the commit may have merged the table around it */
	begin(w);
	set_flags(w, m, s, e, flags);
	pass(w, s, e);
	return commit(w);
}

/* thp_vma_suitable_order() for a PMD: the mapping holds an aligned 2 MiB block. */
static bool holds_pmd(const struct mapping *m)
{
	return m->end >= HPAGE_PMD && ((m->end - HPAGE_PMD) & ~(HPAGE_PMD - 1)) >= m->start;
}

/* madvise_dontneed_free(): DONTNEED, DONTNEED_LOCKED and FREE on one mapping's part. */
static long dontneed_free(struct walk *w, const struct mapping *m, uint64_t s, uint64_t e)
{
	if (m->flags & MF_HUGETLB) {
		if (w->advice == MADV_FREE || (s & (HPAGE_PMD - 1)))
			return -EINVAL;
		e &= ~(HPAGE_PMD - 1); /* never more than asked: whole huge pages only */
		if (e <= s)
			return 0;
	} else if ((m->flags & MF_LOCKED) && w->advice != MADV_DONTNEED_LOCKED) {
		return -EINVAL;
	}
	if (w->advice == MADV_FREE && !anonymous(m))
		return -EINVAL;
	if (private_vmo(m))
		decommit(w, m, s, e); /* the program then reads zeros, as from private memory */
	else
		pass(w, s, e); /* shared ANON keeps its data; files, MF_KERNEL: the kernel's own */
	return 0;
}

/* madvise_remove(): punch the object's pages, for writable shared mappings only. */
static long remove_pages(struct walk *w, const struct mapping *m, uint64_t s, uint64_t e)
{
	if (m->flags & MF_LOCKED)
		return -EINVAL;
	if (!has_file(m))
		return -EINVAL;
	if (!(m->flags & MF_SHARED) || !(m->max_prot & PROT_WRITE))
		return -EACCES; /* !vma_is_shared_maywrite() */
	if (kernel_memory(m))
		return kernel_decides(w, m, s, e); /* the filesystem may refuse (EOPNOTSUPP) */
	decommit(w, m, s, e);
	return 0;
}

/* madvise_is_discard() */
static bool discards(int advice)
{
	switch (advice) {
	case MADV_FREE:
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_REMOVE:
	case MADV_DONTFORK:
	case MADV_WIPEONFORK:
	case MADV_GUARD_INSTALL:
		return true;
	default:
		return false;
	}
}

/* madvise_vma_behavior() for the part [s, e) of mapping m. */
static long visit(struct walk *w, const struct mapping *m, uint64_t s, uint64_t e)
{
	unsigned fl = m->flags;

	/* can_madvise_modify(): sealed private memory the program cannot write keeps its pages */
	if ((fl & MF_SEALED) && discards(w->advice) && anonymous(m) && !(m->prot & PROT_WRITE))
		return -EPERM;
	if (m->kind == MK_SPECIAL)
		return kernel_decides(w, m, s, e);
	switch (w->advice) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
		return dontneed_free(w, m, s, e);
	case MADV_REMOVE:
		return remove_pages(w, m, s, e);
	case MADV_WIPEONFORK:
		/* anonymous private memory only */
		if (has_file(m))
			return -EINVAL;
		/* fallthrough */
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_KEEPONFORK:
		set_flags(w, m, s, e, advised_flags(w->advice, fl));
		return 0;
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
		set_flags(w, m, s, e, advised_flags(w->advice, fl));
		pass(w, s, e);
		return 0;
	case MADV_COLD:
	case MADV_PAGEOUT:
		if (fl & (MF_LOCKED | MF_HUGETLB))
			return -EINVAL; /* !can_madv_lru_vma() */
		pass(w, s, e);
		return 0;
	case MADV_GUARD_INSTALL:
		if (fl & (MF_LOCKED | MF_LOCKONFAULT | MF_HUGETLB))
			return -EINVAL; /* !is_valid_guard_vma() */
		if (fl & MF_GUARD)
			return 0;
		set_flags(w, m, s, e, advised_flags(w->advice, fl));
		/* the markers zap private pages: zeros once removed */
		if (private_vmo(m))
			decommit(w, m, s, e);
		pass(w, s, e);
		return 0;
	case MADV_GUARD_REMOVE:
		if (fl & MF_HUGETLB)
			return -EINVAL; /* !is_valid_guard_vma(), locked memory allowed */
		if (!(fl & MF_GUARD))
			return 0;
		set_flags(w, m, s, e, advised_flags(w->advice, fl));
		pass(w, s, e);
		return 0;
	case MADV_COLLAPSE:
		if (!anonymous(m) || kernel_memory(m))
			return kernel_decides(w, m, s, e);
		if ((fl & MF_STACK) || !holds_pmd(m))
			return -EINVAL; /* !thp_vma_allowable_order() */
		return 0;
	default:
		/* NORMAL, RANDOM, SEQUENTIAL, WILLNEED, MERGEABLE, UNMERGEABLE, DONTDUMP, DODUMP */
		pass(w, s, e);
		return 0;
	}
}

/* madvise_walk_vmas() */
static long walk_vmas(struct mm *mm, uint64_t start, uint64_t end, int advice)
{
	struct walk w = {.mm = mm, .advice = advice};
	long err = 0, unmapped = 0, r;
	uint64_t at = start;

	for (;;) {
		struct mapping *m = vma_from(mm, at);
		uint64_t e;

		if (!m) {
			err = -ENOMEM;
			break;
		}
		if (at < m->start) {
			unmapped = -ENOMEM;
			at = m->start;
			if (at >= end)
				break;
		}
		e = m->end < end ? m->end : end;
		err = visit(&w, m, at, e);
		if (err)
			break;
		at = e;
		if (at >= end)
			break;
	}
	r = commit(&w);
	if (r)
		return syscall_errno(r, madvise_errnos);
	return err ? err : unmapped;
}

/* A single pass-through call for [start, start + len), as its own transaction. */
static long pass_alone(struct mm *mm, uint64_t start, uint64_t len, int advice)
{
	struct walk w = {.mm = mm, .advice = advice};

	if (!len)
		return 0;
	pass(&w, start, start + len);
	return commit(&w);
}

/* madvise_populate(): get_user_pages over the range, stopping at the first hole (ENOMEM) or
 * mapping the access is not allowed in (EINVAL); what comes before it is populated. SPECIAL
 * mappings are the kernel's own: its answer decides for them. */
static long populate(struct mm *mm, uint64_t start, uint64_t end, int advice)
{
	int need = advice == MADV_POPULATE_WRITE ? PROT_WRITE : PROT_READ;
	uint64_t at = start;
	long err = 0, r;

	while (at < end) {
		struct mapping *m = vma_from(mm, at);

		if (!m || m->start > at) {
			err = -ENOMEM;
			break;
		}
		if (m->kind != MK_SPECIAL && !(m->prot & need)) {
			err = -EINVAL; /* check_vma_flags() */
			break;
		}
		at = m->end < end ? m->end : end;
	}
	r = pass_alone(mm, start, at - start, advice);
	if (r)
		return syscall_errno(r, madvise_errnos);
	return err;
}

/* madvise_inject_error(): get_user_pages_fast(start, 1, 0) page by page over
 * [start, start + len_in): a hole or an unreadable page is EFAULT, after the pages before it
 * were handed to the kernel. */
static long inject_error(struct mm *mm, uint64_t start, uint64_t end, int advice)
{
	uint64_t at = start;
	long r;

	if (!mm_capable(mm, CAP_SYS_ADMIN))
		return -EPERM;
	for (; at < end; at = (at & ~(PAGE - 1)) + PAGE) {
		struct mapping *m = mm_find(mm, at);

		if (!m || m->start >= TASK_SIZE || !(m->prot & PROT_READ))
			break;
	}
	r = pass_alone(mm, start, (at < end ? at : end) - start, advice);
	if (r)
		return syscall_errno(r, madvise_errnos);
	return at < end ? -EFAULT : 0;
}

/* UIO_MAXIOV: the most iovecs import_iovec() takes. */
#define MAX_IOV 1024

/*
 * do_process_madvise() and vector_madvise() of Linux 6.18 for the process itself: flags must
 * be 0, the vector is imported (EINVAL beyond MAX_IOV, EFAULT when unreadable), then each
 * range is advised in turn, an invalid one being EINVAL and a zero-length one skipped; the
 * walk stops at the first error. The result is the sum of the lengths of the ranges done, or
 * the error when none was.
 */
long mm_process_madvise(struct mm *mm, uint64_t vec, uint64_t vlen, int advice,
			unsigned long flags)
{
	struct iovec_raw {
		uint64_t base, len;
	} *iov;
	uint64_t done = 0;
	long r = 0;

	if (flags)
		return -EINVAL;
	if (vlen > MAX_IOV)
		return -EINVAL;
	if (!vlen)
		return 0;
	iov = xcalloc(vlen, sizeof(*iov));
	if (mm_read(mm, vec, iov, vlen * sizeof(*iov)) < 0) {
		free(iov);
		return -EFAULT;
	}
	for (uint64_t i = 0; i < vlen; i++) {
		if (iov[i].len > INT64_MAX) {
			free(iov);
			return -EINVAL; /* import_iovec() */
		}
	}
	for (uint64_t i = 0; i < vlen && r >= 0; i++) {
		r = mm_madvise(mm, iov[i].base, iov[i].len, advice);
		if (r >= 0)
			done += iov[i].len;
	}
	free(iov);
	return done ? (long)done : r;
}

long mm_madvise(struct mm *mm, uint64_t start, uint64_t len_in, int advice)
{
	uint64_t len, end;

	/* is_valid_madvise() */
	if (!advice_valid(mm, advice))
		return -EINVAL;
	if (PAGE_OFF(start))
		return -EINVAL;
	len = PAGE_ALIGN(len_in);
	if (len_in && !len)
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;

	switch (advice) {
	case MADV_HWPOISON:
	case MADV_SOFT_OFFLINE:
		return inject_error(mm, start, start + len_in, advice);
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
		return populate(mm, start, end, advice);
	default:
		return walk_vmas(mm, start, end, advice);
	}
}
