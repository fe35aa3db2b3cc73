#!/usr/bin/env bash
# Runs the remote-call test (tests/tracer/remote/test_remote.c) against a real traced child.
#   bash tests/tracer/remote/run.sh [BINARY] [--bench]
# BINARY defaults to build/tests/tracer_remote. The binary prints "remote: N passed, N failed"
# and exits non-zero on failure; a hang (a batch waiting forever) is cut at 60 s and fails.
set -u

bin=${1:-build/tests/tracer_remote}
shift || true
if [ ! -x "$bin" ]; then
	echo "run.sh: $bin not built (make $bin)" >&2
	exit 2
fi
timeout --signal=KILL 60 "$bin" "$@"
rc=$?
[ "$rc" -eq 137 ] && echo "run.sh: $bin hung and was killed after 60 s" >&2
exit "$rc"
