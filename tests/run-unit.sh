#!/usr/bin/env bash
# Runs each unit-test binary in turn (Check forks each test unless CK_FORK=no), shows its
# output, and ends with one summary line counting binaries: `unit: N passed, N failed`.
# Exits non-zero when any binary failed (a non-zero exit, or it could not be run).
set -u

passed=0
failed=0
for bin in "$@"; do
	echo "== $bin"
	if "$bin"; then
		passed=$((passed + 1))
	else
		echo "run-unit: $bin failed (exit $?)" >&2
		failed=$((failed + 1))
	fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
