/*
 * VMO: an emulated Zircon virtual memory object, backed by a memfd owned by the supervisor.
 *
 * Zircon semantics, Linux errnos. A VMO has a size (a multiple of the page size), content
 * (pages that were never written are not committed and read as zero), a unique id (the koid,
 * never reused in a run), a name, and a reference count (the creator holds the first
 * reference; the memfd is closed when the last one goes). A SNAPSHOT child is an independent
 * copy of a range of its parent taken at creation: only committed pages are copied
 * (SEEK_DATA/SEEK_HOLE + copy_file_range), so sparse stays sparse; the part of the child's
 * range beyond the parent's size reads as zero.
 *
 * Zircon's status codes map to errnos:
 *	ZX_ERR_INVALID_ARGS	-EINVAL	(unaligned child offset, unknown option/op)
 *	ZX_ERR_OUT_OF_RANGE	-ERANGE	(offset + length beyond the size, or overflowing)
 *	ZX_ERR_NO_MEMORY	-ENOMEM	(memfd or copy failed for lack of memory)
 * Sizes are rounded up to the page size, as zx_vmo_create does; a size that overflows when
 * rounded, or exceeds VMO_MAX_SIZE, is -ERANGE.
 *
 * Fault points: vmo.create, vmo.resize, vmo.snapshot, vmo.commit, vmo.decommit, vmo.read,
 * vmo.write (fault/inject.h).
 */
#ifndef STARMM_VMO_H
#define STARMM_VMO_H

#include <stdint.h>

#define VMO_PAGE_SIZE 4096ULL
/* The largest size a VMO may have: Linux's MAX_LFS_FILESIZE, what a memfd can hold. */
#define VMO_MAX_SIZE ((uint64_t)INT64_MAX & ~(VMO_PAGE_SIZE - 1))

#define VMO_CHILD_SNAPSHOT 1u
/* Optional flag to vmo_create_ex: back the VMO with huge pages (MFD_HUGETLB). */
#define VMO_HUGETLB 1u

enum vmo_op {
	VMO_OP_COMMIT,	 /* allocate backing pages (fallocate) */
	VMO_OP_DECOMMIT, /* free pages; they read back as zero (FALLOC_FL_PUNCH_HOLE) */
	VMO_OP_ZERO,	 /* zero the range: whole pages are freed, partial pages written */
};

struct vmo;

/* Creates a VMO of `size` bytes (rounded up to pages; 0 is allowed), named `name` (may be
 * NULL). 0 and *out set, or -errno. */
long vmo_create(uint64_t size, const char *name, struct vmo **out);
long vmo_create_ex(uint64_t size, const char *name, unsigned flags, struct vmo **out);

/* Creates a SNAPSHOT child of `parent` covering [offset, offset + size) of it. offset must be
 * page-aligned (-EINVAL); size is rounded up. The child's name is the parent's. */
long vmo_create_child(struct vmo *parent, unsigned options, uint64_t offset, uint64_t size,
		      struct vmo **out);

/* Resizes (rounded up to pages). Shrinking discards the content beyond the new size. */
long vmo_set_size(struct vmo *vmo, uint64_t size);
uint64_t vmo_get_size(const struct vmo *vmo);

/* Reads/writes len bytes at offset; the whole range must lie within the size (-ERANGE). */
long vmo_read(struct vmo *vmo, void *buf, uint64_t offset, uint64_t len);
long vmo_write(struct vmo *vmo, const void *buf, uint64_t offset, uint64_t len);

/* COMMIT and DECOMMIT act on whole pages (the range is widened to page boundaries); ZERO
 * zeroes exactly [offset, offset + len). The range must lie within the size (-ERANGE). */
long vmo_op_range(struct vmo *vmo, enum vmo_op op, uint64_t offset, uint64_t len);

/* Bytes of committed (backed) pages, found with SEEK_DATA/SEEK_HOLE. */
uint64_t vmo_committed(struct vmo *vmo);

uint64_t vmo_koid(const struct vmo *vmo);
int vmo_fd(const struct vmo *vmo);
const char *vmo_name(const struct vmo *vmo);
unsigned vmo_flags(const struct vmo *vmo);

void vmo_ref(struct vmo *vmo);
void vmo_unref(struct vmo *vmo); /* NULL is allowed */
int vmo_refs(const struct vmo *vmo);

/* Process-wide counters, for --stats and for leak checks in tests. */
struct vmo_stats {
	uint64_t created;      /* VMOs created, children included */
	uint64_t live;	       /* VMOs not yet destroyed */
	uint64_t peak;	       /* highest value of live */
	uint64_t snapshots;    /* SNAPSHOT children created */
	uint64_t bytes_copied; /* bytes copied into snapshot children */
};
void vmo_stats_get(struct vmo_stats *out);

#endif
