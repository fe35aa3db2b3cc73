/*
 * VMAR: the placement authority of one emulated address space (a Zircon VMAR placing the way
 * Starnix places on x86-64; vmo/vmar.h states the policy).
 *
 * Model. Each allocation is a node of a red-black tree (<bsd/sys/tree.h>) ordered by start.
 * The free space is the gaps between consecutive nodes and at the two ends of the range. The
 * reserved slot is not a node: wherever a gap is used, the slot cuts it into the part below
 * and the part above. For automatic placement a guarded node (VMAR_GUARD, Linux's
 * MAP_GROWSDOWN) also claims the VMAR_GUARD_GAP bytes below its start: a gap ends at the
 * next node's claim start (Linux's vm_start_gap()). Exact allocation, vmar_is_free() and
 * release ignore guards, as MAP_FIXED does.
 *
 * Requests, where vmar.h leaves a choice: unknown flags and VMAR_REPLACE without VMAR_EXACT
 * are -EINVAL; VMAR_EXACT ignores VMAR_32BIT (as MAP_FIXED makes Linux ignore MAP_32BIT); a
 * hint is taken only when it is a multiple of the alignment too, and with VMAR_32BIT only
 * inside the 32-bit window (Linux's default top-down layout takes a free hint anywhere).
 * The window search is uniform over every fitting position, as vmar.h says; Linux instead
 * picks a random start in the window's first 32 MiB and fits bottom-up from there.
 * vmar_set_guard() changes the nodes lying wholly inside the range and splits none.
 *
 * Augmentation. Every node keeps, for its subtree:
 *  - min_start: the claim start of the subtree's first node (its start, less the guard gap
 *    when it is guarded), so the gap just below a subtree is known without a descent;
 *  - max_end: the end of the subtree's last node;
 *  - max_gap: the largest gap between two consecutive nodes of the subtree, measured up to
 *    the upper node's claim start (0 for a single node).
 * The tree macros call RB_AUGMENT on the nodes a rotation moves, but only on the parent of an
 * inserted node and on the parent of a node removed from above a single child, so every
 * change here ends with fix_up() from the changed place to the root: O(log n).
 *
 * Search. fit_tree() visits gaps in address order from one end (downward for top-down first
 * fit, upward for the lowest fit), skipping each subtree whose gaps are all too small
 * (max_gap and the gap just below it) or whose span lies outside the bounds. It visits
 * O(log n) nodes, plus one more path for the gap holding the slot, and more only for an
 * alignment above a page (a gap of at least the size may still lack an aligned position).
 * The random 32-bit placement counts the positions of every gap in the window: O(gaps there).
 *
 * Invariants: nodes are non-empty, page-aligned, inside [base, base + size), outside the
 * slot, and never overlap; every node's augmentation equals its value recomputed from
 * scratch. vmar_check() verifies all of them.
 *
 * Node memory comes from malloc(); when that fails the process aborts with a message: node
 * memory is treated like the rest of the supervisor's heap, not as an error the emulated
 * program could be given.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault/inject.h"
#include "vmo/vmar.h"

#define PAGE	  VMAR_PAGE_SIZE
#define NO_FIT	  UINT64_MAX /* never a page-aligned address */
#define REQ_FLAGS (VMAR_EXACT | VMAR_REPLACE | VMAR_32BIT | VMAR_GUARD)
/* Addresses travel in a long next to -errno: a range ending at 2^63 keeps them apart. */
#define ADDR_LIMIT (1ULL << 63)

/* A placement request in progress: lo <= A, A + size <= hi, A a multiple of align. */
struct fit {
	uint64_t lo, hi;
	uint64_t size, align;
	bool up; /* the lowest fit instead of the highest */
};

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t gap_len(uint64_t lo, uint64_t hi)
{
	return hi > lo ? hi - lo : 0;
}

static uint64_t claim_start(const struct vmar_node *n)
{
	if (!n->guard)
		return n->start;
	return n->start > VMAR_GUARD_GAP ? n->start - VMAR_GUARD_GAP : 0;
}

static void augment(struct vmar_node *n)
{
	struct vmar_node *l = RB_LEFT(n, link), *r = RB_RIGHT(n, link);
	uint64_t gap = 0;

	n->min_start = l ? l->min_start : claim_start(n);
	n->max_end = r ? r->max_end : n->end;
	if (l)
		gap = max_u64(l->max_gap, gap_len(l->max_end, claim_start(n)));
	if (r)
		gap = max_u64(gap, max_u64(r->max_gap, gap_len(n->end, r->min_start)));
	n->max_gap = gap;
}

static int node_cmp(const struct vmar_node *a, const struct vmar_node *b)
{
	return a->start < b->start ? -1 : a->start > b->start;
}

/*
 * vmar.h's include of tree.h left RB_AUGMENT empty; the rotations expanded below use this.
 * (libbsd's RB_GENERATE_STATIC needs a __unused that libbsd leaves undefined.)
 */
#undef RB_AUGMENT
#define RB_AUGMENT(x) augment(x)
RB_GENERATE_INTERNAL(vmar_tree, vmar_node, link, node_cmp, __attribute__((unused)) static)

/* Every node whose subtree changed lies on the path from n to the root. */
static void fix_up(struct vmar_node *n)
{
	for (; n; n = RB_PARENT(n, link))
		augment(n);
}

static struct vmar_node *node_new(uint64_t start, uint64_t end, bool guard)
{
	struct vmar_node *n = malloc(sizeof(*n));

	if (!n) {
		fprintf(stderr,
			"starmm: out of memory for a VMAR node [%#" PRIx64 ", %#" PRIx64
			"); aborting\n",
			start, end);
		abort();
	}
	memset(n, 0, sizeof(*n));
	n->start = start;
	n->end = end;
	n->guard = guard;
	n->min_start = claim_start(n); /* read by RB_INSERT before fix_up() */
	n->max_end = end;
	return n;
}

static void insert(struct vmar *v, struct vmar_node *n)
{
	RB_INSERT(vmar_tree, &v->tree, n);
	fix_up(n);
	v->count++;
}

static void erase(struct vmar *v, struct vmar_node *n)
{
	struct vmar_node *prev = RB_PREV(vmar_tree, &v->tree, n);
	struct vmar_node *next = RB_NEXT(vmar_tree, &v->tree, n);

	RB_REMOVE(vmar_tree, &v->tree, n);
	/* Stale nodes are ancestors of where n was: of its neighbours. */
	if (prev)
		fix_up(prev);
	if (next)
		fix_up(next);
	v->count--;
	free(n);
}

/* The last node starting at or below addr. */
static struct vmar_node *find_le(const struct vmar *v, uint64_t addr)
{
	struct vmar_node *n = RB_ROOT(&v->tree), *best = NULL;

	while (n) {
		if (n->start <= addr) {
			best = n;
			n = RB_RIGHT(n, link);
		} else {
			n = RB_LEFT(n, link);
		}
	}
	return best;
}

/* The first node starting at or above addr. */
static struct vmar_node *find_ge(const struct vmar *v, uint64_t addr)
{
	struct vmar_node *n = RB_ROOT(&v->tree), *best = NULL;

	while (n) {
		if (n->start >= addr) {
			best = n;
			n = RB_LEFT(n, link);
		} else {
			n = RB_RIGHT(n, link);
		}
	}
	return best;
}

static uint64_t range_end(const struct vmar *v)
{
	return v->cfg.base + v->cfg.size;
}

static bool in_range(const struct vmar *v, uint64_t addr, uint64_t len)
{
	return addr >= v->cfg.base && addr <= range_end(v) && len <= range_end(v) - addr;
}

static bool touches_slot(const struct vmar *v, uint64_t addr, uint64_t len)
{
	const struct vmar_config *c = &v->cfg;

	return c->slot_size && len && addr < c->slot + c->slot_size && addr + len > c->slot;
}

static bool overlaps_node(const struct vmar *v, uint64_t addr, uint64_t len)
{
	struct vmar_node *n = find_le(v, addr);

	if (n && n->end > addr)
		return true;
	n = find_ge(v, addr);
	return n && n->start - addr < len;
}

/* splitmix64: small, seedable with any value (0 included), good enough for placement. */
static uint64_t rng_next(struct vmar *v)
{
	uint64_t z = (v->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0. */
static uint64_t rng_below(struct vmar *v, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(v) * n) >> 64);
}

static bool aligned(uint64_t x)
{
	return x % PAGE == 0;
}

static int check_config(const struct vmar_config *c)
{
	uint64_t end = c->base + c->size;

	if (!aligned(c->base) || !aligned(c->size) || !aligned(c->slot_size) ||
	    !aligned(c->place_lo) || !aligned(c->place_hi) || !aligned(c->top))
		return -EINVAL;
	if (!c->size || end < c->base || end > ADDR_LIMIT)
		return -EINVAL;
	/* slot_size 0: no slot, whatever slot says */
	if (c->slot_size && (!aligned(c->slot) || c->slot < c->base || c->slot > end ||
			     c->slot_size > end - c->slot))
		return -EINVAL;
	if (c->place_lo < c->base || c->place_lo >= c->place_hi || c->place_hi > end)
		return -EINVAL;
	if (c->top < c->place_lo || c->top > c->place_hi)
		return -EINVAL;
	return 0;
}

int vmar_init(struct vmar *v, const struct vmar_config *cfg)
{
	int err = check_config(cfg);
	uint64_t off;

	if (err)
		return err;
	memset(v, 0, sizeof(*v));
	v->cfg = *cfg;
	RB_INIT(&v->tree);
	v->rng = cfg->seed;
	v->origin = cfg->top;
	if (cfg->aslr) {
		/* Up to VMAR_ASLR_BITS of pages, and never more than the window holds, so that a
		 * small VMAR (tests, the demo) still gets a random origin. */
		uint64_t pages = (cfg->top - cfg->place_lo) / PAGE + 1;

		if (pages > 1ULL << VMAR_ASLR_BITS)
			pages = 1ULL << VMAR_ASLR_BITS;
		off = rng_below(v, pages) * PAGE;
		v->origin = cfg->top - off;
	}
	return 0;
}

static void free_subtree(struct vmar_node *n)
{
	if (!n)
		return;
	free_subtree(RB_LEFT(n, link));
	free_subtree(RB_RIGHT(n, link));
	free(n);
}

void vmar_destroy(struct vmar *v)
{
	free_subtree(RB_ROOT(&v->tree));
	RB_INIT(&v->tree);
	v->count = 0;
}

/* --- Search ---------------------------------------------------------------------------- */

/* The pieces of the gap [lo, hi) that the slot leaves, in address order; how many. */
static int cut_slot(const struct vmar *v, uint64_t lo, uint64_t hi, uint64_t p[2][2])
{
	const struct vmar_config *c = &v->cfg;

	if (!c->slot_size || hi <= c->slot || lo >= c->slot + c->slot_size) {
		p[0][0] = lo;
		p[0][1] = hi;
		return 1;
	}
	p[0][0] = lo;
	p[0][1] = c->slot;
	p[1][0] = c->slot + c->slot_size;
	p[1][1] = hi;
	return 2;
}

/* The first and last aligned positions of the free piece [lo, hi) within f; false if none. */
static bool positions(const struct fit *f, uint64_t lo, uint64_t hi, uint64_t *first,
		      uint64_t *last)
{
	lo = max_u64(lo, f->lo);
	hi = min_u64(hi, f->hi);
	if (hi < lo || hi - lo < f->size)
		return false;
	*first = (lo + f->align - 1) & ~(f->align - 1);
	*last = (hi - f->size) & ~(f->align - 1);
	return *first <= *last;
}

static uint64_t fit_gap(const struct vmar *v, const struct fit *f, uint64_t lo, uint64_t hi)
{
	uint64_t p[2][2], first, last;
	int n = cut_slot(v, lo, hi, p);

	for (int i = 0; i < n; i++) {
		int k = f->up ? i : n - 1 - i;

		if (positions(f, p[k][0], p[k][1], &first, &last))
			return f->up ? first : last;
	}
	return NO_FIT;
}

/* True when no gap of n's subtree can hold f; below is the end of the node before it. */
static bool skip(const struct fit *f, const struct vmar_node *n, uint64_t below)
{
	if (below >= f->hi || f->hi - below < f->size)
		return true;
	if (n->max_end <= f->lo || n->max_end - f->lo < f->size)
		return true;
	return n->max_gap < f->size && gap_len(below, n->min_start) < f->size;
}

/* The fit nearest to f's end of the gaps below the nodes of n's subtree. */
static uint64_t fit_tree(const struct vmar *v, const struct fit *f, struct vmar_node *n,
			 uint64_t below)
{
	struct vmar_node *l, *r;
	uint64_t a, gap_lo;

	if (!n || skip(f, n, below))
		return NO_FIT;
	l = RB_LEFT(n, link);
	r = RB_RIGHT(n, link);
	gap_lo = l ? l->max_end : below;
	if (f->up) {
		if ((a = fit_tree(v, f, l, below)) != NO_FIT)
			return a;
		if ((a = fit_gap(v, f, gap_lo, claim_start(n))) != NO_FIT)
			return a;
		return fit_tree(v, f, r, n->end);
	}
	if ((a = fit_tree(v, f, r, n->end)) != NO_FIT)
		return a;
	if ((a = fit_gap(v, f, gap_lo, claim_start(n))) != NO_FIT)
		return a;
	return fit_tree(v, f, l, below);
}

static uint64_t find_fit(const struct vmar *v, const struct fit *f)
{
	struct vmar_node *root = RB_ROOT(&v->tree);
	uint64_t top_lo = root ? root->max_end : v->cfg.base;
	uint64_t a;

	if (f->up) {
		a = fit_tree(v, f, root, v->cfg.base);
		return a != NO_FIT ? a : fit_gap(v, f, top_lo, range_end(v));
	}
	a = fit_gap(v, f, top_lo, range_end(v));
	return a != NO_FIT ? a : fit_tree(v, f, root, v->cfg.base);
}

/* Calls fn on each free piece meeting [f->lo, f->hi), upward, until fn returns true. */
typedef bool (*piece_fn)(const struct fit *f, uint64_t lo, uint64_t hi, void *arg);

static void walk_pieces(struct vmar *v, const struct fit *f, piece_fn fn, void *arg)
{
	struct vmar_node *n = find_le(v, f->lo);
	uint64_t below = n ? n->end : v->cfg.base;
	uint64_t p[2][2];

	n = n ? RB_NEXT(vmar_tree, &v->tree, n) : RB_MIN(vmar_tree, &v->tree);
	for (;;) {
		int k = cut_slot(v, below, n ? claim_start(n) : range_end(v), p);

		for (int i = 0; i < k; i++)
			if (fn(f, p[i][0], p[i][1], arg))
				return;
		if (!n || n->end >= f->hi)
			return;
		below = n->end;
		n = RB_NEXT(vmar_tree, &v->tree, n);
	}
}

struct pick {
	uint64_t count; /* positions seen (first pass) or still to skip (second) */
	uint64_t addr;
};

static bool count_piece(const struct fit *f, uint64_t lo, uint64_t hi, void *arg)
{
	struct pick *pk = arg;
	uint64_t first, last;

	if (positions(f, lo, hi, &first, &last))
		pk->count += (last - first) / f->align + 1;
	return false;
}

static bool pick_piece(const struct fit *f, uint64_t lo, uint64_t hi, void *arg)
{
	struct pick *pk = arg;
	uint64_t first, last, n;

	if (!positions(f, lo, hi, &first, &last))
		return false;
	n = (last - first) / f->align + 1;
	if (pk->count >= n) {
		pk->count -= n;
		return false;
	}
	pk->addr = first + pk->count * f->align;
	return true;
}

/* Uniformly among every fitting position of f (Linux's MAP_32BIT with randomization). */
static uint64_t random_fit(struct vmar *v, const struct fit *f)
{
	struct pick pk = {0, NO_FIT};

	walk_pieces(v, f, count_piece, &pk);
	if (!pk.count)
		return NO_FIT;
	pk.count = rng_below(v, pk.count);
	walk_pieces(v, f, pick_piece, &pk);
	return pk.addr;
}

/* --- Allocation ------------------------------------------------------------------------ */

static int check_req(const struct vmar_req *r)
{
	if (r->flags & ~REQ_FLAGS)
		return -EINVAL;
	if ((r->flags & VMAR_REPLACE) && !(r->flags & VMAR_EXACT))
		return -EINVAL;
	if (!r->size || !aligned(r->size))
		return -EINVAL;
	if (r->align && (r->align < PAGE || (r->align & (r->align - 1))))
		return -EINVAL;
	if ((r->flags & VMAR_EXACT) && (!aligned(r->hint) || (r->align && r->hint % r->align)))
		return -EINVAL;
	return 0;
}

static void release_range(struct vmar *v, uint64_t lo, uint64_t hi);

static long alloc_exact(struct vmar *v, const struct vmar_req *r)
{
	if (!in_range(v, r->hint, r->size) || touches_slot(v, r->hint, r->size))
		return -ENOMEM;
	if (overlaps_node(v, r->hint, r->size)) {
		if (!(r->flags & VMAR_REPLACE))
			return -EEXIST;
		release_range(v, r->hint, r->hint + r->size);
	}
	insert(v, node_new(r->hint, r->hint + r->size, r->flags & VMAR_GUARD));
	return (long)r->hint;
}

/* A hint is taken as Linux takes it: free, in the window, and below the next node's guard. */
static bool hint_fits(const struct vmar *v, const struct vmar_req *r, const struct fit *f)
{
	uint64_t h = r->hint;
	struct vmar_node *next;

	if (!h || h % f->align || h < f->lo || h > f->hi || f->hi - h < r->size)
		return false;
	if (touches_slot(v, h, r->size) || overlaps_node(v, h, r->size))
		return false;
	next = find_ge(v, h);
	return !next || h + r->size <= claim_start(next);
}

static uint64_t place_32bit(struct vmar *v, const struct vmar_req *r, struct fit *f)
{
	f->lo = max_u64(VMAR_32BIT_LO, v->cfg.base);
	f->hi = min_u64(VMAR_32BIT_HI, range_end(v));
	if (f->lo >= f->hi)
		return NO_FIT;
	if (hint_fits(v, r, f))
		return r->hint;
	if (v->cfg.aslr)
		return random_fit(v, f);
	f->up = true;
	return find_fit(v, f);
}

/* Top-down first fit below the origin, then anywhere below place_hi. */
static uint64_t place_topdown(struct vmar *v, const struct vmar_req *r, struct fit *f)
{
	uint64_t a;

	f->lo = v->cfg.place_lo;
	f->hi = v->cfg.place_hi;
	if (hint_fits(v, r, f))
		return r->hint;
	f->hi = v->origin;
	a = find_fit(v, f);
	if (a != NO_FIT)
		return a;
	f->hi = v->cfg.place_hi;
	return find_fit(v, f);
}

long vmar_alloc(struct vmar *v, const struct vmar_req *r)
{
	struct fit f = {.size = r->size, .align = max_u64(r->align, PAGE)};
	int err = check_req(r);
	uint64_t a;

	if (err)
		return err;
	err = fault_hit("vmar.alloc");
	if (err)
		return err;
	if (r->flags & VMAR_EXACT)
		return alloc_exact(v, r);
	if (r->size > v->cfg.size)
		return -ENOMEM;
	a = r->flags & VMAR_32BIT ? place_32bit(v, r, &f) : place_topdown(v, r, &f);
	if (a == NO_FIT)
		return -ENOMEM;
	insert(v, node_new(a, a + r->size, r->flags & VMAR_GUARD));
	return (long)a;
}

/* --- Release and queries --------------------------------------------------------------- */

/* Takes [lo, hi) out of n, which meets it. */
static void cut_node(struct vmar *v, struct vmar_node *n, uint64_t lo, uint64_t hi)
{
	if (n->start < lo && n->end > hi) {
		struct vmar_node *upper = node_new(hi, n->end, n->guard);

		n->end = lo;
		fix_up(n);
		insert(v, upper);
	} else if (n->start < lo) {
		n->end = lo;
		fix_up(n);
	} else if (n->end > hi) {
		n->start = hi; /* the order holds: nothing else lies in [start, hi) */
		fix_up(n);
	} else {
		erase(v, n);
	}
}

static void release_range(struct vmar *v, uint64_t lo, uint64_t hi)
{
	struct vmar_node *n = find_le(v, lo), *next;

	if (!n)
		n = RB_MIN(vmar_tree, &v->tree);
	else if (n->end <= lo)
		n = RB_NEXT(vmar_tree, &v->tree, n);
	for (; n && n->start < hi; n = next) {
		next = RB_NEXT(vmar_tree, &v->tree, n);
		cut_node(v, n, lo, hi);
	}
}

long vmar_release(struct vmar *v, uint64_t addr, uint64_t len)
{
	if (!len || !aligned(addr) || !aligned(len) || addr + len < addr)
		return -EINVAL;
	release_range(v, addr, addr + len);
	return 0;
}

bool vmar_is_free(const struct vmar *v, uint64_t addr, uint64_t len)
{
	return in_range(v, addr, len) && !touches_slot(v, addr, len) &&
	       !(len && overlaps_node(v, addr, len));
}

void vmar_set_guard(struct vmar *v, uint64_t addr, uint64_t len, bool guard)
{
	uint64_t end = len > UINT64_MAX - addr ? UINT64_MAX : addr + len;
	struct vmar_node *n;

	for (n = find_ge(v, addr); n && n->end <= end; n = RB_NEXT(vmar_tree, &v->tree, n)) {
		n->guard = guard;
		fix_up(n);
	}
}

struct vmar_node *vmar_first(struct vmar *v)
{
	return RB_MIN(vmar_tree, &v->tree);
}

struct vmar_node *vmar_next(struct vmar *v, struct vmar_node *n)
{
	(void)v;
	return RB_NEXT(vmar_tree, &v->tree, n);
}

struct vmar_node *vmar_find(struct vmar *v, uint64_t addr)
{
	struct vmar_node *n = find_le(v, addr);

	return n && addr < n->end ? n : NULL;
}

/* --- Checker --------------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int fail(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf && len) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return -EUCLEAN;
}

static int check_node(const struct vmar *v, const struct vmar_node *n, const struct vmar_node *prev,
		      char *buf, size_t len)
{
	if (n->start >= n->end || !aligned(n->start) || !aligned(n->end))
		return fail(buf, len, "vmar: node [%#" PRIx64 ", %#" PRIx64 ") empty or unaligned",
			    n->start, n->end);
	if (!in_range(v, n->start, n->end - n->start))
		return fail(buf, len, "vmar: node [%#" PRIx64 ", %#" PRIx64 ") outside the range",
			    n->start, n->end);
	if (touches_slot(v, n->start, n->end - n->start))
		return fail(buf, len, "vmar: node [%#" PRIx64 ", %#" PRIx64 ") touches the slot",
			    n->start, n->end);
	if (prev && prev->end > n->start)
		return fail(buf, len,
			    "vmar: node [%#" PRIx64 ", %#" PRIx64
			    ") overlaps or precedes [%#" PRIx64 ", %#" PRIx64 ")",
			    n->start, n->end, prev->start, prev->end);
	return 0;
}

/* Recomputes n's subtree bottom-up from the nodes alone, comparing with what is stored. */
static int check_aug(struct vmar_node *n, struct vmar_node *parent, struct vmar_node *want,
		     char *buf, size_t len)
{
	struct vmar_node l, r;
	int err;

	if (RB_PARENT(n, link) != parent)
		return fail(buf, len, "vmar: node %#" PRIx64 " has a wrong parent link", n->start);
	if (RB_LEFT(n, link) && (err = check_aug(RB_LEFT(n, link), n, &l, buf, len)))
		return err;
	if (RB_RIGHT(n, link) && (err = check_aug(RB_RIGHT(n, link), n, &r, buf, len)))
		return err;
	want->min_start = RB_LEFT(n, link) ? l.min_start : claim_start(n);
	want->max_end = RB_RIGHT(n, link) ? r.max_end : n->end;
	want->max_gap = 0;
	if (RB_LEFT(n, link))
		want->max_gap = max_u64(l.max_gap, gap_len(l.max_end, claim_start(n)));
	if (RB_RIGHT(n, link))
		want->max_gap =
		    max_u64(want->max_gap, max_u64(r.max_gap, gap_len(n->end, r.min_start)));
	if (want->min_start != n->min_start || want->max_end != n->max_end ||
	    want->max_gap != n->max_gap)
		return fail(buf, len,
			    "vmar: node %#" PRIx64 " stores min_start %#" PRIx64
			    " max_end %#" PRIx64 " max_gap %#" PRIx64 ", expected %#" PRIx64
			    " %#" PRIx64 " %#" PRIx64,
			    n->start, n->min_start, n->max_end, n->max_gap, want->min_start,
			    want->max_end, want->max_gap);
	return 0;
}

int vmar_check(struct vmar *v, char *buf, size_t buflen)
{
	struct vmar_node *n, *prev = NULL, *root = RB_ROOT(&v->tree), want;
	uint64_t count = 0, gap = 0;
	int err;

	RB_FOREACH(n, vmar_tree, &v->tree)
	{
		if ((err = check_node(v, n, prev, buf, buflen)))
			return err;
		if (prev)
			gap = max_u64(gap, gap_len(prev->end, claim_start(n)));
		prev = n;
		count++;
	}
	if (count != v->count)
		return fail(buf, buflen, "vmar: %" PRIu64 " nodes, count says %" PRIu64, count,
			    v->count);
	if (!root)
		return 0;
	if ((err = check_aug(root, NULL, &want, buf, buflen)))
		return err;
	/* The same from a plain walk, independent of the recurrence above. */
	if (root->max_gap != gap || root->max_end != prev->end ||
	    root->min_start != claim_start(vmar_first(v)))
		return fail(buf, buflen, "vmar: root span or largest gap disagrees with a walk");
	return 0;
}
