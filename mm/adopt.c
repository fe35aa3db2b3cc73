/*
 * mm_adopt: the kernel's anonymous memory of a freshly imported address space (bss, [heap],
 * [stack], the anonymous lines of mm_import: MK_ANON with MF_KERNEL and no VMO) moves into
 * ANON VMOs, so that after exec every anonymous byte of the program lives in a VMO.
 *
 * How: prepare, for each such mapping, a VMO of its size holding its current content (read
 * through the backend's mem_read in 64 KiB chunks; only pages that are not all zero are
 * written, so the VMO stays as sparse as the memory was), then one plan maps every VMO over
 * its range (MAP_FIXED replacement, the mapping's protection), and the model commits the
 * mappings with their VMOs (offset 0, MF_KERNEL cleared). With skip_stack, growsdown
 * mappings stay the kernel's (--no-adopt of the stack). MF_HUGETLB kernel memory stays the
 * kernel's too: a hugetlbfs memfd cannot be written with pwrite.
 *
 * Failures. Before the plan runs (a VMO, a read, a copy failing), everything prepared is
 * released and the model and the real mappings are unchanged: -ENOMEM. A plan step failing
 * cannot be undone like other operations' steps: the kernel memory a step replaced is gone,
 * and the plan has no step that makes private anonymous memory again. The steps that ran
 * hold the very content that was there, so the mappings they replaced are committed as
 * adopted, the others stay the kernel's, and the failed step's -errno is returned: model
 * and real mappings agree, and a later mm_adopt finishes the job. This is why the plan is
 * run here and not by txn_commit (whose rollback would map the model's view back).
 *
 * Atomicity: the content is copied before the replacement, so no other thread of the mm may
 * run in between (at the exec stop there is only one; the caller stops the others
 * otherwise).
 */
#include <string.h>

#include "mm/internal.h"

/* Backed by the kernel's own anonymous memory, not adopted (no VMO). To move to mm/mm.h. */

/* The read size for copying memory in: big enough to make few backend calls. */
#define ADOPT_CHUNK (64 * 1024)

struct adoptee {
	struct mapping *old; /* in the table */
	struct mapping *new; /* the same range with its VMO; the commit takes it */
};

static bool adoptable(const struct mapping *m, bool skip_stack)
{
	return m->kind == MK_ANON && !m->vmo && (m->flags & MF_KERNEL) &&
	       !(m->flags & MF_HUGETLB) && !(skip_stack && (m->flags & MF_GROWSDOWN));
}

static bool zero_page(const unsigned char *p)
{
	const uint64_t *w = (const uint64_t *)p;

	for (size_t i = 0; i < PAGE / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* The content of [m->start, m->end) into vmo at offset off: runs of non-zero pages only. */
static long copy_in(struct mm *mm, const struct mapping *m, struct vmo *vmo, uint64_t off,
		    unsigned char *buf)
{
	for (uint64_t a = m->start; a < m->end; a += ADOPT_CHUNK) {
		uint64_t n = m->end - a < ADOPT_CHUNK ? m->end - a : ADOPT_CHUNK;
		long r = mm->be->mem_read(mm->be_ctx, a, buf, n);

		if (r)
			return r;
		for (uint64_t i = 0, j; i < n; i = j) {
			for (; i < n && zero_page(buf + i); i += PAGE)
				;
			for (j = i; j < n && !zero_page(buf + j); j += PAGE)
				;
			if (j > i && (r = vmo_write(vmo, buf + i, off + a - m->start + i, j - i)))
				return r;
		}
	}
	return 0;
}

/* A VMO holding old's content, and the mapping that uses it. */
static long prepare(struct txn *t, struct adoptee *ad, unsigned char *buf)
{
	struct mapping *old = ad->old;
	uint64_t len = old->end - old->start;
	/* The main stack's VMO gets room below to grow into (mm/grow.c). */
	uint64_t room = old->flags & MF_GROWSDOWN ? stack_headroom(t->mm, len) : 0;
	struct vmo *vmo;
	long r = txn_vmo_create(t, room + len, 0, &vmo);

	if (r)
		return r;
	ad->new = mapping_slice(old, old->start, old->end);
	ad->new->vmo = vmo;
	vmo_ref(vmo);
	ad->new->off = room;
	ad->new->flags &= ~MF_KERNEL;
	return copy_in(t->mm, old, vmo, room, buf);
}

long mm_adopt(struct mm *mm, bool skip_stack)
{
	struct adoptee *ads = NULL;
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0, done;
	struct txn t, steps;
	long r = 0, err;

	txn_begin(&t, mm);
	for (struct mapping *m = mm_first(mm); m; m = mm_next(mm, m)) {
		if (!adoptable(m, skip_stack))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			ads = xrealloc(ads, cap * sizeof(*ads));
		}
		ads[n++] = (struct adoptee){.old = m};
	}
	if (n) {
		buf = xcalloc(1, ADOPT_CHUNK);
		r = txn_quiesce(&t); /* the copies and the plan replacing the originals */
	}
	for (size_t i = 0; i < n && !r; i++)
		r = prepare(&t, &ads[i], buf);
	free(buf);
	if (r) {
		for (size_t i = 0; i < n; i++)
			mapping_free(ads[i].new);
		free(ads);
		return txn_abort(&t, -ENOMEM);
	}

	/* One plan: every VMO over its range. */
	memset(&steps, 0, sizeof(steps));
	steps.mm = mm;
	for (size_t i = 0; i < n; i++)
		txn_map_mapping(&steps, ads[i].new, ads[i].new->start, ads[i].new->end, 0);
	done = 0;
	if (n) {
		mm->stats.plans++;
		mm->stats.steps += n;
		done = mm->be->run(mm->be_ctx, &steps.plan);
	}
	err = done < n ? steps.plan.steps[done].result : 0;
	free(steps.plan.steps);

	/* The commit: what the plan replaced is adopted (all of it, unless a step failed). */
	for (size_t i = 0; i < n; i++) {
		if (i < done)
			txn_set(&t, ads[i].new->start, ads[i].new->end, &ads[i].new, 1);
		else
			mapping_free(ads[i].new);
	}
	free(ads);
	r = txn_commit(&t);
	if (done < n)
		return err < 0 ? err : -EIO;
	return r;
}
