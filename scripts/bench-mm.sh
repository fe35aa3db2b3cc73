#!/usr/bin/env bash
# The memory-manager core's benchmarks (not tests): model ops/s with VMOs stubbed, real
# mmap+munmap through the self backend against native, VMO snapshot throughput.
# Usage: scripts/bench-mm.sh [BUILD_DIR]    (run by `make bench`)
set -euo pipefail
b=${1:-build}
echo "== $(uname -r), $(nproc) CPUs, $(date -u +%F)"
"$b/bench/mm_ops"
echo
"$b/bench/self_vs_native"
echo
"$b/bench/snapshot"
echo
"$b/bench/fork_snapshot"
if [ -x "$b/bench/vmar_bench" ]; then
	echo
	"$b/bench/vmar_bench"
fi
