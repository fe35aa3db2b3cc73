/*
 * The program's own seccomp filters: whether one would block the trampoline's calls.
 *
 * Filters stack: every call runs through all of them and the strictest action wins, so a
 * program filter that denies mmap (or kills on it) denies it to the trampoline too, and
 * starmm-run could no longer change the program's mappings. Such a filter is refused at its
 * seccomp()/prctl(PR_SET_SECCOMP) stop, before the kernel installs it.
 */
#ifndef STARMM_TRACER_PROGFILTER_H
#define STARMM_TRACER_PROGFILTER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/types.h>

/*
 * Runs a classic BPF seccomp program over d, as the kernel does. Returns the action (the
 * SECCOMP_RET_* value with its data), or SECCOMP_RET_KILL_PROCESS for a program the kernel
 * would reject (a bad instruction, a jump out of range, no return at the end), with *bad set.
 */
uint32_t tr_bpf_run(const struct sock_filter *prog, size_t len, const struct seccomp_data *d,
		    int *bad);

/*
 * The trampoline's calls judged by prog, the filter a program is installing, with the
 * trampoline's instruction pointer ip and zero arguments (a filter that decides on argument
 * values is judged on those). 0 when every call is let through (ALLOW, LOG, or TRACE, which
 * comes to starmm-run itself); 2 when only openat is not, and what tr_give_fd runs instead
 * (socketpair, recvmsg) is; else 1 with a one-line explanation in why.
 */
int tr_progfilter_judge(const struct sock_filter *prog, size_t len, uint64_t ip, char *why,
			size_t why_len);

/*
 * At the seccomp stop of tid's seccomp(2) or prctl(PR_SET_SECCOMP) call (nr and its first
 * three arguments): reads the program from the tracee and judges it. 0 (let the call run:
 * also when the call does not install a filter, or its arguments are bad, which the kernel
 * answers itself), 2 (let it run, descriptors then go by tr_give_fd), 1 (refuse; why is
 * set), or -errno.
 */
int tr_progfilter_check(pid_t tid, long nr, const uint64_t a[3], uint64_t ip, char *why,
			size_t why_len);

#endif
