/*
 * fault_crash_report: the report starmm-run prints when a traced program dies of a signal
 * (what it contains and its invariants: fault/crash.h).
 *
 * How it reads the tracee. The header comes from the siginfo and /proc/TID/{status,comm}.
 * The neighbourhood comes from the model only: the report shows what starmm believes, which
 * is what a reader needs to tell a program's bug from a model/real mismatch. The backtrace
 * comes from libunwind's ptrace accessors (registers with PTRACE_PEEKUSER, memory with
 * PTRACE_PEEKDATA, unwind tables and symbols from the object files /proc/TID/maps names);
 * frames are collected first, then one pass over /proc/TID/maps names the object of every
 * frame, so a process with many mappings costs one read of its maps, not one per frame.
 *
 * A tracee that dies during the report shows up as ESRCH (ptrace) or ENOENT/ESRCH (/proc):
 * the part being written ends with a note, the rest is skipped where it needs the tracee,
 * and the result is -ESRCH.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include <libunwind-ptrace.h>

#include "fault/crash.h"
#include "mm/mm.h"
#include "vmo/vmo.h"

/* x86 shadow-stack violation (Linux 6.6, include/uapi/asm-generic/siginfo.h); glibc 2.36
 * does not name it yet. */
#ifndef SEGV_CPERR
#define SEGV_CPERR 10
#endif

#define NAME_MAX_LEN 512 /* a function name; longer (C++) names are cut */

struct report {
	FILE *out;
	pid_t tid;
	bool gone; /* the tracee vanished (ESRCH) during the report */
};

struct frame {
	uint64_t ip;
	uint64_t lookup; /* the address inside the call: ip - 1 for a return address */
	uint64_t off;
	bool named;
	char name[NAME_MAX_LEN];
	char *object; /* the /proc/TID/maps path holding lookup (malloc'd), or NULL */
	bool anon;    /* lookup lies in a mapping without a path */
};

/* An error of ptrace or /proc that means the tracee is gone. */
static void note_errno(struct report *r, int err)
{
	if (err == ESRCH || err == ENOENT)
		r->gone = true;
}

/* --- The header --- */

struct code_name {
	int sig; /* 0: a generic code (SI_*), valid for every signal */
	int code;
	const char *name;
};

static const struct code_name code_names[] = {
    {SIGSEGV, SEGV_MAPERR, "SEGV_MAPERR"},
    {SIGSEGV, SEGV_ACCERR, "SEGV_ACCERR"},
    {SIGSEGV, SEGV_BNDERR, "SEGV_BNDERR"},
    {SIGSEGV, SEGV_PKUERR, "SEGV_PKUERR"},
    {SIGSEGV, SEGV_CPERR, "SEGV_CPERR"},
    {SIGBUS, BUS_ADRALN, "BUS_ADRALN"},
    {SIGBUS, BUS_ADRERR, "BUS_ADRERR"},
    {SIGBUS, BUS_OBJERR, "BUS_OBJERR"},
    {SIGBUS, BUS_MCEERR_AR, "BUS_MCEERR_AR"},
    {SIGBUS, BUS_MCEERR_AO, "BUS_MCEERR_AO"},
    {SIGILL, ILL_ILLOPC, "ILL_ILLOPC"},
    {SIGILL, ILL_ILLOPN, "ILL_ILLOPN"},
    {SIGILL, ILL_ILLADR, "ILL_ILLADR"},
    {SIGILL, ILL_ILLTRP, "ILL_ILLTRP"},
    {SIGILL, ILL_PRVOPC, "ILL_PRVOPC"},
    {SIGILL, ILL_PRVREG, "ILL_PRVREG"},
    {SIGILL, ILL_COPROC, "ILL_COPROC"},
    {SIGILL, ILL_BADSTK, "ILL_BADSTK"},
    {SIGILL, ILL_BADIADDR, "ILL_BADIADDR"},
    {SIGFPE, FPE_INTDIV, "FPE_INTDIV"},
    {SIGFPE, FPE_INTOVF, "FPE_INTOVF"},
    {SIGFPE, FPE_FLTDIV, "FPE_FLTDIV"},
    {SIGFPE, FPE_FLTOVF, "FPE_FLTOVF"},
    {SIGFPE, FPE_FLTUND, "FPE_FLTUND"},
    {SIGFPE, FPE_FLTRES, "FPE_FLTRES"},
    {SIGFPE, FPE_FLTINV, "FPE_FLTINV"},
    {SIGFPE, FPE_FLTSUB, "FPE_FLTSUB"},
    {SIGFPE, FPE_FLTUNK, "FPE_FLTUNK"},
    {SIGFPE, FPE_CONDTRAP, "FPE_CONDTRAP"},
    {SIGTRAP, TRAP_BRKPT, "TRAP_BRKPT"},
    {SIGTRAP, TRAP_TRACE, "TRAP_TRACE"},
    {SIGTRAP, TRAP_BRANCH, "TRAP_BRANCH"},
    {SIGTRAP, TRAP_HWBKPT, "TRAP_HWBKPT"},
    {0, SI_USER, "SI_USER"},
    {0, SI_KERNEL, "SI_KERNEL"},
    {0, SI_QUEUE, "SI_QUEUE"},
    {0, SI_TIMER, "SI_TIMER"},
    {0, SI_MESGQ, "SI_MESGQ"},
    {0, SI_ASYNCIO, "SI_ASYNCIO"},
    {0, SI_SIGIO, "SI_SIGIO"},
    {0, SI_TKILL, "SI_TKILL"},
    {0, SI_DETHREAD, "SI_DETHREAD"},
};

/* Positive codes other than SI_KERNEL belong to the signal (siginfo.h, "signal specific"). */
static bool specific(int code)
{
	return code > 0 && code != SI_KERNEL;
}

static const char *code_name(int sig, int code, char *buf, size_t len)
{
	int want = specific(code) ? sig : 0;

	for (size_t i = 0; i < sizeof(code_names) / sizeof(code_names[0]); i++)
		if (code_names[i].sig == want && code_names[i].code == code)
			return code_names[i].name;
	snprintf(buf, len, "si_code %d", code);
	return buf;
}

static const char *sig_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

/* Whether si_addr is meaningful: the CPU's faults fill it (sigaction(2), "si_addr"). */
static bool has_addr(const siginfo_t *si)
{
	switch (si->si_signo) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
		return specific(si->si_code);
	default:
		return false;
	}
}

static bool sent_by_process(int code)
{
	return code == SI_USER || code == SI_TKILL || code == SI_QUEUE;
}

/* /proc/PID/WHAT into buf (NUL-terminated). Its length, or -errno. */
static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = 0;
	return n;
}

/* The thread group of tid (its pid), or tid itself when /proc does not say. */
static pid_t tgid_of(struct report *r)
{
	char buf[4096];
	ssize_t n = read_proc(r->tid, "status", buf, sizeof(buf));
	const char *p;

	if (n < 0) {
		note_errno(r, (int)-n);
		return r->tid;
	}
	p = strstr(buf, "\nTgid:");
	return p ? (pid_t)strtol(p + 6, NULL, 10) : r->tid;
}

/* The command name, printable (prctl(PR_SET_NAME) accepts any bytes), or "?". */
static void comm_of(struct report *r, pid_t pid, char *buf, size_t len)
{
	ssize_t n = read_proc(pid, "comm", buf, len);

	if (n <= 0) {
		if (n < 0)
			note_errno(r, (int)-n);
		snprintf(buf, len, "?");
		return;
	}
	buf[strcspn(buf, "\n")] = 0;
	for (char *c = buf; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			*c = '?';
}

static void header(struct report *r, const siginfo_t *si)
{
	pid_t pid = tgid_of(r);
	char comm[64], sbuf[32], cbuf[32];

	comm_of(r, pid, comm, sizeof(comm));
	fprintf(r->out, "starmm-run: pid %d (%s) ", (int)pid, comm);
	if (!si) {
		fputs("killed by a signal whose siginfo could not be read\n", r->out);
		return;
	}
	fprintf(r->out, "killed by %s (%s)", sig_name(si->si_signo, sbuf, sizeof(sbuf)),
		code_name(si->si_signo, si->si_code, cbuf, sizeof(cbuf)));
	if (has_addr(si))
		fprintf(r->out, " at address 0x%" PRIx64, (uint64_t)(uintptr_t)si->si_addr);
	else if (sent_by_process(si->si_code))
		fprintf(r->out, " sent by pid %d (uid %u)", (int)si->si_pid, (unsigned)si->si_uid);
	if (pid != r->tid)
		fprintf(r->out, " in thread %d", (int)r->tid);
	fputc('\n', r->out);
}

/* --- The model around the address --- */

static void print_mapping(FILE *out, const char *mark, const struct mapping *m, uint64_t addr)
{
	fprintf(out, "  %s %012" PRIx64 "-%012" PRIx64 " %c%c%c%c %-7s", mark, m->start, m->end,
		m->prot & PROT_READ ? 'r' : '-', m->prot & PROT_WRITE ? 'w' : '-',
		m->prot & PROT_EXEC ? 'x' : '-', m->flags & MF_SHARED ? 's' : 'p',
		mapping_kind_name(m->kind));
	switch (m->kind) {
	case MK_ANON:
		if (m->vmo)
			fprintf(out, " vmo=%" PRIu64 " off=0x%" PRIx64, vmo_koid(m->vmo), m->off);
		else
			fputs(" kernel memory (no VMO yet)", out);
		break;
	case MK_FILE:
		fprintf(out, " off=0x%" PRIx64 " %s", m->off,
			m->file && m->file->path ? m->file->path : "(file without a path)");
		break;
	case MK_SPECIAL:
		fprintf(out, " %s", m->name ? m->name : "(special)");
		break;
	}
	if (m->flags & MF_GROWSDOWN)
		fputs(" growsdown", out);
	if (m->flags & MF_BRK)
		fputs(" [heap]", out);
	if (m->start <= addr && addr < m->end)
		fprintf(out, " (address at +0x%" PRIx64 ")", addr - m->start);
	fputc('\n', out);
}

static struct mapping *last_mapping(struct mm *mm)
{
	struct mapping *m = mm_first(mm), *n;

	while (m && (n = mm_next(mm, m)))
		m = n;
	return m;
}

static void neighbourhood(struct report *r, const siginfo_t *si, struct mm *mm)
{
	uint64_t addr;
	struct mapping *next, *hit, *below[FAULT_CRASH_NEIGHBOURS], *m;
	int nbelow = 0, nabove = 0;

	if (!si || !has_addr(si)) {
		fputs("mappings: no fault address for this signal\n", r->out);
		return;
	}
	addr = (uint64_t)(uintptr_t)si->si_addr;
	fprintf(r->out, "mappings around 0x%" PRIx64 " (starmm's model):", addr);
	if (!mm) {
		fputs(" the model is not available\n", r->out);
		return;
	}
	fputc('\n', r->out);
	next = mm_find_after(mm, addr);
	hit = next && next->start <= addr ? next : NULL;
	m = hit ? mm_prev(mm, hit) : next ? mm_prev(mm, next) : last_mapping(mm);
	for (; m && nbelow < FAULT_CRASH_NEIGHBOURS; m = mm_prev(mm, m))
		below[nbelow++] = m;
	if (m)
		fputs("     ...\n", r->out);
	else if (!nbelow)
		fputs("     (no mapping below)\n", r->out);
	while (nbelow > 0)
		print_mapping(r->out, "  ", below[--nbelow], addr);
	if (hit) {
		print_mapping(r->out, "=>", hit, addr);
	} else {
		m = next ? mm_prev(mm, next) : last_mapping(mm);
		fprintf(r->out, "  => in a hole between 0x%" PRIx64 " and ", m ? m->end : 0);
		if (next)
			fprintf(r->out, "0x%" PRIx64 "\n", next->start);
		else
			fputs("the end of the address space\n", r->out);
	}
	for (m = hit ? mm_next(mm, hit) : next; m && nabove < FAULT_CRASH_NEIGHBOURS;
	     m = mm_next(mm, m), nabove++)
		print_mapping(r->out, "  ", m, addr);
	if (m)
		fputs("     ...\n", r->out);
	else if (!nabove)
		fputs("     (no mapping above)\n", r->out);
}

/* --- The backtrace --- */

/* One pass over /proc/TID/maps: the object of each frame. */
static void name_objects(struct report *r, struct frame *f, int n)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)r->tid);
	maps = fopen(path, "re");
	if (!maps) {
		note_errno(r, errno);
		return;
	}
	while (getline(&line, &cap, maps) > 0) {
		uint64_t start, end;
		int name_at = 0;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %*s %*s %*s %n", &start, &end,
			   &name_at) < 2 ||
		    !name_at)
			continue;
		line[strcspn(line, "\n")] = 0;
		for (int i = 0; i < n; i++) {
			if (f[i].object || f[i].anon || f[i].lookup < start || f[i].lookup >= end)
				continue;
			if (line[name_at])
				f[i].object = strdup(line + name_at);
			else
				f[i].anon = true;
		}
	}
	free(line);
	fclose(maps);
}

static void print_frames(struct report *r, struct frame *f, int n)
{
	name_objects(r, f, n);
	for (int i = 0; i < n; i++) {
		fprintf(r->out, "  #%d 0x%016" PRIx64 " in ", i, f[i].ip);
		if (f[i].named)
			fprintf(r->out, "%s+0x%" PRIx64, f[i].name, f[i].off);
		else
			fputs("??", r->out);
		fprintf(r->out, " (%s)\n",
			f[i].object ? f[i].object
			: f[i].anon ? "anonymous memory"
				    : "not mapped");
		free(f[i].object);
		f[i].object = NULL;
	}
}

/* Whether the thread can still be read; sets r->gone when it cannot. */
static bool alive(struct report *r)
{
	errno = 0;
	if (ptrace(PTRACE_PEEKUSER, r->tid, offsetof(struct user_regs_struct, rip), 0L) == -1 &&
	    errno)
		note_errno(r, errno);
	return !r->gone;
}

/*
 * Whether the symbol libunwind named (starting at sym) is the frame's own function. It picks
 * the nearest symbol below the address, and a stripped library has only its exported ones in
 * .dynsym: a static function (libc's __pthread_kill_implementation, start_thread) would be
 * shown as the exported function before it. The unwind tables know where the function really
 * starts: a symbol that does not start there is someone else's.
 */
static bool own_symbol(unw_cursor_t *c, unw_word_t sym)
{
	unw_proc_info_t pi;

	if (unw_get_proc_info(c, &pi) < 0 || !pi.start_ip)
		return true; /* no unwind information to judge by */
	return pi.start_ip == sym;
}

/* Unwinds into f; the number of frames. *why: why unwinding stopped early (NULL: it reached
 * the outermost frame); *more: frames were left out at FAULT_CRASH_MAX_FRAMES. */
static int unwind(struct report *r, struct frame *f, const char **why, bool *more)
{
	unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);
	void *upt = as ? _UPT_create(r->tid) : NULL;
	bool exact = true; /* frame #0, and frames interrupted by a signal: ip is not a return */
	unw_cursor_t c;
	int n = 0, e;

	*why = NULL;
	*more = false;
	if (!upt) {
		*why = "out of memory";
		goto out;
	}
	unw_set_caching_policy(as, UNW_CACHE_NONE);
	e = unw_init_remote(&c, as, upt);
	if (e < 0) {
		*why = unw_strerror(e);
		goto out;
	}
	for (;;) {
		unw_word_t ip, sp, ip2, sp2, off = 0;
		struct frame *fr = &f[n];

		if ((e = unw_get_reg(&c, UNW_REG_IP, &ip)) < 0 ||
		    (e = unw_get_reg(&c, UNW_REG_SP, &sp)) < 0) {
			*why = unw_strerror(e);
			break;
		}
		if (n > 0 && ip == 0)
			break; /* a zeroed return address ends some hand-written stacks */
		memset(fr, 0, sizeof(*fr));
		fr->ip = ip;
		fr->lookup = exact || ip == 0 ? ip : ip - 1;
		e = unw_get_proc_name(&c, fr->name, sizeof(fr->name), &off);
		fr->named = (e == 0 || e == -UNW_ENOMEM) && fr->name[0] && own_symbol(&c, ip - off);
		fr->off = off;
		exact = unw_is_signal_frame(&c) > 0;
		if (++n == FAULT_CRASH_MAX_FRAMES) {
			*more = unw_step(&c) > 0;
			break;
		}
		e = unw_step(&c);
		if (e == 0)
			break;
		if (e < 0) {
			*why = unw_strerror(e);
			break;
		}
		/* A frame that unwinds to itself would loop up to the limit: stop at it. */
		if (unw_get_reg(&c, UNW_REG_IP, &ip2) == 0 &&
		    unw_get_reg(&c, UNW_REG_SP, &sp2) == 0 && ip2 == ip && sp2 == sp) {
			*why = "no progress (the same frame twice)";
			break;
		}
	}
out:
	if (upt)
		_UPT_destroy(upt);
	if (as)
		unw_destroy_addr_space(as);
	return n;
}

static void backtrace(struct report *r)
{
	struct frame *f = calloc(FAULT_CRASH_MAX_FRAMES, sizeof(*f));
	struct user_regs_struct regs;
	const char *why;
	bool more, fallback = false;
	int n;

	fprintf(r->out, "backtrace of thread %d:\n", (int)r->tid);
	if (!f) {
		fputs("  (cannot unwind: out of memory)\n", r->out);
		return;
	}
	n = unwind(r, f, &why, &more);
	if (n == 0) {
		if (ptrace(PTRACE_GETREGS, r->tid, 0L, &regs) < 0) {
			note_errno(r, errno);
			fprintf(r->out, "  (cannot read the thread's registers: %s)\n",
				strerror(errno));
			free(f);
			return;
		}
		fprintf(r->out, "  (cannot unwind: %s; frame #0 from the registers)\n",
			why ? why : "no frame");
		f[0].ip = f[0].lookup = regs.rip;
		n = 1;
		fallback = true;
	}
	print_frames(r, f, n);
	if (more)
		fprintf(r->out, "  ... (more frames: stopped at %d)\n", FAULT_CRASH_MAX_FRAMES);
	else if (why && !fallback)
		fprintf(r->out, "  (unwinding stopped: %s)\n",
			alive(r) ? why : "the thread is gone");
	free(f);
}

int fault_crash_report(FILE *out, pid_t tid, const siginfo_t *si, struct mm *mm)
{
	struct report r = {.out = out, .tid = tid};
	siginfo_t own;

	if (!out || tid <= 0)
		return -EINVAL;
	if (!si) {
		if (ptrace(PTRACE_GETSIGINFO, tid, 0L, &own) == 0)
			si = &own;
		else
			note_errno(&r, errno);
	}
	header(&r, si);
	neighbourhood(&r, si, mm);
	if (r.gone)
		fprintf(out, "backtrace of thread %d: the thread is gone\n", (int)tid);
	else
		backtrace(&r);
	fflush(out);
	if (r.gone)
		return -ESRCH;
	return ferror(out) ? -EIO : 0;
}

/* s as the inside of a JSON string. */
static void json_chars(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, out);
	}
}

int fault_backtrace_json(FILE *out, pid_t tid)
{
	struct report r = { .out = out, .tid = tid };
	struct frame *f = calloc(FAULT_CRASH_MAX_FRAMES, sizeof(*f));
	const char *why;
	bool more;
	int n;

	fputc('[', out);
	if (!f) {
		fputc(']', out);
		return -ENOMEM;
	}
	n = unwind(&r, f, &why, &more);
	name_objects(&r, f, n);
	for (int i = 0; i < n; i++) {
		fputs(i ? ", \"" : "\"", out);
		if (f[i].named) {
			json_chars(out, f[i].name);
			fprintf(out, "+0x%" PRIx64, f[i].off);
		} else {
			fprintf(out, "0x%" PRIx64, f[i].ip);
		}
		fputs(" (", out);
		json_chars(out, f[i].object ? f[i].object : f[i].anon ? "anonymous memory" : "?");
		fputs(")\"", out);
		free(f[i].object);
	}
	fputc(']', out);
	free(f);
	return r.gone ? -ESRCH : 0;
}
