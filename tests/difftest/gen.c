/*
 * The operation generator: seeded, so the same seed gives the same run.
 *
 * Operations are drawn against the model's current table (dt.mv), so ranges often hit
 * existing mappings, their heads, tails and middles, span holes on purpose and touch the
 * edges of the ops window. A share of each kind is invalid on purpose, one thing wrong at a
 * time, with an intent that labels its outcome (len0, fixed-unaligned, ...). This file has
 * the first core issue's operations and the shared helpers (gen_*); mremap is drawn in
 * gen_mremap.c, madvise, the mlock family, msync and mincore in gen_ranges.c.
 *
 * Invariant (checked again by native_assert_safe): a MAP_FIXED mmap, a munmap or an
 * mprotect either lies inside the ops window [0, DT_OPS_END) relative to the region, or is
 * absolute and certain to fail before touching anything (at or above DT_TASK_SIZE, crossing
 * it, overflowing). Never a range that reaches the heap window or the harness's memory.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/mman.h>

#include "tests/difftest/dt.h"

#define P	      DT_PAGE
#define MAP_UNKNOWN_A 0x200000 /* bits no mmap flag uses on x86-64 */
#define MAP_UNKNOWN_B 0x800000

uint64_t *gen_rng;

static uint64_t rnd(uint64_t n)
{
	return rng_below(gen_rng, n);
}

static bool pct(unsigned p)
{
	return rng_pct(gen_rng, p);
}

uint64_t gen_rnd(uint64_t n)
{
	return rnd(n);
}

bool gen_pct(unsigned p)
{
	return pct(p);
}

const struct mview *gen_pick_mapping(unsigned want_flags, bool writable)
{
	int idx[DT_MAXSEG], n = 0;

	for (int i = 0; i < dt.nmv; i++) {
		const struct mview *v = &dt.mv[i];

		if (v->start >= DT_OPS_END && !writable)
			continue;
		if ((v->flags & want_flags) != want_flags)
			continue;
		if (writable && !(v->prot & PROT_WRITE))
			continue;
		idx[n++] = i;
	}
	return n ? &dt.mv[idx[rnd((uint64_t)n)]] : NULL;
}

uint64_t gen_pages(void)
{
	unsigned r = (unsigned)rnd(100);

	if (r < 60)
		return 1 + rnd(4);
	if (r < 85)
		return 1 + rnd(16);
	return 1 + rnd(64);
}

/* A page-granular length made unaligned (same pages) sometimes. */
uint64_t gen_unalign_len(uint64_t len)
{
	return pct(20) && len ? len - 1 - rnd(P - 1) : len;
}

/* [*a, *a + *len) inside the ops window, relative, page-aligned start. */
void gen_range(uint64_t *a, uint64_t *len)
{
	const struct mview *m = gen_pick_mapping(0, false);
	uint64_t s, e, mp;
	unsigned r = (unsigned)rnd(100);

	if (!m || r < 12) {
		s = rnd(DT_OPS_END / P) * P;
		e = s + gen_pages() * P;
	} else {
		mp = (m->end - m->start) / P;
		if (r < 30) { /* whole */
			s = m->start;
			e = m->end;
		} else if (r < 42) { /* head */
			s = m->start;
			e = s + (1 + rnd(mp)) * P;
		} else if (r < 54) { /* tail */
			e = m->end;
			s = e - (1 + rnd(mp)) * P;
		} else if (r < 70 && mp >= 3) { /* middle: keeps a page on each side */
			s = m->start + (1 + rnd(mp - 2)) * P;
			e = s + (1 + rnd((m->end - s) / P - 1)) * P;
		} else if (r < 85) { /* from inside it, across holes and later mappings */
			s = m->start + rnd(mp) * P;
			e = m->end + gen_pages() * P * (1 + rnd(4));
		} else { /* from a hole below it (if any) into it */
			s = m->start >= 2 * P ? m->start - (1 + rnd(2)) * P : m->start;
			e = m->start + (1 + rnd(mp)) * P;
		}
	}
	if (s >= DT_OPS_END)
		s = DT_OPS_END - P;
	if (e > DT_OPS_END)
		e = DT_OPS_END;
	if (e <= s)
		e = s + P;
	*a = s;
	*len = gen_unalign_len(e - s);
}

static int rand_prot(void)
{
	static const int prots[] = {
	    PROT_NONE,
	    PROT_READ,
	    PROT_READ | PROT_WRITE,
	    PROT_READ | PROT_WRITE,
	    PROT_READ | PROT_EXEC,
	    PROT_READ | PROT_WRITE | PROT_EXEC,
	    PROT_WRITE,
	    PROT_EXEC,
	    PROT_READ,
	};
	int p = prots[rnd(sizeof(prots) / sizeof(prots[0]))];

	if (pct(2))
		p |= 0x8; /* PROT_SEM: accepted, ignored */
	return p;
}

static int rand_fslot(void)
{
	unsigned r = (unsigned)rnd(100);

	if (r < 40)
		return FS_RDWR;
	if (r < 62)
		return FS_RDONLY;
	if (r < 70)
		return FS_WRONLY;
	if (r < 80)
		return FS_APPEND;
	if (r < 86)
		return FS_DIR;
	if (r < 91)
		return FS_PIPE;
	if (r < 96)
		return FS_CLOSED;
	return FS_MINUS1;
}

/* An address for a MAP_FIXED or hinted mmap, relative: at or in a mapping, at a hole... */
uint64_t gen_map_addr(void)
{
	const struct mview *m = gen_pick_mapping(0, false);
	unsigned r = (unsigned)rnd(100);

	if (!m || r < 25)
		return rnd(DT_OPS_END / P) * P;
	if (r < 50)
		return m->start;
	if (r < 75)
		return m->start + rnd((m->end - m->start) / P) * P;
	return m->end < DT_OPS_END ? m->end : m->start;
}

static void gen_mmap(struct op *op)
{
	unsigned r = (unsigned)rnd(100), place = (unsigned)rnd(100);
	bool file = pct(40);
	uint64_t alen;

	op->kind = OP_MMAP;
	op->fslot = file ? rand_fslot() : FS_ANON;
	op->prot = rand_prot();
	op->len = gen_unalign_len(gen_pages() * P);
	op->flags = file ? 0 : MAP_ANONYMOUS;
	r = (unsigned)rnd(100);
	op->flags |= r < 55 ? MAP_PRIVATE : r < 85 ? MAP_SHARED : MAP_SHARED_VALIDATE;
	if (file)
		op->off = pct(70) ? 0 : rnd(4) * P;
	if (pct(6) && !file && (op->flags & MAP_TYPE) == MAP_PRIVATE)
		op->flags |= MAP_GROWSDOWN;
	if (pct(2))
		op->flags |= MAP_GROWSDOWN; /* EINVAL for files and shared anonymous memory */
	if (pct(6))
		op->flags |= MAP_STACK;
	if (pct(8))
		op->flags |= MAP_NORESERVE;
	if (pct(5))
		op->flags |= MAP_POPULATE;
	if (pct(6)) {
		op->flags |= MAP_LOCKED;
		op->len = gen_unalign_len((1 + rnd(24)) * P); /* around RLIMIT_MEMLOCK's 16 pages */
	}

	if (place < 40)
		op->flags |= MAP_FIXED;
	else if (place < 55)
		op->flags |= MAP_FIXED_NOREPLACE;
	if (place < 70)
		op->addr = gen_map_addr();
	else if (place < 75)
		op->addr = DT_OPS_END + rnd(DT_HEAP_WIN / P) * P; /* a hint the VMAR ignores */

	/* One thing wrong at a time, labelled. */
	r = (unsigned)rnd(100);
	if (r < 3) {
		op->intent = "len0";
		op->len = 0;
	} else if (r < 6) {
		op->intent = "fixed-unaligned";
		op->flags = (op->flags & ~MAP_FIXED_NOREPLACE) | MAP_FIXED;
		op->addr = gen_map_addr() + 1 + rnd(P - 1);
	} else if (r < 9) {
		op->intent = "off-unaligned";
		op->fslot = FS_RDWR;
		op->flags &= ~MAP_ANONYMOUS;
		op->off = rnd(4) * P + 1 + rnd(P - 1);
	} else if (r < 12) {
		op->intent = "no-type";
		op->flags &= ~MAP_TYPE;
	} else if (r < 16) {
		op->intent = "validate-unknown";
		op->flags = (op->flags & ~MAP_TYPE) | MAP_SHARED_VALIDATE;
		op->flags |= pct(50) ? MAP_SYNC : pct(50) ? MAP_UNKNOWN_A : MAP_UNKNOWN_B;
		if (pct(75)) {
			op->fslot = FS_RDWR;
			op->flags &= ~MAP_ANONYMOUS;
		}
	} else if (r < 19) {
		op->intent = "off-overflow";
		op->fslot = pct(80) ? FS_RDWR : FS_RDONLY;
		op->flags &= ~MAP_ANONYMOUS;
		op->off = pct(50) ? 0xfffffffffffff000ULL : 0x7ffffffffffff000ULL;
		op->len = 2 * P;
	} else if (r < 22) {
		op->intent = "beyond-task-size";
		op->abs = true;
		op->flags = (op->flags & ~MAP_FIXED_NOREPLACE) | (pct(70) ? MAP_FIXED : 0);
		op->addr = pct(60) ? DT_TASK_SIZE - P : DT_TASK_SIZE + rnd(16) * P;
		op->len = 2 * P;
	} else if (r < 25) {
		op->intent = "huge-len";
		op->flags &= ~(MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_LOCKED | MAP_POPULATE);
		op->len = pct(50) ? 1ULL << 47 : pct(50) ? ~0ULL : ~0ULL - P * 2;
		op->addr = 0;
	}

	if (DT_SKIP_SYNC_FILE && (op->flags & MAP_SYNC) && op->fslot != FS_ANON)
		op->flags = (op->flags & ~MAP_SYNC) | MAP_UNKNOWN_A;
	if (DT_SKIP_LOCKED_PRIVATE_FILE && op->fslot != FS_ANON &&
	    (op->flags & MAP_TYPE) != MAP_SHARED && (op->flags & MAP_TYPE) != MAP_SHARED_VALIDATE)
		op->flags &= ~MAP_LOCKED;
	if (DT_SKIP_PIPE_EXEC && op->fslot == FS_PIPE)
		op->prot &= ~PROT_EXEC;

	/* A fixed range stays inside the ops window. */
	if (!op->abs && (op->flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))) {
		if (op->addr >= DT_OPS_END)
			op->addr = DT_OPS_END - P + (op->addr & (P - 1));
		alen = DT_PAGE_ALIGN(op->len);
		if (alen > DT_OPS_END - (op->addr & ~(P - 1)))
			op->len = DT_OPS_END - (op->addr & ~(P - 1));
	}
}

/* The design note's scenario: the middle of an anonymous mapping of 3 pages or more. */
static bool middle_of_anon(uint64_t *a, uint64_t *len)
{
	for (int i = 0; i < 8; i++) {
		const struct mview *m = gen_pick_mapping(0, false);
		uint64_t mp = m ? (m->end - m->start) / P : 0;

		if (m && m->kind == MK_ANON && mp >= 3) {
			*a = m->start + (1 + rnd(mp - 2)) * P;
			*len = (1 + rnd((m->end - *a) / P - 1)) * P;
			return true;
		}
	}
	return false;
}

/* RLIMIT_DATA headroom in pages: mostly around the size of one mapping, so that the limit's
 * edge is hit exactly. */
static uint64_t data_margin(void)
{
	return pct(60) ? rnd(24) : rnd(300);
}

static void gen_munmap(struct op *op)
{
	unsigned r = (unsigned)rnd(100);

	op->kind = OP_MUNMAP;
	/* --faults has few operations per point: make the snapshot path frequent. */
	if (pct(dt.faults ? 50 : 10) && middle_of_anon(&op->addr, &op->len))
		return;
	gen_range(&op->addr, &op->len);
	if (r < 4) {
		op->len = 0;
	} else if (r < 8) {
		op->addr += 1 + rnd(P - 1);
	} else if (r < 11) {
		op->abs = true;
		op->addr = DT_TASK_SIZE + rnd(16) * P;
	} else if (r < 13) {
		op->abs = true; /* crosses TASK_SIZE: len > TASK_SIZE - addr, EINVAL */
		op->addr = DT_TASK_SIZE - P;
		op->len = 2 * P;
	} else if (r < 15) {
		op->len = ~0ULL - P + 1; /* wraps: EINVAL */
	}
}

static void gen_mprotect(struct op *op)
{
	unsigned r = (unsigned)rnd(100);
	const struct mview *m;

	op->kind = pct(25) ? OP_PKEY_MPROTECT : OP_MPROTECT;
	op->pkey = -1;
	if (op->kind == OP_PKEY_MPROTECT) {
		static const int pkeys[] = {-1, -1, 0, 0, 0, 1, 15, 16, -2};

		op->pkey = pkeys[rnd(sizeof(pkeys) / sizeof(pkeys[0]))];
	}
	op->prot = rand_prot();
	gen_range(&op->addr, &op->len);
	if (pct(10))
		op->data_mode = 1, op->data_margin = data_margin();
	if (r < 4) {
		op->prot |= pct(50) ? 0x10 : 0x100;
	} else if (r < 7) {
		m = gen_pick_mapping(MF_GROWSDOWN, false);
		if (m) {
			op->addr = m->start + rnd((m->end - m->start) / P) * P;
			op->len = P;
		}
		op->prot |= PROT_GROWSDOWN;
	} else if (r < 10) {
		op->prot |= PROT_GROWSDOWN;
	} else if (r < 12) {
		op->prot |= PROT_GROWSDOWN | PROT_GROWSUP;
	} else if (r < 15) {
		op->addr += 1 + rnd(P - 1);
	} else if (r < 18) {
		op->len = 0;
	} else if (r < 21) {
		op->abs = true;
		op->addr = DT_TASK_SIZE + rnd(16) * P;
	} else if (r < 23) {
		op->len = ~0ULL - P + 1; /* end wraps: ENOMEM */
	} else if (r < 33) {
		for (int i = 0; i < 8; i++) {
			m = gen_pick_mapping(MF_SHARED, false);
			if (m && m->kind == MK_FILE && m->oflags == O_RDONLY) {
				op->addr = m->start;
				op->len = m->end - m->start;
				op->prot |= PROT_WRITE;
				break;
			}
		}
	}
}

static void gen_brk(struct op *op)
{
	int64_t cur = dt.mm.brk - dt.mm.start_brk;
	unsigned r = (unsigned)rnd(100);

	op->kind = OP_BRK;
	if (r < 25)
		op->brk = cur + (int64_t)((1 + rnd(5)) * P - (pct(50) ? rnd(P) : 0));
	else if (r < 40)
		op->brk = cur + (int64_t)((8 + rnd(160)) * P + rnd(P));
	else if (r < 48)
		op->brk = (int64_t)(DT_CEIL_OFF - P) + (int64_t)rnd(3) - 1;
	else if (r < 68)
		op->brk = cur > 0 ? (int64_t)rnd((uint64_t)cur + 1) : 0;
	else if (r < 74)
		op->brk = cur;
	else if (r < 80)
		op->brk = (cur & ~(int64_t)(P - 1)) + (int64_t)rnd(P);
	else if (r < 85)
		op->brk = -(int64_t)(1 + rnd(64 << 10));
	else if (r < 90)
		op->brk = 0, op->brk_abs = true;
	else if (r < 93)
		op->brk_abs = true, op->brk = pct(50)	? (int64_t)DT_TASK_SIZE
					      : pct(50) ? -(int64_t)P
							: 1LL << 47;
	else
		op->brk = 0;
	r = (unsigned)rnd(100);
	if (r < 20)
		op->data_mode = 1, op->data_margin = rnd(600 << 10);
	else if (r < 40)
		op->data_mode = 2, op->data_margin = (uint64_t)cur / P + rnd(8);
}

static bool gen_write(struct op *op)
{
	const struct mview *m = gen_pick_mapping(0, true);
	uint64_t lo, hi, limit;

	if (!m)
		return false;
	lo = m->start;
	hi = m->end;
	if (m->kind == MK_FILE) {
		/* Pages past the end of the file would SIGBUS on both sides. */
		limit = DT_PAGE_ALIGN(DT_FILE_SIZE);
		if (m->off >= limit)
			return false;
		if (hi - lo > limit - m->off)
			hi = lo + (limit - m->off);
	} else if ((m->flags & MF_SHARED) && (dt.faults || m->start >= DT_OPS_END || pct(90))) {
		/* Likewise past the end of a shared object (mremap grows mappings, not objects):
		 * aimed at only now and then, where the native side faults too. */
		if (m->off >= m->obj_size)
			return false;
		if (hi - lo > m->obj_size - m->off)
			hi = lo + (m->obj_size - m->off);
	}
	op->kind = OP_WRITE;
	op->addr = lo + rnd(hi - lo);
	op->len = 1 + rnd(pct(70) ? 64 : 2 * P);
	if (op->len > hi - op->addr)
		op->len = hi - op->addr;
	op->seed = rng_next(gen_rng);
	return true;
}

void gen_op(uint64_t *rng, struct op *op)
{
	unsigned r;

	gen_rng = rng;
	*op = (struct op){.fslot = FS_ANON, .pkey = -1};
	r = (unsigned)rnd(1000);
	if (r < 270)
		gen_mmap(op);
	else if (r < 400)
		gen_munmap(op);
	else if (r < 540)
		gen_mprotect(op);
	else if (r < 610)
		gen_brk(op);
	else if (r < 740) {
		if (!gen_write(op))
			gen_mmap(op);
	} else if (r < 840)
		gen_mremap(op);
	else if (r < 915)
		gen_madvise(op);
	else if (r < 955)
		gen_mlock(op);
	else if (r < 975)
		gen_msync(op);
	else
		gen_mincore(op);
	if (op->kind == OP_MMAP && !op->intent && pct(8))
		op->data_mode = 1, op->data_margin = data_margin();
	/* --faults: now and then a snapshot (mm_snapshot without a fork) */
	if (dt.faults && pct(4))
		*op = (struct op){.kind = OP_SNAPSHOT, .fslot = FS_ANON, .pkey = -1};
}

/* One operation of kind k (MMAP, MUNMAP or WRITE; a write falls back to an mmap), for the
 * short sequences run in a forked child (fork.c): they stay in the ops window. */
void gen_op_kind(uint64_t *rng, struct op *op, enum op_kind k)
{
	gen_rng = rng;
	*op = (struct op){.fslot = FS_ANON, .pkey = -1};
	if (k == OP_MUNMAP) {
		gen_munmap(op);
		return;
	}
	if (k == OP_WRITE) {
		for (int i = 0; i < 4; i++)
			if (gen_write(op) && op->addr < DT_OPS_END)
				return;
		*op = (struct op){.fslot = FS_ANON, .pkey = -1};
	}
	gen_mmap(op);
}

const char *op_kind_name(enum op_kind k)
{
	static const char *const names[] = {
	    "mmap",	  "munmap",  "mprotect", "pkey_mprotect", "brk",     "write",
	    "mremap",	  "madvise", "mlock",	 "mlock2",	  "munlock", "mlockall",
	    "munlockall", "msync",   "mincore",	 "snapshot",
	};

	return k < OP_NKINDS ? names[k] : "?";
}

void op_print(FILE *f, const struct op *op)
{
	const char *base = op->abs ? "" : "B+";

	switch (op->kind) {
	case OP_MMAP:
		fprintf(f,
			"mmap(%s%#" PRIx64 ", %#" PRIx64
			", prot=%#x, flags=%#x, fd=%s, off=%#" PRIx64 ")",
			base, op->addr, op->len, op->prot, op->flags, fslot_name(op->fslot),
			op->off);
		if (op->intent)
			fprintf(f, " [%s]", op->intent);
		break;
	case OP_MUNMAP:
		fprintf(f, "munmap(%s%#" PRIx64 ", %#" PRIx64 ")", base, op->addr, op->len);
		break;
	case OP_MPROTECT:
		fprintf(f, "mprotect(%s%#" PRIx64 ", %#" PRIx64 ", %#x)", base, op->addr, op->len,
			op->prot);
		break;
	case OP_PKEY_MPROTECT:
		fprintf(f, "pkey_mprotect(%s%#" PRIx64 ", %#" PRIx64 ", %#x, %d)", base, op->addr,
			op->len, op->prot, op->pkey);
		break;
	case OP_BRK:
		if (op->brk_abs)
			fprintf(f, "brk(%#" PRIx64 ")", (uint64_t)op->brk);
		else
			fprintf(f, "brk(start_brk%+" PRId64 ")", op->brk);
		break;
	case OP_WRITE:
		fprintf(f, "write(B+%#" PRIx64 ", %#" PRIx64 ", seed=%#" PRIx64 ")", op->addr,
			op->len, op->seed);
		break;
	case OP_MREMAP:
		mremap_print(f, op);
		break;
	case OP_SNAPSHOT:
		fprintf(f, "mm_snapshot()");
		break;
	case OP_MADVISE:
	case OP_MLOCK:
	case OP_MLOCK2:
	case OP_MUNLOCK:
	case OP_MLOCKALL:
	case OP_MUNLOCKALL:
	case OP_MSYNC:
	case OP_MINCORE:
		ranges_print(f, op);
		break;
	default:
		fprintf(f, "?");
	}
	if (op->data_mode)
		fprintf(f, " [RLIMIT_DATA mode %d margin %#" PRIx64 "]", op->data_mode,
			op->data_margin);
}
