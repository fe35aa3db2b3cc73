/*
 * --verify: the model of an address space compared with the kernel's /proc/PID/maps.
 */
#ifndef STARMM_TRACER_VERIFY_H
#define STARMM_TRACER_VERIFY_H

#include <sys/types.h>

#include "mm/mm.h"
#include "tracer/loop.h"

/* 0 when they agree; -1 after printing both views to ctx->out; -errno when /proc could not
 * be read (the process is gone: not a mismatch). */
int tr_verify(struct tr_ctx *ctx, struct mm *mm, pid_t pid);

#endif
