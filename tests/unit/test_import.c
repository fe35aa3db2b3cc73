/*
 * Unit tests of mm_import (mm/import.c): real /proc/PID/smaps texts captured on this machine
 * (tests/data/smaps/: /bin/cat, a static binary, python3) import into a model whose mapping
 * count, kinds, protections and flags follow the text; synthetic texts cover the corner
 * cases (merging, paths with spaces, " (deleted)", long lines, no VmFlags, special names) and
 * every parse error with its line number. The kernel's anonymous memory imports as MK_ANON
 * without a VMO (MF_KERNEL) until mm_adopt.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

/* x86-64 TASK_SIZE_MAX: the user range the VMAR covers in real use. */
#define USER_TOP 0x7ffffffff000ULL
#define P	 TU_PAGE
#define RW	 (PROT_READ | PROT_WRITE)
#define RX	 (PROT_READ | PROT_EXEC)

static struct mm M;

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[8192];
	FILE *out;

	ck_assert_msg(f != NULL, "cannot open %s (tests run from the repository root)", path);
	out = open_memstream(&buf, &len);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, out);
	fclose(f);
	fclose(out);
	return buf;
}

/* An mm_config whose VMAR covers the whole user range (as in real use). */
static struct mm_config user_cfg(void)
{
	struct mm_config c;

	memset(&c, 0, sizeof(c));
	c.vmar = (struct vmar_config){
	    .base = P,
	    .size = USER_TOP - P,
	    .place_lo = P,
	    .place_hi = USER_TOP,
	    .top = USER_TOP,
	};
	c.be = &self_backend_ops;
	return c;
}

static int import(const char *text, int *bad)
{
	struct mm_config c = user_cfg();

	return mm_import(&M, &c, text, bad);
}

static void import_ok(const char *text)
{
	int bad = -1, r = import(text, &bad);

	ck_assert_msg(r == 0, "mm_import: %s at line %d", strerror(-r), bad);
	ck_assert_int_eq(bad, 0);
}

/* Every invariant of the model (MF_KERNEL mappings included). */
static void import_invariants(struct mm *mm)
{
	TU_CHECK(mm);
}

/* --- The expectation, computed from the text independently of mm/import.c --------------- */

struct line {
	uint64_t start, end, off;
	char perms[5];
	char dev[16];
	unsigned long ino;
	char path[4096];
	char vmflags[256];
};

/* The header lines of a smaps text, each with its VmFlags. */
static size_t parse_lines(const char *text, struct line **out)
{
	size_t n = 0, cap = 0;
	struct line *v = NULL;

	for (const char *p = text; *p;) {
		const char *e = strchrnul(p, '\n');
		char *l = strndup(p, (size_t)(e - p));
		struct line x = {0};
		int pos = 0;

		if (sscanf(l, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %15s %lu %n", &x.start,
			   &x.end, x.perms, &x.off, x.dev, &x.ino, &pos) >= 6) {
			if (pos)
				snprintf(x.path, sizeof(x.path), "%s", l + pos);
			if (n == cap)
				v = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			v[n++] = x;
		} else if (n && !strncmp(l, "VmFlags:", 8)) {
			snprintf(v[n - 1].vmflags, sizeof(v[n - 1].vmflags), "%s", l + 8);
		}
		free(l);
		p = *e ? e + 1 : e;
	}
	*out = v;
	return n;
}

static bool anon_line(const struct line *l)
{
	return (!l->path[0] && !l->ino) || !strcmp(l->path, "[heap]") ||
	       !strcmp(l->path, "[stack]");
}

static bool file_line(const struct line *l)
{
	return l->path[0] == '/' && strncmp(l->path, "/dev/", 5) && strncmp(l->path, "/SYSV", 5);
}

/* The VmFlags tokens the model keeps (max_prot and MF_* flags), as a bit set. Others ("ac",
 * "rd", "dd", ...) describe nothing the model represents. */
static unsigned modelled_vmflags(const char *s)
{
	static const char *const kept[] = {"mr", "mw", "me", "sh", "gd", "lo",
					   "lf", "dc", "wf", "nr", "ht", "nh"};
	unsigned set = 0;

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		for (const char *p = s; (p = strstr(p, kept[i])); p += 2)
			if ((p == s || p[-1] == ' ') && (p[2] == ' ' || !p[2]))
				set |= 1u << i;
	return set;
}

/* Adjacent lines the model keeps as one mapping: same kind and backing (for anonymous memory
 * the offset is the address, so adjacency is contiguity), contiguous file offsets, same
 * protections and modelled flags. */
static bool mergeable(const struct line *a, const struct line *b)
{
	if (a->end != b->start || strcmp(a->perms, b->perms) ||
	    modelled_vmflags(a->vmflags) != modelled_vmflags(b->vmflags) ||
	    strcmp(a->path, b->path))
		return false;
	if (anon_line(a) && anon_line(b))
		return true;
	return file_line(a) && file_line(b) && !strcmp(a->dev, b->dev) && a->ino == b->ino &&
	       a->off + (a->end - a->start) == b->off;
}

static size_t expected_count(const struct line *v, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i].start >= USER_TOP)
			continue; /* [vsyscall]: the gate area */
		if (i && mergeable(&v[i - 1], &v[i]))
			continue;
		count++;
	}
	return count;
}

static const struct line *find_line(const struct line *v, size_t n, const char *path,
				    const char *perms)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].path, path) && (!perms || !strcmp(v[i].perms, perms)))
			return &v[i];
	return NULL;
}

static void check_stored(const char *file)
{
	char *text = slurp(file);
	struct line *v;
	size_t n = parse_lines(text, &v);
	const struct line *l, *text_line;
	struct mapping *m;

	ck_assert_uint_gt(n, 5);
	import_ok(text);
	import_invariants(&M);
	ck_assert_uint_eq(M.count, expected_count(v, n));

	/* [stack]: anonymous kernel memory that grows down */
	l = find_line(v, n, "[stack]", NULL);
	ck_assert_ptr_nonnull(l);
	m = mm_find(&M, l->start);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->kind, MK_ANON);
	ck_assert(m->flags & MF_GROWSDOWN);
	ck_assert(m->flags & MF_KERNEL);
	ck_assert_ptr_null(m->vmo);
	ck_assert_int_eq(m->prot, RW);
	ck_assert_uint_eq(m->end, l->end);

	/* [vdso]: special, r-x, named by a static string */
	l = find_line(v, n, "[vdso]", NULL);
	ck_assert_ptr_nonnull(l);
	m = mm_find(&M, l->start);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->kind, MK_SPECIAL);
	ck_assert_str_eq(m->name, "[vdso]");
	ck_assert_int_eq(m->prot, RX);

	/* [vvar]: special, read-only for good (no mw/me) */
	l = find_line(v, n, "[vvar]", NULL);
	ck_assert_ptr_nonnull(l);
	m = mm_find(&M, l->start);
	ck_assert_int_eq(m->kind, MK_SPECIAL);
	ck_assert_int_eq(m->max_prot, PROT_READ);

	/* [heap]: anonymous, brk memory, and the program break follows it */
	l = find_line(v, n, "[heap]", NULL);
	ck_assert_ptr_nonnull(l);
	m = mm_find(&M, l->start);
	ck_assert_int_eq(m->kind, MK_ANON);
	ck_assert(m->flags & MF_BRK);
	ck_assert_uint_eq(M.start_brk, l->start);
	ck_assert_uint_eq(M.brk, l->end);

	/* The binary's text: the first line's file, r-x, private, no descriptor yet */
	text_line = find_line(v, n, v[0].path, "r-xp");
	ck_assert_ptr_nonnull(text_line);
	m = mm_find(&M, text_line->start);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->kind, MK_FILE);
	ck_assert_int_eq(m->prot, RX);
	ck_assert_int_eq(m->max_prot, PROT_READ | PROT_WRITE | PROT_EXEC);
	ck_assert(!(m->flags & MF_SHARED));
	ck_assert_uint_eq(m->off, text_line->off);
	ck_assert_int_eq(m->file->fd, -1);
	ck_assert_int_eq(m->file->prog_fd, -1);
	ck_assert_str_eq(m->file->path, v[0].path);
	ck_assert_uint_eq(m->file->ino, text_line->ino);
	/* Every line of the binary shares that one file */
	ck_assert_ptr_eq(mm_find(&M, v[0].start)->file, m->file);

	/* [vsyscall] is the gate area, outside the model */
	ck_assert_ptr_null(mm_find(&M, 0xffffffffff600000ULL));

	mm_destroy(&M);
	free(v);
	free(text);
}

START_TEST(test_stored_cat_dynamic_imports_with_the_lines_kinds_and_flags)
{
	check_stored("tests/data/smaps/cat-dynamic.smaps");
}
END_TEST

START_TEST(test_stored_static_binary_imports_with_the_lines_kinds_and_flags)
{
	check_stored("tests/data/smaps/static.smaps");
}
END_TEST

START_TEST(test_stored_python3_imports_with_the_lines_kinds_and_flags)
{
	check_stored("tests/data/smaps/python3.smaps");
}
END_TEST

START_TEST(test_stored_cat_shared_readonly_file_is_shared_without_may_write)
{
	char *text = slurp("tests/data/smaps/cat-dynamic.smaps");
	struct line *v;
	size_t n = parse_lines(text, &v);
	const struct line *l =
	    find_line(v, n, "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache", NULL);
	struct mapping *m;

	ck_assert_ptr_nonnull(l);
	import_ok(text);
	m = mm_find(&M, l->start);
	ck_assert_int_eq(m->kind, MK_FILE);
	ck_assert(m->flags & MF_SHARED);
	ck_assert_int_eq(m->prot, PROT_READ);
	ck_assert_int_eq(m->max_prot, PROT_READ | PROT_EXEC);
	ck_assert_int_eq(m->file->oflags & O_ACCMODE, O_RDONLY);
	/* Data of the data segment: counted as data_vm, anonymous lines as well */
	ck_assert_uint_gt(M.data_pages, 0);
	mm_destroy(&M);
	free(v);
	free(text);
}
END_TEST

START_TEST(test_imported_texts_pass_mm_check)
{
	const char *files[] = {"tests/data/smaps/cat-dynamic.smaps",
			       "tests/data/smaps/static.smaps", "tests/data/smaps/python3.smaps"};

	for (size_t i = 0; i < 3; i++) {
		char *text = slurp(files[i]), buf[512] = "";
		int r;

		import_ok(text);
		r = mm_check(&M, buf, sizeof(buf));
		ck_assert_msg(r == 0, "%s: mm_check: %s", files[i], buf);
		mm_destroy(&M);
		free(text);
	}
}
END_TEST

START_TEST(test_text_without_anonymous_lines_passes_mm_check)
{
	static const char text[] =
	    "00400000-00401000 r--p 00000000 fe:00 12                    /bin/prog\n"
	    "00401000-00402000 r-xp 00001000 fe:00 12                    /bin/prog\n"
	    "7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0             [vdso]\n";

	import_ok(text);
	TU_CHECK(&M);
	ck_assert_uint_eq(M.count, 3);
	ck_assert_uint_eq(M.start_brk, 0);
	mm_destroy(&M);
}
END_TEST

START_TEST(test_adjacent_compatible_lines_merge_and_others_do_not)
{
	static const char text[] = "10000000-10001000 rw-p 00000000 00:00 0 \n"
				   "VmFlags: rd wr mr mw me ac \n"
				   "10001000-10003000 rw-p 00000000 00:00 0 \n"
				   "VmFlags: rd wr mr mw me ac \n"
				   /* different flags (dontfork): not merged */
				   "10003000-10004000 rw-p 00000000 00:00 0 \n"
				   "VmFlags: rd wr mr mw me dc ac \n"
				   /* one file, contiguous offsets: merged */
				   "20000000-20001000 r--p 00000000 fe:00 7     /lib/a.so\n"
				   "20001000-20002000 r--p 00001000 fe:00 7     /lib/a.so\n"
				   /* same file, same offset again (RELRO): not merged */
				   "20002000-20003000 r--p 00001000 fe:00 7     /lib/a.so\n";
	struct mapping *m;

	import_ok(text);
	import_invariants(&M);
	ck_assert_uint_eq(M.count, 4);
	m = mm_find(&M, 0x10000000);
	ck_assert_uint_eq(m->end, 0x10003000);
	ck_assert_uint_eq(m->off, 0x10000000); /* anonymous: the address, as Linux's vm_pgoff */
	ck_assert(mm_find(&M, 0x10003000)->flags & MF_DONTFORK);
	m = mm_find(&M, 0x20000000);
	ck_assert_uint_eq(m->end, 0x20002000);
	ck_assert_ptr_eq(mm_find(&M, 0x20002000)->file, m->file);
	mm_destroy(&M);
}
END_TEST

START_TEST(test_vmflags_give_max_prot_and_flags)
{
	static const char text[] = "10000000-10001000 rw-p 00000000 00:00 0 \n"
				   "VmFlags: rd wr mr mw lo dc wf nr \n"
				   "10002000-10003000 r--s 00000000 00:05 99     /dev/shm/seg\n"
				   "VmFlags: rd sh mr mw ms \n"
				   "10004000-10005000 ---p 00000000 00:00 0 \n"
				   "VmFlags: mr mw me zz xyz nh \n"
				   "10006000-10008000 rw-p 00000000 00:00 0 \n"
				   "VmFlags: rd wr mr mw me lo lf \n";
	struct mapping *m;

	import_ok(text);
	import_invariants(&M);
	m = mm_find(&M, 0x10000000);
	ck_assert_int_eq(m->max_prot, RW);
	ck_assert_uint_eq(m->flags & ~MF_KERNEL,
			  MF_LOCKED | MF_DONTFORK | MF_WIPEONFORK | MF_NORESERVE);
	m = mm_find(&M, 0x10002000);
	ck_assert_int_eq(m->kind, MK_FILE);
	ck_assert_uint_eq(m->flags, MF_SHARED);
	ck_assert_int_eq(m->max_prot, RW);
	ck_assert_int_eq(m->file->oflags & O_ACCMODE, O_RDWR);
	ck_assert(m->file->noexec); /* no VM_MAYEXEC: a noexec mount */
	m = mm_find(&M, 0x10004000);
	ck_assert_int_eq(m->prot, PROT_NONE);
	ck_assert_uint_eq(m->flags & ~MF_KERNEL, MF_STACK); /* nh; zz and xyz are skipped */
	m = mm_find(&M, 0x10006000);
	ck_assert_uint_eq(m->flags & ~MF_KERNEL, MF_LOCKED | MF_LOCKONFAULT);
	ck_assert_uint_eq(M.locked_pages, 3);
	mm_destroy(&M);
}
END_TEST

START_TEST(test_missing_vmflags_are_derived_from_perms)
{
	/* /proc/PID/maps text: no key lines at all */
	static const char text[] = "00400000-00401000 r-xp 00000000 08:01 5      /bin/x\n"
				   "00600000-00601000 r--s 00000000 08:01 6      /tmp/shared\n"
				   "7ff000000000-7ff000021000 rw-p 00000000 00:00 0      [stack]\n";
	struct mapping *m;

	import_ok(text);
	import_invariants(&M);
	ck_assert_int_eq(mm_find(&M, 0x400000)->max_prot, PROT_READ | PROT_WRITE | PROT_EXEC);
	m = mm_find(&M, 0x600000);
	ck_assert_int_eq(m->max_prot, PROT_READ | PROT_EXEC);
	ck_assert(m->flags & MF_SHARED);
	m = mm_find(&M, 0x7ff000000000);
	ck_assert(m->flags & MF_GROWSDOWN);
	ck_assert_int_eq(m->kind, MK_ANON);
	mm_destroy(&M);
}
END_TEST

START_TEST(test_paths_with_spaces_deleted_suffix_escapes_and_long_lines)
{
	size_t longlen = 6000;
	char *longpath = malloc(longlen + 2), *text;
	struct mapping *m;
	FILE *f;
	size_t len;

	longpath[0] = '/';
	memset(longpath + 1, 'x', longlen);
	longpath[longlen + 1] = 0;
	f = open_memstream(&text, &len);
	fprintf(f,
		"10000000-10001000 r--p 00000000 fe:00 11   /tmp/my lib (1).so\n"
		"Size:                  4 kB\n"
		"VmFlags: rd mr mw me \n"
		"10001000-10002000 r--p 00000000 fe:00 12   /tmp/gone.so (deleted)\n"
		"10002000-10003000 r--p 00000000 fe:00 13   /tmp/new\\012line\n"
		"10003000-10004000 r--p 00000000 fe:00 14   %s\n"
		"VmFlags: rd mr mw me %s\n"
		"\n"
		"10004000-10005000 r--p 00000000 fe:00 15   /tmp/dos\r\n"
		"VmFlags: rd mr mw me\r\n"
		"\r\n",
		longpath,
		"qq qq qq qq qq qq qq qq qq qq qq qq qq qq qq qq qq qq qq qq qq qq qq qq");
	fclose(f);
	import_ok(text);
	import_invariants(&M);
	ck_assert_uint_eq(M.count, 5);
	ck_assert_str_eq(mm_find(&M, 0x10000000)->file->path, "/tmp/my lib (1).so");
	ck_assert_str_eq(mm_find(&M, 0x10004000)->file->path, "/tmp/dos");
	m = mm_find(&M, 0x10001000);
	ck_assert_str_eq(m->file->path, "/tmp/gone.so");
	ck_assert_uint_eq(m->file->ino, 12);
	ck_assert_uint_eq(m->file->dev, makedev(0xfe, 0));
	ck_assert_str_eq(mm_find(&M, 0x10002000)->file->path, "/tmp/new\nline");
	ck_assert_str_eq(mm_find(&M, 0x10003000)->file->path, longpath);
	mm_destroy(&M);
	free(text);
	free(longpath);
}
END_TEST

START_TEST(test_special_kinds_and_names)
{
	static const char text[] =
	    "10000000-10001000 rw-s 00000000 00:01 32768   /SYSV0000abcd (deleted)\n"
	    "10002000-10003000 rw-s 00000000 00:06 17      /dev/dri/card0\n"
	    "10004000-10005000 rw-s 00000000 00:0e 9       anon_inode:[perf_event]\n"
	    "10006000-10007000 r--p 00000000 00:00 0       [uprobes]\n"
	    "10008000-10009000 r--p 00000000 00:00 0       [something_new]\n"
	    "1000a000-1000b000 rw-p 00000000 00:00 0       [anon:my pool]\n"
	    "1000c000-1000d000 rw-s 00000000 00:01 5       /dev/zero (deleted)\n"
	    "1000e000-1000f000 rw-s 00000000 00:19 5       /weird/mmio\n"
	    "VmFlags: rd wr sh mr mw me ms pf io \n"
	    "10010000-10011000 rw-p 00000000 00:00 0       [vvar_vclock]\n"
	    "10012000-10013000 rw-p 00000000 00:10 4       /anon_hugepage (deleted)\n"
	    "VmFlags: rd wr mr mw me ht \n";
	static const struct {
		uint64_t addr;
		enum mapping_kind kind;
		const char *name;
	} want[] = {
	    {0x10000000, MK_SPECIAL, "[sysv-shm]"},    {0x10002000, MK_SPECIAL, "[device]"},
	    {0x10004000, MK_SPECIAL, "[special]"},     {0x10006000, MK_SPECIAL, "[uprobes]"},
	    {0x10008000, MK_SPECIAL, "[special]"},     {0x1000a000, MK_ANON, NULL},
	    {0x1000c000, MK_SPECIAL, "[device]"},      {0x1000e000, MK_SPECIAL, "[device]"},
	    {0x10010000, MK_SPECIAL, "[vvar_vclock]"}, {0x10012000, MK_ANON, NULL},
	};

	import_ok(text);
	import_invariants(&M);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct mapping *m = mm_find(&M, want[i].addr);

		ck_assert_ptr_nonnull(m);
		ck_assert_msg(m->kind == want[i].kind, "%#lx: kind %d", want[i].addr, m->kind);
		if (want[i].name)
			ck_assert_str_eq(m->name, want[i].name);
	}
	ck_assert(mm_find(&M, 0x10012000)->flags & MF_HUGETLB);
	mm_destroy(&M);
}
END_TEST

START_TEST(test_heap_sets_the_break_only_without_a_configured_one)
{
	static const char text[] = "20000000-20003000 rw-p 00000000 00:00 0     [heap]\n";
	struct mm_config c = user_cfg();
	int bad;

	c.start_brk = 0x20001000;
	ck_assert_int_eq(mm_import(&M, &c, text, &bad), 0);
	ck_assert_uint_eq(M.start_brk, 0x20001000);
	ck_assert_uint_eq(M.brk, 0x20001000);
	ck_assert(mm_find(&M, 0x20000000)->flags & MF_BRK);
	mm_destroy(&M);
	import_ok(text);
	ck_assert_uint_eq(M.start_brk, 0x20000000);
	ck_assert_uint_eq(M.brk, 0x20003000);
	mm_destroy(&M);
}
END_TEST

START_TEST(test_lines_one_file_share_it_and_a_replaced_file_does_not)
{
	static const char text[] = "10000000-10001000 r--p 00000000 fe:00 7     /lib/a.so\n"
				   "10001000-10002000 r-xp 00001000 fe:00 7     /lib/a.so\n"
				   "10002000-10003000 r--p 00000000 fe:00 8     /lib/a.so\n";

	import_ok(text);
	ck_assert_ptr_eq(mm_find(&M, 0x10000000)->file, mm_find(&M, 0x10001000)->file);
	ck_assert_ptr_ne(mm_find(&M, 0x10000000)->file, mm_find(&M, 0x10002000)->file);
	ck_assert_int_eq(mm_find(&M, 0x10000000)->file->refs, 2);
	mm_destroy(&M);
}
END_TEST

START_TEST(test_empty_text_imports_an_empty_space)
{
	import_ok("");
	ck_assert_uint_eq(M.count, 0);
	mm_destroy(&M);
}
END_TEST

/* Malformed texts: -EINVAL with the line number, and nothing to release. */
START_TEST(test_malformed_texts_fail_with_their_line)
{
	static const struct {
		const char *text;
		int line;
	} cases[] = {
	    {"Size: 4 kB\n", 1},
	    {"10000000-10001000 rw-p 00000000 00:00 0\nVmFlags: rd\nnot a key line\n", 3},
	    {"10000000-10001000 rw-p 00000000 00:00 0\n10001000-10002000 rwzp 0 00:00 0\n", 2},
	    {"\n\n10000800-10001000 rw-p 00000000 00:00 0\n", 3},
	    {"10002000-10001000 rw-p 00000000 00:00 0\n", 1},
	    {"10001000-10001000 rw-p 00000000 00:00 0\n", 1},
	    {"10000000-10001000 rw-p 00000800 fe:00 3 /x\n", 1},
	    {"10000000-10001000 rw-p 00000000 00-00 0\n", 1},
	    {"10000000-10001000 rw-p 00000000 00:00 0abc\n", 1},
	    {"10000000-10001000 rw-p 00000000 00:00\n", 1},
	    {"10000000-10001000 rw-p\n", 1},
	    {"10000000-\n", 1},
	    {"110000000000000000-110000000000001000 rw-p 00000000 00:00 0\n", 1},
	    /* overlap: the second line */
	    {"10000000-10003000 rw-p 0 00:00 0\nVmFlags: rd\n10002000-10004000 r--p 0 00:00 0\n",
	     3},
	    /* duplicate line */
	    {"10000000-10001000 r--p 0 00:00 0\n10000000-10001000 r--p 0 00:00 0\n", 2},
	    /* outside the user range, not the gate area */
	    {"10000000-10001000 r--p 0 00:00 0\n800000000000-800000001000 r--p 0 00:00 0\n", 2},
	    {"0-1000 r--p 0 00:00 0\n", 1},
	};
	int fds = tu_count_fds();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int bad = -1, r = import(cases[i].text, &bad);

		ck_assert_msg(r == -EINVAL && bad == cases[i].line,
			      "case %zu: r=%d line %d, want -EINVAL line %d", i, r, bad,
			      cases[i].line);
	}
	ck_assert_int_eq(tu_count_fds(), fds);
}
END_TEST

START_TEST(test_lines_outside_the_vmar_range_fail_but_outside_its_window_do_not)
{
	static const char text[] = "10000000-10001000 r--p 00000000 00:00 0\n"
				   "30000000-30001000 r--p 00000000 00:00 0\n";
	struct mm_config c = user_cfg();
	int bad;

	/* placement window [0x20000000, 0x40000000): the first line is outside it, fine */
	c.vmar.place_lo = 0x20000000;
	c.vmar.place_hi = c.vmar.top = 0x40000000;
	ck_assert_int_eq(mm_import(&M, &c, text, &bad), 0);
	ck_assert_uint_eq(M.count, 2);
	mm_destroy(&M);
	/* VMAR range [0x20000000, 0x40000000): the first line is outside it */
	c.vmar.base = 0x20000000;
	c.vmar.size = 0x20000000;
	ck_assert_int_eq(mm_import(&M, &c, text, &bad), -EINVAL);
	ck_assert_int_eq(bad, 1);
	/* the reserved slot is not the program's */
	c = user_cfg();
	c.vmar.slot = 0x30000000;
	c.vmar.slot_size = 2 * P;
	ck_assert_int_eq(mm_import(&M, &c, text, &bad), -EINVAL);
	ck_assert_int_eq(bad, 2);
}
END_TEST

START_TEST(test_bad_vmar_configuration_is_refused)
{
	struct mm_config c = user_cfg();
	int bad = -1;

	c.vmar.base = 123;
	ck_assert_int_eq(mm_import(&M, &c, "", &bad), -EINVAL);
	ck_assert_int_eq(bad, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("import");

	tcase_add_test(tc, test_stored_cat_dynamic_imports_with_the_lines_kinds_and_flags);
	tcase_add_test(tc, test_stored_static_binary_imports_with_the_lines_kinds_and_flags);
	tcase_add_test(tc, test_stored_python3_imports_with_the_lines_kinds_and_flags);
	tcase_add_test(tc, test_stored_cat_shared_readonly_file_is_shared_without_may_write);
	tcase_add_test(tc, test_imported_texts_pass_mm_check);
	tcase_add_test(tc, test_text_without_anonymous_lines_passes_mm_check);
	tcase_add_test(tc, test_adjacent_compatible_lines_merge_and_others_do_not);
	tcase_add_test(tc, test_vmflags_give_max_prot_and_flags);
	tcase_add_test(tc, test_missing_vmflags_are_derived_from_perms);
	tcase_add_test(tc, test_paths_with_spaces_deleted_suffix_escapes_and_long_lines);
	tcase_add_test(tc, test_special_kinds_and_names);
	tcase_add_test(tc, test_heap_sets_the_break_only_without_a_configured_one);
	tcase_add_test(tc, test_lines_one_file_share_it_and_a_replaced_file_does_not);
	tcase_add_test(tc, test_empty_text_imports_an_empty_space);
	tcase_add_test(tc, test_malformed_texts_fail_with_their_line);
	tcase_add_test(tc, test_lines_outside_the_vmar_range_fail_but_outside_its_window_do_not);
	tcase_add_test(tc, test_bad_vmar_configuration_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
