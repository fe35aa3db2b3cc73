/*
 * Fault injection: named points that every fallible step of starmm consults before it acts.
 *
 * The bottom layer: no dependency on any other part of starmm. A step calls
 * fault_hit("vmo.create") just before doing its work; a zero return means "go on", a negative
 * errno means "fail now with this error, as if the step itself had failed". Which calls fail
 * is chosen by rules armed from a spec string (the --fault option of starmm-run):
 *
 *	POINT[:nth=N|:every=N|:p=P][:errno=NAME]
 *
 * POINT is a name from fault_points[] or a glob over those names (fnmatch). nth=N fails the
 * N-th call (1-based) of each matching point, every=N fails every N-th call, p=P fails each
 * call with probability P (0 < P <= 1) drawn from a generator seeded by fault_seed(). Without
 * a trigger the rule fails every call. errno defaults to the point's own error. nth and every
 * count the calls made outside fault_hold() (those that could fail): a point's first call
 * that can fail is nth=1.
 *
 * Invariants: a point never fires while fault_hold() is in effect (rollbacks and everything
 * after an operation's commit point run held); every name passed to fault_hit() is in the
 * table (an unknown name is a programming error and aborts, so the table stays the single
 * documented list).
 */
#ifndef STARMM_FAULT_INJECT_H
#define STARMM_FAULT_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fault_point {
	const char *name;	/* "layer.step", e.g. "vmo.snapshot" */
	int default_errno;	/* the error the real step fails with most plausibly */
	const char *what;	/* one line for --fault=list */
};

extern const struct fault_point fault_points[];
extern const size_t fault_npoints;

/* 0 when the step may proceed, -errno when an armed rule makes this call fail. */
int fault_hit(const char *point);

/* A call of point that fails whatever the rules say, with the point's own errno (a targeted
 * experiment: starmm-run's --fault-op), counted and reported like a firing; 0 while held. */
int fault_force(const char *point);
/* Parses and arms one rule. 0, or -EINVAL (bad syntax, unknown errno name, no point matches). */
int fault_arm(const char *spec);

/* Removes every rule and resets every counter. */
void fault_disarm(void);

/* Seeds the generator used by p=P rules (same seed, same sequence of failures). */
void fault_seed(uint64_t seed);

/* While held (calls nest), no point fires; calls are still counted. */
void fault_hold(void);
void fault_release(void);
bool fault_held(void);

/* How many times fault_hit(point) was called / fired since the last fault_disarm(). */
uint64_t fault_calls(const char *point);
uint64_t fault_fired(const char *point);
/* ... of which made outside fault_hold(): the calls a rule could have failed. */
uint64_t fault_live_calls(const char *point);

/* Errno name <-> number ("ENOMEM" <-> 12); -1 / NULL when unknown. */
int fault_errno_from_name(const char *name);
const char *fault_errno_name(int err);

/* Called after each firing (for the fault log of starmm-run); NULL to remove. */
typedef void (*fault_listener_fn)(const char *point, int err, void *arg);
void fault_set_listener(fault_listener_fn fn, void *arg);

#endif
