/*
 * Fault injection: the rules armed by --fault, the per-point counters, and the decision made
 * at each fault_hit().
 *
 * Model: every fallible step names itself (a fault_points[] entry) and asks before acting.
 * Each point counts its calls and its firings since the last fault_disarm(). A rule selects
 * a set of points (one bit per table entry, from a glob) and a trigger over the point's own
 * call count (nth, every), a draw from a seeded splitmix64 generator (p), or nothing (always).
 * Rules are tried in the order they were armed; the first that fires decides the errno.
 *
 * Invariants: nrules <= MAX_RULES; every rule selects at least one point; calls[i] >= fired[i];
 * nothing fires while hold > 0, but calls are counted, so nth=N means the N-th call whether or
 * not earlier ones were held. The generator is drawn from only when a p rule is evaluated, so a
 * given seed and call sequence always gives the same failures.
 *
 * Cost: with no rule armed, fault_hit() is a pointer-keyed cache probe (confirmed by one
 * strcmp), an increment and a test. Single-threaded, as the supervisor is.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault/inject.h"

#define MAX_RULES   64
#define MAX_POINTS  64 /* one bit per point in struct rule */
#define MAX_SPEC    256
#define CACHE_SLOTS 16
#define ERRNO_MAX   4095 /* the kernel's -MAX_ERRNO..-1 error range */

enum trigger { ALWAYS, NTH, EVERY, PROB };

struct rule {
	uint64_t points; /* bit i selects fault_points[i] */
	enum trigger trigger;
	uint64_t n; /* NTH, EVERY */
	double p;   /* PROB */
	int err;    /* 0: the point's default errno */
};

static struct rule rules[MAX_RULES];
static size_t nrules;
static uint64_t calls[MAX_POINTS];
static uint64_t live[MAX_POINTS]; /* calls made outside a hold: what nth and every count */
static uint64_t fired[MAX_POINTS];
static unsigned hold;
static uint64_t rng = 1;
static fault_listener_fn listener;
static void *listener_arg;

static struct {
	const char *name;
	size_t idx;
} cache[CACHE_SLOTS];

/* clang-format off */
#define E(x) { x, #x }
static const struct {
	int num;
	const char *name;
} errnos[] = {
	E(EPERM),   E(ENOENT), E(ESRCH),  E(EINTR),  E(EIO),	 E(ENXIO),     E(E2BIG),
	E(ENOEXEC), E(EBADF),  E(ECHILD), E(EAGAIN), E(ENOMEM),	 E(EACCES),    E(EFAULT),
	E(EBUSY),   E(EEXIST), E(EXDEV),  E(ENODEV), E(ENOTDIR), E(EISDIR),    E(EINVAL),
	E(ENFILE),  E(EMFILE), E(ENOTTY), E(ETXTBSY), E(EFBIG),	 E(ENOSPC),    E(ESPIPE),
	E(EROFS),   E(EMLINK), E(EPIPE),  E(EDOM),   E(ERANGE),	 E(ENAMETOOLONG), E(ENOSYS),
	E(EOVERFLOW), E(EOPNOTSUPP), E(ETIMEDOUT), E(EDQUOT), E(ECANCELED),
	/* aliases last, so that a number maps back to its usual name */
	E(EWOULDBLOCK), E(ENOTSUP),
};
#undef E
/* clang-format on */

static long find(const char *point)
{
	for (size_t i = 0; i < fault_npoints; i++)
		if (strcmp(fault_points[i].name, point) == 0)
			return (long)i;
	return -1;
}

static size_t slot_of(const char *point)
{
	return (size_t)(((uint64_t)(uintptr_t)point * 0x9e3779b97f4a7c15ULL) >> 60) % CACHE_SLOTS;
}

/* The table index of a name passed to fault_hit(); an unknown name is a bug in the caller. */
static size_t lookup(const char *point)
{
	size_t slot = slot_of(point);
	long i;

	if (cache[slot].name == point && strcmp(fault_points[cache[slot].idx].name, point) == 0)
		return cache[slot].idx;
	i = find(point);
	if (i < 0 || i >= MAX_POINTS) {
		fprintf(stderr,
			"starmm: fault_hit(\"%s\"): not a fault point (add it to "
			"fault_points[] in fault/points.c)\n",
			point);
		abort();
	}
	cache[slot].name = point;
	cache[slot].idx = (size_t)i;
	return (size_t)i;
}

/* splitmix64 (Steele, Lea, Flood 2014): tiny, and every seed gives a good sequence. */
static double next_unit(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53; /* [0, 1) */
}

static bool fires(const struct rule *r, size_t i)
{
	switch (r->trigger) {
	case NTH:
		return live[i] == r->n;
	case EVERY:
		return live[i] % r->n == 0;
	case PROB:
		return next_unit() < r->p;
	default:
		return true;
	}
}

static int fire(size_t i)
{
	for (size_t k = 0; k < nrules; k++) {
		const struct rule *r = &rules[k];
		int err;

		if (!(r->points & (1ULL << i)) || !fires(r, i))
			continue;
		err = r->err ? r->err : fault_points[i].default_errno;
		fired[i]++;
		if (listener)
			listener(fault_points[i].name, err, listener_arg);
		return -err;
	}
	return 0;
}

int fault_hit(const char *point)
{
	size_t i = lookup(point);

	calls[i]++;
	if (hold)
		return 0;
	live[i]++;
	return nrules ? fire(i) : 0;
}

int fault_force(const char *point)
{
	size_t i = lookup(point);
	int err = fault_points[i].default_errno;

	calls[i]++;
	if (hold)
		return 0;
	fired[i]++;
	if (listener)
		listener(fault_points[i].name, err, listener_arg);
	return -err;
}

/* A decimal number with nothing around it (strtoull alone accepts "-1", " 1" and "1x"). */
static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int parse_prob(const char *s, double *out)
{
	char *end;

	if ((*s < '0' || *s > '9') && *s != '.')
		return -EINVAL;
	*out = strtod(s, &end);
	return *end || !(*out > 0 && *out <= 1) ? -EINVAL : 0;
}

static int parse_errno(const char *s, int *out)
{
	uint64_t n;

	if (parse_u64(s, &n) == 0)
		*out = n >= 1 && n <= ERRNO_MAX ? (int)n : -1;
	else
		*out = fault_errno_from_name(s);
	return *out > 0 ? 0 : -EINVAL;
}

static int parse_trigger(struct rule *r, const char *key, const char *val)
{
	if (r->trigger != ALWAYS)
		return -EINVAL; /* one trigger per rule */
	if (strcmp(key, "p") == 0) {
		r->trigger = PROB;
		return parse_prob(val, &r->p);
	}
	if (strcmp(key, "nth") == 0)
		r->trigger = NTH;
	else if (strcmp(key, "every") == 0)
		r->trigger = EVERY;
	else
		return -EINVAL;
	return parse_u64(val, &r->n) || r->n == 0 ? -EINVAL : 0;
}

static int parse_option(struct rule *r, char *opt)
{
	char *val = strchr(opt, '=');

	if (!val)
		return -EINVAL;
	*val++ = '\0';
	if (strcmp(opt, "errno") == 0)
		return r->err ? -EINVAL : parse_errno(val, &r->err);
	return parse_trigger(r, opt, val);
}

static uint64_t match_points(const char *glob)
{
	uint64_t mask = 0;

	if (fault_npoints > MAX_POINTS) {
		fprintf(stderr,
			"starmm: fault_points[] has %zu entries, at most %d are supported\n",
			fault_npoints, MAX_POINTS);
		abort();
	}
	for (size_t i = 0; i < fault_npoints; i++)
		if (fnmatch(glob, fault_points[i].name, 0) == 0)
			mask |= 1ULL << i;
	return mask;
}

int fault_arm(const char *spec)
{
	struct rule r = {.trigger = ALWAYS};
	char buf[MAX_SPEC], *rest = buf, *opt;
	int ret;

	if (!spec || strlen(spec) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, spec);
	r.points = match_points(strsep(&rest, ":"));
	if (!r.points)
		return -EINVAL;
	while ((opt = strsep(&rest, ":")))
		if ((ret = parse_option(&r, opt)))
			return ret;
	if (nrules == MAX_RULES)
		return -ENOSPC;
	rules[nrules++] = r;
	return 0;
}

void fault_disarm(void)
{
	nrules = 0;
	memset(calls, 0, sizeof(calls));
	memset(live, 0, sizeof(live));
	memset(fired, 0, sizeof(fired));
}

void fault_seed(uint64_t seed)
{
	rng = seed;
}

void fault_hold(void)
{
	hold++;
}

void fault_release(void)
{
	if (!hold) {
		fprintf(stderr, "starmm: fault_release() without a matching fault_hold()\n");
		abort();
	}
	hold--;
}

bool fault_held(void)
{
	return hold > 0;
}

uint64_t fault_calls(const char *point)
{
	long i = find(point);

	return i < 0 ? 0 : calls[i];
}

uint64_t fault_live_calls(const char *point)
{
	long i = find(point);

	return i < 0 ? 0 : live[i];
}

uint64_t fault_fired(const char *point)
{
	long i = find(point);

	return i < 0 ? 0 : fired[i];
}

int fault_errno_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(errnos[i].name, name) == 0)
			return errnos[i].num;
	return -1;
}

const char *fault_errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].num == err)
			return errnos[i].name;
	return NULL;
}

void fault_set_listener(fault_listener_fn fn, void *arg)
{
	listener = fn;
	listener_arg = arg;
}
