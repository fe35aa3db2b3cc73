/*
 * --stats: the counters of a session, printed once at exit.
 *
 * What it models: where the supervisor's time and the program's memory calls went. The
 * JSON keys are a stable interface (scripts and CI read them): starmm_failed, trapped (name ->
 * count, trapped calls only), stops, injected_calls, batches, vmos_created, vmos_live_at_exit,
 * vmos_peak, bytes_copied, faults_handled, world_stops; extra keys may be added, never renamed.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "tracer/filter.h"
#include "fault/inject.h"
#include "tracer/stats.h"

void tr_stats_start(struct tr_stats *s)
{
	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &s->start);
}

void tr_stats_trapped(struct tr_stats *s, long nr)
{
	if (nr >= 0 && nr < TR_STATS_NR_MAX)
		s->trapped[nr]++;
	else
		s->trapped_other++;
}

/* A counter of s, for printf's %llu. */
#define U(field) (unsigned long long)s->field

static double seconds(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

/* A name for nr: the filter's, or "syscall_N" for a call the filter does not list. */
static const char *name_of(int nr, char *buf, size_t len)
{
	const char *name = tr_filter_name(nr);

	if (name)
		return name;
	snprintf(buf, len, "syscall_%d", nr);
	return buf;
}

static void print_json(const struct tr_stats *s, FILE *out, double wall, double user, double sys)
{
	const char *sep = "";
	char buf[32];

	fprintf(out, "{\"starmm_failed\": %s, \"exit_status\": %d, \"trapped\": {",
		s->starmm_failed ? "true" : "false", s->exit_status);
	for (int nr = 0; nr < TR_STATS_NR_MAX; nr++) {
		if (!s->trapped[nr])
			continue;
		fprintf(out, "%s\"%s\": %llu", sep, name_of(nr, buf, sizeof(buf)),
			(unsigned long long)s->trapped[nr]);
		sep = ", ";
	}
	if (s->trapped_other)
		fprintf(out, "%s\"other\": %llu", sep, (unsigned long long)s->trapped_other);
	fprintf(out,
		"}, \"stops\": %llu, \"signal_stops\": %llu, \"foreign_calls\": %llu, "
		"\"tasks\": %llu, \"injected_calls\": %llu, \"batches\": %llu, "
		"\"vmos_created\": %llu, \"vmos_live_at_exit\": %llu, \"vmos_peak\": %llu, "
		"\"bytes_copied\": %llu, \"faults_handled\": %llu, \"world_stops\": %llu, "
		"\"faults_injected\": %llu, \"fds_given\": %llu, \"wall_seconds\": %.6f, "
		"\"supervisor_user_seconds\": %.6f, "
		"\"supervisor_sys_seconds\": %.6f, \"fault_points\": {",
		U(stops), U(signal_stops), U(foreign_calls), U(tasks), U(injected_calls),
		U(batches), U(vmos_created), U(vmos_live_at_exit), U(vmos_peak), U(bytes_copied),
		U(faults_handled), U(world_stops), U(faults_injected), U(fds_given), wall, user,
		sys);
	/* Per fault point, the calls a --fault rule could have failed (made outside holds). */
	for (size_t i = 0; i < fault_npoints; i++)
		fprintf(out, "%s\"%s\": %llu", i ? ", " : "", fault_points[i].name,
			(unsigned long long)fault_live_calls(fault_points[i].name));
	fputs("}}\n", out);
}

static void print_table(const struct tr_stats *s, FILE *out, double wall, double user, double sys)
{
	uint64_t total = s->trapped_other;
	char buf[32];

	fputs("starmm-run statistics\n  trapped system calls:\n", out);
	for (int nr = 0; nr < TR_STATS_NR_MAX; nr++) {
		if (!s->trapped[nr])
			continue;
		fprintf(out, "    %-20s %12llu\n", name_of(nr, buf, sizeof(buf)),
			(unsigned long long)s->trapped[nr]);
		total += s->trapped[nr];
	}
	if (s->trapped_other)
		fprintf(out, "    %-20s %12llu\n", "other", U(trapped_other));
	fprintf(out, "    %-20s %12llu\n", "total", (unsigned long long)total);
#define ROW(label, field) fprintf(out, "  %-22s %12llu\n", label, U(field))
	ROW("stops", stops);
	ROW("signal stops", signal_stops);
	ROW("foreign calls", foreign_calls);
	ROW("tasks", tasks);
	ROW("injected calls", injected_calls);
	ROW("batches", batches);
	ROW("vmos created", vmos_created);
	ROW("vmos live at exit", vmos_live_at_exit);
	ROW("vmos peak", vmos_peak);
	ROW("bytes copied", bytes_copied);
	ROW("faults handled", faults_handled);
	ROW("fds given", fds_given);
	ROW("world stops", world_stops);
	ROW("faults injected", faults_injected);
#undef ROW
	fprintf(out, "  %-22s %12.6f s\n", "wall time", wall);
	fprintf(out, "  %-22s %12.6f s user, %.6f s sys\n", "supervisor cpu", user, sys);
	fprintf(out, "  %-22s %12d%s\n", "exit status", s->exit_status,
		s->starmm_failed ? " (starmm-run failed)" : "");
}

#undef U

int tr_stats_print(const struct tr_stats *s, FILE *out, bool json)
{
	struct timespec now;
	struct rusage ru;
	double wall;

	clock_gettime(CLOCK_MONOTONIC, &now);
	wall = (now.tv_sec - s->start.tv_sec) + (now.tv_nsec - s->start.tv_nsec) / 1e9;
	if (getrusage(RUSAGE_SELF, &ru))
		memset(&ru, 0, sizeof(ru));
	if (json)
		print_json(s, out, wall, seconds(ru.ru_utime), seconds(ru.ru_stime));
	else
		print_table(s, out, wall, seconds(ru.ru_utime), seconds(ru.ru_stime));
	return fflush(out) ? -errno : 0;
}

/* --trace lines. Values from the uapi headers (asm-generic/mman-common.h, linux/mman.h,
 * linux/sched.h); spelled out so that a libc lacking a recent flag still decodes it. */
struct flag {
	uint64_t bit;
	const char *name;
};

static const struct flag prot_flags[] = {
    {0x1, "PROT_READ"},
    {0x2, "PROT_WRITE"},
    {0x4, "PROT_EXEC"},
    {0x8, "PROT_SEM"},
    {0x01000000, "PROT_GROWSDOWN"},
    {0x02000000, "PROT_GROWSUP"},
    {0, NULL},
};

static const struct flag map_flags[] = {
    {0x08, "MAP_DROPPABLE"},
    {0x10, "MAP_FIXED"},
    {0x20, "MAP_ANONYMOUS"},
    {0x40, "MAP_32BIT"},
    {0x100, "MAP_GROWSDOWN"},
    {0x800, "MAP_DENYWRITE"},
    {0x1000, "MAP_EXECUTABLE"},
    {0x2000, "MAP_LOCKED"},
    {0x4000, "MAP_NORESERVE"},
    {0x8000, "MAP_POPULATE"},
    {0x10000, "MAP_NONBLOCK"},
    {0x20000, "MAP_STACK"},
    {0x40000, "MAP_HUGETLB"},
    {0x80000, "MAP_SYNC"},
    {0x100000, "MAP_FIXED_NOREPLACE"},
    {0x4000000, "MAP_UNINITIALIZED"},
    {0, NULL},
};

static const struct flag mremap_flags[] = {
    {0x1, "MREMAP_MAYMOVE"},
    {0x2, "MREMAP_FIXED"},
    {0x4, "MREMAP_DONTUNMAP"},
    {0, NULL},
};

static const struct flag msync_flags[] = {
    {0x1, "MS_ASYNC"},
    {0x2, "MS_INVALIDATE"},
    {0x4, "MS_SYNC"},
    {0, NULL},
};

static const struct flag mcl_flags[] = {
    {0x1, "MCL_CURRENT"},
    {0x2, "MCL_FUTURE"},
    {0x4, "MCL_ONFAULT"},
    {0, NULL},
};

static const struct flag mlock2_flags[] = {{0x1, "MLOCK_ONFAULT"}, {0, NULL}};

static const struct flag clone_flags[] = {
    {0x100, "CLONE_VM"},
    {0x200, "CLONE_FS"},
    {0x400, "CLONE_FILES"},
    {0x800, "CLONE_SIGHAND"},
    {0x1000, "CLONE_PIDFD"},
    {0x2000, "CLONE_PTRACE"},
    {0x4000, "CLONE_VFORK"},
    {0x8000, "CLONE_PARENT"},
    {0x10000, "CLONE_THREAD"},
    {0x20000, "CLONE_NEWNS"},
    {0x40000, "CLONE_SYSVSEM"},
    {0x80000, "CLONE_SETTLS"},
    {0x100000, "CLONE_PARENT_SETTID"},
    {0x200000, "CLONE_CHILD_CLEARTID"},
    {0x800000, "CLONE_UNTRACED"},
    {0x1000000, "CLONE_CHILD_SETTID"},
    {0, NULL},
};

static const char *const madv_names[] = {
    [0] = "MADV_NORMAL",	   [1] = "MADV_RANDOM",		[2] = "MADV_SEQUENTIAL",
    [3] = "MADV_WILLNEED",	   [4] = "MADV_DONTNEED",	[8] = "MADV_FREE",
    [9] = "MADV_REMOVE",	   [10] = "MADV_DONTFORK",	[11] = "MADV_DOFORK",
    [12] = "MADV_MERGEABLE",	   [13] = "MADV_UNMERGEABLE",	[14] = "MADV_HUGEPAGE",
    [15] = "MADV_NOHUGEPAGE",	   [16] = "MADV_DONTDUMP",	[17] = "MADV_DODUMP",
    [18] = "MADV_WIPEONFORK",	   [19] = "MADV_KEEPONFORK",	[20] = "MADV_COLD",
    [21] = "MADV_PAGEOUT",	   [22] = "MADV_POPULATE_READ", [23] = "MADV_POPULATE_WRITE",
    [24] = "MADV_DONTNEED_LOCKED", [25] = "MADV_COLLAPSE",
};

static void print_flags(FILE *out, uint64_t v, const struct flag *f, const char *none)
{
	const char *sep = "";

	if (!v) {
		fputs(none, out);
		return;
	}
	for (; f->name; f++) {
		if (!(v & f->bit))
			continue;
		fprintf(out, "%s%s", sep, f->name);
		v &= ~f->bit;
		sep = "|";
	}
	if (v || !*sep)
		fprintf(out, "%s%#llx", sep, (unsigned long long)v);
}

static void print_map_flags(FILE *out, uint64_t v)
{
	static const char *const types[] = {"0", "MAP_SHARED", "MAP_PRIVATE",
					    "MAP_SHARED_VALIDATE"};
	uint64_t type = v & 0x0f; /* MAP_TYPE */

	if (type < 4)
		fputs(types[type], out);
	else
		fprintf(out, "%#llx", (unsigned long long)type);
	if (v & ~0x0full) {
		fputc('|', out);
		print_flags(out, v & ~0x0full, map_flags, "0");
	}
}

static void print_clone_flags(FILE *out, uint64_t v)
{
	print_flags(out, v & ~0xffull, clone_flags, "0");
	if (v & 0xff) /* CSIGNAL: the exit signal */
		fprintf(out, "|SIG%s", sigabbrev_np(v & 0xff) ?: "?");
}

static void print_hex(FILE *out, uint64_t v)
{
	if (v)
		fprintf(out, "%#llx", (unsigned long long)v);
	else
		fputc('0', out);
}

static void print_arg(FILE *out, char kind, uint64_t v)
{
	switch (kind) {
	case TR_ARG_INT:
		fprintf(out, "%d", (int)v);
		break;
	case TR_ARG_ULONG:
		fprintf(out, "%llu", (unsigned long long)v);
		break;
	case TR_ARG_PROT:
		print_flags(out, v, prot_flags, "PROT_NONE");
		break;
	case TR_ARG_MAP:
		print_map_flags(out, v);
		break;
	case TR_ARG_MREMAP:
		print_flags(out, v, mremap_flags, "0");
		break;
	case TR_ARG_MADV:
		if (v < sizeof(madv_names) / sizeof(madv_names[0]) && madv_names[v])
			fputs(madv_names[v], out);
		else
			fprintf(out, "%llu", (unsigned long long)v);
		break;
	case TR_ARG_MSYNC:
		print_flags(out, v, msync_flags, "0");
		break;
	case TR_ARG_MCL:
		print_flags(out, v, mcl_flags, "0");
		break;
	case TR_ARG_MLOCK2:
		print_flags(out, v, mlock2_flags, "0");
		break;
	case TR_ARG_CLONE:
		print_clone_flags(out, v);
		break;
	default:
		print_hex(out, v);
	}
}

/* Calls whose result is an address. */
static bool returns_address(const char *name)
{
	return !strcmp(name, "mmap") || !strcmp(name, "mremap") || !strcmp(name, "brk") ||
	       !strcmp(name, "shmat") || !strcmp(name, "map_shadow_stack");
}

void tr_trace_line(FILE *out, pid_t tid, long nr, const uint64_t args[6], int64_t ret,
		   bool finished)
{
	const char *name = tr_filter_name(nr), *kinds = tr_filter_args(nr);
	char buf[32];

	if (!name) {
		snprintf(buf, sizeof(buf), "syscall_%ld", nr);
		name = buf;
		kinds = "xxxxxx";
	}
	fprintf(out, "[pid %d] %s(", tid, name);
	for (int i = 0; kinds[i] && i < 6; i++) {
		if (i)
			fputs(", ", out);
		print_arg(out, kinds[i], args[i]);
	}
	fputs(") = ", out);
	if (!finished)
		fputc('?', out);
	else if (ret < 0 && ret >= -4095)
		fprintf(out, "-1 %s (%s)", strerrorname_np(-ret) ?: "E?", strerror(-ret));
	else if (returns_address(name))
		print_hex(out, ret);
	else
		fprintf(out, "%lld", (long long)ret);
	fputc('\n', out);
}
