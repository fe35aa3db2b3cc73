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

static void test_bad_pointer(void)
{
	const char *name = "bad pointer";
	int before = failed, ret;
	siginfo_t si;
	pid_t pid, tid = spawn(BAD_POINTER, SIGSEGV, &pid, &si);
	char want[128], *text;
	struct mm mm;
	uint64_t first = 0;

	CHECK(name, tid == pid);
	if (tid != pid) {
		finish(pid);
		return;
	}
	text = report(tid, &si, NULL, &ret);
	CHECK(name, ret == 0);
	snprintf(want, sizeof(want),
		 "starmm-run: pid %d (%s) killed by SIGSEGV (SEGV_MAPERR)"
		 " at address 0x10\n",
		 (int)pid, comm);
	CHECK(name, !strncmp(text, want, strlen(want)));
	CHECK(name,
	      strstr(text, "mappings around 0x10 (starmm's model): the model is not available\n"));
	CHECK(name, in_order(text, "backtrace of thread", "\n  #0 0x", " in crash_c", "\n  #1 0x",
			     " in crash_b+0x", "\n  #2 0x", " in crash_a+0x", " in main+0x", NULL));
	CHECK(name, frame_in_self(text, " in crash_c"));
	CHECK(name, frame_in_self(text, " in crash_a+0x"));
	CHECK(name, !strstr(text, "cannot unwind"));
	show(name, text, before);
	free(text);

	/* The same stop with the model of the child's memory: 0x10 is below every mapping. */
	name = "bad pointer, imported model";
	before = failed;
	ret = import_model(pid, &mm);
	CHECK(name, ret == 0);
	if (ret == 0) {
		first = mm_first(&mm) ? mm_first(&mm)->start : 0;
		text = report(tid, &si, &mm, &ret);
		CHECK(name, ret == 0);
		CHECK(name, strstr(text, "mappings around 0x10 (starmm's model):\n"));
		CHECK(name, strstr(text, "     (no mapping below)\n"));
		snprintf(want, sizeof(want),
			 "  => in a hole between 0x0 and 0x%" PRIx64 "\n"
			 "     %012" PRIx64 "-",
			 first, first);
		CHECK(name, strstr(text, want));
		CHECK(name, in_order(text, "=> in a hole", " in crash_c", " in crash_b+0x",
				     " in crash_a+0x", NULL));
		show(name, text, before);
		free(text);
		mm_destroy(&mm);
	}
	finish(pid);
}

static void test_prot_none(void)
{
	const char *name = "PROT_NONE page";
	int before = failed, ret;
	siginfo_t si;
	pid_t pid, tid = spawn(PROT_NONE_PAGE, SIGSEGV, &pid, &si);
	uint64_t addr = (uintptr_t)si.si_addr, start, end;
	char want[128], *text;
	const char *hit;
	struct mm mm;

	CHECK(name, tid == pid && import_model(pid, &mm) == 0);
	if (failed > before) {
		finish(pid);
		return;
	}
	text = report(tid, &si, &mm, &ret);
	CHECK(name, ret == 0);
	snprintf(want, sizeof(want), "killed by SIGSEGV (SEGV_ACCERR) at address 0x%" PRIx64 "\n",
		 addr);
	CHECK(name, strstr(text, want));
	hit = line_starting(text, "  => ");
	CHECK(name, hit && sscanf(hit, "  => %" SCNx64 "-%" SCNx64, &start, &end) == 2 &&
			start <= addr && addr < end);
	CHECK(name, hit && line_has(hit, " ---p anon "));
	CHECK(name, in_order(text, "=> ", " in crash_c", " in crash_b+0x", " in crash_a+0x",
			     " in main+0x", NULL));
	show(name, text, before);
	free(text);
	mm_destroy(&mm);
	finish(pid);
}

static void test_abort(void)
{
	const char *name = "abort";
	int before = failed, ret;
	siginfo_t si;
	pid_t pid, tid = spawn(ABORT, SIGABRT, &pid, &si);
	char want[128], *text;

	CHECK(name, tid == pid);
	if (tid != pid) {
		finish(pid);
		return;
	}
	text = report(tid, NULL, NULL, &ret); /* the report reads the siginfo itself */
	CHECK(name, ret == 0);
	snprintf(want, sizeof(want), "killed by SIGABRT (SI_TKILL) sent by pid %d (uid %u)\n",
		 (int)pid, (unsigned)getuid());
	CHECK(name, strstr(text, want));
	CHECK(name, strstr(text, "mappings: no fault address for this signal\n"));
	CHECK(name, in_order(text, " in abort+0x", " in crash_c", " in crash_b+0x",
			     " in crash_a+0x", " in main+0x", NULL));
	show(name, text, before);
	free(text);
	finish(pid);
}

static void test_other_thread(void)
{
	const char *name = "other thread";
	int before = failed, ret;
	siginfo_t si;
	pid_t pid, tid = spawn(OTHER_THREAD, SIGSEGV, &pid, &si);
	char want[160], *text;

	CHECK(name, tid > 0 && tid != pid);
	if (tid <= 0) {
		finish(pid);
		return;
	}
	text = report(tid, &si, NULL, &ret);
	CHECK(name, ret == 0);
	snprintf(want, sizeof(want),
		 "starmm-run: pid %d (%s) killed by SIGSEGV "
		 "(SEGV_MAPERR) at address 0x10 in thread %d\n",
		 (int)pid, comm, (int)tid);
	CHECK(name, !strncmp(text, want, strlen(want)));
	snprintf(want, sizeof(want), "backtrace of thread %d:\n", (int)tid);
	CHECK(name, in_order(text, want, " in crash_c", " in crash_b+0x", " in crash_a+0x",
			     " in thread_main+0x", NULL));
	CHECK(name, !strstr(text, " in main+0x"));
	show(name, text, before);
	free(text);
	finish(pid);
}

static void test_wild_jump(void)
{
	const char *name = "wild jump";
	int before = failed, ret;
	siginfo_t si;
	pid_t pid, tid = spawn(WILD_JUMP, SIGSEGV, &pid, &si);
	char *text;

	CHECK(name, tid == pid);
	if (tid != pid) {
		finish(pid);
		return;
	}
	text = report(tid, &si, NULL, &ret);
	CHECK(name, ret == 0);
	CHECK(name, strstr(text, "killed by SIGSEGV (SEGV_MAPERR) at address 0x20\n"));
	CHECK(name, strstr(text, "\n  #0 0x0000000000000020 in ?? (not mapped)\n"));
	CHECK(name, !strstr(text, "\n  #2 "));
	show(name, text, before);
	free(text);
	finish(pid);
}

static void test_deep(void)
{
	const char *name = "deep";
	int before = failed, ret;
	siginfo_t si;
	pid_t pid, tid = spawn(DEEP, SIGSEGV, &pid, &si);
	char want[64], *text;

	CHECK(name, tid == pid);
	if (tid != pid) {
		finish(pid);
		return;
	}
	text = report(tid, &si, NULL, &ret);
	CHECK(name, ret == 0);
	snprintf(want, sizeof(want), "\n  #%d 0x", FAULT_CRASH_MAX_FRAMES - 1);
	CHECK(name, in_order(text, " in recurse+0x", want, " in recurse+0x", NULL));
	snprintf(want, sizeof(want), "\n  #%d ", FAULT_CRASH_MAX_FRAMES);
	CHECK(name, !strstr(text, want));
	snprintf(want, sizeof(want), "  ... (more frames: stopped at %d)\n",
		 FAULT_CRASH_MAX_FRAMES);
	CHECK(name, strstr(text, want));
	show(name, text, before);
	free(text);
	finish(pid);
}

/* A range's line as print_mapping starts it. */
static void range_line(char *buf, size_t len, const char *mark, uint64_t start, uint64_t end)
{
	snprintf(buf, len, "  %s %012" PRIx64 "-%012" PRIx64 " ", mark, start, end);
}

static void test_neighbours(void)
{
	const char *name = "neighbours";
	int before = failed, ret, fd;
	siginfo_t si;
	pid_t pid, tid = spawn(BAD_POINTER, SIGSEGV, &pid, &si);
	struct self_backend sb;
	struct mm_config c;
	struct mm mm;
	char path[] = "/tmp/crash_test.XXXXXX", want[256], *text;
	uint64_t m[7]; /* mapping k: one page at m[k], a free page between each two */
	bool ok = tid == pid && self_region_reserve(&sb, 64 * PAGE, 0) == 0;

	CHECK(name, ok);
	if (!ok) {
		finish(pid);
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
	CHECK(name, ok);
	for (int k = 0; ok && k < 7; k++) {
		int flags = MAP_PRIVATE | MAP_FIXED | (k == 3 ? 0 : MAP_ANONYMOUS);
		long r;

		m[k] = sb.lo + (uint64_t)(2 * k + 1) * PAGE;
		r = mm_mmap(&mm, m[k], PAGE, k % 2 ? PROT_READ : PROT_READ | PROT_WRITE, flags,
			    k == 3 ? fd : -1, k == 3 ? PAGE : 0);
		ok = r == (long)m[k];
	}
	CHECK(name, ok);
	if (ok) {
		/* Inside mapping 2 (anonymous): 0, 1 below, 3, 4 above, nothing further. */
		si.si_addr = (void *)(uintptr_t)(m[2] + 0x18);
		text = report(tid, &si, &mm, &ret);
		CHECK(name, ret == 0);
		range_line(want, sizeof(want), "=>", m[2], m[2] + PAGE);
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "rw-p anon    vmo=%" PRIu64 " off=0x0 (address at +0x18)\n",
			 vmo_koid(mm_find(&mm, m[2])->vmo));
		CHECK(name, strstr(text, want));
		snprintf(want, sizeof(want), "(starmm's model):\n");
		range_line(want + strlen(want), sizeof(want) - strlen(want), "  ", m[0],
			   m[0] + PAGE);
		CHECK(name, strstr(text, want));
		range_line(want, sizeof(want), "  ", m[1], m[1] + PAGE);
		CHECK(name, strstr(text, want));
		range_line(want, sizeof(want), "  ", m[3], m[3] + PAGE);
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "r--p file    off=0x1000 %s\n", path);
		CHECK(name, strstr(text, want));
		range_line(want, sizeof(want), "  ", m[4], m[4] + PAGE);
		CHECK(name, in_order(text, want, "\n     ...\n", NULL));
		range_line(want, sizeof(want), "  ", m[5], m[5] + PAGE);
		CHECK(name, !strstr(text, want));
		show(name, text, before);
		free(text);

		/* In the hole between mappings 3 and 4: 2, 3 below, 4, 5 above. */
		name = "neighbours, hole";
		before = failed;
		si.si_addr = (void *)(uintptr_t)(m[3] + PAGE + 8);
		text = report(tid, &si, &mm, &ret);
		CHECK(name, ret == 0);
		snprintf(want, sizeof(want),
			 "  => in a hole between 0x%" PRIx64 " and 0x%" PRIx64 "\n", m[3] + PAGE,
			 m[4]);
		CHECK(name, strstr(text, want));
		range_line(want, sizeof(want), "  ", m[1], m[1] + PAGE);
		CHECK(name, !strstr(text, want));
		for (int k = 2; k <= 5; k++) {
			range_line(want, sizeof(want), "  ", m[k], m[k] + PAGE);
			CHECK(name, strstr(text, want));
		}
		range_line(want, sizeof(want), "  ", m[6], m[6] + PAGE);
		CHECK(name, !strstr(text, want));
		CHECK(name, in_order(text, "     ...\n", "=> in a hole", "     ...\n", NULL));
		show(name, text, before);
		free(text);

		/* Above the last mapping. */
		name = "neighbours, top";
		before = failed;
		si.si_addr = (void *)(uintptr_t)(sb.hi - 8);
		text = report(tid, &si, &mm, &ret);
		snprintf(want, sizeof(want),
			 "  => in a hole between 0x%" PRIx64 " and the end of the address space\n"
			 "     (no mapping above)\n",
			 m[6] + PAGE);
		CHECK(name, ret == 0 && strstr(text, want));
		show(name, text, before);
		free(text);
	}
	mm_destroy(&mm);
	self_region_release(&sb);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	finish(pid);
}

static void test_gone(void)
{
	const char *name = "gone";
	int before = failed, ret;
	siginfo_t si;
	pid_t pid, tid = spawn(BAD_POINTER, SIGSEGV, &pid, &si);
	char *text;

	finish(pid);
	text = report(tid, &si, NULL, &ret);
	CHECK(name, ret == -ESRCH);
	CHECK(name, strstr(text, "killed by SIGSEGV (SEGV_MAPERR) at address 0x10"));
	CHECK(name, strstr(text, "the thread is gone"));
	show(name, text, before);
	free(text);
	text = report(tid, NULL, NULL, &ret);
	CHECK(name, ret == -ESRCH && strstr(text, "could not be read"));
	show(name, text, before);
	free(text);
	CHECK(name, fault_crash_report(NULL, tid, &si, NULL) == -EINVAL);
	CHECK(name, fault_crash_report(stdout, 0, &si, NULL) == -EINVAL);
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
