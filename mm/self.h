/*
 * The self backend: runs plans in the calling process, inside a region the caller reserved.
 *
 * It lets every mm behaviour be tested, fuzzed and benchmarked against real memory without
 * ptrace. Every step must lie inside [lo, hi) (a step outside is refused with -EFAULT, so a
 * model bug cannot wreck the test process). Unmapped parts of the region are never left
 * really unmapped: PLAN_UNMAP maps a PROT_NONE placeholder of an empty memfd named
 * SELF_HOLE_NAME over the range, so the process's own allocations (malloc, stdio) can never
 * land in the region; /proc/self/maps shows placeholders as "/memfd:starmm-hole (deleted)".
 * A region starts as one placeholder (self_region_reserve).
 *
 * Fault points: backend.step (before each step), backend.file (file_get).
 */
#ifndef STARMM_MM_SELF_H
#define STARMM_MM_SELF_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/backend.h"

#define SELF_HOLE_NAME "starmm-hole"

struct self_backend {
	uint64_t lo, hi;
	int hole_fd;
	int mem_fd; /* /proc/self/mem, for mem_read/mem_write */
	bool pkeys;
};

extern const struct mm_backend self_backend_ops;

/* Reserves size bytes (a placeholder mapping) at a kernel-chosen address, aligned to align
 * (0: page), and sets up sb for it. 0 or -errno. */
int self_region_reserve(struct self_backend *sb, uint64_t size, uint64_t align);
/* Unmaps the whole region and closes the placeholder memfd. */
void self_region_release(struct self_backend *sb);
/* Puts a placeholder over [addr, addr + len) (inside the region). 0 or -errno. */
int self_hole(struct self_backend *sb, uint64_t addr, uint64_t len);

#endif
