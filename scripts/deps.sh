#!/usr/bin/env bash
# Installs the Debian packages starmm needs to build and test. Idempotent: silent when
# everything is present; runs `apt-get update` only when something is missing.
set -euo pipefail

pkgs=(
	build-essential   # gcc, make, libc headers: CI may start from a bare machine
	pkg-config
	libseccomp-dev    # the seccomp filter of starmm-run
	libunwind-dev     # libunwind-ptrace backtraces in crash reports
	check             # unit tests
	uthash-dev        # hash tables
	libbsd-dev        # <bsd/sys/tree.h> ordered maps
	util-linux        # setpriv: the difftest's unprivileged pass
	python3           # tests/tracer: --stats=json parsing, the job-control test's terminal
	strace            # tests/tracer: starmm-run refuses an already traced program
	perl sqlite3 busybox-static nodejs # tests/tracer: real programs under starmm-run
	parallel          # scripts/fault-sweep: runs in parallel, on several machines
	time              # scripts/bench.sh: peak memory (GNU time)
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
