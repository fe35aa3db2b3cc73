/*
 * brk, natively: a forked child that owns the native heap, driven over two pipes.
 *
 * The program break is process-wide, so the native brk cannot run in the harness's own
 * process (its malloc uses the heap). The child is forked early, before the regions exist,
 * and from then on uses raw syscalls and static buffers only (no malloc, no stdio). At start
 * it empties its heap (brk(start_brk), start_brk read from /proc/self/stat), checks that
 * nothing is mapped in the heap window above start_brk, maps its ceiling (PROT_NONE, private
 * anonymous, DT_CEIL_OFF above start_brk: the model has its ceiling at the same distance) and
 * a 2 MiB private writable NORESERVE mapping that is never touched. That mapping makes the
 * child's VmData (its data_vm, which RLIMIT_DATA limits) at least as large as anything the
 * model's ops window can hold, so the model's ext_data_pages for a brk
 * (child base - model's non-heap data pages) is never negative.
 *
 * Requests: BRK (the new break, absolute, and the RLIMIT_DATA to set first), WRITE (a pattern
 * into the heap), QUIT. Every reply carries the raw brk result (or the current break), the
 * heap window's layout relative to start_brk (rwx), and a hash of every mapped page of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/difftest/dt.h"

#define HEAP_PAGES (DT_HEAP_WIN / DT_PAGE)
#define CHILD_SEGS 32

enum { REQ_BRK, REQ_WRITE, REQ_QUIT };

struct brk_req {
	int cmd;
	uint64_t arg, len, seed, rlim;
};

struct brk_rep {
	int64_t ret; /* BRK: the raw result; init: start_brk; WRITE: 0 or -errno */
	uint64_t base_pages;
	int nseg;
	struct seg seg[CHILD_SEGS];
	uint64_t hash[HEAP_PAGES];
};

static struct brk_rep rep; /* the last reply (parent), the reply being built (child) */
static uint64_t child_start_brk;

static bool xfer(int fd, void *p, size_t n, bool out)
{
	char *c = p;

	while (n) {
		ssize_t r = out ? write(fd, c, n) : read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		c += r;
		n -= (size_t)r;
	}
	return true;
}

/* --- the child --- */

static void child_die(const char *msg)
{
	(void)!write(2, msg, strlen(msg));
	_exit(3);
}

static void child_report(int memfd, uint64_t sb)
{
	static struct layout l;
	static char page[DT_PAGE];

	if (maps_window(sb, DT_HEAP_WIN, &l) < 0)
		child_die("difftest brk child: cannot read /proc/self/maps\n");
	rep.nseg = l.n < CHILD_SEGS ? l.n : CHILD_SEGS;
	memcpy(rep.seg, l.s, sizeof(rep.seg[0]) * (size_t)rep.nseg);
	memset(rep.hash, 0, sizeof(rep.hash));
	for (int i = 0; i < l.n; i++)
		for (uint64_t a = l.s[i].start; a < l.s[i].end; a += DT_PAGE) {
			ssize_t n = pread(memfd, page, DT_PAGE, (off_t)(sb + a));

			rep.hash[a / DT_PAGE] = n == DT_PAGE ? hash_bytes(page, DT_PAGE) : 1;
		}
}

static void child_main(int rfd, int wfd, uint64_t sb)
{
	static struct layout l;
	struct brk_req req;
	struct rlimit rl;
	int memfd;
	long vmdata;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if ((uint64_t)syscall(SYS_brk, sb) != sb)
		child_die("difftest brk child: cannot empty its heap\n");

	if (maps_window(sb, DT_HEAP_WIN, &l) < 0 || l.n > 0)
		child_die("difftest brk child: something is mapped above its start_brk\n");
	if (mmap((void *)(sb + DT_CEIL_OFF), DT_HEAP_WIN - DT_CEIL_OFF, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED)
		child_die("difftest brk child: cannot map its brk ceiling\n");
	if (mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0) == MAP_FAILED)
		child_die("difftest brk child: cannot map its data ballast\n");
	memfd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	vmdata = status_field_kb("VmData");
	if (memfd < 0 || vmdata < 0)
		child_die("difftest brk child: cannot open /proc/self/mem or status\n");
	rep.ret = (int64_t)sb;
	rep.base_pages = (uint64_t)vmdata / 4;
	child_report(memfd, sb);
	if (!xfer(wfd, &rep, sizeof(rep), true))
		_exit(0);
	while (xfer(rfd, &req, sizeof(req), false)) {
		switch (req.cmd) {
		case REQ_BRK:
			getrlimit(RLIMIT_DATA, &rl);
			rl.rlim_cur = req.rlim > rl.rlim_max ? rl.rlim_max : req.rlim;
			setrlimit(RLIMIT_DATA, &rl);
			rep.ret = syscall(SYS_brk, req.arg);
			break;
		case REQ_WRITE:
			pattern_fill((void *)(sb + req.arg), req.len, req.seed);
			rep.ret = 0;
			break;
		default:
			_exit(0);
		}
		child_report(memfd, sb);
		if (!xfer(wfd, &rep, sizeof(rep), true))
			_exit(0);
	}
	_exit(0);
}

/* --- the parent --- */

static void take_reply(void)
{
	dt.cheap.n = 0;
	for (int i = 0; i < rep.nseg; i++)
		layout_add(&dt.cheap, rep.seg[i].start, rep.seg[i].end, rep.seg[i].attr);
}

int brk_child_start(void)
{
	int req[2], rp[2];
	uint64_t sb;
	pid_t pid;

	if (stat_field(47, &sb) < 0)
		return -EIO;
	if (pipe2(req, O_CLOEXEC) < 0 || pipe2(rp, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(req[1]);
		close(rp[0]);
		child_main(req[0], rp[1], sb);
	}
	close(req[0]);
	close(rp[1]);
	dt.brk_pid = pid;
	dt.brk_req = req[1];
	dt.brk_rep = rp[0];
	if (!xfer(dt.brk_rep, &rep, sizeof(rep), false))
		return -ECHILD;
	child_start_brk = (uint64_t)rep.ret;
	dt.child_base_pages = rep.base_pages;
	dt.child_brk = 0;
	take_reply();
	return 0;
}

void brk_child_stop(void)
{
	struct brk_req req = {.cmd = REQ_QUIT};

	if (dt.brk_pid <= 0)
		return;
	xfer(dt.brk_req, &req, sizeof(req), true);
	close(dt.brk_req);
	close(dt.brk_rep);
	waitpid(dt.brk_pid, NULL, 0);
	dt.brk_pid = 0;
}

static int64_t transact(const struct brk_req *req)
{
	if (!xfer(dt.brk_req, (void *)req, sizeof(*req), true) ||
	    !xfer(dt.brk_rep, &rep, sizeof(rep), false)) {
		fprintf(stderr, "difftest: the brk child died\n");
		exit(2);
	}
	take_reply();
	return rep.ret;
}

/* The child's brk for op with RLIMIT_DATA rlim; its result relative to its start_brk. */
int64_t brk_child_op(const struct op *op, uint64_t rlim)
{
	struct brk_req req = {.cmd = REQ_BRK, .rlim = rlim};
	int64_t r;

	req.arg = op->brk_abs ? (uint64_t)op->brk : child_start_brk + (uint64_t)op->brk;
	r = transact(&req) - (int64_t)child_start_brk;
	dt.child_brk = r;
	return r;
}

int brk_child_write(uint64_t rel, uint64_t len, uint64_t seed)
{
	struct brk_req req = {.cmd = REQ_WRITE, .arg = rel, .len = len, .seed = seed};

	return (int)transact(&req);
}

const uint64_t *brk_child_hashes(void)
{
	return rep.hash;
}

uint64_t brk_child_heap_pages_max(void)
{
	return HEAP_PAGES;
}
