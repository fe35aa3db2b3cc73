/*
 * Crash reports: what starmm-run prints when a traced program dies of a signal it does not
 * handle (DESIGN.md section 4), so that a crash under starmm-run can be told apart from a
 * bug in starmm and read without a debugger.
 *
 * The report has three parts, written in this order so that a tracee dying half-way still
 * leaves the earlier parts:
 *  1. a header: pid, command name, the signal and its si_code by name, the fault address
 *     (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP raised by the CPU) or the sender (kill,
 *     tgkill, sigqueue), and the thread when it is not the process's leader;
 *  2. the model's view around the fault address: the mapping containing it, or the hole it
 *     lies in, with up to FAULT_CRASH_NEIGHBOURS mappings on each side; each with its range,
 *     protection, kind and backing (VMO koid and offset, file path and offset, special name);
 *  3. a backtrace of the faulting thread (libunwind-ptrace), at most FAULT_CRASH_MAX_FRAMES
 *     frames, each with its function+offset and the object /proc/PID/maps names for its
 *     address; when unwinding fails, frame #0 from the registers.
 *
 * Invariants: the report only reads the tracee (ptrace register and memory reads, /proc) and
 * the model; it never resumes, signals or writes to the tracee and never changes the model.
 * A tracee that vanishes (ESRCH) or holds garbage (a smashed stack, a wild instruction
 * pointer) ends the part being written with a note, never the supervisor.
 */
#ifndef STARMM_FAULT_CRASH_H
#define STARMM_FAULT_CRASH_H

#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

struct mm;

#define FAULT_CRASH_NEIGHBOURS 2
#define FAULT_CRASH_MAX_FRAMES 64

/*
 * Writes the crash report of thread tid to out. Call it at the signal-delivery stop of the
 * fatal signal (the process is then still whole and stopped); tid must be ptrace-stopped by
 * the caller. si is the stop's siginfo (NULL: read with PTRACE_GETSIGINFO). mm is the model
 * of the thread's address space, or NULL when there is none (the report says so).
 *
 * Returns 0 when the whole report was written (an unwind that stops early is part of a
 * report), -EINVAL for a NULL out or a tid <= 0, -ESRCH when the tracee vanished during the
 * report (what was known is printed), -EIO when writing to out failed.
 */
int fault_crash_report(FILE *out, pid_t tid, const siginfo_t *si, struct mm *mm);

/* The backtrace of the stopped thread tid as one JSON array of strings, "function+0xoff
 * (object)" (or the address when unnamed), innermost first: for the fault log. 0 or -errno
 * (the array is written anyway, maybe empty). */
int fault_backtrace_json(FILE *out, pid_t tid);

#endif
