/*
 * The trampoline: two pages mapped in a traced address space at an address the caller picks
 * (the VMAR's reserved slot), through which the supervisor runs batches of syscalls.
 *
 *	addr		code page, PROT_READ|PROT_EXEC, private anonymous: the routine below,
 *			and at TR_CODE_PATH_OFF the path string used once by the install
 *	addr + 4096	data page, PROT_READ|PROT_WRITE, MAP_SHARED of a memfd the supervisor
 *			also maps: writing a batch or reading its results is a plain memory
 *			access on the supervisor's side, no ptrace call
 *
 * The routine (tramp.c has its source): for each record i < n: for each argument j with
 * chain[j] = k + 1, arg[j] = rec[k].result; then syscall(nr, arg[0..5]); rec[i].result =
 * rax; done = i + 1; stop at the first result in [-4095, -1]; end with int3. It uses only
 * registers and the data page, never the thread's stack (at a stack-growth fault rsp points
 * into unmapped memory, and the 128-byte red zone below rsp may hold live data). It clobbers
 * rax, rbx, rcx, rdx, rsi, rdi, r8-r14 and the flags; the session restores them all.
 *
 * Data page layout (struct tr_data; offsets in bytes):
 *	0	u32 n		records to run (written by the supervisor)
 *	4	u32 done	records run so far (written by the routine)
 *	64	rec[36]		80 bytes each:
 *			 0 i64 nr, 8 u64 arg[6], 56 i64 result, 64 u8 chain[6], 70 pad
 *	2944	str[1152]	strings the records point at (paths), tr_tramp_str()
 *
 * Invariants: the code page never changes after the install; the data page belongs to one
 * address space (a forked child must get its own before it runs: after fork both share the
 * parent's memfd page); batches of one address space run one at a time.
 */
#ifndef STARMM_TRACER_TRAMP_H
#define STARMM_TRACER_TRAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TR_PAGE		 4096u
#define TR_SIZE		 (2 * TR_PAGE) /* both pages: the size of the VMAR's reserved slot */
#define TR_REC_OFF	 64u
#define TR_REC_SIZE	 80u
#define TR_MAX_RECS	 36u
#define TR_STR_OFF	 (TR_REC_OFF + TR_MAX_RECS * TR_REC_SIZE)
#define TR_STR_SIZE	 (TR_PAGE - TR_STR_OFF)
#define TR_CODE_PATH_OFF 2048u /* in the code page: the memfd's path, for the install */
#define TR_NO_CHAIN	 0     /* chain[j]: the argument as given */
#define TR_CHAIN(k)	 ((uint8_t)((k) + 1)) /* chain[j]: the result of record k (k < i) */

struct tr_rec {
	int64_t nr;
	uint64_t arg[6];
	int64_t result;
	uint8_t chain[6];
	uint8_t pad[10];
};

struct tr_data {
	uint32_t n;
	uint32_t done;
	uint8_t pad[TR_REC_OFF - 8];
	struct tr_rec rec[TR_MAX_RECS];
	char str[TR_STR_SIZE];
};

struct tr_tramp {
	uint64_t addr;	      /* the tracee's code page; its data page is at addr + TR_PAGE */
	int memfd;	      /* the supervisor's descriptor of the data page's memfd */
	struct tr_data *data; /* the supervisor's mapping of the data page */
	size_t str_used;      /* bytes of data->str handed out since tr_tramp_str_reset */
	bool give_only;	      /* set by the caller before install or fork: the memfd reaches
				 the tracee by tr_give_fd, never by its path */
};

struct tr_remote;

/*
 * Maps the trampoline at addr (page-aligned, 2 free pages) in the tracee of the open session
 * r, which must have begun at a syscall stop (seccomp or syscall-entry): the first calls are
 * injected by re-running the syscall instruction that stopped (tr_remote_inject).
 *   1. create the memfd (one page) and map it in the supervisor;
 *   2. inject mmap(addr, 4096, R|X, PRIVATE|ANONYMOUS|FIXED_NOREPLACE): the code page, mapped
 *      executable from the start (mapping it writable and jumping into it later faults);
 *   3. write the routine and "/proc/<supervisor>/fd/<memfd>" (at TR_CODE_PATH_OFF) into the
 *      code page through /proc/<tid>/mem, which writes through read-only mappings;
 *   4. inject openat(AT_FDCWD, path, O_RDWR|O_CLOEXEC), mmap(addr + 4096, 4096, R|W,
 *      SHARED|FIXED_NOREPLACE, fd, 0), close(fd). A tracee that may not open the path
 *      (another user's process, no /proc) gets the descriptor by tr_give_fd (givefd.h)
 *      instead, with a private page mapped at addr + 4096 first as its scratch area.
 * Five stops in all, once per address space (the data page cannot run these calls for
 * itself: it does not exist until step 4). Signals arriving meanwhile are kept in r.
 * 0, or -errno: -EEXIST (something is mapped there), -ESRCH (the tracee died), -EINVAL
 * (addr, or not at a syscall stop).
 * On failure nothing stays mapped on either side (unless the tracee died) and t is unset.
 */
int tr_tramp_install(struct tr_tramp *t, struct tr_remote *r, uint64_t addr);

/*
 * A forked child's own data page (after fork both processes map the parent's memfd): a new
 * memfd, its path written into the child's (private) code page, then openat (or tr_give_fd,
 * the parent's data page as scratch), mmap over the data page (MAP_FIXED) and close injected
 * into the child, whose session r must be able to
 * poke its calls (r->at_exec: the child sits at its first stop, not at a syscall). t takes
 * the parent's address. 0 or -errno; on failure t is unset.
 */
int tr_tramp_fork(struct tr_tramp *t, const struct tr_tramp *parent, struct tr_remote *r);

/* Unmaps the supervisor's side and closes the memfd (the tracee's pages are left alone: the
 * address space is gone, or the caller unmaps them with a batch first). */
void tr_tramp_release(struct tr_tramp *t);

/* The routine's entry, and where rip is when its final int3 has trapped. */
uint64_t tr_tramp_entry(const struct tr_tramp *t);
uint64_t tr_tramp_trap(const struct tr_tramp *t);

/* The instruction pointer seccomp sees for the routine's calls (just after its syscall
 * instruction) when the code page is at code_page. */
uint64_t tr_tramp_syscall_ip(uint64_t code_page);

/* Copies s into the data page's string area; the tracee's address of the copy, or 0 when the
 * area is full. Valid until tr_tramp_str_reset. */
uint64_t tr_tramp_str(struct tr_tramp *t, const char *s);
void tr_tramp_str_reset(struct tr_tramp *t);

#endif
