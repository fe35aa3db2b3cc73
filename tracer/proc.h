/*
 * What the supervisor reads of a traced process in /proc: one way to read a field of
 * /proc/PID/status, and a whole /proc file.
 */
#ifndef TRACER_PROC_H
#define TRACER_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The value of the line "Key:\t<value>" of /proc/<pid>/status (pid may be a thread's id),
 * read as an unsigned number in base (10, or 16 for the signal and capability masks). false
 * when the process or the line is gone. */
bool tr_proc_status(pid_t pid, const char *key, int base, uint64_t *out);

/* The whole text of a /proc file (NUL-terminated, malloc'ed), or NULL. */
char *tr_proc_read(const char *path);

#endif
