/*
 * mmap(2) on the model: Linux's checks in Linux's order (arch/x86 sys_mmap, ksys_mmap_pgoff,
 * do_mmap, get_unmapped_area, mmap_region), then the Starnix translation:
 *  - anonymous (private or shared): a new ANON VMO of the mapping's size, mapped at the
 *    VMAR's choice (or the fixed address);
 *  - file: a FILE mapping; the backend maps the program's file, private ones are
 *    copy-on-write in the kernel as on Zircon with a pager-backed VMO.
 * MAP_GROWSDOWN is recorded and never passed down (growth is fault/'s job). MAP_LOCKED,
 * MAP_POPULATE and MAP_NORESERVE are passed down. MAP_HUGETLB makes a huge-page VMO
 * (MFD_HUGETLB): the kernel then answers as it does for hugetlb (ENOMEM with an empty pool).
 * MAP_DROPPABLE is a private anonymous mapping that is wiped on fork.
 * MAP_FIXED over existing mappings removes them as munmap does (unmap_prepare).
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/stat.h>

#include "mm/internal.h"

#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#define MAP_HUGE_LOG_MASK 0x3f
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
#ifndef MAP_ABOVE4G
#define MAP_ABOVE4G 0x80
#endif
#define MAP_HUGE_2MB_ (21 << MAP_HUGE_SHIFT)
#define MAP_HUGE_1GB_ (30 << MAP_HUGE_SHIFT)
#define HUGE_PAGE_2M (2ULL << 20)
/* The flags MAP_SHARED_VALIDATE accepts (include/linux/mman.h LEGACY_MAP_MASK; MAP_SYNC
 * only on DAX files; MAP_FIXED_NOREPLACE is not in it, so it is EOPNOTSUPP there). */
#define LEGACY_MAP_MASK                                                                      \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE | \
	 MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |       \
	 MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT | MAP_ABOVE4G | MAP_HUGE_2MB_ |    \
	 MAP_HUGE_1GB_)

struct mmap_req {
	uint64_t addr, len;
	int prot, flags;
	uint64_t off;
	struct mm_file *file;
	unsigned mf;  /* MF_* of the new mapping */
	int max_prot;
	long late_err; /* an error Linux returns after it changed the address space */
};

/* ksys_mmap_pgoff's huge page handling: the length is rounded to the huge page size. */
static long hugetlb_len(struct mmap_req *r)
{
	unsigned log = (r->flags >> MAP_HUGE_SHIFT) & MAP_HUGE_LOG_MASK;

	if (r->file)
		return -EINVAL; /* a file that is not on hugetlbfs */
	if (log != 0 && log != 21 && log != 30)
		return -EINVAL; /* no hstate of that size */
	r->len = (r->len + HUGE_PAGE_2M - 1) & ~(HUGE_PAGE_2M - 1);
	r->mf |= MF_HUGETLB;
	return 0;
}

/* file_mmap_ok() and the file part of do_mmap's switch. */
static long check_file(struct mmap_req *r)
{
	struct mm_file *f = r->file;
	uint64_t maxsize = S_ISREG(f->st_mode) || S_ISBLK(f->st_mode) || S_ISSOCK(f->st_mode)
				   ? (uint64_t)INT64_MAX
				   : UINT64_MAX;
	int acc = f->oflags & O_ACCMODE;
	bool can_write = acc == O_RDWR || acc == O_WRONLY;
	bool can_read = acc == O_RDONLY || acc == O_RDWR;

	if (r->len > maxsize || r->off / PAGE > (maxsize - r->len) / PAGE)
		return -EOVERFLOW;
	switch (r->flags & MAP_TYPE) {
	case MAP_SHARED:
	case MAP_SHARED_VALIDATE:
		if ((r->flags & MAP_TYPE) == MAP_SHARED_VALIDATE &&
		    (r->flags & ~(LEGACY_MAP_MASK | (f->mmap_sync ? MAP_SYNC : 0))))
			return -EOPNOTSUPP;
		if ((r->prot & PROT_WRITE) && !can_write)
			return -EACCES;
		if (f->append && can_write)
			return -EACCES;
		r->mf |= MF_SHARED;
		if (!can_write)
			r->max_prot &= ~PROT_WRITE;
		/* fallthrough */
	case MAP_PRIVATE:
		if (!can_read)
			return -EACCES;
		if (f->noexec) {
			if (r->prot & PROT_EXEC)
				return -EPERM;
			r->max_prot &= ~PROT_EXEC;
		}
		if (!S_ISREG(f->st_mode) && !S_ISBLK(f->st_mode) && !S_ISCHR(f->st_mode))
			return -ENODEV; /* directories, pipes, sockets: no ->mmap */
		if (r->flags & MAP_GROWSDOWN)
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

static long check_anon(struct mmap_req *r)
{
	switch (r->flags & MAP_TYPE) {
	case MAP_SHARED:
		if (r->flags & MAP_GROWSDOWN)
			return -EINVAL;
		r->mf |= MF_SHARED;
		return 0;
	case MAP_DROPPABLE:
		if (r->flags & MAP_GROWSDOWN)
			return -EINVAL;
		r->mf |= MF_WIPEONFORK;
		return 0;
	case MAP_PRIVATE:
		return 0;
	default:
		return -EINVAL;
	}
}

/* get_unmapped_area() for MAP_FIXED: the address as given, checked. */
static long check_fixed(struct mm *mm, struct mmap_req *r)
{
	if (r->addr > TASK_SIZE - r->len)
		return -ENOMEM;
	if (PAGE_OFF(r->addr))
		return -EINVAL;
	if (r->addr < MMAP_MIN_ADDR && !mm_capable(mm, CAP_SYS_RAWIO))
		return -EPERM;
	return 0;
}

/* Automatic placement by the VMAR (a prepare step: released if the operation fails). */
static long place(struct txn *t, struct mmap_req *r)
{
	struct vmar_req req = {
		.size = r->len,
		.hint = r->addr & ~(PAGE - 1),
		.align = r->mf & MF_HUGETLB ? HUGE_PAGE_2M : 0,
		.flags = (r->flags & MAP_32BIT ? VMAR_32BIT : 0) |
			 (r->flags & MAP_GROWSDOWN ? VMAR_GUARD : 0),
	};

	if (req.hint && req.hint < MMAP_MIN_ADDR)
		req.hint = MMAP_MIN_ADDR; /* round_hint_to_min() */
	return txn_place(t, &req);
}

/* The errors mmap(2) can return: a failed step with another error becomes ENOMEM. */
static const int mmap_errnos[] = { EACCES, EAGAIN, EBADF,  EEXIST,    EINVAL, ENFILE, ENODEV,
				   ENOMEM, EOVERFLOW, EPERM, ETXTBSY, EOPNOTSUPP, 0 };

static bool range_free(struct mm *mm, uint64_t start, uint64_t end)
{
	struct mapping *m = table_from(mm, start);

	return !m || m->start >= end;
}

/*
 * ext4 and xfs refuse VM_SYNC on files that are not DAX in their ->mmap, which runs after a
 * MAP_FIXED target was torn down: Linux returns EOPNOTSUPP and leaves the hole.
 */
static long sync_refused(struct txn *t, struct mmap_req *r)
{
	long e;

	if (!(r->flags & MAP_FIXED) || range_free(t->mm, r->addr, r->addr + r->len))
		return -EOPNOTSUPP;
	e = unmap_prepare(t, r->addr, r->addr + r->len);
	if (e)
		return e == -EPERM ? e : -ENOMEM;
	txn_set(t, r->addr, r->addr + r->len, NULL, 0);
	txn_unmap(t, r->addr, r->len);
	r->late_err = -EOPNOTSUPP;
	return 0;
}

static long do_mmap(struct mm *mm, struct txn *t, struct mmap_req *r)
{
	uint64_t total, data, locked;
	struct mapping *m;
	long e;

	if (!r->len)
		return -EINVAL;
	if (r->flags & MAP_FIXED_NOREPLACE)
		r->flags |= MAP_FIXED;
	r->len = PAGE_ALIGN(r->len);
	if (!r->len)
		return -ENOMEM;
	if (r->off / PAGE + r->len / PAGE < r->off / PAGE)
		return -EOVERFLOW;
	if (r->len > TASK_SIZE)
		return -ENOMEM;
	if (r->flags & MAP_FIXED) {
		e = check_fixed(mm, r);
		if (e)
			return e;
		if (!in_vmar(&mm->vmar, r->addr, r->len))
			return -ENOMEM;
		if ((r->flags & MAP_FIXED_NOREPLACE) && !range_free(mm, r->addr, r->addr + r->len))
			return -EEXIST;
	} else {
		e = place(t, r);
		if (e < 0)
			return e;
		r->addr = (uint64_t)e;
	}

	if (r->flags & MAP_GROWSDOWN)
		r->mf |= MF_GROWSDOWN;
	if (r->flags & MAP_LOCKED) {
		r->mf |= MF_LOCKED;
		if (mm_rlimit(mm, RLIMIT_MEMLOCK) == 0 && !mm_capable(mm, CAP_IPC_LOCK))
			return -EPERM; /* can_do_mlock() */
	}
	if (!mlock_future_ok(mm, r->mf & MF_LOCKED, r->len))
		return -EAGAIN;
	e = r->file ? check_file(r) : check_anon(r);
	if (e)
		return e;
	if (r->flags & MAP_NORESERVE)
		r->mf |= MF_NORESERVE;
	if (r->flags & MAP_STACK)
		r->mf |= MF_STACK;

	/* mmap_region(): the limit counts what the mapping replaces as freed. */
	pages_in_range(mm, r->addr, r->addr + r->len, &total, &data, &locked);
	{
		bool is_data = (r->prot & PROT_WRITE) && !(r->mf & (MF_SHARED | MF_GROWSDOWN));

		if (!may_expand_vm(mm, is_data, r->len / PAGE) &&
		    !may_expand_vm(mm, is_data, r->len / PAGE - total))
			return -ENOMEM;
	}
	if (r->file && (r->flags & MAP_SYNC) && r->file->mmap_sync && !r->file->dax)
		return sync_refused(t, r);
	/* mmap_region(): huge pages are never counted as locked */
	if (r->mf & MF_HUGETLB)
		r->mf &= ~MF_LOCKED;

	m = mapping_new();
	m->start = r->addr;
	m->end = r->addr + r->len;
	m->prot = r->prot & PROT_ALL;
	m->max_prot = r->max_prot;
	m->flags = r->mf;
	if (r->file) {
		m->kind = MK_FILE;
		m->file = r->file;
		mm_file_ref(r->file);
		m->off = r->off;
	} else {
		/* A stack's VMO has room below the mapping to grow into (mm/grow.c). */
		uint64_t room = r->mf & MF_GROWSDOWN ? stack_headroom(mm, r->len) : 0;
		struct vmo *vmo;

		e = txn_vmo_create(t, room + r->len, r->mf & MF_HUGETLB ? VMO_HUGETLB : 0, &vmo);
		if (e) {
			mapping_free(m);
			return -ENOMEM;
		}
		m->kind = MK_ANON;
		m->vmo = vmo;
		m->off = room;
		vmo_ref(vmo);
	}
	e = unmap_prepare(t, m->start, m->end);
	if (e) {
		mapping_free(m);
		return e == -EPERM ? e : -ENOMEM;
	}
	/* MAP_SYNC goes down with file mappings: the filesystem answers for it (VM_SYNC is set
	 * whatever the mapping type; ext4 and xfs refuse it on files that are not DAX). */
	txn_map_mapping(t, m, m->start, m->end,
			(r->flags & MAP_POPULATE && !(r->flags & MAP_NONBLOCK) ? MAP_POPULATE : 0) |
				(r->file ? r->flags & MAP_SYNC : 0));
	txn_set(t, m->start, m->end, &m, 1);
	return 0;
}

long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags, int fd,
	     uint64_t off)
{
	struct mmap_req r = {
		.addr = addr, .len = len, .prot = prot, .flags = flags, .off = off,
		.max_prot = PROT_ALL,
	};
	struct txn t;
	long e = 0;

	if (PAGE_OFF(off))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		if (fd < 0)
			return -EBADF;
		e = mm->be->file_get(mm->be_ctx, fd, &r.file);
		if (e)
			return e == -EBADF ? e : -ENOMEM;
		if (flags & MAP_HUGETLB)
			e = -EINVAL;
	} else if (flags & MAP_HUGETLB) {
		e = hugetlb_len(&r);
	}
	if (e) {
		mm_file_unref(r.file);
		return e;
	}
	txn_begin(&t, mm);
	e = do_mmap(mm, &t, &r);
	e = e ? txn_abort(&t, e) : txn_commit(&t);
	mm_file_unref(r.file);
	if (e)
		return syscall_errno(e, mmap_errnos);
	return r.late_err ? r.late_err : (long)r.addr;
}
