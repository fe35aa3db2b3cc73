/*
 * The comparison after every operation, and the report of a mismatch.
 *
 * What must agree (the differential test's claim):
 *  - the native region's layout (from smaps: rwx, shared, growsdown, locked) and the model's
 *    table over the ops window;
 *  - the model's table (rwx) and the model region's real layout (the self backend really
 *    did what the model says), over the whole region; and each model mapping's backing:
 *    the real mapping's inode and offset are its VMO's memfd at its offset (ANON), or the
 *    model side's file at its offset (FILE);
 *  - the heap window of the model region and the brk child's heap window (rwx), relative to
 *    their start_brk;
 *  - both regions fully covered by mappings and placeholders (no real hole);
 *  - every byte of every mapped page: native pages read directly when readable anonymous
 *    memory, else through /proc/self/mem (which reads PROT_NONE pages, and reports pages
 *    past the end of a file as errors instead of raising SIGBUS); model pages through the
 *    VMO for ANON mappings (uncommitted pages stay uncommitted) and /proc/self/mem for FILE
 *    mappings; heap pages by hash against the child's;
 *  - guard markers, page by page over the ops window: where the native region has one
 *    (/proc/self/pagemap's PM_GUARD_REGION bit), the model has MF_GUARD, and its real
 *    region has one too; a guard page's bytes are not compared (it has none to read);
 *  - mm_check().
 * Direct accesses to either region run under a SIGSEGV/SIGBUS guard, so a model mapping that
 * faults is reported as a mismatch instead of killing the run.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault/inject.h"
#include "tests/difftest/dt.h"
#include "vmo/vmo.h"

static struct region_maps nrm, mrm;
static sigjmp_buf guard_jb;
static volatile sig_atomic_t guarded;

static void on_fault(int sig)
{
	if (guarded)
		siglongjmp(guard_jb, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

void guard_install(void)
{
	struct sigaction sa = {.sa_handler = on_fault};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* Copies len bytes from src to dst under the guard; 0 or the signal number. */
static int guarded_copy(void *dst, const void *src, uint64_t len)
{
	int sig = sigsetjmp(guard_jb, 1);

	if (sig) {
		guarded = 0;
		return sig;
	}
	guarded = 1;
	memcpy(dst, src, len);
	guarded = 0;
	return 0;
}

int region_write(uint64_t base, uint64_t rel, uint64_t len, uint64_t seed)
{
	int sig = sigsetjmp(guard_jb, 1);

	if (sig) {
		guarded = 0;
		return sig;
	}
	guarded = 1;
	pattern_fill((void *)(base + rel), len, seed);
	guarded = 0;
	return 0;
}

static int mem_read(uint64_t addr, void *buf, uint64_t len)
{
	ssize_t n = pread(dt.memfd_self, buf, len, (off_t)addr);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

/* Whether the page at the absolute address addr carries a guard marker (0 or 1). */
static int guard_marker(uint64_t addr)
{
	bool marked = false;

	mm_guard_markers(dt.pagemap_self, addr, 1, &marked);
	return marked;
}

static const struct rawmap *raw_at(const struct region_maps *rm, uint64_t addr)
{
	for (int i = 0; i < rm->n; i++)
		if (rm->m[i].start <= addr && addr < rm->m[i].end)
			return &rm->m[i];
	return NULL;
}

/*
 * The bounds (start, end, start, end...) of the native VMAs, placeholders aside, that
 * intersect [lo, hi), relative, per the last read; how many were stored (at most max).
 */
int native_vma_bounds(uint64_t lo, uint64_t hi, uint64_t *out, int max)
{
	int n = 0;

	for (int i = 0; i < nrm.n && n + 2 <= max; i++) {
		uint64_t s = nrm.m[i].start - dt.nbase, e = nrm.m[i].end - dt.nbase;

		if (!nrm.m[i].hole && s < hi && lo < e) {
			out[n++] = s;
			out[n++] = e;
		}
	}
	return n;
}

int page_read_native(uint64_t rel, void *buf)
{
	uint64_t a = dt.nbase + rel;
	const struct rawmap *e = raw_at(&nrm, a);

	if (!e || e->hole || guard_marker(a))
		return -EFAULT;
	if (!e->file && (e->attr & A_R))
		return guarded_copy(buf, (void *)a, DT_PAGE) ? -EFAULT : 0;
	return mem_read(a, buf, DT_PAGE);
}

int page_read_model(uint64_t rel, void *buf)
{
	uint64_t a = dt.mbase + rel;
	struct mapping *m = mm_find(&dt.mm, a);
	long r;

	if (!m || (m->flags & MF_GUARD))
		return -EFAULT;
	if (m->kind == MK_ANON) {
		r = vmo_read(m->vmo, buf, m->off + (a - m->start), DT_PAGE);
		return r < 0 ? (int)r : 0;
	}
	return mem_read(a, buf, DT_PAGE);
}

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Every page of [lo, hi) of the region holds a mapping or a placeholder. */
static uint64_t uncovered(const struct region_maps *rm, uint64_t base)
{
	uint64_t at = base;

	for (int i = 0; i < rm->n; i++) {
		if (rm->m[i].start > at)
			return at;
		if (rm->m[i].end > at)
			at = rm->m[i].end;
	}
	return at < base + DT_REGION ? at : 0;
}

static int model_guard(uint64_t rel)
{
	struct mapping *m = mm_find(&dt.mm, dt.mbase + rel);

	return m && (m->flags & MF_GUARD);
}

static int compare_pages(char *why, size_t len)
{
	static char nb[DT_PAGE], mb[DT_PAGE];
	const uint64_t *h = dt.brk_pid > 0 ? brk_child_hashes() : NULL;

	for (int i = 0; i < dt.nmv; i++) {
		for (uint64_t a = dt.mv[i].start; a < dt.mv[i].end; a += DT_PAGE) {
			int mr = page_read_model(a, mb), nr;

			if (a >= DT_OPS_END) {
				uint64_t mh = mr ? 1 : hash_bytes(mb, DT_PAGE);

				if (h && h[(a - DT_OPS_END) / DT_PAGE] != mh)
					return fail(why, len,
						    "heap page +%#" PRIx64 " differs from the brk "
						    "child's (model read %d)",
						    a - DT_OPS_END, mr);
				continue;
			}
			if (dt.faults)
				continue;
			if (guard_marker(dt.nbase + a) != model_guard(a) ||
			    guard_marker(dt.mbase + a) != model_guard(a))
				return fail(why, len,
					    "page +%#" PRIx64 ": guard marker native %d, model %d, "
					    "model's real mapping %d",
					    a, guard_marker(dt.nbase + a), model_guard(a),
					    guard_marker(dt.mbase + a));
			nr = page_read_native(a, nb);
			if (nr != mr && (nr >= 0 || mr >= 0))
				return fail(why, len,
					    "page +%#" PRIx64 ": native read %d, model read %d", a,
					    nr, mr);
			if (!nr && memcmp(nb, mb, DT_PAGE)) {
				uint64_t k = 0;

				while (nb[k] == mb[k])
					k++;
				return fail(why, len,
					    "page +%#" PRIx64 " differs at byte %#" PRIx64
					    " (native %02x, model %02x)",
					    a, k, (unsigned char)nb[k], (unsigned char)mb[k]);
			}
		}
	}
	return 0;
}

/* Every real mapping of the model region maps what the model says: same inode, offset. */
static int check_backing(char *why, size_t len)
{
	struct stat st;

	for (int i = 0; i < mrm.n; i++) {
		const struct rawmap *e = &mrm.m[i];
		struct mapping *m = e->hole ? NULL : mm_find(&dt.mm, e->start);
		uint64_t ino, off;

		if (!m || m->end < e->end || (m->kind == MK_ANON && !m->vmo))
			continue;
		if (m->kind == MK_SPECIAL)
			continue;
		if (fstat(m->kind == MK_ANON ? vmo_fd(m->vmo) : m->file->fd, &st) < 0)
			continue;
		ino = (uint64_t)st.st_ino;
		off = m->off + (e->start - m->start);
		if (e->ino != ino || e->off != off)
			return fail(why, len,
				    "model region +%#" PRIx64
				    ": the real mapping has inode %" PRIu64 " offset %#" PRIx64
				    ", the model says inode %" PRIu64 " offset %#" PRIx64,
				    e->start - dt.mbase, e->ino, e->off, ino, off);
	}
	return 0;
}

/* Reads everything after an operation into dt (layouts, model view) and compares. */
int compare_all(char *why, size_t len)
{
	static struct layout l1, l2;
	static char buf[1024];
	uint64_t at;
	int r;

	if (maps_read2(true, dt.faults ? NULL : &nrm, &mrm) < 0)
		return fail(why, len, "cannot read /proc/self/smaps");
	model_view();
	layout_from_maps(&mrm, dt.mbase, A_RWX, &dt.mreal);
	if (mm_check(&dt.mm, buf, sizeof(buf)) < 0)
		return fail(why, len, "mm_check: %s", buf);
	if ((at = uncovered(&mrm, dt.mbase)))
		return fail(why, len,
			    "model region: nothing mapped at +%#" PRIx64
			    " (not even a placeholder)",
			    at - dt.mbase);
	layout_clip(&dt.mview_l, 0, DT_REGION, 0, A_RWX, &l1);
	if (!layout_equal(&l1, &dt.mreal))
		return fail(why, len, "the model's table and its real mappings differ");
	if (check_backing(why, len) < 0)
		return -1;
	if (!dt.faults) {
		layout_from_maps(&nrm, dt.nbase, A_ALL, &dt.nat);
		if ((at = uncovered(&nrm, dt.nbase)))
			return fail(why, len, "native region: nothing mapped at +%#" PRIx64,
				    at - dt.nbase);
		if (dt.nat.n && dt.nat.s[dt.nat.n - 1].end > DT_OPS_END)
			return fail(why, len, "native mapping in the heap window (harness bug)");
		layout_clip(&dt.mview_l, 0, DT_OPS_END, 0, A_ALL, &l1);
		if (!layout_equal(&l1, &dt.nat))
			return fail(why, len, "native layout and the model's table differ");
		if (dt.brk_pid > 0) {
			layout_clip(&dt.mreal, DT_OPS_END, DT_REGION, DT_OPS_END, A_RWX, &l2);
			if (!layout_equal(&l2, &dt.cheap))
				return fail(why, len,
					    "heap window: the model's and the brk child's differ");
		}
	}
	fault_hold();
	r = compare_pages(why, len);
	fault_release();
	return r;
}

void mismatch_report(const struct op *op, const char *results, const char *why)
{
	static struct layout l;

	printf("MISMATCH seed=%" PRIu64 " step=%" PRIu64 " split=%s\n  op: ", dt.seed, dt.step,
	       dt.split == MM_SPLIT_OFFSET ? "offset" : "snapshot");
	op_print(stdout, op);
	printf("\n  results: %s\n  why: %s\n", results, why);
	if (dt.in_fork)
		printf("  (in the forked child of a fork snapshot)\n");
	if (!dt.faults) {
		layout_print(stdout, "native layout (ops window)", &dt.nat);
		maps_print_region(stdout, "native region", dt.nbase, DT_REGION);
	}
	layout_print(stdout, "model table before the op", &dt.pre);
	layout_clip(&dt.mview_l, 0, DT_REGION, 0, A_ALL, &l);
	layout_print(stdout, "model table", &l);
	layout_print(stdout, "model real", &dt.mreal);
	if (dt.brk_pid > 0)
		layout_print(stdout, "brk child heap window (relative to start_brk)", &dt.cheap);
	maps_print_region(stdout, "model region", dt.mbase, DT_REGION);
	printf("  mm_dump:\n");
	mm_dump(&dt.mm, stdout);
	fflush(stdout);
}
