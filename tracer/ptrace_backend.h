/*
 * The ptrace backend of mm (mm/backend.h): plans run as batches of syscalls injected into a
 * stopped tracee through the trampoline, the questions about the process answered from
 * /proc, pidfd_getfd and prlimit.
 *
 * A plan runs inside the session the caller opened at the stop (tr_remote_begin ... mm_*
 * ... tr_remote_end): one plan is one batch, one stop (a plan too long for the data page is
 * cut into several batches, and a step that failed after opening a descriptor in the tracee
 * costs one more batch to close it). Steps become records:
 *	PLAN_MAP_VMO	openat("/proc/<supervisor>/fd/<vmo fd>", O_RDWR) →
 *			mmap(addr, len, prot, MAP_SHARED|MAP_FIXED|flags, <that fd>, off) → close
 *	PLAN_MAP_FILE	mmap(..., MAP_FIXED|flags, prog_fd, off) when the program's descriptor is
 *			known, else open the supervisor's copy as above (its access mode)
 *	PLAN_UNMAP	munmap;  PLAN_PROTECT  mprotect (MAP_LOCKED needs nothing: the real
 *			mapping is locked);  PLAN_MOVE  mremap(MAYMOVE|FIXED[|DONTUNMAP]);
 *			PLAN_GROW  mremap(addr - 4096, 4096, 4096 + len, 0)
 *	PLAN_SYSCALL	the call as given
 * A step's result is its main call's (0 for the map, move, unmap and protect calls; the raw
 * result for PLAN_SYSCALL); touched is false only when it failed before the kernel could
 * change the range (the openat, or an injected fault).
 *
 * Fault point: remote.batch (before each batch: fails the batch's first step, untouched).
 * The tracee dying is reported as -ESRCH on the first step that did not finish.
 */
#ifndef STARMM_TRACER_PTRACE_BACKEND_H
#define STARMM_TRACER_PTRACE_BACKEND_H

#include <stdbool.h>
#include <sys/types.h>

#include "mm/backend.h"
#include "tracer/remote.h"
#include "tracer/tramp.h"

struct tr_ptrace_backend {
	pid_t tid, tgid;
	pid_t sup;	     /* the supervisor's pid, for /proc/<sup>/fd/N */
	struct tr_remote *r; /* the session the caller opens at each stop */
	struct tr_tramp *t;
	int mem_fd; /* the supervisor's descriptor of /proc/<tid>/mem */
	int pidfd;  /* of tgid, for pidfd_getfd */
	bool pkeys;
	bool fail_plan; /* the next plan fails at its first batch (fault_force: --fault-op) */
	bool give;	/* the tracee could not open /proc/<sup>/fd/N (another user's process
			   now, or no /proc): descriptors go by tr_give_fd, a batch per map */
	/* mm_backend.quiesce: stops the other threads of the address space (the owner's world
	 * stop, tracer/world.c), called with quiesce_arg; NULL: nothing to stop. */
	int (*quiesce)(void *arg);
	void *quiesce_arg;
	uint64_t batches; /* statistics */
	uint64_t calls;	  /* injected calls that ran */
	uint64_t given;	  /* descriptors handed over by tr_give_fd */
};

extern const struct mm_backend tr_ptrace_backend_ops;

/* Sets b up for thread tid (opens /proc/<tid>/mem and a pidfd). 0 or -errno. */
int tr_ptrace_backend_init(struct tr_ptrace_backend *b, pid_t tid, struct tr_remote *r,
			   struct tr_tramp *t);
/* Closes the descriptors (the session and trampoline are the caller's). */
void tr_ptrace_backend_release(struct tr_ptrace_backend *b);

#endif
