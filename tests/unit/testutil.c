/*
 * Helpers shared by the unit tests: leak probes (descriptors, live VMOs) and the runner.
 */
#include <dirent.h>
#include <stdlib.h>

#include "tests/unit/testutil.h"
#include "vmo/vmo.h"

int tu_count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!dir)
		return -1;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1; /* the descriptor of the listing itself */
}

uint64_t tu_live_vmos(void)
{
	struct vmo_stats st;

	vmo_stats_get(&st);
	return st.live;
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* --- The address space fixture and the kernel-side probes --- */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault/inject.h"

void tu_mm_setup_opts(struct tu_mm *t, const struct tu_mm_opts *o)
{
	uint64_t size = o->size ? o->size : TU_REGION;
	struct mm_config cfg;
	int r;

	memset(t, 0, sizeof(*t));
	fault_disarm();
	t->base_fds = tu_count_fds();
	t->base_live = tu_live_vmos();
	r = self_region_reserve(&t->sb, size, 0);
	ck_assert_msg(r == 0, "self_region_reserve: %s", strerror(-r));
	t->lo = t->sb.lo;
	t->hi = t->sb.hi;
	memset(&cfg, 0, sizeof(cfg));
	cfg.vmar = (struct vmar_config){
	    .base = t->lo,
	    .size = size,
	    .slot = o->slot_size ? t->lo + o->slot_off : 0,
	    .slot_size = o->slot_size,
	    .place_lo = t->lo,
	    .place_hi = t->hi,
	    .top = t->hi,
	    .aslr = o->aslr,
	    .seed = 1,
	};
	cfg.be = &self_backend_ops;
	cfg.be_ctx = &t->sb;
	cfg.split = o->split;
	cfg.start_brk = o->brk_off ? t->lo + o->brk_off : 0;
	cfg.start_data = o->start_data;
	cfg.end_data = o->end_data;
	r = mm_init(&t->mm, &cfg);
	ck_assert_msg(r == 0, "mm_init: %s", strerror(-r));
	TU_CHECK(&t->mm);
}

void tu_mm_setup(struct tu_mm *t, enum mm_split split, bool aslr)
{
	struct tu_mm_opts o = {.split = split, .aslr = aslr};

	tu_mm_setup_opts(t, &o);
}

void tu_mm_teardown(struct tu_mm *t)
{
	fault_disarm();
	ck_assert_msg(!t->mm.failed, "the model reported a failure of its own (mm->failed)");
	TU_CHECK(&t->mm);
	mm_destroy(&t->mm);
	self_region_release(&t->sb);
	ck_assert_uint_eq(tu_live_vmos(), t->base_live);
	ck_assert_int_eq(tu_count_fds(), t->base_fds);
}

uint64_t tu_mmap_ok(struct tu_mm *t, uint64_t addr, uint64_t len, int prot, int flags, int fd,
		    uint64_t off)
{
	long r = mm_mmap(&t->mm, addr, len, prot, flags, fd, off);

	ck_assert_msg(r >= 0, "mm_mmap(%#" PRIx64 ", %#" PRIx64 ", %#x, %#x, %d) = %s", addr, len,
		      prot, flags, fd, strerror((int)-r));
	ck_assert_msg((uint64_t)r >= t->lo && (uint64_t)r + len <= t->hi,
		      "mm_mmap returned %#lx outside the region %#" PRIx64 "-%#" PRIx64, r, t->lo,
		      t->hi);
	TU_CHECK(&t->mm);
	return (uint64_t)r;
}

char *tu_mm_dump(struct mm *mm)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	mm_dump(mm, f);
	fclose(f);
	return buf;
}

/* Calls fn on each line of /proc/self/maps, parsed, until it returns nonzero. */
static int each_map(int (*fn)(const struct tu_map *m, const char *line, void *arg), void *arg)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int r = 0;

	ck_assert_ptr_nonnull(f);
	while (!r && fgets(line, sizeof(line), f)) {
		struct tu_map m = {0};
		int n = 0;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*x:%*x %lu %n", &m.start,
			   &m.end, m.perms, &m.off, &m.ino, &n) < 5)
			continue;
		if (n > 0) {
			snprintf(m.path, sizeof(m.path), "%s", line + n);
			m.path[strcspn(m.path, "\n")] = 0;
		}
		r = fn(&m, line, arg);
	}
	fclose(f);
	return r;
}

struct range_arg {
	uint64_t lo, hi;
	FILE *out;
};

static int add_in_range(const struct tu_map *m, const char *line, void *arg)
{
	struct range_arg *a = arg;

	if (m->end > a->lo && m->start < a->hi)
		fputs(line, a->out);
	return 0;
}

char *tu_maps_range(uint64_t lo, uint64_t hi)
{
	struct range_arg a = {lo, hi, NULL};
	char *buf = NULL;
	size_t len = 0;

	a.out = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(a.out);
	each_map(add_in_range, &a);
	fclose(a.out);
	return buf;
}

struct at_arg {
	uint64_t addr;
	struct tu_map *out;
};

static int find_at(const struct tu_map *m, const char *line, void *arg)
{
	struct at_arg *a = arg;

	(void)line;
	if (m->start <= a->addr && a->addr < m->end) {
		*a->out = *m;
		return 1;
	}
	return 0;
}

int tu_map_at(uint64_t addr, struct tu_map *out)
{
	struct at_arg a = {addr, out};

	return each_map(find_at, &a) ? 0 : -1;
}

void tu_prots(uint64_t addr, size_t npages, char *out)
{
	for (size_t i = 0; i < npages; i++) {
		struct tu_map m;
		char *p = out + 3 * i;

		if (tu_map_at(addr + i * TU_PAGE, &m) < 0 || strstr(m.path, SELF_HOLE_NAME)) {
			memcpy(p, "...", 3);
			continue;
		}
		memcpy(p, m.perms, 3);
	}
	out[3 * npages] = 0;
}

int tu_tmpfile(size_t size, int byte, int oflags)
{
	char path[] = "/tmp/starmm-test-XXXXXX";
	int fd = mkstemp(path), ro;
	char buf[4096];

	ck_assert_int_ge(fd, 0);
	memset(buf, byte, sizeof(buf));
	for (size_t done = 0; done < size;) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);

		ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
		done += n;
	}
	if ((oflags & O_ACCMODE) != O_RDWR) {
		ro = open(path, oflags | O_CLOEXEC);
		ck_assert_int_ge(ro, 0);
		close(fd);
		fd = ro;
	}
	unlink(path);
	return fd;
}

int tu_in_child(int (*fn)(void *arg), void *arg)
{
	/* The result travels through shared memory, not the exit status: under valgrind a
	 * child's exit status is valgrind's (--error-exitcode) when it finds errors. */
	int *res = tu_shared(sizeof(int)), r;
	pid_t pid;
	int status;

	*res = -1;
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		*res = fn(arg) & 0x7f;
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	r = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : *res;
	tu_shared_free(res, sizeof(int));
	return r;
}

void *tu_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

void tu_shared_free(void *p, size_t size)
{
	munmap(p, size);
}

long tu_sys(long r)
{
	return r == -1 ? -errno : r;
}

long tu_native_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
	void *p = mmap((void *)addr, len, prot, flags, fd, (off_t)off);

	return p == MAP_FAILED ? -errno : (long)p;
}

uint64_t tu_native_free_range(uint64_t len)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	munmap(p, len);
	return (uint64_t)p;
}

int tu_drop_cap(int cap)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	d[cap / 32].effective &= ~(1u << (cap % 32));
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

uint64_t tu_vm_data_pages(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long kb = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmData: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024 / TU_PAGE;
}

bool tu_under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

bool tu_vmflag(uint64_t addr, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512], want[8];
	bool in = false, found = false;

	if (!f)
		return false;
	snprintf(want, sizeof(want), " %s", flag);
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char c;

		if (sscanf(line, "%lx-%lx %c", &s, &e, &c) == 3) {
			in = addr >= s && addr < e;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			found = strstr(line + 8, want) != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}
