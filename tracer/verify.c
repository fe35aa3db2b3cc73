/*
 * --verify: valgrind's sync checker for starmm. The model's mappings and the kernel's
 * /proc/PID/maps are each reduced to a list of (start, end, rwx) ranges, adjacent ranges with
 * the same protection merged (the kernel does not merge mappings of different memfds; the
 * model keeps pieces the kernel merged), and compared, gaps included.
 *
 * Tolerated: the trampoline's slot (the supervisor's, not the program's), [vsyscall] (above
 * the user range), and a growsdown mapping the kernel grew by itself (the main stack under
 * --no-adopt, which stays the kernel's): a real bottom at or below the model's is accepted.
 *
 * The backing is compared too, line by line of /proc/PID/maps: where the model has a VMO
 * (anonymous memory) or a file, the kernel's mapping must show that memfd's or file's inode
 * and the model's offset.
 *
 * Guard markers live in page tables, which /proc/PID/maps does not show: each page of a
 * mapping with MF_GUARD, and of the mappings next to one, must have /proc/PID/pagemap's
 * PM_GUARD_REGION bit exactly where the model has MF_GUARD.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "tracer/tramp.h"
#include "vmo/vmo.h"
#include "tracer/verify.h"

#define USER_TOP 0x7ffffffff000ULL

struct range {
	uint64_t start, end;
	int prot;
	bool growsdown;
};

struct view {
	struct range *r;
	size_t n, cap;
};

static void add(struct view *v, uint64_t start, uint64_t end, int prot, bool growsdown)
{
	if (v->n && v->r[v->n - 1].end == start && v->r[v->n - 1].prot == prot) {
		v->r[v->n - 1].end = end;
		v->r[v->n - 1].growsdown |= growsdown;
		return;
	}
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 64;
		v->r = realloc(v->r, v->cap * sizeof(*v->r));
		if (!v->r)
			abort();
	}
	v->r[v->n++] = (struct range){ start, end, prot, growsdown };
}

static bool in_slot(struct tr_ctx *ctx, uint64_t start)
{
	return ctx->code_page && start >= ctx->code_page && start < ctx->code_page + TR_SIZE;
}

/* The backing the model gives m: its object's inode (0: none to compare) and the offset of
 * address a in it. */
static ino_t model_backing(const struct mapping *m, uint64_t a, uint64_t *off)
{
	struct stat st;

	*off = m->off + (a - m->start);
	if (m->kind == MK_FILE && m->file)
		return m->file->ino;
	if (m->kind == MK_ANON && m->vmo && fstat(vmo_fd(m->vmo), &st) == 0)
		return st.st_ino;
	return 0;
}

/* One line of /proc/PID/maps against the model's mappings over [s, e): 0, or -1 after
 * saying where they differ. */
static int check_backing(struct tr_ctx *ctx, struct mm *mm, uint64_t s, uint64_t e, uint64_t off,
			 ino_t ino)
{
	for (struct mapping *m = mm_find_after(mm, s); m && m->start < e; m = mm_next(mm, m)) {
		uint64_t a = m->start > s ? m->start : s, want_off;
		ino_t want = model_backing(m, a, &want_off);

		if (!want || (want == ino && want_off == off + (a - s)))
			continue;
		fprintf(ctx->out,
			"starmm-run: --verify: at %#" PRIx64 " the model has %s inode %lu offset "
			"%#" PRIx64 ", the kernel inode %lu offset %#" PRIx64 "\n",
			a, m->kind == MK_FILE ? "file" : "VMO", (unsigned long)want, want_off,
			(unsigned long)ino, off + (a - s));
		return -1;
	}
	return 0;
}

/* The kernel's view (ranges), and with mm the backing of each line checked (*bad = -1). */
static int kernel_view(struct tr_ctx *ctx, pid_t pid, struct mm *mm, struct view *v, int *bad)
{
	char path[64], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		uint64_t s, e, off;
		unsigned long ino;
		char p[5];

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*s %lu", &s, &e, p, &off,
			   &ino) != 5)
			continue;
		if (s >= USER_TOP || in_slot(ctx, s))
			continue;
		add(v, s, e,
		    (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
			    (p[2] == 'x' ? PROT_EXEC : 0),
		    false);
		if (!*bad && check_backing(ctx, mm, s, e, off, (ino_t)ino))
			*bad = -1;
	}
	fclose(f);
	return 0;
}

static void model_view(struct mm *mm, struct view *v)
{
	for (struct mapping *m = mm_first(mm); m; m = mm_next(mm, m))
		add(v, m->start, m->end, m->prot, m->flags & MF_GROWSDOWN);
}

/* The kernel grows the main stack by itself: accept its bottom at or below the model's. */
static void tolerate_growth(struct view *model, struct view *real)
{
	for (size_t i = 0; i < model->n; i++) {
		if (!model->r[i].growsdown)
			continue;
		for (size_t j = 0; j < real->n; j++)
			if (real->r[j].end == model->r[i].end && real->r[j].start < model->r[i].start &&
			    real->r[j].prot == model->r[i].prot)
				real->r[j].start = model->r[i].start;
	}
}

static void print(FILE *out, const char *what, const struct view *v)
{
	fprintf(out, "  %s (%zu ranges):\n", what, v->n);
	for (size_t i = 0; i < v->n; i++)
		fprintf(out, "    %012" PRIx64 "-%012" PRIx64 " %c%c%c%s\n", v->r[i].start,
			v->r[i].end, v->r[i].prot & PROT_READ ? 'r' : '-',
			v->r[i].prot & PROT_WRITE ? 'w' : '-', v->r[i].prot & PROT_EXEC ? 'x' : '-',
			v->r[i].growsdown ? " growsdown" : "");
}

/* Whether m or an adjacent mapping carries guard markers. */
static bool near_guards(struct mm *mm, struct mapping *m)
{
	struct mapping *p = mm_prev(mm, m), *n = mm_next(mm, m);

	return (m->flags & MF_GUARD) || (p && p->end == m->start && (p->flags & MF_GUARD)) ||
	       (n && n->start == m->end && (n->flags & MF_GUARD));
}

/* The first page near guard markers whose PM_GUARD_REGION bit (Linux 6.14) is not the
 * model's MF_GUARD, in *bad; 0 when none, -errno when pagemap cannot be read. */
static int check_guards(struct mm *mm, pid_t pid, uint64_t *bad)
{
	char path[64];
	bool *marked;
	int fd = -1, e = 0;

	*bad = 0;
	for (struct mapping *m = mm_first(mm); m && !*bad && !e; m = mm_next(mm, m)) {
		size_t n = (m->end - m->start) / MM_PAGE_SIZE;

		if (!near_guards(mm, m))
			continue;
		if (fd < 0) {
			snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return -errno;
		}
		marked = malloc(n * sizeof(*marked));
		if (!marked)
			abort();
		e = mm_guard_markers(fd, m->start, n, marked);
		for (size_t i = 0; i < n && !e && !*bad; i++)
			if (marked[i] != !!(m->flags & MF_GUARD))
				*bad = m->start + i * MM_PAGE_SIZE;
		free(marked);
	}
	if (fd >= 0)
		close(fd);
	return e;
}

int tr_verify(struct tr_ctx *ctx, struct mm *mm, pid_t pid)
{
	uint64_t bad;
	struct view model = { 0 }, real = { 0 };
	int r = 0, e = kernel_view(ctx, pid, mm, &real, &r);

	if (e) {
		free(real.r);
		return e;
	}
	model_view(mm, &model);
	tolerate_growth(&model, &real);
	if (model.n != real.n) {
		r = -1;
	} else {
		for (size_t i = 0; i < model.n && !r; i++)
			if (model.r[i].start != real.r[i].start || model.r[i].end != real.r[i].end ||
			    model.r[i].prot != real.r[i].prot)
				r = -1;
	}
	if (r) {
		fprintf(ctx->out, "starmm-run: --verify: pid %d: the model and the kernel differ\n",
			pid);
		print(ctx->out, "model", &model);
		print(ctx->out, "kernel (/proc/PID/maps)", &real);
	} else if ((e = check_guards(mm, pid, &bad)) != 0 || bad) {
		if (e == -ESRCH || e == -ENOENT)
			e = 0; /* the program is gone: nothing to compare */
		else if (e)
			fprintf(ctx->out, "starmm-run: --verify: pid %d: cannot read pagemap: %s\n",
				pid, strerror(-e));
		else
			fprintf(ctx->out,
				"starmm-run: --verify: pid %d: page %#" PRIx64 ": guard marker: "
				"model %s, kernel %s\n",
				pid, bad, mm_find(mm, bad)->flags & MF_GUARD ? "yes" : "no",
				mm_find(mm, bad)->flags & MF_GUARD ? "no" : "yes");
		r = e || bad ? -1 : 0;
	}
	free(model.r);
	free(real.r);
	return r;
}
