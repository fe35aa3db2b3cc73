/*
 * mm_import: the model of an address space the kernel built (at execve), from the text of
 * /proc/PID/smaps.
 *
 * What is modelled. Each mapping is a header line "start-end perms offset dev inode [path]"
 * followed by "Key: value" lines, of which only VmFlags matters (proc(5)): mr/mw/me give the
 * maximum protection (VM_MAY*), sh/gd/lo/lf/dc/wf/nr/ht/nh give MF_SHARED, MF_GROWSDOWN,
 * MF_LOCKED, MF_LOCKONFAULT, MF_DONTFORK, MF_WIPEONFORK, MF_NORESERVE, MF_HUGETLB and MF_STACK
 * (VM_NOHUGEPAGE); pf/io (VM_PFNMAP, VM_IO) mark driver memory. "ac" (VM_ACCOUNT) is not
 * imported: the model's own mappings never carry MF_ACCOUNT, and an imported heap must stay
 * compatible with what brk adds next to it. Without a VmFlags line (plain maps text) the
 * maximum protection is derived from perms: everything for private mappings, perms plus
 * read and exec for shared ones; [stack] is then growsdown.
 *
 * Kinds:
 *  - ANON: lines without a path and inode 0, [heap] (MF_BRK), [stack], [anon:NAME], private
 *    /anon_hugepage. They have no VMO: the memory is the kernel's own until mm_adopt copies
 *    it into a VMO. They carry MF_KERNEL and, as Linux's anonymous vm_pgoff, an offset equal
 *    to their address, so adjacent kernel lines with the same properties merge.
 *  - SPECIAL: [vdso], [vvar], [vvar_vclock], [vsyscall], [uprobes], SysV shm
 *    ("/SYSV%08x (deleted)"), device files (paths under /dev/ other than /dev/shm/ and
 *    /dev/hugepages/, or any line with VmFlags pf or io), shared /anon_hugepage and every
 *    other name (anon_inode:..., unknown [names]). Their name is a static string.
 *  - FILE: every other path. The supervisor has no descriptor for files the kernel mapped at
 *    exec, so the mm_file has fd = -1 and prog_fd = -1, the path (without " (deleted)"; the
 *    kernel's "\012" escape undone), dev and inode: the ptrace backend opens it by path later
 *    and must check dev/inode (a deleted or replaced file is reached through
 *    /proc/PID/map_files instead). Lines of one file share one mm_file.
 * [vsyscall] above the user range is Linux's gate area, not a mapping of the mm (no VMA,
 * munmap cannot touch it): it is skipped.
 *
 * The program break: when cfg->start_brk is 0, start_brk and brk are the start and end of the
 * [heap] lines. The true break may be unaligned (the heap line ends at the page above it) and
 * may lie above start_brk with no [heap] line yet: the caller refines both from
 * /proc/PID/stat (start_brk) and brk(0).
 *
 * Invariants: every line is inserted through table_set (the VMAR and the accounting follow),
 * under fault_hold (importing describes what exists: nothing can fail for lack of
 * resources); a line outside the VMAR range (its placement window does not matter) or
 * overlapping another line is -EINVAL with *bad_line its line number (1-based), and the mm
 * is then destroyed: on failure there is nothing to release.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <uthash.h>

#include "mm/internal.h"

/* Backed by the kernel's own anonymous memory, not adopted (no VMO). To move to mm/mm.h. */

static const char name_vsyscall[] = "[vsyscall]";
static const char *const special_names[] = {
    "[vdso]", "[vvar]", "[vvar_vclock]", name_vsyscall, "[uprobes]",
};
static const char name_sysv[] = "[sysv-shm]";
static const char name_device[] = "[device]";
static const char name_special[] = "[special]";

#define DELETED " (deleted)"

/* One header line and what its VmFlags line said. */
struct hdr {
	int lineno;
	uint64_t start, end, off;
	int prot;
	bool shared; /* 's' in perms: VM_MAYSHARE */
	unsigned major, minor;
	uint64_t ino;
	const char *path; /* in the text, not terminated; NULL when none */
	size_t pathlen;
	bool vmflags; /* a VmFlags line was seen */
	int max_prot;
	unsigned mf;
	bool driver; /* VmFlags pf or io */
};

struct file_ent {
	struct mm_file *f;
	UT_hash_handle hh; /* keyed by f->path */
};

struct importer {
	struct mm *mm;
	struct file_ent *files;
	uint64_t heap_lo, heap_hi;
	uint64_t lo, hi; /* only lines overlapping [lo, hi), clipped to it (mm_import_range) */
};

static const struct {
	char tok[3];
	unsigned mf;
	int max_prot;
} vmflags[] = {
    {"mr", 0, PROT_READ},      {"mw", 0, PROT_WRITE},	{"me", 0, PROT_EXEC},
    {"sh", MF_SHARED, 0},      {"gd", MF_GROWSDOWN, 0}, {"lo", MF_LOCKED, 0},
    {"lf", MF_LOCKONFAULT, 0}, {"dc", MF_DONTFORK, 0},	{"wf", MF_WIPEONFORK, 0},
    {"nr", MF_NORESERVE, 0},   {"ht", MF_HUGETLB, 0},	{"nh", MF_STACK, 0},
    {"sl", MF_SEALED, 0},
};

/* --- Lexing ------------------------------------------------------------------------------ */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A number in base 16 or 10 at *p (at least one digit, no overflow). */
static bool number(const char **p, const char *e, unsigned base, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int d;

	while (s < e && (d = hexval(*s)) >= 0 && (unsigned)d < base) {
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return false;
		v = v * base + (unsigned)d;
		s++;
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

static bool expect(const char **p, const char *e, char c)
{
	if (*p >= e || **p != c)
		return false;
	(*p)++;
	return true;
}

/* One or more blanks. */
static bool blanks(const char **p, const char *e)
{
	const char *s = *p;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	if (s == *p)
		return false;
	*p = s;
	return true;
}

/* Whether the line starts like a mapping header: lowercase hex digits, then '-'. */
static bool is_header(const char *s, const char *e)
{
	const char *p = s;

	while (p < e && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
		p++;
	return p > s && p < e && *p == '-';
}

static bool parse_header(const char *p, const char *e, struct hdr *h)
{
	uint64_t major, minor;

	if (!number(&p, e, 16, &h->start) || !expect(&p, e, '-') || !number(&p, e, 16, &h->end) ||
	    !blanks(&p, e) || e - p < 4)
		return false;
	if ((p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') ||
	    (p[2] != 'x' && p[2] != '-') || (p[3] != 's' && p[3] != 'p'))
		return false;
	h->prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
		  (p[2] == 'x' ? PROT_EXEC : 0);
	h->shared = p[3] == 's';
	p += 4;
	if (!blanks(&p, e) || !number(&p, e, 16, &h->off) || !blanks(&p, e) ||
	    !number(&p, e, 16, &major) || !expect(&p, e, ':') || !number(&p, e, 16, &minor) ||
	    !blanks(&p, e) || !number(&p, e, 10, &h->ino))
		return false;
	if (major > UINT32_MAX || minor > UINT32_MAX)
		return false;
	h->major = (unsigned)major;
	h->minor = (unsigned)minor;
	if (p < e && !blanks(&p, e))
		return false; /* garbage glued to the inode */
	h->path = p < e ? p : NULL;
	h->pathlen = (size_t)(e - p);
	return h->start < h->end && !PAGE_OFF(h->start) && !PAGE_OFF(h->end) && !PAGE_OFF(h->off);
}

/* "VmFlags: rd wr mr ..." (tokens the model does not know are skipped: the list grows). */
static void parse_vmflags(const char *p, const char *e, struct hdr *h)
{
	h->vmflags = true;
	h->max_prot = 0;
	h->mf = 0;
	h->driver = false;
	while (p < e) {
		const char *t;

		blanks(&p, e);
		t = p;
		while (p < e && *p != ' ' && *p != '\t')
			p++;
		if (p - t != 2)
			continue;
		for (size_t i = 0; i < sizeof(vmflags) / sizeof(vmflags[0]); i++)
			if (!memcmp(t, vmflags[i].tok, 2)) {
				h->mf |= vmflags[i].mf;
				h->max_prot |= vmflags[i].max_prot;
			}
		if (!memcmp(t, "pf", 2) || !memcmp(t, "io", 2))
			h->driver = true;
	}
}

/* A "Key: value" line; *ke is set to the colon ending the key. */
static bool parse_key(const char *p, const char *e, const char **ke)
{
	const char *s = p;

	if (p >= e || !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'))
		return false;
	while (p < e && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			 (*p >= '0' && *p <= '9') || *p == '_'))
		p++;
	if (p >= e || *p != ':' || p == s)
		return false;
	*ke = p;
	return true;
}

/* --- Classification ---------------------------------------------------------------------- */

static bool path_is(const struct hdr *h, const char *s)
{
	return h->pathlen == strlen(s) && !memcmp(h->path, s, h->pathlen);
}

static bool path_starts(const struct hdr *h, const char *s)
{
	return h->pathlen >= strlen(s) && !memcmp(h->path, s, strlen(s));
}

static bool path_deleted(const struct hdr *h)
{
	size_t n = strlen(DELETED);

	return h->pathlen > n && !memcmp(h->path + h->pathlen - n, DELETED, n);
}

/* The path without " (deleted)", with the kernel's escape of '\n' (seq_path: "\012") undone. */
static char *path_copy(const struct hdr *h)
{
	size_t n = h->pathlen - (path_deleted(h) ? strlen(DELETED) : 0), j = 0;
	char *s = xcalloc(n + 1, 1);

	for (size_t i = 0; i < n; i++) {
		if (h->path[i] == '\\' && n - i >= 4 && !memcmp(h->path + i, "\\012", 4)) {
			s[j++] = '\n';
			i += 3;
		} else {
			s[j++] = h->path[i];
		}
	}
	return s;
}

static const char *special_name(const struct hdr *h)
{
	for (size_t i = 0; i < sizeof(special_names) / sizeof(special_names[0]); i++)
		if (path_is(h, special_names[i]))
			return special_names[i];
	return name_special;
}

/* The kind of a line, and for SPECIAL its name. */
static enum mapping_kind classify(const struct hdr *h, const char **name)
{
	*name = NULL;
	if (!h->path)
		return h->ino ? (*name = name_special, MK_SPECIAL) : MK_ANON;
	if (h->path[0] == '[') {
		if (path_is(h, "[heap]") || path_is(h, "[stack]") || path_starts(h, "[stack:") ||
		    path_starts(h, "[anon:"))
			return MK_ANON;
		*name = special_name(h);
		return MK_SPECIAL;
	}
	if (h->path[0] != '/') {
		*name = name_special; /* anon_inode:..., and whatever comes next */
		return MK_SPECIAL;
	}
	if (path_starts(h, "/SYSV") && path_deleted(h)) {
		*name = name_sysv;
		return MK_SPECIAL;
	}
	if (path_is(h, "/anon_hugepage" DELETED)) {
		if (!h->shared)
			return MK_ANON;
		*name = name_special;
		return MK_SPECIAL;
	}
	if (h->driver || (path_starts(h, "/dev/") && !path_starts(h, "/dev/shm/") &&
			  !path_starts(h, "/dev/hugepages/"))) {
		*name = name_device;
		return MK_SPECIAL;
	}
	return MK_FILE;
}

/* Kernel anonymous memory that is shared (not made at exec) cannot be re-backed without
 * breaking the sharing: it is SPECIAL. */
static enum mapping_kind kind_of(const struct hdr *h, const char **name)
{
	enum mapping_kind k = classify(h, name);

	if (k == MK_ANON && h->shared) {
		*name = name_special;
		return MK_SPECIAL;
	}
	return k;
}

/* A new reference to the mm_file of a file line, shared by every line of the same path, device
 * and inode. */
static struct mm_file *file_for(struct importer *im, const struct hdr *h)
{
	char *path = path_copy(h);
	dev_t dev = makedev(h->major, h->minor);
	struct file_ent *fe;
	struct mm_file *f;

	HASH_FIND(hh, im->files, path, strlen(path), fe);
	if (fe && fe->f->dev == dev && fe->f->ino == (ino_t)h->ino) {
		free(path);
		f = fe->f;
		mm_file_ref(f);
		if (h->max_prot & PROT_EXEC)
			f->noexec = false;
	} else {
		f = xcalloc(1, sizeof(*f));
		f->refs = 1;
		f->fd = -1;
		f->prog_fd = -1;
		f->oflags = O_RDONLY;
		f->st_mode = S_IFREG;
		f->dev = dev;
		f->ino = (ino_t)h->ino;
		/* A file on a noexec mount never has VM_MAYEXEC. */
		f->noexec = h->vmflags && !(h->max_prot & PROT_EXEC);
		f->path = path;
		/* A second file under one path (replaced between two mappings) is not shared. */
		if (!fe) {
			fe = xcalloc(1, sizeof(*fe));
			fe->f = f;
			mm_file_ref(f); /* the table's */
			HASH_ADD_KEYPTR(hh, im->files, f->path, strlen(f->path), fe);
		}
	}
	/* VM_MAYWRITE on a shared mapping: the file was opened for writing. */
	if (h->shared && (h->max_prot & PROT_WRITE))
		f->oflags = O_RDWR;
	return f;
}

/* --- Building the model ------------------------------------------------------------------- */

static bool range_free(struct mm *mm, uint64_t start, uint64_t end)
{
	struct mapping *m = table_from(mm, start);

	return !m || m->start >= end;
}

/* Inserts the mapping of a complete header (its key lines read). 0 or -EINVAL. */
static int add_line(struct importer *im, struct hdr *h)
{
	struct mm *mm = im->mm;
	enum mapping_kind kind;
	struct mapping *m;
	const char *name;

	if (!h->vmflags) {
		h->max_prot = h->shared ? h->prot | PROT_READ | PROT_EXEC : PROT_ALL;
		h->mf = path_is(h, "[stack]") ? MF_GROWSDOWN : 0;
	}
	/* VM_READ implies VM_MAYREAD (and so on) in the kernel; keep the model's rule. */
	h->max_prot |= h->prot;
	if (h->shared)
		h->mf |= MF_SHARED;
	kind = kind_of(h, &name);
	if (kind == MK_SPECIAL && name == name_vsyscall && h->start >= TASK_SIZE)
		return 0; /* [vsyscall]: the gate area, not a mapping of the mm */
	if (h->end <= im->lo || h->start >= im->hi)
		return 0;
	if (h->start < im->lo) {
		h->off += im->lo - h->start;
		h->start = im->lo;
	}
	if (h->end > im->hi)
		h->end = im->hi;
	if (!in_vmar(&mm->vmar, h->start, h->end - h->start) || !range_free(mm, h->start, h->end))
		return -EINVAL;

	m = mapping_new();
	m->start = h->start;
	m->end = h->end;
	m->kind = kind;
	m->prot = h->prot;
	m->max_prot = h->max_prot;
	m->flags = h->mf;
	m->off = h->off;
	switch (kind) {
	case MK_ANON:
		m->flags |= MF_KERNEL;
		m->off = h->start; /* Linux's vm_pgoff of anonymous memory */
		if (path_is(h, "/anon_hugepage" DELETED))
			m->flags |= MF_HUGETLB;
		if (path_is(h, "[heap]")) {
			m->flags |= MF_BRK;
			if (!im->heap_hi || h->start < im->heap_lo)
				im->heap_lo = h->start;
			if (h->end > im->heap_hi)
				im->heap_hi = h->end;
		}
		break;
	case MK_FILE:
		m->file = file_for(im, h);
		break;
	case MK_SPECIAL:
		m->name = name;
		break;
	}
	/* Nothing here may fail: the VMAR's fault point stays quiet. */
	fault_hold();
	table_set(mm, m->start, m->end, &m, 1);
	fault_release();
	return 0;
}

static bool blank(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p == e;
}

static void drop_files(struct importer *im)
{
	struct file_ent *fe, *tmp;

	HASH_ITER(hh, im->files, fe, tmp)
	{
		HASH_DEL(im->files, fe);
		mm_file_unref(fe->f);
		free(fe);
	}
}

/* Every line of smaps (within im's range) into im->mm. 0, or the line number of a bad one. */
static int parse(struct importer *im, const char *smaps)
{
	struct hdr h = {0};
	bool open_hdr = false;
	const char *p = smaps, *e, *ke;
	int lineno = 0, bad = 0;

	for (; *p && !bad; p = *e ? e + 1 : e) {
		const char *le; /* the line's end, without a '\r' (text that went through DOS) */

		e = strchrnul(p, '\n');
		le = e > p && e[-1] == '\r' ? e - 1 : e;
		lineno++;
		if (blank(p, le))
			continue;
		if (is_header(p, le)) {
			if (open_hdr && add_line(im, &h))
				bad = h.lineno;
			memset(&h, 0, sizeof(h));
			h.lineno = lineno;
			open_hdr = true;
			if (!bad && !parse_header(p, le, &h))
				bad = lineno;
		} else if (open_hdr && parse_key(p, le, &ke)) {
			if (ke - p == 7 && !memcmp(p, "VmFlags", 7))
				parse_vmflags(ke + 1, le, &h);
		} else {
			bad = lineno; /* neither a header nor a key of one */
		}
	}
	if (!bad && open_hdr && add_line(im, &h))
		bad = h.lineno;
	drop_files(im);
	return bad;
}

int mm_import(struct mm *mm, const struct mm_config *cfg, const char *smaps, int *bad_line)
{
	struct importer im = {.mm = mm, .hi = UINT64_MAX};
	int bad, r;

	if (bad_line)
		*bad_line = 0;
	r = mm_init(mm, cfg);
	if (r)
		return r;
	bad = parse(&im, smaps);
	if (bad) {
		mm_destroy(mm);
		if (bad_line)
			*bad_line = bad;
		return -EINVAL;
	}
	if (!cfg->start_brk && im.heap_hi) {
		mm->start_brk = im.heap_lo;
		mm->brk = im.heap_hi;
	}
	return 0;
}

int mm_import_range(struct mm *mm, const char *smaps, uint64_t lo, uint64_t hi)
{
	struct importer im = {.mm = mm, .lo = lo, .hi = hi};

	if (lo >= hi || !in_vmar(&mm->vmar, lo, hi - lo))
		return -EINVAL;
	fault_hold();
	table_set(mm, lo, hi, NULL, 0);
	fault_release();
	return parse(&im, smaps) ? -EINVAL : 0;
}
