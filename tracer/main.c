/*
 * starmm-run: run PROGRAM under the supervisor.
 *
 * What it models: one session, in order: parse the command line, open the output, build the
 * filter, launch, serve until the last traced task is gone, report. Invariants: the program's
 * stdout and stderr are its own (starmm-run's trace, stats and maps go to -o FILE or stderr,
 * never to stdout); the exit status is the program's, or TR_EXIT_* for starmm-run's own
 * outcome (options.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fault/inject.h"
#include "tracer/filter.h"
#include "tracer/launch.h"
#include "tracer/loop.h"
#include "tracer/model.h"
#include "tracer/options.h"

static FILE *open_output(const char *path)
{
	FILE *f;

	if (!path)
		return stderr;
	/* "e": close-on-exec, so the program never inherits it. */
	f = fopen(path, "we");
	if (!f) {
		fprintf(stderr, "starmm-run: -o %s: %s\n", path, strerror(errno));
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

int main(int argc, char **argv)
{
	struct sock_fprog prog = {0};
	struct tr_options opt;
	struct tr_ctx ctx;
	FILE *out, *fault_log = NULL;
	int ret, status;

	ret = tr_options_parse(argc, argv, &opt);
	if (ret == -ECANCELED)
		return 0;
	if (ret)
		return TR_EXIT_FAILED;
	if (tr_launch_check_self())
		return TR_EXIT_FAILED;
	out = open_output(opt.output);
	if (!out)
		return TR_EXIT_FAILED;
	tr_ctx_init(&ctx, &opt, out);
	if (opt.fault_log) {
		fault_log = fopen(opt.fault_log, "we");
		if (!fault_log) {
			fprintf(stderr, "starmm-run: --fault-log %s: %s\n", opt.fault_log,
				strerror(errno));
			return TR_EXIT_FAILED;
		}
	}
	tr_faultlog_start(&ctx.faults, fault_log);
	fault_seed(opt.seed);
	ret = tr_model_attach(&ctx);
	if (!ret)
		ret = tr_filter_build(ctx.code_page, &prog);
	if (ret) {
		fprintf(stderr, "starmm-run: cannot build the seccomp filter: %s\n",
			strerror(-ret));
		return TR_EXIT_FAILED;
	}
	ret = tr_launch(&ctx, opt.argv, &prog);
	tr_filter_free(&prog);
	if (ret)
		return TR_EXIT_FAILED;
	status = tr_loop_run(&ctx);
	tr_model_finish(&ctx);
	ctx.stats.faults_injected = ctx.faults.total;
	if (fault_log)
		fclose(fault_log);
	if (opt.stats != TR_STATS_OFF)
		tr_stats_print(&ctx.stats, out, opt.stats == TR_STATS_JSON);
	if (out != stderr && fclose(out)) {
		fprintf(stderr, "starmm-run: -o %s: %s\n", opt.output, strerror(errno));
		return TR_EXIT_FAILED;
	}
	return status;
}
