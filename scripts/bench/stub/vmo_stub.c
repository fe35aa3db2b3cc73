/*
 * A VMO layer with no memfd behind it, for measuring the model alone (mapping table, VMAR,
 * transactions): the same interface as vmo/vmo.c, sizes and references only, no content.
 * Linked before libvmo.a into build/bench/mm_ops so that vmo.o is not pulled in.
 */
#include <errno.h>
#include <stdlib.h>

#include "vmo/vmo.h"

struct vmo {
	uint64_t koid, size;
	int refs;
};

static uint64_t next_koid = 1;
static struct vmo_stats stats;

long vmo_create_ex(uint64_t size, const char *name, unsigned flags, struct vmo **out)
{
	(void)name;
	(void)flags;
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->koid = next_koid++;
	(*out)->size = (size + VMO_PAGE_SIZE - 1) & ~(VMO_PAGE_SIZE - 1);
	(*out)->refs = 1;
	stats.created++;
	stats.live++;
	return 0;
}

long vmo_create(uint64_t size, const char *name, struct vmo **out)
{
	return vmo_create_ex(size, name, 0, out);
}

long vmo_create_child(struct vmo *parent, unsigned options, uint64_t offset, uint64_t size,
		      struct vmo **out)
{
	(void)parent;
	(void)options;
	(void)offset;
	stats.snapshots++;
	return vmo_create_ex(size, NULL, 0, out);
}

long vmo_set_size(struct vmo *vmo, uint64_t size)
{
	vmo->size = (size + VMO_PAGE_SIZE - 1) & ~(VMO_PAGE_SIZE - 1);
	return 0;
}

uint64_t vmo_get_size(const struct vmo *vmo)
{
	return vmo->size;
}

long vmo_op_range(struct vmo *vmo, enum vmo_op op, uint64_t offset, uint64_t len)
{
	(void)op;
	return offset + len > vmo->size ? -ERANGE : 0;
}

uint64_t vmo_committed(struct vmo *vmo)
{
	(void)vmo;
	return 0;
}

uint64_t vmo_koid(const struct vmo *vmo)
{
	return vmo->koid;
}

int vmo_fd(const struct vmo *vmo)
{
	(void)vmo;
	return -1;
}

void vmo_ref(struct vmo *vmo)
{
	vmo->refs++;
}

void vmo_unref(struct vmo *vmo)
{
	if (vmo && --vmo->refs == 0) {
		stats.live--;
		free(vmo);
	}
}

int vmo_refs(const struct vmo *vmo)
{
	return vmo->refs;
}

void vmo_stats_get(struct vmo_stats *out)
{
	*out = stats;
}
