/*
 * The table of fault points: every name starmm passes to fault_hit(), with the error the real
 * step most plausibly fails with and one line for --fault=list.
 *
 * Invariant: this is the single documented list. A step that can fail gets an entry here
 * before it calls fault_hit() (an unknown name aborts), and the names are "layer.step" so
 * that globs such as "vmo.*" select a layer. At most 64 entries (fault/inject.c keeps one
 * bit per point in each rule).
 */
#include <errno.h>

#include "fault/inject.h"

const struct fault_point fault_points[] = {
    {"vmo.create", ENOMEM, "creating a VMO (memfd_create, ftruncate)"},
    {"vmo.resize", ENOMEM, "resizing a VMO (ftruncate)"},
    {"vmo.snapshot", ENOMEM, "creating a SNAPSHOT child and copying its committed pages"},
    {"vmo.commit", ENOMEM, "committing pages of a VMO (fallocate)"},
    {"vmo.decommit", EIO, "decommitting or zeroing pages of a VMO (punch hole)"},
    {"vmo.read", EIO, "reading VMO content (pread)"},
    {"vmo.write", EIO, "writing VMO content (pwrite)"},
    {"vmar.alloc", ENOMEM, "placing a mapping in a VMAR"},
    {"backend.step", ENOMEM, "a step of a plan run by the self backend"},
    {"backend.file", EMFILE, "the backend taking a reference to a program's file"},
    {"remote.batch", EIO, "a batch of injected calls (ptrace backend)"},
};

const size_t fault_npoints = sizeof(fault_points) / sizeof(fault_points[0]);
