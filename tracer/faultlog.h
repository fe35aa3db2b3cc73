/*
 * Fault-injection experiments in starmm-run: --fault rules (fault/inject.h) fire inside the
 * memory manager; this module notices each firing during one trapped call (or exec, or fork
 * set-up) and writes --fault-log: one JSON line per injected fault with the point, the
 * trapped call and its arguments, what the program saw, its backtrace, and what --verify
 * found afterwards.
 *
 * Invariant: a call's firings are taken (tr_faultlog_take) once the call is answered, so each
 * line describes one call; only its first firing is named (the operation stops there and
 * rolls back).
 */
#ifndef TRACER_FAULTLOG_H
#define TRACER_FAULTLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct tr_faultlog {
	FILE *f;	   /* --fault-log=FILE, or NULL */
	const char *point; /* the first point fired since the last take */
	int err;	   /* its errno (positive) */
	unsigned fired;	   /* firings since the last take */
	uint64_t total;	   /* every firing of the run */
};

/* Listens to fault/inject's firings (f may be NULL: the firings are still counted). */
void tr_faultlog_start(struct tr_faultlog *l, FILE *f);

/* Whether a point fired since the last take; the first one's name and errno. Clears. */
bool tr_faultlog_take(struct tr_faultlog *l, const char **point, int *err);

/* One --fault-log line. nr: the trapped call (-1: none, e.g. the set-up after exec); result:
 * what the program saw (with outcome "returned") or the signal that killed it ("killed");
 * verify: "ok", "differs" or "not run"; backtrace: unwind the stopped thread tid (its frames
 * at the call; an empty array otherwise). */
void tr_faultlog_write(struct tr_faultlog *l, pid_t tid, long nr, const uint64_t args[6],
		       const char *point, int err, const char *outcome, long result,
		       const char *verify, bool backtrace);

#endif
