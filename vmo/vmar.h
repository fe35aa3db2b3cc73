/*
 * VMAR: an emulated Zircon virtual memory address region, the placement authority for one
 * address space.
 *
 * It covers [base, base + size) and records which parts are allocated (each allocation a node
 * of an ordered tree, never two overlapping). One reserved slot inside the range (the
 * trampoline's) is never handed out and an exact allocation touching it fails with -ENOMEM.
 * Automatic placement (no VMAR_EXACT) follows Starnix on x86-64:
 *  - an origin below `top`, chosen once at init: top minus a random page-granular offset of
 *    up to VMAR_ASLR_BITS bits (clamped to the placement window); with aslr off, top itself;
 *  - a hint is honoured when [hint, hint + size) is free and inside the placement window;
 *  - otherwise top-down first fit from the origin down to place_lo, then top-down from
 *    place_hi down to the origin;
 *  - an allocation made with VMAR_GUARD (a MAP_GROWSDOWN mapping) keeps VMAR_GUARD_GAP bytes
 *    free below itself for automatic placement (Linux's stack_guard_gap);
 *  - VMAR_32BIT places inside Linux's x86-64 MAP_32BIT window [1 GiB, 2 GiB): uniformly at
 *    random among the fitting positions, or the lowest one with aslr off.
 * Placement is O(log n): every node keeps the largest free gap in its subtree.
 * With a seed, every placement is reproducible.
 *
 * Invariants: nodes never overlap; no node intersects the reserved slot; every node lies in
 * [base, base + size); the subtree gap annotations are exact.
 *
 * Fault point: vmar.alloc.
 */
#ifndef STARMM_VMAR_H
#define STARMM_VMAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bsd/sys/tree.h>

#define VMAR_PAGE_SIZE 4096ULL
#define VMAR_ASLR_BITS 27			  /* Zircon's page-granular entropy on x86-64 */
#define VMAR_GUARD_GAP (256ULL * VMAR_PAGE_SIZE)  /* Linux's default stack_guard_gap */
#define VMAR_32BIT_LO 0x40000000ULL		  /* arch/x86/kernel/sys_x86_64.c */
#define VMAR_32BIT_HI 0x80000000ULL

/* Request flags */
#define VMAR_EXACT 0x1u	  /* at `hint` exactly, or fail */
#define VMAR_REPLACE 0x2u /* with VMAR_EXACT: allocated parts of the range are taken over */
#define VMAR_32BIT 0x4u	  /* inside [VMAR_32BIT_LO, VMAR_32BIT_HI) */
#define VMAR_GUARD 0x8u	  /* keep VMAR_GUARD_GAP free below, for automatic placement */

struct vmar_config {
	uint64_t base, size;	     /* the range covered */
	uint64_t slot, slot_size;    /* the reserved slot (slot_size 0: none) */
	uint64_t place_lo, place_hi; /* the window of automatic placement (half mode: lower half) */
	uint64_t top;		     /* top-down placement starts below this (Linux's mmap_base) */
	bool aslr;
	uint64_t seed;
};

struct vmar_node {
	RB_ENTRY(vmar_node) link;
	uint64_t start, end;
	bool guard;
	uint64_t max_gap; /* largest free gap ending at or below this subtree's nodes (augmented) */
	uint64_t min_start, max_end;
};
RB_HEAD(vmar_tree, vmar_node);

struct vmar {
	struct vmar_config cfg;
	struct vmar_tree tree;
	uint64_t origin;
	uint64_t rng;
	uint64_t count; /* nodes */
};

struct vmar_req {
	uint64_t size;	/* bytes, page multiple, > 0 */
	uint64_t hint;	/* address wanted (exact with VMAR_EXACT), 0 for none */
	uint64_t align; /* power of two >= page size, or 0 */
	unsigned flags;
};

/* 0 or -EINVAL (range, slot or window not page-aligned or outside the range). */
int vmar_init(struct vmar *v, const struct vmar_config *cfg);

/* The user range of x86-64 with 4-level page tables: [mmap_min_addr, TASK_SIZE). */
#define VMAR_USER_BASE 0x10000ULL
#define VMAR_USER_TOP 0x7ffffffff000ULL
#define VMAR_MMAP_GAP_MIN (128ULL << 20) /* arch/x86/mm/mmap.c: SIZE_128M */

enum vmar_mode {
	VMAR_FULL, /* automatic placement anywhere in the user range */
	VMAR_HALF, /* only in its lower half, as Starnix's restricted mode */
};

/*
 * The configuration of a whole user address space (vmo/vmar_user.c): the VMAR covers the user
 * range; placement starts below Linux's mmap_base for a main stack whose top is stack_top,
 * i.e. stack_top - clamp(rlimit_stack + guard gap, 128 MiB, 5/6 of the range), and the
 * VMAR's own random origin below it supplies mmap_base's randomisation. With VMAR_HALF the
 * window is the lower half and the top is clamped into it. The slot is reserved for the
 * trampoline (slot_size 0: none). 0 or -EINVAL (stack top or slot outside the user range).
 */
int vmar_user_config(struct vmar_config *cfg, enum vmar_mode mode, uint64_t stack_top,
		     uint64_t rlimit_stack, uint64_t slot, uint64_t slot_size, bool aslr,
		     uint64_t seed);
void vmar_destroy(struct vmar *v);

/* Allocates and returns the address, or -errno: -ENOMEM (no room; an exact range outside the
 * VMAR or touching the slot), -EEXIST (an exact range overlapping an allocation, without
 * VMAR_REPLACE), -EINVAL (size 0 or unaligned, bad align, unaligned exact address). With
 * VMAR_REPLACE the allocated parts of the range are released first, then the range is
 * allocated as one node. */
long vmar_alloc(struct vmar *v, const struct vmar_req *req);

/* Releases every allocated part of [addr, addr + len), splitting nodes as needed; free
 * parts are skipped. 0 or -EINVAL (unaligned). */
long vmar_release(struct vmar *v, uint64_t addr, uint64_t len);

/* True when no part of [addr, addr + len) is allocated or reserved, and it lies in the VMAR. */
bool vmar_is_free(const struct vmar *v, uint64_t addr, uint64_t len);

/* Marks or clears the guard of every node inside [addr, addr + len). */
void vmar_set_guard(struct vmar *v, uint64_t addr, uint64_t len, bool guard);

/* Iteration in address order over the allocation nodes. */
struct vmar_node *vmar_first(struct vmar *v);
struct vmar_node *vmar_next(struct vmar *v, struct vmar_node *n);

/* The node containing addr, or NULL. */
struct vmar_node *vmar_find(struct vmar *v, uint64_t addr);

/* Checks every invariant above (augmentation included); 0 or -EUCLEAN with a message in
 * buf. */
int vmar_check(struct vmar *v, char *buf, size_t buflen);

#endif
