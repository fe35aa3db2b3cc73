/*
 * Stack growth: what a page fault below a MAP_GROWSDOWN mapping does on Linux
 * (expand_downwards() and acct_stack_growth() in mm/mmap.c), done by the memory manager
 * because a VMAR mapping never grows by itself.
 *
 * Linux grows when the faulting page lies below a growsdown mapping and
 *  - the page is at or above mmap_min_addr (else EPERM);
 *  - the mapping below, when accessible and not itself growsdown, stays stack_guard_gap (256
 *    pages) away from the new start;
 *  - the grown stack fits RLIMIT_STACK and RLIMIT_AS (may_expand_vm), and RLIMIT_MEMLOCK when
 *    the stack is locked.
 * A stack's VMO is made with room below the mapping (stack_headroom: RLIMIT_STACK, capped;
 * a sparse memfd costs nothing until written), so growth maps more of the same VMO: one
 * MAP_FIXED over the whole new extent, which keeps the stack one mapping in the model and one
 * VMA in the kernel (glibc's pthread_getattr_np finds the main stack's size that way). Past
 * the room, the grown part is a new anonymous VMO mapped just below, with the stack's
 * protections and flags (both parts stay growsdown, as both halves of a split growsdown VMA
 * do); the stack's extent is then the run of adjacent growsdown mappings with its protections
 * (the kernel counts one VMA, which the model holds as several mappings). The growth may be rounded
 * down to `step` bytes (fewer faults) only while every rule above still holds.
 *
 * Invariant: a refused growth changes nothing; a growth that fails on the way rolls back
 * (txn.c), and the caller delivers the fault as Linux would (SIGSEGV).
 */
#include "mm/internal.h"

#define STACK_HEADROOM_MAX (256ULL << 20)

uint64_t stack_headroom(struct mm *mm, uint64_t len)
{
	uint64_t limit = mm_rlimit(mm, RLIMIT_STACK);

	if (limit > STACK_HEADROOM_MAX)
		limit = STACK_HEADROOM_MAX;
	limit &= ~(PAGE - 1);
	return limit > len ? limit - len : 0;
}

/* The growsdown stack just above addr: its lowest mapping, or NULL. */
static struct mapping *stack_above(struct mm *mm, uint64_t addr)
{
	struct mapping *m = table_from(mm, addr);

	if (!m || m->start <= addr || !(m->flags & MF_GROWSDOWN) || m->kind != MK_ANON ||
	    (m->flags & MF_KERNEL))
		return NULL;
	return m;
}

struct mapping *mm_stack_bottom(struct mm *mm, struct mapping *m)
{
	struct mapping *p;

	while ((p = mm_prev(mm, m)) && p->end == m->start && vma_flags_equal(p->flags, m->flags) &&
	       p->prot == m->prot)
		m = p;
	return m;
}

/* The top of the stack whose lowest mapping is m: adjacent growsdown mappings alike. */
static uint64_t stack_end(struct mm *mm, struct mapping *m)
{
	struct mapping *n;

	while ((n = mm_next(mm, m)) && n->start == m->end &&
	       vma_flags_equal(n->flags, m->flags) && n->prot == m->prot)
		m = n;
	return m->end;
}

/* Linux's rules for growing m down to start: 0 or -errno. */
static long may_grow(struct mm *mm, struct mapping *m, uint64_t start)
{
	struct mapping *prev = mm_prev(mm, m);
	uint64_t grow = (m->start - start) / PAGE;

	if (start < MMAP_MIN_ADDR)
		return -EPERM;
	if (prev && !(prev->flags & MF_GROWSDOWN) && prev->prot != PROT_NONE &&
	    (start < prev->end || start - prev->end < STACK_GUARD_GAP))
		return -ENOMEM;
	if (prev && start < prev->end)
		return -ENOMEM;
	if (!may_expand_vm(mm, false, grow))
		return -ENOMEM;
	if (stack_end(mm, m) - start > mm_rlimit(mm, RLIMIT_STACK))
		return -ENOMEM;
	if ((m->flags & MF_LOCKED) && !mlock_future_ok(mm, true, grow * PAGE))
		return -ENOMEM;
	return 0;
}

long mm_grow_down(struct mm *mm, uint64_t addr, uint64_t step)
{
	struct mapping *m = stack_above(mm, addr), *grown;
	uint64_t start = addr & ~(PAGE - 1), rounded;
	struct vmo *vmo;
	struct txn t;
	long e;

	if (!m)
		return -EFAULT;
	e = may_grow(mm, m, start);
	if (e)
		return e;
	rounded = step > PAGE ? start & ~(step - 1) : start;
	if (rounded < start && may_grow(mm, m, rounded) == 0)
		start = rounded;

	txn_begin(&t, mm);
	if (m->off >= m->start - start) {
		/* Room in the VMO: the stack, one mapping, now starts lower. */
		grown = mapping_slice(m, m->start, m->end);
		grown->off -= m->start - start;
		grown->start = start;
		if (m->flags & MF_GUARD) { /* the new pages carry no marker: mapped alone */
			grown->end = m->start;
			grown->flags &= ~MF_GUARD;
		}
		txn_map_mapping(&t, grown, grown->start, grown->end, 0);
		txn_set(&t, grown->start, grown->end, &grown, 1);
		return txn_commit(&t) ? -ENOMEM : 0;
	}
	e = txn_vmo_create(&t, m->start - start, 0, &vmo);
	if (e)
		return txn_abort(&t, -ENOMEM);
	grown = mapping_new();
	grown->start = start;
	grown->end = m->start;
	grown->kind = MK_ANON;
	grown->vmo = vmo;
	vmo_ref(vmo);
	grown->prot = m->prot;
	grown->max_prot = m->max_prot;
	grown->flags = m->flags & ~MF_GUARD;
	txn_map_mapping(&t, grown, grown->start, grown->end, 0);
	txn_set(&t, grown->start, grown->end, &grown, 1);
	return txn_commit(&t) ? -ENOMEM : 0;
}
