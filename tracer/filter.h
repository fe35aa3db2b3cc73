/*
 * The seccomp filter of starmm-run: which system calls stop the program (SECCOMP_RET_TRACE)
 * and which run at native speed (everything else), plus the hand-written prefix that lets the
 * trampoline's own calls through and turns foreign system-call ABIs into a trap.
 */
#ifndef TRACER_FILTER_H
#define TRACER_FILTER_H

#include <stdint.h>
#include <linux/filter.h>

/* SECCOMP_RET_DATA of a trap, read with PTRACE_GETEVENTMSG at the seccomp stop. */
#define TR_FILTER_TRAPPED 1 /* a listed x86-64 system call */
#define TR_FILTER_FOREIGN 2 /* an i386 (int 0x80) or x32 system call: refused */

/* Argument kinds, for --trace: one letter per argument, in order (see tr_filter_args()). */
#define TR_ARG_HEX    'x' /* an address or an opaque value */
#define TR_ARG_INT    'd' /* a signed int (fd, pkey) */
#define TR_ARG_ULONG  'u' /* a length or count */
#define TR_ARG_PROT   'P' /* PROT_* */
#define TR_ARG_MAP    'M' /* MAP_* */
#define TR_ARG_MREMAP 'R' /* MREMAP_* */
#define TR_ARG_MADV   'A' /* MADV_* */
#define TR_ARG_MSYNC  'S' /* MS_* */
#define TR_ARG_MCL    'L' /* MCL_* */
#define TR_ARG_MLOCK2 'K' /* MLOCK_* */
#define TR_ARG_CLONE  'C' /* CLONE_* */

/*
 * Build the filter for a trampoline whose code page starts at code_page (page-aligned; 0 when
 * there is no trampoline yet: page 0 is never mapped, so nothing is let through). A system
 * call whose syscall instruction lies entirely in [code_page, code_page + 4096) is allowed;
 * otherwise the listed calls return SECCOMP_RET_TRACE | TR_FILTER_TRAPPED, foreign ABIs
 * SECCOMP_RET_TRACE | TR_FILTER_FOREIGN, and everything else SECCOMP_RET_ALLOW.
 * On success *out holds a malloc'ed program (release it with tr_filter_free()).
 * Returns 0 or -errno (-EINVAL for an unaligned code_page).
 */
int tr_filter_build(uint64_t code_page, struct sock_fprog *out);

void tr_filter_free(struct sock_fprog *prog);

/*
 * Install prog in the calling thread (seccomp(SECCOMP_SET_MODE_FILTER)); the caller has set
 * PR_SET_NO_NEW_PRIVS. Async-signal-safe (it runs in the child between fork and exec).
 * Returns 0 or -errno.
 */
int tr_filter_load(const struct sock_fprog *prog);

/*
 * What the filter says about system call nr (x86-64 numbering): the one-line reason it is
 * trapped, its name, and its argument kinds (a string of TR_ARG_* letters, one per argument).
 * NULL for a call that is not trapped. Calls trapped only for some arguments (prctl,
 * arch_prctl) are listed.
 */
const char *tr_filter_reason(int nr);
const char *tr_filter_name(int nr);
const char *tr_filter_args(int nr);

/* The trapped calls, in table order: for i in 0..tr_filter_count()-1, the number (or -1 when
 * neither libseccomp nor starmm knows it on this system) and the name. */
int tr_filter_count(void);
int tr_filter_nr(int i);
const char *tr_filter_name_at(int i);
const char *tr_filter_reason_at(int i);

#endif
