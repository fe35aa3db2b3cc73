/*
 * fault_classify (decide.h). Only a kernel-raised SEGV_MAPERR can be a growth or a mismatch:
 * the kernel found no mapping at the address. Below a growsdown mapping (with nothing of the
 * model in between) it is a growth candidate; inside a model mapping it is a mismatch, unless
 * the model has guard markers there (MF_GUARD: the kernel answers SEGV_MAPERR for them). An
 * access error (SEGV_ACCERR) or a SIGBUS happens inside a mapping the kernel has: the
 * program's, as on Linux (the model cannot tell a forbidden write from an allowed read, and a
 * shared mapping past its object faults with SIGBUS on Linux too).
 */
#include <stdint.h>

#include "fault/decide.h"
#include "mm/mm.h"

enum fault_kind fault_classify(struct mm *mm, int sig, const siginfo_t *si)
{
	uint64_t addr = (uint64_t)(uintptr_t)si->si_addr;
	struct mapping *m;

	if (sig != SIGSEGV || si->si_code != SEGV_MAPERR || !mm)
		return FAULT_PROGRAM;
	m = mm_find_after(mm, addr);
	if (!m)
		return FAULT_PROGRAM;
	if (m->start <= addr)
		return m->flags & MF_GUARD ? FAULT_PROGRAM : FAULT_MISMATCH;
	return m->flags & MF_GROWSDOWN ? FAULT_GROWTH : FAULT_PROGRAM;
}
