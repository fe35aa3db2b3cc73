/*
 * Kernel-mode access to the program's memory: mm_read and mm_write, the supervisor's
 * copy_from_user/copy_to_user, done the way Starnix kernel code does it (zx_vmo_read and
 * zx_vmo_write on the VMOs the memory manager's map names), not through the process.
 *
 * Each part of [addr, addr + len) goes through its mapping's backing:
 *  - ANON with a VMO: vmo_read/vmo_write at the mapping's offset;
 *  - shared FILE: pread/pwrite on the supervisor's descriptor at the file offset (the page
 *    cache is what the mapping shows). Through the backend instead when there is no
 *    descriptor (fd < 0: files the kernel mapped at exec), when the descriptor is O_APPEND
 *    (pwrite would append), or when the part reaches beyond the end of the file (pwrite
 *    would extend the file, where a store through the mapping cannot: the kernel decides);
 *  - private FILE (copy-on-write done by the kernel: the process's copy is the truth),
 *    SPECIAL, and ANON without a VMO (kernel memory not adopted): the backend's
 *    mem_read/mem_write (/proc/PID/mem), which writes private pages the way the kernel's
 *    own access does, into the process's copy, never into the file.
 *
 * All or nothing: the whole range is checked first, and a hole or a part without the needed
 * protection fails the whole call with -EFAULT before a byte moves. Linux's
 * copy_{to,from}_user copy the prefix up to the fault; our callers want all-or-nothing, and
 * a syscall whose buffer faults part-way returns EFAULT in most paths anyway (read(2) from a
 * pipe into a buffer that becomes PROT_NONE part-way does, measured). Only a failure of the
 * backing itself (VMO, file, backend) after the checks can leave a prefix copied; its -errno
 * is returned (the backend's EIO, an unreachable page, becomes EFAULT).
 *
 * Protections, as a syscall sees them (measured on x86-64: read(2) into a PROT_NONE or
 * read-only buffer, write(2) from a PROT_NONE buffer: EFAULT): a write needs PROT_WRITE, a
 * read needs PROT_READ (mm.h's contract). x86-64 without protection keys is more lenient for
 * reads: write(2) from a PROT_WRITE-only or PROT_EXEC-only buffer succeeds there, since such
 * pages are readable in hardware; READ_NEEDS is where that rule would change.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mm/internal.h"

#define READ_NEEDS  PROT_READ
#define WRITE_NEEDS PROT_WRITE

/* Whether the part of m up to `end` has pages: a shared mapping may reach past its VMO (grown
 * by mremap), and that part faults with SIGBUS, which a syscall sees as EFAULT. */
static bool backed(const struct mapping *m, uint64_t end)
{
	return m->kind != MK_ANON || !m->vmo || m->off + (end - m->start) <= vmo_get_size(m->vmo);
}

/* Every byte of [addr, addr + len) mapped with the protection `need`, off guard pages. 0 or
 * -EFAULT. */
static long check_range(struct mm *mm, uint64_t addr, uint64_t len, int need)
{
	uint64_t at = addr, end;
	struct mapping *m;

	if (len > TASK_SIZE || addr > TASK_SIZE - len)
		return -EFAULT; /* access_ok() */
	end = addr + len;
	for (m = table_from(mm, addr); at < end; m = mm_next(mm, m)) {
		if (!m || m->start > at || (m->prot & need) != need || (m->flags & MF_GUARD) ||
		    !backed(m, m->end < end ? m->end : end))
			return -EFAULT;
		at = m->end;
	}
	return 0;
}

/* pread/pwrite of the whole range; 1 when the backend must do it (see the top comment). */
static long file_io(struct mm_file *f, void *buf, uint64_t len, uint64_t off, bool write)
{
	struct stat st;

	if (f->fd < 0 || (f->oflags & O_APPEND) || fstat(f->fd, &st) < 0 ||
	    off + len > (uint64_t)st.st_size)
		return 1;
	while (len) {
		ssize_t n = write ? pwrite(f->fd, buf, len, (off_t)off)
				  : pread(f->fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EFAULT; /* truncated meanwhile */
		buf = (char *)buf + n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static long backend_io(struct mm *mm, uint64_t addr, void *buf, uint64_t len, bool write)
{
	long r = write ? mm->be->mem_write(mm->be_ctx, addr, buf, len)
		       : mm->be->mem_read(mm->be_ctx, addr, buf, len);

	return r == -EIO ? -EFAULT : r;
}

/* The part [addr, addr + len) of mapping m. */
static long part_io(struct mm *mm, struct mapping *m, uint64_t addr, void *buf, uint64_t len,
		    bool write)
{
	uint64_t off = m->off + (addr - m->start);
	long r;

	if (m->kind == MK_ANON && m->vmo)
		return write ? vmo_write(m->vmo, buf, off, len) : vmo_read(m->vmo, buf, off, len);
	if (m->kind == MK_FILE && (m->flags & MF_SHARED)) {
		r = file_io(m->file, buf, len, off, write);
		if (r <= 0)
			return r;
	}
	return backend_io(mm, addr, buf, len, write);
}

static long access_range(struct mm *mm, uint64_t addr, void *buf, size_t len, bool write)
{
	uint64_t at = addr, end = addr + len;
	long r;

	if (!len)
		return 0;
	r = check_range(mm, addr, len, write ? WRITE_NEEDS : READ_NEEDS);
	if (r)
		return r;
	for (struct mapping *m = table_from(mm, addr); at < end; m = mm_next(mm, m)) {
		uint64_t e = m->end < end ? m->end : end;

		r = part_io(mm, m, at, (char *)buf + (at - addr), e - at, write);
		if (r)
			return r;
		at = e;
	}
	return (long)len;
}

long mm_read(struct mm *mm, uint64_t addr, void *buf, size_t len)
{
	return access_range(mm, addr, buf, len, false);
}

long mm_write(struct mm *mm, uint64_t addr, const void *buf, size_t len)
{
	return access_range(mm, addr, (void *)buf, len, true);
}
