/*
 * The memory manager inside starmm-run: one model (struct mm, mm/) per address space, driven
 * through the ptrace backend at the program's trapped memory calls.
 */
#ifndef STARMM_TRACER_MODEL_H
#define STARMM_TRACER_MODEL_H

#include "tracer/loop.h"

/* Picks the trampoline's slot (ctx->code_page, before the filter is built) and installs the
 * model's hooks. 0 or -errno. */
int tr_model_attach(struct tr_ctx *ctx);

/* At the end of the run: --maps of the address spaces still known, the VMO figures for
 * --stats, and whether a model failed (then starmm-run failed). */
void tr_model_finish(struct tr_ctx *ctx);

#endif
