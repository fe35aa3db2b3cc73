/*
 * Remote calls, the trampoline and the ptrace backend, against a real traced child.
 *
 * The child (a fork of this program, so its globals sit at the same addresses as ours) loops
 * on a marker syscall (getppid) and, after each, runs the command the tracer left in its
 * `box` (written through /proc/PID/mem): check or fill a range, or exit. The tracer runs the
 * child with PTRACE_SYSCALL to the marker's entry stop, which is as good as a seccomp stop
 * for injection (orig_rax = -1 skips it). Behaviours covered: install, batches (one call,
 * a chain open → mmap → close, a failure in the middle, a bad chain), a whole mm model of
 * the child driven through tr_ptrace_backend_ops (the middle-unmap scenario, checked in the
 * child's memory and in /proc/PID/maps), the remote.batch fault point, a signal storm during
 * batches, and the child killed in the middle of a batch.
 *
 * Usage: test_remote [--bench]   (--bench: batch costs, median of 1000 runs)
 * Prints "remote: N passed, N failed"; exits 1 on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fault/inject.h"
#include "mm/mm.h"
#include "tracer/ptrace_backend.h"
#include "tracer/remote.h"
#include "tracer/tramp.h"

#define PG	   4096ULL
#define VMAR_SIZE  (1ULL << 30)
#define N_RT	   1000 /* queued real-time signals in the storm */
#define N_USR1	   250	/* SIGUSR1 (may merge, as on Linux) */
#define STORM_SECS 10	/* give up after this long */

static int passed, failed;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			passed++;                                                                  \
		} else {                                                                           \
			failed++;                                                                  \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                       \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

/* ---- the child ---- */

enum { CMD_NONE, CMD_CHECK, CMD_FILL, CMD_EXIT };

struct box {
	uint64_t cmd, addr, len, val;
	int64_t reply;
	uint64_t usr1, rt, rt_bad;
	uint8_t rt_seen[N_RT + 1];
	struct timespec nap, mid_nap, long_nap; /* nanosleep arguments for injected calls */
};

static volatile struct box box = {
    .nap = {0, 200 * 1000},
    .mid_nap = {0, 300 * 1000 * 1000},
    .long_nap = {5, 0},
};

static void on_usr1(int sig)
{
	(void)sig;
	box.usr1++;
}

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	int v = si->si_value.sival_int;

	(void)sig;
	(void)uc;
	box.rt++;
	if (v < 1 || v > N_RT)
		box.rt_bad++;
	else
		box.rt_seen[v]++;
}

static void child(void)
{
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};

	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	sigaction(SIGRTMIN, &sa, NULL);
	raise(SIGSTOP);
	for (;;) {
		const volatile uint8_t *p;
		uint64_t i;

		syscall(SYS_getppid); /* the marker */
		p = (const volatile uint8_t *)box.addr;
		switch (box.cmd) {
		case CMD_CHECK:
			box.reply = 1;
			for (i = 0; i < box.len; i++)
				if (p[i] != (uint8_t)box.val) {
					box.reply = -(int64_t)i - 1;
					break;
				}
			break;
		case CMD_FILL:
			memset((void *)box.addr, (int)box.val, box.len);
			box.reply = 1;
			break;
		case CMD_EXIT:
			_exit(0);
		}
		box.cmd = CMD_NONE;
	}
}

/* ---- the tracer's helpers ---- */

static pid_t kid;
static int kid_mem = -1;

/* Runs the child to the entry stop of its next marker call, passing its signals on. */
static int to_marker(void)
{
	struct user_regs_struct regs;
	int status, sig = 0;

	for (;;) {
		if (ptrace(PTRACE_SYSCALL, kid, NULL, (void *)(long)sig) < 0)
			return -ESRCH;
		sig = 0;
		if (waitpid(kid, &status, __WALL) < 0 || WIFEXITED(status) || WIFSIGNALED(status))
			return -ESRCH;
		if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			if (ptrace(PTRACE_GETREGS, kid, NULL, &regs) < 0)
				return -ESRCH;
			if (regs.orig_rax == SYS_getppid && (long)regs.rax == -ENOSYS)
				return 0;
		} else if (status >> 16 == 0) {
			sig = WSTOPSIG(status); /* a signal: deliver it */
		}
	}
}

static int64_t command(uint64_t cmd, uint64_t addr, uint64_t len, uint64_t val)
{
	struct box b = {.cmd = cmd, .addr = addr, .len = len, .val = val, .reply = 0};
	int64_t reply = 0;

	if (pwrite(kid_mem, &b, offsetof(struct box, usr1), (off_t)(uintptr_t)&box) < 0)
		return -errno;
	if (to_marker() < 0)
		return -ESRCH;
	if (pread(kid_mem, &reply, sizeof(reply), (off_t)(uintptr_t)&box.reply) < 0)
		return -errno;
	return reply;
}

static void read_box(struct box *out)
{
	if (pread(kid_mem, out, sizeof(*out), (off_t)(uintptr_t)&box) != sizeof(*out))
		memset(out, 0, sizeof(*out));
}

struct range {
	uint64_t start, end, off, ino;
	char perms[5];
	char name[128];
};

/* The child's /proc/PID/maps lines inside [lo, hi). */
static int read_maps(uint64_t lo, uint64_t hi, struct range *out, int max)
{
	char path[64], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", kid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < max) {
		struct range r = {0};
		int name_at = 0;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*s %" SCNu64 " %n",
			   &r.start, &r.end, r.perms, &r.off, &r.ino, &name_at) < 5)
			continue;
		if (r.end <= lo || r.start >= hi)
			continue;
		snprintf(r.name, sizeof(r.name), "%s", line + name_at);
		r.name[strcspn(r.name, "\n")] = 0;
		/* Each injected open makes its own struct file, so the kernel does not merge
		 * adjacent mappings of one VMO as the model does: merge them here. */
		if (n && out[n - 1].end == r.start && out[n - 1].ino == r.ino && r.ino &&
		    !strcmp(out[n - 1].perms, r.perms) &&
		    out[n - 1].off + (out[n - 1].end - out[n - 1].start) == r.off) {
			out[n - 1].end = r.end;
			continue;
		}
		out[n++] = r;
	}
	fclose(f);
	return n;
}

static const char *maps_perm(int prot, bool shared, char *buf)
{
	buf[0] = prot & PROT_READ ? 'r' : '-';
	buf[1] = prot & PROT_WRITE ? 'w' : '-';
	buf[2] = prot & PROT_EXEC ? 'x' : '-';
	buf[3] = shared ? 's' : 'p';
	buf[4] = 0;
	return buf;
}

/* Every model mapping inside [lo, hi) is a /proc/PID/maps line with the same range and
 * permissions (memfd mappings of VMOs never merge), and there is no other line there. */
static bool maps_match(struct mm *mm, uint64_t lo, uint64_t hi, uint64_t skip_lo, uint64_t skip_hi)
{
	struct range real[64];
	int n = read_maps(lo, hi, real, 64), i = 0;
	struct mapping *m;
	char perm[5];
	bool ok = true;

	for (m = mm_first(mm); m; m = mm_next(mm, m)) {
		bool shared = m->kind == MK_ANON || (m->flags & MF_SHARED);

		if (m->end <= lo || m->start >= hi)
			continue;
		while (i < n && real[i].start >= skip_lo && real[i].end <= skip_hi)
			i++;
		maps_perm(m->prot, shared, perm);
		if (i >= n || real[i].start != m->start || real[i].end != m->end ||
		    strcmp(real[i].perms, perm)) {
			fprintf(stderr, "  model %#" PRIx64 "-%#" PRIx64 " %s; real: %s\n",
				m->start, m->end, perm, i < n ? real[i].perms : "(nothing)");
			ok = false;
		} else if (m->kind == MK_ANON && !strstr(real[i].name, "memfd:")) {
			fprintf(stderr, "  %#" PRIx64 ": not a VMO mapping: %s\n", m->start,
				real[i].name);
			ok = false;
		}
		i++;
	}
	for (; i < n; i++)
		if (!(real[i].start >= skip_lo && real[i].end <= skip_hi)) {
			fprintf(stderr, "  real %#" PRIx64 "-%#" PRIx64 " not in the model\n",
				real[i].start, real[i].end);
			ok = false;
		}
	return ok;
}

/* A free, 1 GiB-aligned range of the child's address space. */
static uint64_t free_range(uint64_t size)
{
	struct range r[512];
	int n = read_maps(0, UINT64_MAX, r, 512);

	for (uint64_t a = 0x100000000000ULL; a < 0x700000000000ULL; a += size) {
		bool clash = false;

		for (int i = 0; i < n && !clash; i++)
			clash = r[i].start < a + size && r[i].end > a;
		if (!clash)
			return a;
	}
	return 0;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static pid_t start_child(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		child();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, WUNTRACED) < 0 || !WIFSTOPPED(status))
		return -1;
	if (ptrace(PTRACE_SEIZE, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) < 0) {
		kill(pid, SIGKILL);
		return -1;
	}
	kill(pid, SIGCONT);
	return pid;
}

static void reap(void)
{
	if (kid > 0) {
		kill(kid, SIGKILL);
		while (waitpid(kid, NULL, __WALL) > 0)
			;
	}
	if (kid_mem >= 0)
		close(kid_mem);
	kid = 0;
	kid_mem = -1;
}

static struct tr_call sys(long nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	return (struct tr_call){.nr = nr, .arg = {a0, a1, a2}};
}

/* ---- the tests ---- */

static void test_batches(struct tr_remote *r, struct tr_tramp *t)
{
	struct tr_call c[3];
	char magic[4] = {0}, fdpath[64];
	struct range real[4];
	int n;

	c[0] = sys(SYS_getpid, 0, 0, 0);
	CHECK(tr_remote_batch(r, c, 1) == 1 && c[0].result == kid,
	      "batch of one getpid: %ld, want %d", c[0].result, kid);

	/* A chain: the mmap and the close take the openat's descriptor. */
	tr_tramp_str_reset(t);
	c[0] = sys(SYS_openat, (uint64_t)AT_FDCWD, tr_tramp_str(t, "/proc/self/exe"),
		   O_RDONLY | O_CLOEXEC);
	c[1] = (struct tr_call){.nr = SYS_mmap,
				.arg = {0, PG, PROT_READ, MAP_PRIVATE, 0, 0},
				.chain = {[4] = TR_CHAIN(0)}};
	c[2] = (struct tr_call){.nr = SYS_close, .chain = {TR_CHAIN(0)}};
	n = tr_remote_batch(r, c, 3);
	CHECK(n == 3 && c[0].result >= 0 && c[1].result > 0 && c[2].result == 0,
	      "chain open/mmap/close: %d (%ld %ld %ld)", n, c[0].result, c[1].result, c[2].result);
	if (n == 3) {
		pread(kid_mem, magic, 4, (off_t)c[1].result);
		CHECK(!memcmp(magic, "\177ELF", 4), "the chained mmap maps the executable");
		snprintf(fdpath, sizeof(fdpath), "/proc/%d/fd/%ld", kid, c[0].result);
		CHECK(access(fdpath, F_OK) < 0, "the chained close closed fd %ld", c[0].result);
		c[0] = sys(SYS_munmap, (uint64_t)c[1].result, PG, 0);
		CHECK(tr_remote_batch(r, c, 1) == 1, "munmap of the chained mapping");
	}

	/* A failure in the middle stops the batch there. */
	c[0] = sys(SYS_getpid, 0, 0, 0);
	c[1] = sys(SYS_close, (uint64_t)-1, 0, 0);
	c[2] = sys(SYS_getpid, 0, 0, 0);
	c[2].result = 12345;
	n = tr_remote_batch(r, c, 3);
	CHECK(n == 1 && r->done == 2 && c[1].result == -EBADF && c[2].result == 12345,
	      "error in the middle: %d succeeded, %d ran, close gave %ld", n, r->done, c[1].result);

	c[0] = (struct tr_call){.nr = SYS_getpid, .chain = {TR_CHAIN(0)}};
	CHECK(tr_remote_batch(r, c, 1) == -EINVAL, "a chain to itself is refused");
	CHECK(tr_remote_batch(r, c, 0) == -EINVAL, "an empty batch is refused");

	CHECK(tr_remote_inject(r, SYS_getpid, (uint64_t[6]){0}) == kid,
	      "one injection without the trampoline");
	n = read_maps(t->addr, t->addr + TR_SIZE, real, 4);
	CHECK(n == 2 && !strcmp(real[0].perms, "r-xp") && !strcmp(real[1].perms, "rw-s") &&
		  strstr(real[1].name, "starmm-tramp"),
	      "the trampoline's pages in /proc/PID/maps");
}

static void test_model(struct tr_remote *r, struct tr_ptrace_backend *b, struct mm *mm,
		       uint64_t base, uint64_t slot, int file_fd)
{
	char buf[PG], err[256];
	long a, a2, f, e;
	uint64_t count;

#define AT_STOP(expr)                                                                              \
	({                                                                                         \
		long _v = -ESRCH;                                                                  \
		if (to_marker() == 0 && tr_remote_begin(r, kid, b->t) == 0) {                      \
			_v = (expr);                                                               \
			tr_remote_end(r, 0);                                                       \
			tr_remote_redeliver(r);                                                    \
		}                                                                                  \
		_v;                                                                                \
	})

	a = AT_STOP(
	    mm_mmap(mm, 0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK(a >= (long)base && a < (long)(base + VMAR_SIZE), "mm_mmap into the child: %#lx", a);
	if (a < 0)
		return;
	for (int i = 0; i < 3; i++) {
		memset(buf, 'A' + i, PG);
		mm_write(mm, (uint64_t)a + i * PG, buf, PG);
	}
	CHECK(command(CMD_CHECK, (uint64_t)a, PG, 'A') == 1 &&
		  command(CMD_CHECK, (uint64_t)a + PG, PG, 'B') == 1 &&
		  command(CMD_CHECK, (uint64_t)a + 2 * PG, PG, 'C') == 1,
	      "the child reads what mm_write wrote");
	CHECK(command(CMD_FILL, (uint64_t)a, PG, 'D') == 1 &&
		  mm_read(mm, (uint64_t)a, buf, PG) == (long)PG && buf[0] == 'D' &&
		  buf[PG - 1] == 'D',
	      "mm_read reads what the child wrote");

	e = AT_STOP(mm_munmap(mm, (uint64_t)a + PG, PG));
	CHECK(e == 0, "mm_munmap of the middle page: %ld", e);
	CHECK(command(CMD_CHECK, (uint64_t)a, PG, 'D') == 1 &&
		  command(CMD_CHECK, (uint64_t)a + 2 * PG, PG, 'C') == 1,
	      "after the middle unmap the child still reads D and C");
	CHECK(maps_match(mm, base, base + VMAR_SIZE, slot, slot + TR_SIZE),
	      "/proc/PID/maps matches the model after the middle unmap");
	CHECK(mm_check(mm, err, sizeof(err)) == 0, "mm_check: %s", err);

	e = AT_STOP(mm_mprotect(mm, (uint64_t)a, PG, PROT_READ));
	CHECK(e == 0 && maps_match(mm, base, base + VMAR_SIZE, slot, slot + TR_SIZE),
	      "mm_mprotect: %ld, maps match", e);

	a2 = AT_STOP(mm_mremap(mm, (uint64_t)a + 2 * PG, PG, 4 * PG, MREMAP_MAYMOVE, 0));
	CHECK(a2 > 0 && command(CMD_CHECK, (uint64_t)a2, PG, 'C') == 1 &&
		  command(CMD_CHECK, (uint64_t)a2 + PG, 3 * PG, 0) == 1 &&
		  maps_match(mm, base, base + VMAR_SIZE, slot, slot + TR_SIZE),
	      "mm_mremap grows and moves the top page: %#lx", a2);

	/* A file mapping through the program's own descriptor (file_get: pidfd_getfd). */
	f = AT_STOP(mm_mmap(mm, 0, PG, PROT_READ, MAP_PRIVATE, file_fd, 0));
	CHECK(f > 0 && command(CMD_CHECK, (uint64_t)f, PG, 'F') == 1 &&
		  maps_match(mm, base, base + VMAR_SIZE, slot, slot + TR_SIZE),
	      "a private file mapping of the program's fd: %#lx", f);

	/* The fault point: the plan's first step fails before the kernel; nothing changes. */
	count = mm->count;
	fault_disarm(); /* nth counts from here */
	fault_arm("remote.batch:nth=1");
	e = AT_STOP(mm_mmap(mm, 0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	CHECK(e < 0 && fault_fired("remote.batch") == 1 && mm->count == count &&
		  maps_match(mm, base, base + VMAR_SIZE, slot, slot + TR_SIZE),
	      "remote.batch fault: mmap gives %ld, model and maps unchanged", e);
	fault_disarm();
	CHECK(mm_check(mm, err, sizeof(err)) == 0, "mm_check: %s", err);
#undef AT_STOP
}

/* Signals sent while batches run are recorded, suppressed, re-delivered: none is lost. */
static void test_storm(struct tr_remote *r, struct tr_tramp *t)
{
	static struct box got;
	int status, bad_batches = 0, batches = 0, recorded = 0, missing = 0;
	double deadline = now_us() + STORM_SECS * 1e6;
	bool sender_done = false;
	pid_t sender = fork();

	if (sender == 0) {
		for (int i = 1; i <= N_RT; i++) {
			union sigval v = {.sival_int = i};

			while (sigqueue(kid, SIGRTMIN, v) < 0 && errno == EAGAIN)
				usleep(100);
			if (i % (N_RT / N_USR1) == 0)
				kill(kid, SIGUSR1);
			usleep(150);
		}
		_exit(0);
	}
	while (now_us() < deadline) {
		struct tr_call c[3] = {
		    sys(SYS_getpid, 0, 0, 0),
		    sys(SYS_nanosleep, (uint64_t)(uintptr_t)&box.nap, 0, 0),
		    sys(SYS_getpid, 0, 0, 0),
		};

		if (to_marker() < 0 || tr_remote_begin(r, kid, t) < 0)
			break;
		batches++;
		if (tr_remote_batch(r, c, 3) != 3)
			bad_batches++;
		recorded += r->nsigs;
		tr_remote_end(r, 0);
		tr_remote_redeliver(r);
		if (!sender_done && waitpid(sender, &status, WNOHANG) == sender)
			sender_done = true;
		if (sender_done) {
			read_box(&got);
			if (got.rt + got.rt_bad >= N_RT)
				break;
		}
	}
	if (!sender_done) {
		kill(sender, SIGKILL);
		waitpid(sender, &status, 0);
	}
	read_box(&got);
	for (int i = 1; i <= N_RT; i++)
		missing += got.rt_seen[i] != 1;
	CHECK(bad_batches == 0, "%d of %d batches broken by the storm", bad_batches, batches);
	CHECK(recorded > 0, "no signal arrived during a batch (%d batches)", batches);
	CHECK(got.rt == N_RT && got.rt_bad == 0 && missing == 0,
	      "real-time signals: %" PRIu64 " delivered of %d, %d missing or doubled, %" PRIu64
	      " bad",
	      got.rt, N_RT, missing, got.rt_bad);
	CHECK(got.usr1 >= 1 && got.usr1 <= N_USR1, "SIGUSR1: %" PRIu64 " delivered of %d sent",
	      got.usr1, N_USR1);
	printf("storm: %d batches, %d signals arrived during them, %" PRIu64 " RT + %" PRIu64
	       " USR1 delivered\n",
	       batches, recorded, got.rt, got.usr1);
}

/* A SIGSTOP during a batch neither hangs nor breaks it: it is recorded, then re-delivered. */
static void test_sigstop(struct tr_remote *r, struct tr_tramp *t)
{
	struct tr_call c[2] = {sys(SYS_nanosleep, (uint64_t)(uintptr_t)&box.mid_nap, 0, 0),
			       sys(SYS_getpid, 0, 0, 0)};
	siginfo_t si[8];
	int n, np, stops = 0;
	pid_t stopper;

	if (to_marker() < 0 || tr_remote_begin(r, kid, t) < 0) {
		CHECK(0, "the child is not at its marker");
		return;
	}
	stopper = fork();
	if (stopper == 0) {
		usleep(50 * 1000);
		kill(kid, SIGSTOP);
		_exit(0);
	}
	n = tr_remote_batch(r, c, 2);
	np = tr_remote_pending(r, si, 8);
	for (int i = 0; i < np && i < 8; i++)
		stops += si[i].si_signo == SIGSTOP;
	CHECK(n == 2 && stops == 1, "SIGSTOP during a batch: %d, %d recorded", n, stops);
	tr_remote_end(r, 0);
	tr_remote_redeliver(r);
	CHECK(command(CMD_NONE, 0, 0, 0) >= 0, "the child runs on after the stop");
	waitpid(stopper, NULL, 0);
}

/* The child killed while a batch sleeps in it: -ESRCH everywhere, no crash. */
static void test_killed(struct tr_remote *r, struct tr_tramp *t, struct mm *mm, uint64_t a)
{
	struct tr_call c[2] = {sys(SYS_getpid, 0, 0, 0),
			       sys(SYS_nanosleep, (uint64_t)(uintptr_t)&box.long_nap, 0, 0)};
	double t0;
	pid_t killer;
	long e;
	int n;

	if (to_marker() < 0 || tr_remote_begin(r, kid, t) < 0) {
		CHECK(0, "the child is not at its marker");
		return;
	}
	killer = fork();
	if (killer == 0) {
		usleep(100 * 1000);
		kill(kid, SIGKILL);
		_exit(0);
	}
	t0 = now_us();
	n = tr_remote_batch(r, c, 2);
	CHECK(n == -ESRCH && r->dead && r->done == 1 && c[0].result == kid && now_us() - t0 < 2e6,
	      "killed mid-batch: %d, done %d", n, r->done);
	CHECK(tr_remote_end(r, 0) == -ESRCH, "end after the death");
	CHECK(tr_remote_begin(r, kid, t) == -ESRCH, "begin on the dead child");
	e = mm_munmap(mm, a, PG);
	CHECK(e < 0, "mm_munmap on the dead child fails: %ld", e);
	waitpid(killer, NULL, 0);
}

static long median(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double x = v[j];

			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return (long)(v[n / 2] * 10 + 0.5);
}

static void bench(struct tr_remote *r, struct tr_tramp *t, const char *label)
{
	enum { RUNS = 1000 };
	static double v[RUNS];
	struct tr_call c[3];
	long m1, m3, m3x1, inj;

	if (to_marker() < 0 || tr_remote_begin(r, kid, t) < 0)
		return;
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_us();

		c[0] = sys(SYS_getpid, 0, 0, 0);
		tr_remote_batch(r, c, 1);
		v[i] = now_us() - t0;
	}
	m1 = median(v, RUNS);
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_us();

		c[0] = c[1] = c[2] = sys(SYS_getpid, 0, 0, 0);
		tr_remote_batch(r, c, 3);
		v[i] = now_us() - t0;
	}
	m3 = median(v, RUNS);
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_us();

		for (int k = 0; k < 3; k++) {
			c[0] = sys(SYS_getpid, 0, 0, 0);
			tr_remote_batch(r, c, 1);
		}
		v[i] = now_us() - t0;
	}
	m3x1 = median(v, RUNS);
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_us();

		tr_remote_inject(r, SYS_getpid, (uint64_t[6]){0});
		v[i] = now_us() - t0;
	}
	inj = median(v, RUNS);
	tr_remote_end(r, 0);
	printf("bench (%s, median of %d, us): batch of 1: %ld.%ld  batch of 3: %ld.%ld  "
	       "3 batches of 1: %ld.%ld  one single-step injection: %ld.%ld\n",
	       label, RUNS, m1 / 10, m1 % 10, m3 / 10, m3 % 10, m3x1 / 10, m3x1 % 10, inj / 10,
	       inj % 10);
}

static void pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(pid, sizeof(set), &set);
}

int main(int argc, char **argv)
{
	bool do_bench = argc > 1 && !strcmp(argv[1], "--bench");
	struct tr_remote r = {0};
	struct tr_tramp t = {.memfd = -1};
	struct tr_ptrace_backend b;
	struct mm mm;
	struct mm_config cfg = {.be = &tr_ptrace_backend_ops, .split = MM_SPLIT_SNAPSHOT};
	char path[64], fpage[PG], tmpl[] = "/tmp/starmm-remote-XXXXXX";
	uint64_t base;
	int file_fd, e;
	bool model = false;
	long a = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A file the child inherits, for the file mapping. */
	file_fd = mkstemp(tmpl);
	memset(fpage, 'F', PG);
	if (file_fd < 0 || write(file_fd, fpage, PG) != PG) {
		perror("test_remote: temporary file");
		return 1;
	}
	unlink(tmpl);

	kid = start_child();
	if (kid < 0) {
		perror("test_remote: starting the traced child");
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", kid);
	kid_mem = open(path, O_RDWR | O_CLOEXEC);
	if (kid_mem < 0 || to_marker() < 0) {
		fprintf(stderr, "test_remote: the child did not reach its marker\n");
		reap();
		return 1;
	}
	base = free_range(VMAR_SIZE);
	CHECK(base != 0, "a free 1 GiB range in the child");

	/* Install at the marker's entry stop; the VMAR's slot is its first two pages. */
	CHECK(tr_remote_begin(&r, kid, NULL) == 0, "begin at the marker");
	CHECK(tr_remote_batch(&r, (struct tr_call[1]){sys(SYS_getpid, 0, 0, 0)}, 1) == -EINVAL,
	      "no batch before the install");
	e = tr_tramp_install(&t, &r, base);
	CHECK(e == 0, "install at %#" PRIx64 ": %s", base, strerror(-e));
	if (e == 0)
		test_batches(&r, &t);
	CHECK(tr_remote_end(&r, 0) == 0, "end");
	CHECK(command(CMD_FILL, (uint64_t)(uintptr_t)&box.val, 0, 0) == 1,
	      "the child runs on after the session");

	if (e == 0 && tr_ptrace_backend_init(&b, kid, &r, &t) == 0) {
		cfg.be_ctx = &b;
		cfg.vmar = (struct vmar_config){.base = base,
						.size = VMAR_SIZE,
						.slot = base,
						.slot_size = TR_SIZE,
						.place_lo = base,
						.place_hi = base + VMAR_SIZE,
						.top = base + VMAR_SIZE,
						.aslr = false,
						.seed = 1};
		model = mm_init(&mm, &cfg) == 0;
		CHECK(model, "mm_init over the child's free range");
	}
	if (model) {
		struct mapping *m;

		test_model(&r, &b, &mm, base, base, file_fd);
		if (do_bench) {
			bench(&r, &t, "unpinned");
			pin(getpid(), 0);
			pin(kid, 0);
			bench(&r, &t, "both on cpu 0");
		}
		test_storm(&r, &t);
		test_sigstop(&r, &t);
		m = mm_first(&mm);
		a = m ? (long)m->start : -1;
		test_killed(&r, &t, &mm, (uint64_t)a);
		mm_destroy(&mm);
		tr_ptrace_backend_release(&b);
	}
	tr_tramp_release(&t);
	tr_remote_release(&r);
	reap();
	close(file_fd);
	printf("remote: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
