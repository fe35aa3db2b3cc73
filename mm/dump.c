/*
 * mm_dump: the model in /proc/PID/maps form, each line followed by its backing, so that a
 * reader sees how Linux ranges map onto VMOs:
 *
 *   7f0000000000-7f0000001000 rw-p 00000000 anon vmo=12 off=0x0 size=0x1000 committed=0x1000
 */
#include <inttypes.h>

#include "mm/internal.h"

static void perms(const struct mapping *m, char out[5])
{
	out[0] = m->prot & PROT_READ ? 'r' : '-';
	out[1] = m->prot & PROT_WRITE ? 'w' : '-';
	out[2] = m->prot & PROT_EXEC ? 'x' : '-';
	out[3] = m->flags & MF_SHARED ? 's' : 'p';
	out[4] = 0;
}

void mm_dump(struct mm *mm, FILE *out)
{
	for (struct mapping *m = mm_first(mm); m; m = mm_next(mm, m)) {
		char p[5];

		perms(m, p);
		fprintf(out, "%012" PRIx64 "-%012" PRIx64 " %s %08" PRIx64 " %-7s", m->start,
			m->end, p, m->off, mapping_kind_name(m->kind));
		if (m->kind == MK_ANON && (m->flags & MF_KERNEL))
			fputs(" kernel (not adopted)", out);
		else if (m->kind == MK_ANON)
			fprintf(out, " vmo=%" PRIu64 " off=%#" PRIx64 " size=%#" PRIx64
				     " committed=%#" PRIx64,
				vmo_koid(m->vmo), m->off, vmo_get_size(m->vmo),
				vmo_committed(m->vmo));
		else if (m->kind == MK_FILE)
			fprintf(out, " %s", m->file->path ? m->file->path : "(file)");
		else
			fprintf(out, " %s", m->name ? m->name : "");
		if (m->flags & MF_GROWSDOWN)
			fputs(" growsdown", out);
		if (m->flags & MF_LOCKED)
			fputs(" locked", out);
		if (m->flags & MF_BRK)
			fputs(" [heap]", out);
		if (m->flags & MF_GUARD)
			fputs(" guard", out);
		fputc('\n', out);
	}
	if (mm->start_brk)
		fprintf(out, "brk %#" PRIx64 " (start %#" PRIx64 ")\n", mm->brk, mm->start_brk);
}
