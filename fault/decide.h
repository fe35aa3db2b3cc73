/*
 * What a SIGSEGV/SIGBUS the kernel raised means to starmm (DESIGN.md section 4): a stack
 * growth Linux would have made (the memory manager grows the stack, mm_grow_down), a mismatch
 * (the model has memory where the kernel found none: starmm's own failure, reported loudly),
 * or the program's own fault (delivered unchanged).
 */
#ifndef STARMM_FAULT_DECIDE_H
#define STARMM_FAULT_DECIDE_H

#include <signal.h>

struct mm;

enum fault_kind {
	FAULT_PROGRAM,	/* the program's own: deliver it */
	FAULT_GROWTH,	/* an unmapped address below a growsdown mapping: try to grow */
	FAULT_MISMATCH, /* the kernel found no mapping where the model has one */
};

/* sig and its siginfo, for the program whose model is mm. Signals sent by a process (si_code
 * <= 0) are always the program's. */
enum fault_kind fault_classify(struct mm *mm, int sig, const siginfo_t *si);

#endif
