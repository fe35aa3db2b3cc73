/*
 * The mapping table: an ordered map (red-black tree, <bsd/sys/tree.h>) of non-overlapping
 * mappings keyed by start address, and table_set, the one primitive that changes it.
 *
 * Invariants kept here: mappings never overlap; no two adjacent mappings are compatible
 * (they would have been merged); each mapping holds one reference on its VMO or file; the
 * VMAR's allocated set equals the union of the mappings; mm->count and the accounting
 * counters (total, data, locked pages) match the table.
 */
#include <string.h>

#include "mm/internal.h"

static int mapping_cmp(struct mapping *a, struct mapping *b)
{
	return a->start < b->start ? -1 : a->start > b->start;
}

RB_GENERATE(mm_tree, mapping, link, mapping_cmp)

struct mapping *mapping_new(void)
{
	return xcalloc(1, sizeof(struct mapping));
}

struct mapping *mapping_slice(const struct mapping *m, uint64_t start, uint64_t end)
{
	struct mapping *s = mapping_new();

	*s = *m;
	memset(&s->link, 0, sizeof(s->link));
	s->off = m->off + (start - m->start);
	s->start = start;
	s->end = end;
	if (s->vmo)
		vmo_ref(s->vmo);
	if (s->file)
		mm_file_ref(s->file);
	return s;
}

void mapping_free(struct mapping *m)
{
	if (!m)
		return;
	vmo_unref(m->vmo);
	if (m->file)
		mm_file_unref(m->file);
	free(m);
}

static bool alike(const struct mapping *a, const struct mapping *b, unsigned ignored_flags)
{
	return a->kind == b->kind && a->kind != MK_SPECIAL && a->vmo == b->vmo &&
	       a->file == b->file && a->off + (a->end - a->start) == b->off &&
	       a->prot == b->prot && a->max_prot == b->max_prot &&
	       !((a->flags ^ b->flags) & ~ignored_flags);
}

bool mapping_compatible(const struct mapping *a, const struct mapping *b)
{
	return alike(a, b, 0);
}

uint64_t mapping_vma_end(struct mm *mm, struct mapping *m)
{
	struct mapping *n;

	while ((n = mm_next(mm, m)) && n->start == m->end && alike(m, n, MF_GUARD))
		m = n;
	return m->end;
}

struct mapping *table_from(struct mm *mm, uint64_t addr)
{
	struct mapping *n = RB_ROOT(&mm->maps), *best = NULL;

	while (n) {
		if (n->end > addr) {
			best = n;
			if (n->start <= addr)
				return n;
			n = RB_LEFT(n, link);
		} else {
			n = RB_RIGHT(n, link);
		}
	}
	return best;
}

static void insert(struct mm *mm, struct mapping *m)
{
	RB_INSERT(mm_tree, &mm->maps, m);
	mm->count++;
	account(mm, m, +1);
}

static void erase(struct mm *mm, struct mapping *m)
{
	account(mm, m, -1);
	RB_REMOVE(mm_tree, &mm->maps, m);
	mm->count--;
	mapping_free(m);
}

/* Shrinks m to [start, end) ⊂ [m->start, m->end). Keys keep their order: no re-insertion. */
static void clip(struct mm *mm, struct mapping *m, uint64_t start, uint64_t end)
{
	account(mm, m, -1);
	m->off += start - m->start;
	m->start = start;
	m->end = end;
	account(mm, m, +1);
}

/* Removes every mapping part in [start, end); returns how many bytes of it were mapped. */
static uint64_t remove_range(struct mm *mm, uint64_t start, uint64_t end)
{
	struct mapping *m = table_from(mm, start), *next;
	uint64_t covered = 0;

	while (m && m->start < end) {
		next = RB_NEXT(mm_tree, &mm->maps, m);
		covered += (m->end < end ? m->end : end) - (m->start > start ? m->start : start);
		if (m->start < start && m->end > end) {
			struct mapping *right = mapping_slice(m, end, m->end);

			clip(mm, m, m->start, start);
			insert(mm, right);
			break;
		}
		if (m->start < start)
			clip(mm, m, m->start, start);
		else if (m->end > end)
			clip(mm, m, end, m->end);
		else
			erase(mm, m);
		m = next;
	}
	return covered;
}

/* Whether the VMAR's guard marks in [start, end) would change with news (a growsdown mapping
 * placed or replaced): then the VMAR is updated node by node. */
static bool guards_in(struct mm *mm, uint64_t start, uint64_t end, struct mapping **news,
		      size_t n)
{
	struct vmar_node *v = vmar_find(&mm->vmar, start);

	for (size_t i = 0; i < n; i++)
		if (news[i]->flags & MF_GROWSDOWN)
			return true;
	for (; v && v->start < end; v = vmar_next(&mm->vmar, v))
		if (v->guard)
			return true;
	return false;
}

/* Whether the VMAR holds [start, end) as exactly one allocation (placed by the operation). */
static bool placed(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vmar_node *v = vmar_find(&mm->vmar, start);

	return v && v->start == start && v->end == end;
}

/* Merges compatible neighbours among the mappings touching [start, end]. */
static void merge_around(struct mm *mm, uint64_t start, uint64_t end)
{
	struct mapping *m = table_from(mm, start ? start - 1 : 0), *next;

	while (m && m->start <= end) {
		next = RB_NEXT(mm_tree, &mm->maps, m);
		if (next && m->end == next->start && mapping_compatible(m, next)) {
			uint64_t e = next->end;

			erase(mm, next);
			clip(mm, m, m->start, e);
			continue;
		}
		m = next;
	}
}

void table_set(struct mm *mm, uint64_t start, uint64_t end, struct mapping **news, size_t n)
{
	uint64_t covered = remove_range(mm, start, end), tiled = 0;

	for (size_t i = 0; i < n; i++)
		tiled += news[i]->end - news[i]->start;
	/* A range mapped before and after (mprotect, madvise flags...) leaves the VMAR as it
	 * is, unless growsdown guards change; so does a new mapping over exactly the range the
	 * operation placed while preparing. */
	if (tiled == end - start && (covered == end - start || (!covered && placed(mm, start, end))) &&
	    !guards_in(mm, start, end, news, n)) {
		for (size_t i = 0; i < n; i++)
			insert(mm, news[i]);
		merge_around(mm, start, end);
		return;
	}
	vmar_release(&mm->vmar, start, end - start);
	for (size_t i = 0; i < n; i++) {
		struct vmar_req req = {
			.size = news[i]->end - news[i]->start,
			.hint = news[i]->start,
			.flags = VMAR_EXACT | VMAR_REPLACE |
				 (news[i]->flags & MF_GROWSDOWN ? VMAR_GUARD : 0),
		};
		long r = vmar_alloc(&mm->vmar, &req);

		if (r < 0) {
			/* Operations place inside the VMAR before they commit: unreachable. */
			fprintf(stderr, "starmm: internal error: VMAR refused committed range "
					"%#lx-%#lx: %ld\n",
				(unsigned long)news[i]->start, (unsigned long)news[i]->end, r);
			abort();
		}
		insert(mm, news[i]);
	}
	merge_around(mm, start, end);
}
