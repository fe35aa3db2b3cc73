/*
 * mincore's vectors, native and model, and which of their entries can be compared.
 *
 * Residency is not part of the model: for private anonymous memory Linux reports whether the
 * page table maps the page, the model's memfd whether its page cache holds it, and the
 * harness itself touches the two sides differently (it reads native anonymous pages through
 * the mapping, which maps the zero page, and model pages through pread, which faults nothing
 * in). So entries are compared only where both sides must hold a resident page:
 *  - file mappings (both test files stay entirely in the page cache: they were written at
 *    setup and every compare reads every mapped page; pages past the end of the file are
 *    resident on neither side);
 *  - pages both sides wrote (dt.written): a write allocates the page on both sides, and
 *    the record of a page is dropped whenever an operation may have replaced or emptied it
 *    (mmap, munmap, mremap, madvise over it, MADV_REMOVE over another mapping of its shared
 *    object; DONTFORK and WIPEONFORK ranges in a fork child).
 * Everywhere else only "written or not" is compared: each entry the kernel wrote on one side
 * it wrote on the other (the vectors start filled with a sentinel), so a hole stopping the
 * walk is seen at the same page on both sides.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/difftest/dt.h"

#define WPAGES	 (DT_OPS_END / DT_PAGE)
#define SENTINEL 0xee

/* The record's entries [*first, *end) for the relative range [rel, rel + len). */
static void span(uint64_t rel, uint64_t len, uint64_t *first, uint64_t *end)
{
	uint64_t e;

	*first = *end = 0;
	if (rel >= DT_OPS_END || len == 0)
		return;
	e = len > DT_OPS_END - rel ? DT_OPS_END : rel + len;
	*first = rel / DT_PAGE;
	*end = DT_PAGE_ALIGN(e) / DT_PAGE;
}

void written_mark(uint64_t rel, uint64_t len)
{
	uint64_t i, end;

	span(rel, len, &i, &end);
	for (; i < end; i++)
		dt.written[i] = 1;
}

void written_clear(uint64_t rel, uint64_t len)
{
	uint64_t i, end;

	span(rel, len, &i, &end);
	for (; i < end; i++)
		dt.written[i] = 0;
}

void written_clear_aliases(uint64_t rel, uint64_t len)
{
	for (struct mapping *m = mm_find_after(&dt.mm, dt.mbase + rel);
	     m && m->start < dt.mbase + rel + len; m = mm_next(&dt.mm, m)) {
		if (m->kind != MK_ANON || !(m->flags & MF_SHARED))
			continue;
		for (struct mapping *o = mm_first(&dt.mm); o; o = mm_next(&dt.mm, o))
			if (o->vmo == m->vmo && o->start >= dt.mbase)
				written_clear(o->start - dt.mbase, o->end - o->start);
	}
}

static const struct mview *view_at(uint64_t rel)
{
	for (int i = 0; i < dt.nmv; i++)
		if (dt.mv[i].start <= rel && rel < dt.mv[i].end)
			return &dt.mv[i];
	return NULL;
}

/* Compares the vectors of a mincore over op's range: how many entries were compared for
 * residency, or -1 with the difference in why. */
int mincore_compare(const struct op *op, const unsigned char *nv, const unsigned char *mv,
		    char *why, size_t wl)
{
	uint64_t pages = op->len / DT_PAGE + (op->len % DT_PAGE != 0);
	int compared = 0;

	if (op->abs || op->vec_mode != VEC_OK)
		return 0;
	if (pages > DT_OPS_END / DT_PAGE)
		pages = DT_OPS_END / DT_PAGE;
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t rel = op->addr + i * DT_PAGE;
		const struct mview *v = rel < DT_OPS_END ? view_at(rel) : NULL;
		bool nw = nv[i] != SENTINEL, mw = mv[i] != SENTINEL;

		if (nw != mw) {
			snprintf(why, wl,
				 "mincore: entry %" PRIu64 " (page +%#" PRIx64
				 ") written by the %s side only",
				 i, rel, nw ? "native" : "model");
			return -1;
		}
		if (!nw || !v || !(v->kind == MK_FILE || dt.written[rel / DT_PAGE]))
			continue;
		compared++;
		if ((nv[i] & 1) != (mv[i] & 1)) {
			snprintf(why, wl,
				 "mincore: page +%#" PRIx64 " (%s) resident: native %d, "
				 "model %d",
				 rel, v->kind == MK_FILE ? "file" : "written", nv[i] & 1,
				 mv[i] & 1);
			return -1;
		}
	}
	return compared;
}
