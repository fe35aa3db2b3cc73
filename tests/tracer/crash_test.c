/*
 * Crash reports (fault/crash.c) of real traced children that die.
 *
 * The child (a fork of this program) asks to be traced, stops itself, then runs the chain
 * crash_a -> crash_b -> crash_c, which dies in one of several ways; the tracer resumes it up
 * to the fatal signal's delivery stop and writes fault_crash_report to a temporary file.
 * Behaviours covered:
 * - a store through a bad pointer: header (pid, comm, SIGSEGV, SEGV_MAPERR, address), the
 *   model "not available" without an mm, the frames crash_c, crash_b, crash_a, main in that
 *   order with this executable as their object;
 * - the same stop with a model imported from the child's /proc/PID/smaps: the address lies in
 *   the hole below the first mapping, which is listed after it;
 * - a store to a PROT_NONE page: SEGV_ACCERR, the model's containing mapping marked "=>";
 * - abort(): SIGABRT (SI_TKILL) sent by the child itself, no fault address, abort's frame
 *   above the chain's;
 * - a fault in a second thread: the report names the thread and unwinds that thread;
 * - the neighbourhood on a model of this process's own memory (self backend, real VMOs): the
 *   containing mapping with its VMO koid, a hole with its bounds, 2 neighbours on each side
 *   and no more, a file mapping with its path and offset (the neighbourhood reads only the
 *   model, so any stopped tracee serves for the backtrace part);
 * - a jump to an unmapped address with a garbage stack: frame #0 only, "??", "not mapped";
 * - a fault under 100 frames: 64 shown, and a note that more were left out;
 * - a tracee that is gone: -ESRCH and a report of what was known; bad arguments: -EINVAL.
 *
 * Usage: crash_test [-v]   (-v: print every report)
 * Prints "crash_test: N passed, M failed"; exits 1 on any failure.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "fault/crash.h"
#include "mm/mm.h"
#include "mm/self.h"
#include "vmo/vmo.h"

#define PAGE	 ((uint64_t)4096)
#define BAD_ADDR ((uint64_t)0x10) /* below mmap_min_addr: never mapped */
/* x86-64 TASK_SIZE_MAX: the user range an imported model's VMAR covers. */
#define USER_TOP 0x7ffffffff000ULL
#define TIMEOUT	 60 /* seconds: a lost stop fails the test instead of hanging it */

enum death {
	BAD_POINTER,	/* SIGSEGV, SEGV_MAPERR */
	PROT_NONE_PAGE, /* SIGSEGV, SEGV_ACCERR */
	ABORT,		/* SIGABRT, SI_TKILL */
	OTHER_THREAD,	/* SIGSEGV in a thread other than the leader */
	WILD_JUMP,	/* a jump to an unmapped address with a garbage stack pointer */
	DEEP,		/* a fault under more frames than a report shows */
};

#define DEPTH 100 /* frames of recursion for DEEP: more than FAULT_CRASH_MAX_FRAMES */

static int passed, failed;
static bool verbose;
static char comm[32]; /* this program's command name, which a forked child shares */
static volatile int sink;
static volatile uint64_t none_page;	      /* the child's PROT_NONE page */
static volatile uint64_t bad_addr = BAD_ADDR; /* volatile: no compile-time "out of bounds" */

/* --- The child --- */

/* noipa: no inlining, cloning or tail calls, so each function keeps its own frame and name;
 * the increments after each call keep the calls from becoming jumps. */
__attribute__((noipa)) static void recurse(int depth)
{
	if (depth == 0)
		*(volatile int *)(uintptr_t)bad_addr = 1;
	else
		recurse(depth - 1);
	sink++;
}

__attribute__((noipa)) static void crash_c(enum death how)
{
	if (how == ABORT)
		abort();
	if (how == WILD_JUMP) /* rip and rsp both at unmapped addresses: nothing to unwind */
		__asm__ volatile("mov %0, %%rsp\n\tjmp *%1"
				 :
				 : "r"(BAD_ADDR), "r"(BAD_ADDR + 0x10));
	if (how == DEEP)
		recurse(DEPTH);
	*(volatile int *)(uintptr_t)(how == PROT_NONE_PAGE ? none_page : bad_addr) = 1;
	sink++;
}

__attribute__((noipa)) static void crash_b(enum death how)
{
	crash_c(how);
	sink++;
}

__attribute__((noipa)) static void crash_a(enum death how)
{
	crash_b(how);
	sink++;
}

static void *thread_main(void *arg)
{
	(void)arg;
	crash_a(BAD_POINTER);
	return NULL;
}

static void child(enum death how)
{
	pthread_t th;

	if (how == PROT_NONE_PAGE) {
		void *p = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(2);
		none_page = (uintptr_t)p;
	}
	if (ptrace(PTRACE_TRACEME, 0, 0L, 0L) < 0)
		_exit(3);
	raise(SIGSTOP);
	if (how == OTHER_THREAD) {
		if (pthread_create(&th, NULL, thread_main, NULL) == 0)
			pthread_join(th, NULL);
		_exit(4);
	}
	crash_a(how);
	_exit(5);
}

/* --- The tracer --- */

#define CHECK(name, cond)                                                                          \
	do {                                                                                       \
		if (cond) {                                                                        \
			passed++;                                                                  \
		} else {                                                                           \
			failed++;                                                                  \
			printf("FAIL %s: %s (line %d)\n", name, #cond, __LINE__);                  \
		}                                                                                  \
	} while (0)

/* Forks a child that dies `how` and resumes it (every thread) up to the delivery stop of
 * signal `sig`. The stopped thread's tid with *pid and *si set, or -1. */
static pid_t spawn(enum death how, int sig, pid_t *pid, siginfo_t *si)
{
	int st;

	*pid = fork();
	if (*pid < 0)
		return -1;
	if (*pid == 0)
		child(how);
	if (waitpid(*pid, &st, __WALL) != *pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP ||
	    ptrace(PTRACE_SETOPTIONS, *pid, 0L, PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE) < 0 ||
	    ptrace(PTRACE_CONT, *pid, 0L, 0L) < 0)
		return -1;
	for (;;) {
		pid_t t = waitpid(-1, &st, __WALL);
		int s;

		if (t < 0)
			return -1;
		if (!WIFSTOPPED(st)) {
			if (t == *pid)
				return -1;
			continue;
		}
		s = st >> 16 ? 0 : WSTOPSIG(st); /* an event stop (clone) passes no signal */
		if (s == sig)
			return ptrace(PTRACE_GETSIGINFO, t, 0L, si) == 0 ? t : -1;
		if (s == SIGSTOP) /* a new thread's first stop */
			s = 0;
		ptrace(PTRACE_CONT, t, 0L, (long)s);
	}
}

static void finish(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(-1, NULL, __WALL) > 0)
		;
}

/* The report as a string (free it); *ret is fault_crash_report's result. */
static char *report(pid_t tid, const siginfo_t *si, struct mm *mm, int *ret)
{
	FILE *f = tmpfile();
	char *text;
	long len;

	if (!f) {
		perror("crash_test: tmpfile");
		exit(2);
	}
	*ret = fault_crash_report(f, tid, si, mm);
	len = ftell(f);
	text = calloc(1, len > 0 ? (size_t)len + 1 : 1);
	rewind(f);
	if (len > 0 && fread(text, 1, (size_t)len, f) != (size_t)len)
		text[0] = 0;
	fclose(f);
	return text;
}

static void show(const char *name, const char *text, int failed_before)
{
	if (verbose || failed > failed_before)
		printf("--- %s:\n%s---\n", name, text);
}

/* Whether each string of the NULL-terminated list occurs in text, after the previous one. */
static bool in_order(const char *text, ...)
{
	const char *at = text, *s;
	va_list ap;
	bool ok = true;

	va_start(ap, text);
	while (ok && (s = va_arg(ap, const char *))) {
		const char *hit = strstr(at, s);

		ok = hit != NULL;
		at = ok ? hit + strlen(s) : at;
	}
	va_end(ap);
	return ok;
}

/* The line of text that starts with prefix, or NULL. */
static const char *line_starting(const char *text, const char *prefix)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, prefix, strlen(prefix)))
			return l;
	return NULL;
}

/* Whether the line starting at l contains s. */
static bool line_has(const char *l, const char *s)
{
	const char *eol = strchr(l, '\n'), *hit = strstr(l, s);

	return hit && (!eol || hit < eol);
}

/* The frame line of `fn` names this executable as its object. */
static bool frame_in_self(const char *text, const char *fn)
{
	char self[4096], want[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *l = strstr(text, fn), *eol;

	if (n <= 0 || !l)
		return false;
	self[n] = 0;
	snprintf(want, sizeof(want), "(%s)", self);
	eol = strchr(l, '\n');
	l = strstr(l, want);
	return l && (!eol || l < eol);
}

static char *slurp_proc(pid_t pid, const char *what)
{
	char path[64], *buf = NULL;
	size_t len = 0, n;
	char chunk[8192];
	FILE *f, *out;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	out = open_memstream(&buf, &len);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, out);
	fclose(f);
	fclose(out);
	return buf;
}

/* The model of pid's address space from its smaps, as starmm-run builds it at exec. 0 or
 * -errno. */
static int import_model(pid_t pid, struct mm *mm)
{
	struct mm_config c;
	char *text = slurp_proc(pid, "smaps");
	int bad = 0, r;

	if (!text)
		return -errno;
	memset(&c, 0, sizeof(c));
	c.vmar = (struct vmar_config){
	    .base = PAGE,
	    .size = USER_TOP - PAGE,
	    .place_lo = PAGE,
	    .place_hi = USER_TOP,
	    .top = USER_TOP,
	};
	c.be = &self_backend_ops;
	r = mm_import(mm, &c, text, &bad);
	if (r)
		printf("crash_test: mm_import: %s at line %d\n", strerror(-r), bad);
	free(text);
	return r;
}

/* --- The tests --- */

/* A test's child, stopped at its fatal signal, and the part of the test under way. */
struct run {
	const char *name; /* the part, for CHECK */
	int before;	  /* failures before it began */
	pid_t pid, tid;	  /* the child and its thread stopped at the signal's delivery (or -1) */
	siginfo_t si;
	char *text; /* the last report */
	int ret;    /* fault_crash_report's result for it */
};

/* Begins part `name`: failures are counted from here. */
static void part(struct run *r, const char *name)
{
	r->name = name;
	r->before = failed;
}

/* Begins test `name` with a child that dies `how`, stopped at the delivery of `sig`. */
static void start(struct run *r, const char *name, enum death how, int sig)
{
	part(r, name);
	r->tid = spawn(how, sig, &r->pid, &r->si);
}

/* One check that the stop is the child's leader's; if not, the child is finished. */
static bool leader_stopped(struct run *r)
{
	CHECK(r->name, r->tid == r->pid);
	if (r->tid != r->pid)
		finish(r->pid);
	return r->tid == r->pid;
}

/* The report of the stop with siginfo si (NULL: the report reads it) and model mm, in r->text;
 * one check that it was made. */
static void reported(struct run *r, const siginfo_t *si, struct mm *mm)
{
	r->text = report(r->tid, si, mm, &r->ret);
	CHECK(r->name, r->ret == 0);
}

/* Shows the part's report when asked or when the part failed, and frees it. */
static void shown(struct run *r)
{
	show(r->name, r->text, r->before);
	free(r->text);
}

static void test_bad_pointer(void)
{
	struct run r;
	char want[128];
	struct mm mm;
	uint64_t first = 0;
	bool imported;

	start(&r, "bad pointer", BAD_POINTER, SIGSEGV);
	if (!leader_stopped(&r))
		return;
	reported(&r, &r.si, NULL);
	snprintf(want, sizeof(want),
		 "starmm-run: pid %d (%s) killed by SIGSEGV (SEGV_MAPERR)"
		 " at address 0x10\n",
		 (int)r.pid, comm);
	CHECK(r.name, !strncmp(r.text, want, strlen(want)));
	CHECK(r.name, strstr(r.text, "mappings around 0x10 (starmm's model): "
				     "the model is not available\n"));
	CHECK(r.name,
	      in_order(r.text, "backtrace of thread", "\n  #0 0x", " in crash_c", "\n  #1 0x",
		       " in crash_b+0x", "\n  #2 0x", " in crash_a+0x", " in main+0x", NULL));
	CHECK(r.name, frame_in_self(r.text, " in crash_c"));
	CHECK(r.name, frame_in_self(r.text, " in crash_a+0x"));
	CHECK(r.name, !strstr(r.text, "cannot unwind"));
	shown(&r);

	/* The same stop with the model of the child's memory: 0x10 is below every mapping. */
	part(&r, "bad pointer, imported model");
	imported = import_model(r.pid, &mm) == 0;
	CHECK(r.name, imported);
	if (imported) {
		first = mm_first(&mm) ? mm_first(&mm)->start : 0;
		reported(&r, &r.si, &mm);
		CHECK(r.name, strstr(r.text, "mappings around 0x10 (starmm's model):\n"));
		CHECK(r.name, strstr(r.text, "     (no mapping below)\n"));
		snprintf(want, sizeof(want),
			 "  => in a hole between 0x0 and 0x%" PRIx64 "\n"
			 "     %012" PRIx64 "-",
			 first, first);
		CHECK(r.name, strstr(r.text, want));
		CHECK(r.name, in_order(r.text, "=> in a hole", " in crash_c", " in crash_b+0x",
				       " in crash_a+0x", NULL));
		shown(&r);
		mm_destroy(&mm);
	}
	finish(r.pid);
}

static void test_prot_none(void)
{
	struct run r;
	uint64_t addr, lo, hi;
	char want[128];
	const char *hit;
	struct mm mm;

	start(&r, "PROT_NONE page", PROT_NONE_PAGE, SIGSEGV);
	addr = (uintptr_t)r.si.si_addr;
	CHECK(r.name, r.tid == r.pid && import_model(r.pid, &mm) == 0);
	if (failed > r.before) {
		finish(r.pid);
		return;
	}
	reported(&r, &r.si, &mm);
	snprintf(want, sizeof(want), "killed by SIGSEGV (SEGV_ACCERR) at address 0x%" PRIx64 "\n",
		 addr);
	CHECK(r.name, strstr(r.text, want));
	hit = line_starting(r.text, "  => ");
	CHECK(r.name, hit && sscanf(hit, "  => %" SCNx64 "-%" SCNx64, &lo, &hi) == 2 &&
			  lo <= addr && addr < hi);
	CHECK(r.name, hit && line_has(hit, " ---p anon "));
	CHECK(r.name, in_order(r.text, "=> ", " in crash_c", " in crash_b+0x", " in crash_a+0x",
			       " in main+0x", NULL));
	shown(&r);
	mm_destroy(&mm);
	finish(r.pid);
}

static void test_abort(void)
{
	struct run r;
	char want[128];

	start(&r, "abort", ABORT, SIGABRT);
	if (!leader_stopped(&r))
		return;
	reported(&r, NULL, NULL); /* the report reads the siginfo itself */
	snprintf(want, sizeof(want), "killed by SIGABRT (SI_TKILL) sent by pid %d (uid %u)\n",
		 (int)r.pid, (unsigned)getuid());
	CHECK(r.name, strstr(r.text, want));
	CHECK(r.name, strstr(r.text, "mappings: no fault address for this signal\n"));
	CHECK(r.name, in_order(r.text, " in abort+0x", " in crash_c", " in crash_b+0x",
			       " in crash_a+0x", " in main+0x", NULL));
	shown(&r);
	finish(r.pid);
}

static void test_other_thread(void)
{
	struct run r;
	char want[160];

	start(&r, "other thread", OTHER_THREAD, SIGSEGV);
	CHECK(r.name, r.tid > 0 && r.tid != r.pid);
	if (r.tid <= 0) {
		finish(r.pid);
		return;
	}
	reported(&r, &r.si, NULL);
	snprintf(want, sizeof(want),
		 "starmm-run: pid %d (%s) killed by SIGSEGV "
		 "(SEGV_MAPERR) at address 0x10 in thread %d\n",
		 (int)r.pid, comm, (int)r.tid);
	CHECK(r.name, !strncmp(r.text, want, strlen(want)));
	snprintf(want, sizeof(want), "backtrace of thread %d:\n", (int)r.tid);
	CHECK(r.name, in_order(r.text, want, " in crash_c", " in crash_b+0x", " in crash_a+0x",
			       " in thread_main+0x", NULL));
	CHECK(r.name, !strstr(r.text, " in main+0x"));
	shown(&r);
	finish(r.pid);
}

static void test_wild_jump(void)
{
	struct run r;

	start(&r, "wild jump", WILD_JUMP, SIGSEGV);
	if (!leader_stopped(&r))
		return;
	reported(&r, &r.si, NULL);
	CHECK(r.name, strstr(r.text, "killed by SIGSEGV (SEGV_MAPERR) at address 0x20\n"));
	CHECK(r.name, strstr(r.text, "\n  #0 0x0000000000000020 in ?? (not mapped)\n"));
	CHECK(r.name, !strstr(r.text, "\n  #2 "));
	shown(&r);
	finish(r.pid);
}

static void test_deep(void)
{
	struct run r;
	char want[64];

	start(&r, "deep", DEEP, SIGSEGV);
	if (!leader_stopped(&r))
		return;
	reported(&r, &r.si, NULL);
	snprintf(want, sizeof(want), "\n  #%d 0x", FAULT_CRASH_MAX_FRAMES - 1);
	CHECK(r.name, in_order(r.text, " in recurse+0x", want, " in recurse+0x", NULL));
	snprintf(want, sizeof(want), "\n  #%d ", FAULT_CRASH_MAX_FRAMES);
	CHECK(r.name, !strstr(r.text, want));
	snprintf(want, sizeof(want), "  ... (more frames: stopped at %d)\n",
		 FAULT_CRASH_MAX_FRAMES);
	CHECK(r.name, strstr(r.text, want));
	shown(&r);
	finish(r.pid);
}

/* A range's line as print_mapping starts it. */
static void range_line(char *buf, size_t len, const char *mark, uint64_t start, uint64_t end)
{
	snprintf(buf, len, "  %s %012" PRIx64 "-%012" PRIx64 " ", mark, start, end);
}

/* Whether the report lists the one-page mapping at start among the neighbours. */
static bool lists(const char *text, uint64_t start)
{
	char line[64];

	range_line(line, sizeof(line), "  ", start, start + PAGE);
	return strstr(text, line) != NULL;
}

static void test_neighbours(void)
{
	struct run r;
	struct self_backend sb;
	struct mm_config c;
	struct mm mm;
	char path[] = "/tmp/crash_test.XXXXXX", want[256];
	uint64_t m[7]; /* mapping k: one page at m[k], a free page between each two */
	bool ok;
	int fd;

	start(&r, "neighbours", BAD_POINTER, SIGSEGV);
	ok = r.tid == r.pid && self_region_reserve(&sb, 64 * PAGE, 0) == 0;
	CHECK(r.name, ok);
	if (!ok) {
		finish(r.pid);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.vmar = (struct vmar_config){.base = sb.lo,
				      .size = sb.hi - sb.lo,
				      .place_lo = sb.lo,
				      .place_hi = sb.hi,
				      .top = sb.hi,
				      .seed = 1};
	c.be = &self_backend_ops;
	c.be_ctx = &sb;
	fd = mkstemp(path);
	ok = fd >= 0 && ftruncate(fd, 2 * PAGE) == 0 && mm_init(&mm, &c) == 0;
	CHECK(r.name, ok);
	for (int k = 0; ok && k < 7; k++) {
		int flags = MAP_PRIVATE | MAP_FIXED | (k == 3 ? 0 : MAP_ANONYMOUS);
		long got;

		m[k] = sb.lo + (uint64_t)(2 * k + 1) * PAGE;
		got = mm_mmap(&mm, m[k], PAGE, k % 2 ? PROT_READ : PROT_READ | PROT_WRITE, flags,
			      k == 3 ? fd : -1, k == 3 ? PAGE : 0);
		ok = got == (long)m[k];
	}
	CHECK(r.name, ok);
	if (ok) {
		/* Inside mapping 2 (anonymous): 0, 1 below, 3, 4 above, nothing further. */
		r.si.si_addr = (void *)(uintptr_t)(m[2] + 0x18);
		reported(&r, &r.si, &mm);
		range_line(want, sizeof(want), "=>", m[2], m[2] + PAGE);
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "rw-p anon    vmo=%" PRIu64 " off=0x0 (address at +0x18)\n",
			 vmo_koid(mm_find(&mm, m[2])->vmo));
		CHECK(r.name, strstr(r.text, want));
		snprintf(want, sizeof(want), "(starmm's model):\n");
		range_line(want + strlen(want), sizeof(want) - strlen(want), "  ", m[0],
			   m[0] + PAGE);
		CHECK(r.name, strstr(r.text, want));
		CHECK(r.name, lists(r.text, m[1]));
		range_line(want, sizeof(want), "  ", m[3], m[3] + PAGE);
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "r--p file    off=0x1000 %s\n", path);
		CHECK(r.name, strstr(r.text, want));
		range_line(want, sizeof(want), "  ", m[4], m[4] + PAGE);
		CHECK(r.name, in_order(r.text, want, "\n     ...\n", NULL));
		CHECK(r.name, !lists(r.text, m[5]));
		shown(&r);

		/* In the hole between mappings 3 and 4: 2, 3 below, 4, 5 above. */
		part(&r, "neighbours, hole");
		r.si.si_addr = (void *)(uintptr_t)(m[3] + PAGE + 8);
		reported(&r, &r.si, &mm);
		snprintf(want, sizeof(want),
			 "  => in a hole between 0x%" PRIx64 " and 0x%" PRIx64 "\n", m[3] + PAGE,
			 m[4]);
		CHECK(r.name, strstr(r.text, want));
		CHECK(r.name, !lists(r.text, m[1]));
		for (int k = 2; k <= 5; k++)
			CHECK(r.name, lists(r.text, m[k]));
		CHECK(r.name, !lists(r.text, m[6]));
		CHECK(r.name, in_order(r.text, "     ...\n", "=> in a hole", "     ...\n", NULL));
		shown(&r);

		/* Above the last mapping. */
		part(&r, "neighbours, top");
		r.si.si_addr = (void *)(uintptr_t)(sb.hi - 8);
		r.text = report(r.tid, &r.si, &mm, &r.ret);
		snprintf(want, sizeof(want),
			 "  => in a hole between 0x%" PRIx64 " and the end of the address space\n"
			 "     (no mapping above)\n",
			 m[6] + PAGE);
		CHECK(r.name, r.ret == 0 && strstr(r.text, want));
		shown(&r);
	}
	mm_destroy(&mm);
	self_region_release(&sb);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	finish(r.pid);
}

static void test_gone(void)
{
	struct run r;

	start(&r, "gone", BAD_POINTER, SIGSEGV);
	finish(r.pid);
	r.text = report(r.tid, &r.si, NULL, &r.ret);
	CHECK(r.name, r.ret == -ESRCH);
	CHECK(r.name, strstr(r.text, "killed by SIGSEGV (SEGV_MAPERR) at address 0x10"));
	CHECK(r.name, strstr(r.text, "the thread is gone"));
	shown(&r);
	r.text = report(r.tid, NULL, NULL, &r.ret);
	CHECK(r.name, r.ret == -ESRCH && strstr(r.text, "could not be read"));
	shown(&r);
	CHECK(r.name, fault_crash_report(NULL, r.tid, &r.si, NULL) == -EINVAL);
	CHECK(r.name, fault_crash_report(stdout, 0, &r.si, NULL) == -EINVAL);
}

int main(int argc, char **argv)
{
	verbose = argc > 1 && !strcmp(argv[1], "-v");
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(comm, sizeof(comm), "%.15s", program_invocation_short_name); /* TASK_COMM_LEN */
	alarm(TIMEOUT);
	test_bad_pointer();
	test_prot_none();
	test_abort();
	test_other_thread();
	test_wild_jump();
	test_deep();
	test_neighbours();
	test_gone();
	printf("crash_test: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
