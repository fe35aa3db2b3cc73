/*
 * vmar_user_config: the VMAR configuration of a whole x86-64 user address space, with Linux's
 * placement origin (mmap_base, arch/x86/mm/mmap.c) and Starnix's two modes (full and half).
 * It only computes a struct vmar_config; vmar_init checks it.
 */
#include <errno.h>
#include <string.h>

#include "vmo/vmar.h"

int vmar_user_config(struct vmar_config *cfg, enum vmar_mode mode, uint64_t stack_top,
		     uint64_t rlimit_stack, uint64_t slot, uint64_t slot_size, bool aslr,
		     uint64_t seed)
{
	const uint64_t range = VMAR_USER_TOP - VMAR_USER_BASE;
	uint64_t gap = rlimit_stack, gap_max = range / 6 * 5;

	if (stack_top <= VMAR_USER_BASE || stack_top > VMAR_USER_TOP ||
	    (slot_size && (slot < VMAR_USER_BASE || slot_size > VMAR_USER_TOP - slot)))
		return -EINVAL;
	/* mmap_base(): the stack's limit plus the guard gap, clamped; RLIM_INFINITY clamps. */
	if (gap + VMAR_GUARD_GAP > gap)
		gap += VMAR_GUARD_GAP;
	if (gap < VMAR_MMAP_GAP_MIN)
		gap = VMAR_MMAP_GAP_MIN;
	if (gap > gap_max)
		gap = gap_max;
	memset(cfg, 0, sizeof(*cfg));
	cfg->base = VMAR_USER_BASE;
	cfg->size = range;
	cfg->slot = slot;
	cfg->slot_size = slot_size;
	cfg->place_lo = VMAR_USER_BASE;
	cfg->place_hi = mode == VMAR_HALF ? VMAR_USER_BASE + (range / 2 & ~(VMAR_PAGE_SIZE - 1))
					  : VMAR_USER_TOP;
	cfg->top = stack_top > gap + VMAR_USER_BASE ? (stack_top - gap) & ~(VMAR_PAGE_SIZE - 1)
						    : VMAR_USER_BASE + VMAR_PAGE_SIZE;
	if (cfg->top > cfg->place_hi)
		cfg->top = cfg->place_hi;
	cfg->aslr = aslr;
	cfg->seed = seed;
	return 0;
}
