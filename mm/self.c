/*
 * The self backend (mm/self.h): plans run as plain syscalls in the calling process, confined
 * to the caller's region. Used by the differential test, the demo and the benchmarks.
 *
 * Policy, stated because the self backend shares one process with whatever it is compared
 * against: MAP_LOCKED is recorded by the model but not passed down (the kernel would charge
 * the region's locked pages to the same RLIMIT_MEMLOCK as the test's native side). What
 * locking does to content is kept: the kernel populates locked memory, for write when it is
 * private and writable (so private file pages are copied at once), and so does this backend
 * (MAP_POPULATE; MADV_POPULATE_WRITE when a locked private range becomes writable).
 * VM_LOCKONFAULT memory is never populated: the model passes no MAP_LOCKED for it, nor for
 * what mprotect does not populate (mm/txn.c). Holes are PROT_NONE placeholders (see self.h),
 * never real holes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fault/inject.h"
#include "mm/mm.h"
#include "mm/self.h"
#include "vmo/vmo.h"

static long sys_result(long r)
{
	return r == -1 ? -errno : 0;
}

/*
 * What the kernel does to locked memory that becomes writable: populate it for write, VMA by
 * VMA, a failure (a page past the end of a file) ending that VMA's population only and never
 * reported (mm/gup.c __mm_populate with ignore_errors).
 */
static void populate_write(uint64_t addr, uint64_t len)
{
	char line[512];
	FILE *maps;

	if (madvise((void *)addr, len, MADV_POPULATE_WRITE) == 0)
		return;
	maps = fopen("/proc/self/maps", "re");
	if (!maps)
		return;
	while (fgets(line, sizeof(line), maps)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) != 2 || e <= addr || s >= addr + len)
			continue;
		s = s < addr ? addr : s;
		e = e > addr + len ? addr + len : e;
		madvise((void *)s, e - s, MADV_POPULATE_WRITE);
	}
	fclose(maps);
}

/* Whether [addr, addr + len) holds only placeholders: the kernel's free space, to a plan. */
static bool only_placeholders(uint64_t addr, uint64_t len)
{
	char line[512];
	bool ok = true;
	FILE *maps = fopen("/proc/self/maps", "re");

	if (!maps)
		return false;
	while (ok && fgets(line, sizeof(line), maps)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && e > addr && s < addr + len)
			ok = strstr(line, SELF_HOLE_NAME) != NULL;
	}
	fclose(maps);
	return ok;
}

static long run_step(struct self_backend *sb, const struct plan_step *s)
{
	int hole_flags = MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE;
	int extra = s->map_flags & MAP_LOCKED ? (s->map_flags & ~MAP_LOCKED) | MAP_POPULATE
					      : s->map_flags;
	long r;

	if (s->addr < sb->lo || s->len > sb->hi - sb->lo || s->addr - sb->lo > sb->hi - sb->lo - s->len)
		return -EFAULT;
	switch (s->op) {
	case PLAN_MAP_VMO:
		return sys_result((long)mmap((void *)s->addr, s->len, s->prot,
					     MAP_SHARED | MAP_FIXED | extra, vmo_fd(s->vmo),
					     (off_t)s->off));
	case PLAN_MAP_FILE:
		return sys_result((long)mmap((void *)s->addr, s->len, s->prot, MAP_FIXED | extra,
					     s->file->fd, (off_t)s->off));
	case PLAN_UNMAP:
		return sys_result((long)mmap((void *)s->addr, s->len, PROT_NONE, hole_flags,
					     sb->hole_fd, 0));
	case PLAN_PROTECT:
		r = sys_result(mprotect((void *)s->addr, s->len, s->prot));
		if (!r && (s->map_flags & MAP_LOCKED) && (s->prot & PROT_WRITE))
			populate_write(s->addr, s->len);
		return r;
	case PLAN_GROW:
		/* the placeholder goes first: the kernel grows into free space only (a real
		 * mapping there: the kernel's ENOMEM) */
		if (s->addr - sb->lo < MM_PAGE_SIZE)
			return -EFAULT;
		if (!only_placeholders(s->addr, s->len))
			return -ENOMEM;
		munmap((void *)s->addr, s->len);
		r = sys_result((long)mremap((void *)(s->addr - MM_PAGE_SIZE), MM_PAGE_SIZE,
					    MM_PAGE_SIZE + s->len, 0));
		if (r < 0) {
			mmap((void *)s->addr, s->len, PROT_NONE, hole_flags, sb->hole_fd, 0);
			return r;
		}
		/* mremap populates what a locked mapping gains (the self backend does not
		 * lock): for write where a write fault would copy (private, writable) */
		if (s->map_flags & MAP_LOCKED) {
			if ((s->prot & PROT_WRITE) && !(s->map_flags & MAP_SHARED))
				populate_write(s->addr, s->len);
			else
				madvise((void *)s->addr, s->len, MADV_POPULATE_READ);
		}
		return 0;
	case PLAN_MOVE:
		if (s->new_addr < sb->lo || s->new_len > sb->hi - s->new_addr)
			return -EFAULT;
		r = sys_result((long)mremap((void *)s->addr, s->len, s->new_len,
					    MREMAP_MAYMOVE | MREMAP_FIXED |
						    (s->dontunmap ? MREMAP_DONTUNMAP : 0),
					    (void *)s->new_addr));
		/* The old range is a hole now: a placeholder keeps it reserved. */
		if (!r && !s->dontunmap && s->len)
			mmap((void *)s->addr, s->len, PROT_NONE, hole_flags, sb->hole_fd, 0);
		return r;
	case PLAN_SYSCALL: {
		long r = syscall(s->nr, s->args[0], s->args[1], s->args[2], s->args[3], s->args[4],
				 s->args[5]);

		return r == -1 ? -errno : r;
	}
	}
	return -EINVAL;
}

static size_t self_run(void *ctx, struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		long r = fault_hit("backend.step");

		p->steps[i].touched = !r;
		p->steps[i].result = r ? r : run_step(ctx, &p->steps[i]);
		if (p->steps[i].result >= 0 && p->steps[i].guard)
			p->steps[i].result = sys_result(madvise((void *)p->steps[i].addr,
								p->steps[i].len,
								MADV_GUARD_INSTALL));
		if (p->steps[i].result < 0)
			return i;
	}
	return p->n;
}

static int self_file_get(void *ctx, int fd, struct mm_file **out)
{
	char link[64];
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	(void)ctx;
	if (copy < 0)
		return errno == EBADF ? -EBADF : -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	return mm_file_from_fd(copy, fd, link, out);
}

static int self_rlimit(void *ctx, int resource, struct rlimit *out)
{
	(void)ctx;
	return getrlimit(resource, out) < 0 ? -errno : 0;
}

static bool self_capable(void *ctx, int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	(void)ctx;
	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

static bool self_pkeys(void *ctx)
{
	return ((struct self_backend *)ctx)->pkeys;
}

static bool self_advice_known(void *ctx, int advice)
{
	(void)ctx;
	return mm_kernel_knows_advice(advice);
}

/* /proc/self/mem, as the kernel's own accesses: through protections (FOLL_FORCE). */
static long self_mem_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return mm_mem_read(((struct self_backend *)ctx)->mem_fd, addr, buf, len);
}

static long self_mem_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	return mm_mem_write(((struct self_backend *)ctx)->mem_fd, addr, buf, len);
}

const struct mm_backend self_backend_ops = {
	.name = "self",
	.run = self_run,
	.file_get = self_file_get,
	.rlimit = self_rlimit,
	.capable = self_capable,
	.pkeys = self_pkeys,
	.advice_known = self_advice_known,
	.mem_read = self_mem_read,
	.mem_write = self_mem_write,
};

int self_hole(struct self_backend *sb, uint64_t addr, uint64_t len)
{
	struct plan_step s = { .op = PLAN_UNMAP, .addr = addr, .len = len };

	return (int)run_step(sb, &s);
}

int self_region_reserve(struct self_backend *sb, uint64_t size, uint64_t align)
{
	uint64_t a = align > VMO_PAGE_SIZE ? align : VMO_PAGE_SIZE;
	void *p;
	int e;

	memset(sb, 0, sizeof(*sb));
	sb->mem_fd = -1;
	sb->hole_fd = memfd_create(SELF_HOLE_NAME, MFD_CLOEXEC);
	if (sb->hole_fd < 0)
		return -errno;
	sb->mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (sb->mem_fd < 0) {
		e = -errno;
		close(sb->hole_fd);
		return e;
	}
	/* Over-reserve, then keep an aligned window of the reservation. */
	p = mmap(NULL, size + a, PROT_NONE, MAP_PRIVATE | MAP_NORESERVE, sb->hole_fd, 0);
	if (p == MAP_FAILED) {
		e = -errno;
		close(sb->hole_fd);
		close(sb->mem_fd);
		return e;
	}
	sb->lo = ((uint64_t)p + a - 1) & ~(a - 1);
	sb->hi = sb->lo + size;
	if (sb->lo > (uint64_t)p)
		munmap(p, sb->lo - (uint64_t)p);
	if ((uint64_t)p + size + a > sb->hi)
		munmap((void *)sb->hi, (uint64_t)p + size + a - sb->hi);
	sb->pkeys = mm_kernel_has_pkeys();
	return 0;
}

void self_region_release(struct self_backend *sb)
{
	if (sb->hi > sb->lo)
		munmap((void *)sb->lo, sb->hi - sb->lo);
	if (sb->hole_fd >= 0)
		close(sb->hole_fd);
	if (sb->mem_fd >= 0)
		close(sb->mem_fd);
	sb->lo = sb->hi = 0;
	sb->hole_fd = sb->mem_fd = -1;
}
