/*
 * --fault-log (faultlog.h): firings of fault/inject noted per trapped call, one JSON line per
 * injected fault.
 */
#include <inttypes.h>

#include "fault/crash.h"
#include "fault/inject.h"
#include "tracer/faultlog.h"
#include "tracer/filter.h"

static void listener(const char *point, int err, void *arg)
{
	struct tr_faultlog *l = arg;

	if (!l->fired++) {
		l->point = point;
		l->err = err;
	}
	l->total++;
}

void tr_faultlog_start(struct tr_faultlog *l, FILE *f)
{
	*l = (struct tr_faultlog){.f = f};
	fault_set_listener(listener, l);
}

bool tr_faultlog_take(struct tr_faultlog *l, const char **point, int *err)
{
	bool fired = l->fired;

	*point = l->point;
	*err = l->err;
	l->fired = 0;
	l->point = NULL;
	return fired;
}

void tr_faultlog_write(struct tr_faultlog *l, pid_t tid, long nr, const uint64_t args[6],
		       const char *point, int err, const char *outcome, long result,
		       const char *verify, bool backtrace)
{
	const char *name = nr >= 0 ? tr_filter_name((int)nr) : NULL;
	const char *ename = fault_errno_name(err);

	if (!l->f)
		return;
	fprintf(l->f, "{\"point\": \"%s\", \"errno\": \"%s\", \"pid\": %d, ", point,
		ename ? ename : "?", (int)tid);
	if (name) {
		fprintf(l->f, "\"syscall\": \"%s\", \"args\": [", name);
		for (int i = 0; i < 6; i++)
			fprintf(l->f, "%s\"%#" PRIx64 "\"", i ? ", " : "", args[i]);
		fputs("], ", l->f);
	} else {
		fputs("\"syscall\": null, \"args\": [], ", l->f);
	}
	fprintf(l->f, "\"outcome\": \"%s\", \"result\": %ld, \"verify\": \"%s\", \"backtrace\": ",
		outcome, result, verify);
	if (backtrace)
		fault_backtrace_json(l->f, tid);
	else
		fputs("[]", l->f);
	fputs("}\n", l->f);
	fflush(l->f);
}
