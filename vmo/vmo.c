/*
 * VMO: a Zircon virtual memory object emulated with a memfd owned by the supervisor.
 *
 * What maps onto what: the VMO's size is the memfd's size (ftruncate); its committed pages are
 * the memfd's data extents (tmpfs tracks them per page, so SEEK_DATA/SEEK_HOLE walk them);
 * COMMIT is fallocate, DECOMMIT is a punched hole; reads and writes are pread/pwrite. A
 * SNAPSHOT child is a new memfd into which the parent's data extents are copied with
 * copy_file_range, so holes stay holes and the child shares nothing with its parent afterwards.
 * tmpfs reports a page as data only once it holds written content: pages allocated by COMMIT
 * but never written read as zero, are holes to SEEK_DATA, and so are neither counted by
 * vmo_committed() nor copied into snapshots (fstat's st_blocks does count them).
 *
 * Invariants: vmo->size is a multiple of VMO_PAGE_SIZE, at most VMO_MAX_SIZE, and equal to the
 * memfd's size; refs > 0 while the VMO is reachable, and the memfd is closed exactly when the
 * last reference goes; a koid is given (and stats counted) only to a VMO that was fully built,
 * so a failed create or snapshot leaves no descriptor, no memory and no trace in the stats.
 * Every public entry validates its arguments, then consults its fault point, then acts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fault/inject.h"
#include "vmo/vmo.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U /* linux/memfd.h, Linux 6.3 */
#endif
/* memfd_create(2): the name may be at most 249 bytes (NAME_MAX minus "memfd:"). */
#define MEMFD_NAME_MAX 249
/* Bounce buffer of the pread/pwrite fallback when copy_file_range cannot copy. */
#define COPY_CHUNK (1U << 20)

struct vmo {
	int fd;
	int refs;
	uint64_t koid;
	uint64_t size;
	unsigned flags;
	char *name;
};

static uint64_t next_koid = 1;
static struct vmo_stats stats;
static bool no_noexec_seal; /* the kernel predates MFD_NOEXEC_SEAL */
static const char zeros[VMO_PAGE_SIZE];

/* Zircon reports any lack of memory as ZX_ERR_NO_MEMORY: a full tmpfs is that too. */
static long sys_err(void)
{
	return errno == ENOMEM || errno == ENOSPC ? -ENOMEM : -errno;
}

static uint64_t page_down(uint64_t x)
{
	return x & ~(VMO_PAGE_SIZE - 1);
}

/* Only for x <= VMO_MAX_SIZE, which cannot overflow. */
static uint64_t page_up(uint64_t x)
{
	return page_down(x + VMO_PAGE_SIZE - 1);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static long round_size(uint64_t *size)
{
	if (*size > VMO_MAX_SIZE)
		return -ERANGE;
	*size = page_up(*size);
	return 0;
}

static bool in_range(const struct vmo *vmo, uint64_t offset, uint64_t len)
{
	return offset <= vmo->size && len <= vmo->size - offset;
}

static int new_memfd(const char *name, unsigned flags)
{
	unsigned mfd = MFD_CLOEXEC | (flags & VMO_HUGETLB ? MFD_HUGETLB : 0);
	char buf[MEMFD_NAME_MAX + 1];
	int fd;

	snprintf(buf, sizeof(buf), "%s", name);
	if (!no_noexec_seal) {
		fd = memfd_create(buf, mfd | MFD_NOEXEC_SEAL);
		if (fd >= 0 || errno != EINVAL)
			return fd;
	}
	fd = memfd_create(buf, mfd);
	if (fd >= 0)
		no_noexec_seal = true;
	return fd;
}

static void destroy(struct vmo *vmo)
{
	close(vmo->fd);
	free(vmo->name);
	free(vmo);
}

/* Builds a VMO that nobody knows of yet: no koid, not counted (see publish()). */
static long build(uint64_t size, const char *name, unsigned flags, struct vmo **out)
{
	struct vmo *vmo = calloc(1, sizeof(*vmo));
	long ret = -ENOMEM;

	if (!vmo)
		return -ENOMEM;
	vmo->name = strdup(name ? name : "");
	if (!vmo->name)
		goto out_free;
	vmo->fd = new_memfd(vmo->name, flags);
	if (vmo->fd < 0) {
		ret = sys_err();
		goto out_free;
	}
	if (ftruncate(vmo->fd, (off_t)size) < 0) {
		ret = sys_err();
		goto out_close;
	}
	vmo->refs = 1;
	vmo->size = size;
	vmo->flags = flags;
	*out = vmo;
	return 0;

out_close:
	close(vmo->fd);
out_free:
	free(vmo->name);
	free(vmo);
	return ret;
}

static void publish(struct vmo *vmo)
{
	vmo->koid = next_koid++;
	stats.created++;
	if (++stats.live > stats.peak)
		stats.peak = stats.live;
}

long vmo_create(uint64_t size, const char *name, struct vmo **out)
{
	return vmo_create_ex(size, name, 0, out);
}

long vmo_create_ex(uint64_t size, const char *name, unsigned flags, struct vmo **out)
{
	struct vmo *vmo;
	long ret;

	if (!out || (flags & ~VMO_HUGETLB))
		return -EINVAL;
	if ((ret = round_size(&size)) || (ret = fault_hit("vmo.create")))
		return ret;
	if ((ret = build(size, name, flags, &vmo)))
		return ret;
	publish(vmo);
	*out = vmo;
	return 0;
}

static long pread_all(int fd, void *buf, uint64_t len, uint64_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sys_err();
		if (n == 0) { /* the memfd is shorter than it should be: read as beyond the size */
			memset(p, 0, len);
			return 0;
		}
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static long pwrite_all(int fd, const void *buf, uint64_t len, uint64_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? sys_err() : -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* The fallback when copy_file_range cannot copy between these files. */
static long copy_bounce(int src, int dst, uint64_t in, uint64_t out, uint64_t len)
{
	char *buf = malloc(COPY_CHUNK);
	long ret = 0;

	if (!buf)
		return -ENOMEM;
	while (len && !ret) {
		uint64_t n = min_u64(len, COPY_CHUNK);

		ret = pread_all(src, buf, n, in);
		if (!ret)
			ret = pwrite_all(dst, buf, n, out);
		in += n;
		out += n;
		len -= n;
	}
	free(buf);
	return ret;
}

static long copy_range(int src, int dst, uint64_t in, uint64_t out, uint64_t len)
{
	while (len) {
		loff_t in_off = (loff_t)in, out_off = (loff_t)out;
		ssize_t n = copy_file_range(src, &in_off, dst, &out_off, len, 0);

		if (n > 0) {
			in += (uint64_t)n;
			out += (uint64_t)n;
			len -= (uint64_t)n;
		} else if (n == 0) {
			return 0; /* the source ended early: the rest stays a hole, reading zero */
		} else if (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
			   errno == EOPNOTSUPP) {
			return copy_bounce(src, dst, in, out, len);
		} else if (errno != EINTR) {
			return sys_err();
		}
	}
	return 0;
}

/* Copies the data extents of src in [start, end) to dst at offset 0; holes are skipped. */
static long copy_committed(int src, int dst, uint64_t start, uint64_t end, uint64_t *copied)
{
	uint64_t pos = start;

	while (pos < end) {
		off_t data = lseek(src, (off_t)pos, SEEK_DATA), hole;
		uint64_t len;
		long ret;

		if (data < 0)
			return errno == ENXIO ? 0 : sys_err(); /* ENXIO: no data after pos */
		if ((uint64_t)data >= end)
			return 0;
		hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0)
			return sys_err();
		len = min_u64((uint64_t)hole, end) - (uint64_t)data;
		ret = copy_range(src, dst, (uint64_t)data, (uint64_t)data - start, len);
		if (ret)
			return ret;
		*copied += len;
		pos = (uint64_t)data + len;
	}
	return 0;
}

long vmo_create_child(struct vmo *parent, unsigned options, uint64_t offset, uint64_t size,
		      struct vmo **out)
{
	uint64_t end, copied = 0;
	struct vmo *child;
	long ret;

	if (!parent || !out || options != VMO_CHILD_SNAPSHOT || offset % VMO_PAGE_SIZE)
		return -EINVAL;
	if ((ret = round_size(&size)))
		return ret;
	if (size > UINT64_MAX - offset)
		return -ERANGE;
	if ((ret = fault_hit("vmo.snapshot")))
		return ret;
	if ((ret = build(size, parent->name, parent->flags, &child)))
		return ret;
	end = min_u64(offset + size, parent->size);
	if (offset < end && (ret = copy_committed(parent->fd, child->fd, offset, end, &copied))) {
		destroy(child);
		return ret;
	}
	publish(child);
	stats.snapshots++;
	stats.bytes_copied += copied;
	*out = child;
	return 0;
}

long vmo_set_size(struct vmo *vmo, uint64_t size)
{
	long ret;

	if ((ret = round_size(&size)) || (ret = fault_hit("vmo.resize")))
		return ret;
	if (ftruncate(vmo->fd, (off_t)size) < 0)
		return sys_err();
	vmo->size = size;
	return 0;
}

uint64_t vmo_get_size(const struct vmo *vmo)
{
	return vmo->size;
}

long vmo_read(struct vmo *vmo, void *buf, uint64_t offset, uint64_t len)
{
	long ret;

	if (!in_range(vmo, offset, len))
		return -ERANGE;
	if (len == 0)
		return 0;
	if ((ret = fault_hit("vmo.read")))
		return ret;
	return pread_all(vmo->fd, buf, len, offset);
}

long vmo_write(struct vmo *vmo, const void *buf, uint64_t offset, uint64_t len)
{
	long ret;

	if (!in_range(vmo, offset, len))
		return -ERANGE;
	if (len == 0)
		return 0;
	if ((ret = fault_hit("vmo.write")))
		return ret;
	return pwrite_all(vmo->fd, buf, len, offset);
}

static long falloc(int fd, int mode, uint64_t start, uint64_t end)
{
	if (fallocate(fd, mode, (off_t)start, (off_t)(end - start)) < 0)
		return sys_err();
	return 0;
}

/* Zeroes [start, end) inside one page; a page that is not committed already reads zero. */
static long zero_partial(int fd, uint64_t start, uint64_t end)
{
	off_t data = lseek(fd, (off_t)page_down(start), SEEK_DATA);

	if (data < 0)
		return errno == ENXIO ? 0 : sys_err();
	if ((uint64_t)data >= page_down(start) + VMO_PAGE_SIZE)
		return 0;
	return pwrite_all(fd, zeros, end - start, start);
}

static long zero_range(int fd, uint64_t start, uint64_t end)
{
	uint64_t head_end = min_u64(page_up(start), end);
	uint64_t inner_end = page_down(end);
	uint64_t tail_start = inner_end > head_end ? inner_end : head_end;
	long ret = 0;

	if (start < head_end)
		ret = zero_partial(fd, start, head_end);
	if (!ret && head_end < inner_end)
		ret = falloc(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, head_end, inner_end);
	if (!ret && tail_start < end)
		ret = zero_partial(fd, tail_start, end);
	return ret;
}

long vmo_op_range(struct vmo *vmo, enum vmo_op op, uint64_t offset, uint64_t len)
{
	long ret;

	if (op != VMO_OP_COMMIT && op != VMO_OP_DECOMMIT && op != VMO_OP_ZERO)
		return -EINVAL;
	if (!in_range(vmo, offset, len))
		return -ERANGE;
	if (len == 0)
		return 0;
	if ((ret = fault_hit(op == VMO_OP_COMMIT ? "vmo.commit" : "vmo.decommit")))
		return ret;
	switch (op) {
	case VMO_OP_COMMIT:
		return falloc(vmo->fd, 0, page_down(offset), page_up(offset + len));
	case VMO_OP_DECOMMIT:
		return falloc(vmo->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      page_down(offset), page_up(offset + len));
	default:
		return zero_range(vmo->fd, offset, offset + len);
	}
}

uint64_t vmo_committed(struct vmo *vmo)
{
	uint64_t total = 0, pos = 0;

	while (pos < vmo->size) {
		off_t data = lseek(vmo->fd, (off_t)pos, SEEK_DATA), hole;

		if (data < 0 || (uint64_t)data >= vmo->size)
			break;
		hole = lseek(vmo->fd, data, SEEK_HOLE);
		if (hole < 0)
			break;
		pos = min_u64((uint64_t)hole, vmo->size);
		total += pos - (uint64_t)data;
	}
	return total;
}

uint64_t vmo_koid(const struct vmo *vmo)
{
	return vmo->koid;
}

int vmo_fd(const struct vmo *vmo)
{
	return vmo->fd;
}

const char *vmo_name(const struct vmo *vmo)
{
	return vmo->name;
}

unsigned vmo_flags(const struct vmo *vmo)
{
	return vmo->flags;
}

void vmo_ref(struct vmo *vmo)
{
	vmo->refs++;
}

void vmo_unref(struct vmo *vmo)
{
	if (!vmo || --vmo->refs > 0)
		return;
	destroy(vmo);
	stats.live--;
}

int vmo_refs(const struct vmo *vmo)
{
	return vmo->refs;
}

void vmo_stats_get(struct vmo_stats *out)
{
	*out = stats;
}
