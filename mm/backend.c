/*
 * What every backend shares: the mm_file of a descriptor the supervisor holds (reference
 * counted), reads and writes through a /proc/PID/mem descriptor, and the questions about the
 * running kernel (the supervisor's kernel is the program's).
 */
#include <errno.h>
#include <fcntl.h>
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
#include "mm/backend.h"
#include "mm/mm.h"

void mm_file_ref(struct mm_file *f)
{
	f->refs++;
}

void mm_file_unref(struct mm_file *f)
{
	if (!f || --f->refs > 0)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
}

/* Filesystem facts mmap depends on, from the superblock's magic number. */
static void superblock_facts(int fd, const struct stat *st, struct mm_file *f)
{
	/* SB_I_NOEXEC superblocks: path_noexec() is true for every file on them. */
	static const unsigned long noexec_fs[] = {
		0x50495045, /* pipefs */
		0x534f434b, /* sockfs */
		0x09041934, /* anon_inodefs */
		0x9fa0,	    /* procfs */
		0x62656572, /* sysfs */
	};
	struct statfs sfs;
	struct statvfs vfs;
	struct statx stx;

	f->noexec = fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC);
	if (fstatfs(fd, &sfs) < 0)
		return;
	for (size_t i = 0; i < sizeof(noexec_fs) / sizeof(noexec_fs[0]); i++)
		f->noexec |= (unsigned long)sfs.f_type == noexec_fs[i];
	/* ext2/3/4 and xfs regular files have FOP_MMAP_SYNC */
	f->mmap_sync = S_ISREG(st->st_mode) && (sfs.f_type == 0xef53 || sfs.f_type == 0x58465342);
	f->dax = statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) == 0 &&
		 (stx.stx_attributes & STATX_ATTR_DAX);
}

int mm_file_from_fd(int fd, int prog_fd, const char *link, struct mm_file **out)
{
	struct mm_file *f;
	struct stat st;
	char path[4096];
	int fl, attr = 0, e;
	ssize_t n;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_PATH) || fstat(fd, &st) < 0) {
		close(fd);
		return -EBADF;
	}
	e = fault_hit("backend.file");
	f = e ? NULL : calloc(1, sizeof(*f));
	if (!f) {
		close(fd);
		return e ? e : -ENOMEM;
	}
	f->refs = 1;
	f->fd = fd;
	f->prog_fd = prog_fd;
	f->oflags = fl & (O_ACCMODE | O_APPEND);
	f->st_mode = st.st_mode;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	superblock_facts(fd, &st, f);
	f->append = ioctl(fd, FS_IOC_GETFLAGS, &attr) == 0 && (attr & FS_APPEND_FL);
	n = link ? readlink(link, path, sizeof(path) - 1) : -1;
	if (n > 0) {
		path[n] = 0;
		f->path = strdup(path);
	}
	*out = f;
	return 0;
}

long mm_mem_read(int mem_fd, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = pread(mem_fd, buf, len, (off_t)addr);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EFAULT;
}

long mm_mem_write(int mem_fd, uint64_t addr, const void *buf, size_t len)
{
	ssize_t n = pwrite(mem_fd, buf, len, (off_t)addr);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EFAULT;
}

/* Guard markers on a shared memfd mapping, which is how a VMO is mapped (Linux 6.15: file
 * mappings; 6.13 and 6.14 take them on private anonymous memory only). Asked once. */
static bool guard_on_memfd(void)
{
	static int known = -1;
	long page = sysconf(_SC_PAGESIZE);
	int fd;
	void *p;

	if (known >= 0)
		return known;
	known = 0;
	fd = memfd_create("starmm-probe", MFD_CLOEXEC);
	if (fd < 0)
		return false;
	if (ftruncate(fd, page) == 0) {
		p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED) {
			known = madvise(p, (size_t)page, MADV_GUARD_INSTALL) == 0;
			munmap(p, (size_t)page);
		}
	}
	close(fd);
	return known;
}

bool mm_kernel_knows_advice(int advice)
{
	if (advice == MADV_GUARD_INSTALL || advice == MADV_GUARD_REMOVE)
		return guard_on_memfd();
	return syscall(SYS_madvise, 0UL, 0UL, advice) == 0;
}

int mm_guard_markers(int pagemap_fd, uint64_t addr, size_t n, bool *out)
{
	uint64_t e[512];

	for (size_t done = 0; done < n;) {
		size_t k = n - done < 512 ? n - done : 512;
		off_t at = (off_t)((addr / MM_PAGE_SIZE + done) * sizeof(*e));
		ssize_t got = pread(pagemap_fd, e, k * sizeof(*e), at);

		if (got != (ssize_t)(k * sizeof(*e)))
			return got < 0 ? -errno : -EIO;
		for (size_t i = 0; i < k; i++)
			out[done + i] = (e[i] >> 58) & 1; /* PM_GUARD_REGION */
		done += k;
	}
	return 0;
}

bool mm_kernel_has_pkeys(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok;

	if (p == MAP_FAILED)
		return false;
	ok = syscall(SYS_pkey_mprotect, p, 4096UL, PROT_NONE, 0) == 0;
	munmap(p, 4096);
	return ok;
}
