/*
 * The backend seam: the only way mm/ changes a real address space.
 *
 * An operation builds a plan, the ordered list of kernel-level changes it needs, and hands
 * the whole plan to the backend, which runs the steps in order and stops at the first
 * failure. Each step it ran gets its result (0 or -errno). With ptrace one plan is one batch
 * of injected syscalls (one stop); the self backend runs the same calls in the calling
 * process. mm/ never calls ptrace and never maps anything itself.
 *
 * Besides plans, a backend answers the questions about the process that only it can: a
 * file descriptor's object (for file mappings), resource limits, capabilities.
 */
#ifndef STARMM_MM_BACKEND_H
#define STARMM_MM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct vmo;

/*
 * A file the program mapped, as the supervisor holds it: its own descriptor of the same open
 * file description (dup in the self backend, pidfd_getfd under ptrace) and what mmap needs to
 * know of it. Reference-counted; mm_file_unref closes the descriptor with the last reference.
 */
struct mm_file {
	int refs;
	int fd;		 /* the supervisor's descriptor */
	int prog_fd;	 /* the program's descriptor number, for the backend's map step */
	int oflags;	 /* O_ACCMODE | O_APPEND of the open file description */
	mode_t st_mode;	 /* S_IFREG, S_IFDIR, ... */
	dev_t dev;
	ino_t ino;
	bool noexec;	 /* on a noexec mount, or a superblock that is never executable (pipefs,
			    sockfs, procfs...: Linux's SB_I_NOEXEC) */
	bool mmap_sync;	 /* its filesystem accepts MAP_SYNC (FOP_MMAP_SYNC: ext4, xfs) */
	bool dax;	 /* a DAX file: the only kind such filesystems map with MAP_SYNC */
	bool append;	 /* inode is append-only (chattr +a) */
	char *path;	 /* for dumps; may be NULL */
};
void mm_file_ref(struct mm_file *f);
void mm_file_unref(struct mm_file *f);

/* Helpers every backend shares (mm/backend.c). */
/* The mm_file of fd, the supervisor's descriptor of the program's descriptor prog_fd (its
 * path read from the symlink `link`, may be NULL). Takes fd over (closed on failure). 0,
 * -EBADF (an O_PATH or unusable descriptor), the backend.file fault's errno, or -ENOMEM. */
int mm_file_from_fd(int fd, int prog_fd, const char *link, struct mm_file **out);
/* len bytes at addr through a /proc/PID/mem descriptor (through protections, as the
 * kernel's own accesses): 0, or -errno (-EFAULT when short). */
long mm_mem_read(int mem_fd, uint64_t addr, void *buf, size_t len);
long mm_mem_write(int mem_fd, uint64_t addr, const void *buf, size_t len);
/* The running kernel (the program's too): a config-dependent madvise advice (guard markers:
 * where a VMO's mapping can take them), and protection keys (pkey 0 usable). */
bool mm_kernel_knows_advice(int advice);
bool mm_kernel_has_pkeys(void);
/* Whether each of the n pages from addr carries a guard marker (MADV_GUARD_INSTALL), read
 * from a /proc/PID/pagemap descriptor (its PM_GUARD_REGION bit, Linux 6.14), into
 * out[0..n). 0, or -errno (-EIO when short). */
int mm_guard_markers(int pagemap_fd, uint64_t addr, size_t n, bool *out);

enum plan_op {
	PLAN_MAP_VMO,  /* MAP_SHARED|MAP_FIXED of vmo at off over [addr, addr + len) */
	PLAN_MAP_FILE, /* MAP_FIXED of file at off, MAP_SHARED or MAP_PRIVATE per map_flags */
	PLAN_UNMAP,    /* munmap [addr, addr + len) */
	PLAN_PROTECT,  /* mprotect [addr, addr + len) to prot; MAP_LOCKED in map_flags: the
			  kernel populates the range now (locked, not on-fault, and becoming
			  writable) */
	PLAN_MOVE,     /* mremap(addr, len, new_len, MAYMOVE|FIXED[|DONTUNMAP], new_addr): the
			  kernel moves the pages (private file COW copies included) */
	PLAN_GROW,     /* [addr, addr + len) added to the mapping that ends at addr, in place,
			  its file offsets continued: mremap(addr - 4096, 4096, 4096 + len, 0);
			  the range must be free (the self backend frees its placeholder).
			  prot and map_flags: the mapping's (MAP_LOCKED: the kernel populates
			  the new pages, as it does for a locked mapping that grows)
			  One kernel mapping where a separate map would make a new one for good
			  (each map opens the VMO's file anew, and mappings of different open
			  files never merge: vm.max_map_count would run out) */
	PLAN_SYSCALL,  /* a call passed through to the real address space after the model's
			  checks (mlock, msync, mincore, madvise...): nr and args */
};

struct plan_step {
	enum plan_op op;
	uint64_t addr, len;
	int prot;
	int map_flags; /* extra mmap flags: MAP_SHARED/MAP_PRIVATE (files), MAP_LOCKED,
			  MAP_POPULATE, MAP_NORESERVE, MAP_HUGETLB... MAP_FIXED is implied */
	struct vmo *vmo;
	struct mm_file *file;
	uint64_t off;
	uint64_t new_addr, new_len; /* PLAN_MOVE */
	bool dontunmap;		    /* PLAN_MOVE */
	bool guard;		    /* PLAN_MAP_*: then guard markers over the whole range
				       (madvise MADV_GUARD_INSTALL), a failure of which fails
				       the step */
	long nr;       /* PLAN_SYSCALL */
	uint64_t args[6];
	long result;   /* set by the backend for each step it ran (PLAN_SYSCALL: the raw result,
			  >= 0 on success) */
	bool touched;  /* set by the backend when a failed step reached the kernel (which may
			  have changed part of the range); false when it failed before */
};

struct plan {
	struct plan_step *steps;
	size_t n, cap;
};

struct mm_backend {
	const char *name;
	/* Runs the steps in order, stopping at the first failure (a negative result). Returns
	 * how many steps succeeded (p->n when all did); every step run has its result set. */
	size_t (*run)(void *ctx, struct plan *p);
	/* The file behind the program's descriptor fd: 0 and *out (one reference), or -EBADF. */
	int (*file_get)(void *ctx, int fd, struct mm_file **out);
	/* The program's resource limit. */
	int (*rlimit)(void *ctx, int resource, struct rlimit *out);
	/* Whether the program has the capability (CAP_IPC_LOCK for locked memory). */
	bool (*capable)(void *ctx, int cap);
	/* Whether the CPU and kernel support protection keys (pkey 0 is then allocated). */
	bool (*pkeys)(void *ctx);
	/* Whether the kernel knows a config-dependent madvise advice (CONFIG_KSM, THP, memory
	 * failure): madvise with length 0 answers 0 when it does, EINVAL when not. */
	bool (*advice_known)(void *ctx, int advice);
	/* Reads/writes the program's memory the way the kernel's own accesses do, for what no
	 * VMO backs (private file pages, special mappings): /proc/PID/mem. 0 or -errno. */
	long (*mem_read)(void *ctx, uint64_t addr, void *buf, size_t len);
	long (*mem_write)(void *ctx, uint64_t addr, const void *buf, size_t len);
	/* Stops every other thread that uses the address space, until the current operation
	 * is over (the backend's owner resumes them then): asked before copying memory the
	 * program could be writing, and before a plan whose intermediate states could be
	 * seen (more than one step changing mappings). Repeated calls within one operation
	 * cost nothing. NULL: nothing else runs in the address space. 0 or -errno. */
	int (*quiesce)(void *ctx);
};

#endif
