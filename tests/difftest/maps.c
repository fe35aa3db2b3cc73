/*
 * Reading the kernel's view: /proc/self/smaps (or maps) restricted to the two regions,
 * with the VmFlags the model keeps too (gd lo lf nr nh dc wf),
 * turned into layouts; VmData/VmLck from /proc/self/status; start_data/end_data from
 * /proc/self/stat.
 *
 * Nothing here allocates memory: maps_read() runs while placeholders are lifted from the
 * native region, when a malloc could place the harness's own memory in a lifted hole. The
 * files are read with open/read into static buffers.
 *
 * A layout is a list of segments relative to a region base, with placeholders left out and
 * adjacent segments of equal attributes merged, so the kernel's VMA merging (native side)
 * and the model's memfd mappings (one VMA per VMO range) compare equal when they describe
 * the same address space.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/difftest/dt.h"

static char buf[8 << 20];

static ssize_t slurp(const char *path, char *b, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return -errno;
	while (n < size - 1 && (r = read(fd, b + n, size - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (n >= size - 1)
		return -EFBIG;
	b[n] = 0;
	return (ssize_t)n;
}

static uint64_t hex(const char **p)
{
	uint64_t v = 0;

	for (;; (*p)++) {
		char c = **p;

		if (c >= '0' && c <= '9')
			v = v * 16 + (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uint64_t)(c - 'a' + 10);
		else
			return v;
	}
}

static const char *skip_field(const char *p)
{
	while (*p == ' ')
		p++;
	while (*p && *p != ' ' && *p != '\n')
		p++;
	return p;
}

static bool is_header(const char *p)
{
	const char *q = p;

	while ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f'))
		q++;
	return q > p && *q == '-';
}

static unsigned vmflags(const char *p)
{
	unsigned a = 0;

	while (*p && *p != '\n') {
		while (*p == ' ')
			p++;
		if (p[0] == 'g' && p[1] == 'd')
			a |= A_GROWSDOWN;
		else if (p[0] == 'l' && p[1] == 'o')
			a |= A_LOCKED;
		else if (p[0] == 'n' && p[1] == 'r')
			a |= A_NORESERVE;
		else if (p[0] == 'n' && p[1] == 'h')
			a |= A_NOHUGE;
		else if (p[0] == 'l' && p[1] == 'f')
			a |= A_LOCKONFAULT;
		else if (p[0] == 'd' && p[1] == 'c')
			a |= A_DONTFORK;
		else if (p[0] == 'w' && p[1] == 'f')
			a |= A_WIPEONFORK;
		p = skip_field(p);
	}
	return a;
}

/* Parses one header line into e (clipped to [base, base + size)); false when outside. */
static bool parse_header(const char *p, uint64_t base, uint64_t size, struct rawmap *e)
{
	uint64_t start, end, ino = 0, off;
	const char *perm, *name;
	size_t len;

	start = hex(&p);
	p++;
	end = hex(&p);
	if (end <= base || start >= base + size)
		return false;
	perm = ++p;
	p = skip_field(p); /* perms */
	p++;
	off = hex(&p);	   /* offset */
	p = skip_field(p); /* dev */
	while (*p == ' ')
		p++;
	while (*p >= '0' && *p <= '9')
		ino = ino * 10 + (uint64_t)(*p++ - '0');
	while (*p == ' ')
		p++;
	name = p;
	len = strcspn(name, "\n");
	memset(e, 0, sizeof(*e));
	e->start = start < base ? base : start;
	e->end = end > base + size ? base + size : end;
	e->attr = (perm[0] == 'r' ? A_R : 0) | (perm[1] == 'w' ? A_W : 0) |
		  (perm[2] == 'x' ? A_X : 0) | (perm[3] == 's' ? A_SHARED : 0);
	if (len >= sizeof(e->name))
		len = sizeof(e->name) - 1;
	memcpy(e->name, name, len);
	e->hole = strstr(e->name, SELF_HOLE_NAME) != NULL;
	e->ino = ino;
	e->off = off + (e->start - start);
	e->file = ino != 0 && strncmp(e->name, "/memfd:", 7) != 0;
	return true;
}

int maps_read2(bool smaps, struct region_maps *nat, struct region_maps *mod)
{
	ssize_t n = slurp(smaps ? "/proc/self/smaps" : "/proc/self/maps", buf, sizeof(buf));
	struct rawmap *cur = NULL;
	const char *p = buf;

	if (n < 0)
		return (int)n;
	if (nat)
		nat->n = 0;
	if (mod)
		mod->n = 0;
	while (*p) {
		if (is_header(p)) {
			struct rawmap e;

			cur = NULL;
			if (nat && parse_header(p, dt.nbase, DT_REGION, &e) &&
			    nat->n < (int)(sizeof(nat->m) / sizeof(nat->m[0]))) {
				nat->m[nat->n] = e;
				cur = &nat->m[nat->n++];
			} else if (mod && parse_header(p, dt.mbase, DT_REGION, &e) &&
				   mod->n < (int)(sizeof(mod->m) / sizeof(mod->m[0]))) {
				mod->m[mod->n] = e;
				cur = &mod->m[mod->n++];
			}
		} else if (cur && strncmp(p, "VmFlags:", 8) == 0) {
			cur->attr |= vmflags(p + 8);
		}
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
	return 0;
}

void layout_add(struct layout *l, uint64_t start, uint64_t end, unsigned attr)
{
	struct seg *last = l->n ? &l->s[l->n - 1] : NULL;

	if (start >= end)
		return;
	if (last && last->end == start && last->attr == attr) {
		last->end = end;
		return;
	}
	if (l->n == DT_MAXSEG) {
		fprintf(stderr, "difftest: layout overflow (%d segments)\n", DT_MAXSEG);
		abort();
	}
	l->s[l->n++] = (struct seg){start, end, attr};
}

void layout_from_maps(const struct region_maps *rm, uint64_t base, unsigned mask,
		      struct layout *out)
{
	out->n = 0;
	for (int i = 0; i < rm->n; i++)
		if (!rm->m[i].hole)
			layout_add(out, rm->m[i].start - base, rm->m[i].end - base,
				   rm->m[i].attr & mask);
}

void layout_clip(const struct layout *in, uint64_t lo, uint64_t hi, uint64_t shift, unsigned mask,
		 struct layout *out)
{
	out->n = 0;
	for (int i = 0; i < in->n; i++) {
		uint64_t s = in->s[i].start < lo ? lo : in->s[i].start;
		uint64_t e = in->s[i].end > hi ? hi : in->s[i].end;

		if (s < e)
			layout_add(out, s - shift, e - shift, in->s[i].attr & mask);
	}
}

bool layout_equal(const struct layout *a, const struct layout *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->s[i].start != b->s[i].start || a->s[i].end != b->s[i].end ||
		    a->s[i].attr != b->s[i].attr)
			return false;
	return true;
}

void layout_print(FILE *f, const char *title, const struct layout *l)
{
	fprintf(f, "  %s (%d):\n", title, l->n);
	for (int i = 0; i < l->n; i++) {
		unsigned a = l->s[i].attr;

		fprintf(f, "    %06" PRIx64 "-%06" PRIx64 " %c%c%c%c%s%s%s%s%s%s%s\n",
			l->s[i].start, l->s[i].end, a & A_R ? 'r' : '-', a & A_W ? 'w' : '-',
			a & A_X ? 'x' : '-', a & A_SHARED ? 's' : 'p', a & A_GROWSDOWN ? " gd" : "",
			a & A_LOCKED ? " lo" : "", a & A_LOCKONFAULT ? " lf" : "",
			a & A_NORESERVE ? " nr" : "", a & A_NOHUGE ? " nh" : "",
			a & A_DONTFORK ? " dc" : "", a & A_WIPEONFORK ? " wf" : "");
	}
}

long status_field_kb(const char *name)
{
	static char sbuf[8192];
	size_t len = strlen(name);
	const char *p;

	if (slurp("/proc/self/status", sbuf, sizeof(sbuf)) < 0)
		return -1;
	for (p = sbuf; *p; p += strcspn(p, "\n"), p += *p != 0)
		if (strncmp(p, name, len) == 0 && p[len] == ':')
			return strtol(p + len + 1, NULL, 10);
	return -1;
}

int stat_field(int n, uint64_t *out)
{
	static char sbuf[4096];
	const char *p;

	if (slurp("/proc/self/stat", sbuf, sizeof(sbuf)) < 0)
		return -EIO;
	p = strrchr(sbuf, ')');
	if (!p || n < 3)
		return -EIO;
	/* field 3 of proc(5) follows the command's closing parenthesis */
	for (p++; *p && n > 3; n--)
		p = skip_field(p);
	*out = strtoull(p, NULL, 10);
	return 0;
}

int maps_window(uint64_t base, uint64_t size, struct layout *out)
{
	ssize_t n = slurp("/proc/self/maps", buf, sizeof(buf));
	const char *p = buf;

	if (n < 0)
		return (int)n;
	out->n = 0;
	while (*p) {
		struct rawmap e;

		if (is_header(p) && parse_header(p, base, size, &e) && !e.hole)
			layout_add(out, e.start - base, e.end - base, e.attr & A_RWX);
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
	return 0;
}

void maps_print_region(FILE *f, const char *title, uint64_t base, uint64_t size)
{
	ssize_t n = slurp("/proc/self/maps", buf, sizeof(buf));
	const char *p = buf;

	fprintf(f, "  %s (/proc/self/maps, base %#" PRIx64 "):\n", title, base);
	if (n < 0)
		return;
	while (*p) {
		size_t len = strcspn(p, "\n");
		struct rawmap e;

		if (is_header(p) && parse_header(p, base, size, &e))
			fprintf(f, "    +%06" PRIx64 " %.*s\n", e.start - base, (int)len, p);
		p += len;
		if (*p)
			p++;
	}
}
