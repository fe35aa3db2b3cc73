#!/usr/bin/env bash
# The cost of starmm-run on real programs (a benchmark, not a test): each workload natively,
# under build/starmm-run, and under strace -f --seccomp-bpf -e trace=%memory -o /dev/null (the
# same seccomp trap of memory calls with a ptrace stop each, but no emulation: the floor of a
# ptrace supervisor), in one run, the three interleaved round by round (the order rotated each
# round), R rounds, twice: pinned to one CPU (taskset -c 0: program and supervisor share it)
# and unpinned.
#
#   W1 python3 json dump of 200k dicts     W5 build/bench/w5_memloop: 130k mmap/munmap/
#   W2 gcc -O2 -c of a generated C file       mremap/mprotect calls in a tight loop
#   W3 node allocating arrays of objects   W6 sqlite3 :memory:, 200k rows in one transaction
#   W4 bash: 300 x fork+exec /bin/true     W7 build/bench/w7_threads: 4 threads malloc/free
#
# How to read it. One table per mode: the median wall time (s) of each variant, starmm x and
# strace x = median wall / median native wall (1.00x = no cost), then the median peak RSS (MiB)
# and its ratios. Wall time is taken by the shell (EPOCHREALTIME, microseconds) around the
# whole command; peak RSS is GNU time's %M, the kernel's ru_maxrss of the command: the peak of
# the LARGEST SINGLE process of the tree, not a sum. For starmm-run and strace that is
# max(supervisor, largest traced process), so the supervisor's own memory shows only when it is
# the largest process. Without GNU time (/usr/bin/time, Debian package "time") RSS is n/a.
# Then, from W5 (whose calls are nearly all memory calls): the extra wall time per trapped
# call, (median starmm - median native) / trapped calls counted by starmm-run --stats=json, and
# the same for strace per memory call (counted once by strace -c); stops, batches, injected
# calls and supervisor CPU per trapped call. starmm-run's figure is everything the emulation
# adds, not the trap alone: a VMO (memfd) per mmap, the injected calls, and page faults on
# memfd-backed (shmem) memory instead of anonymous memory. Last, the --stats=json of every workload: supervisor CPU against wall
# time shows how much of the cost is the supervisor's work and how much is the stops (context
# switches) themselves. A WARNING line flags a supervised run whose stdout (or, for W2, object
# file) differs from the native run's, or whose exit status is not 0. Every run is bounded by
# timeout 300. Progress goes to stderr, the tables to stdout.
#
# Usage: scripts/bench.sh [--rounds N] [--only W1,W5] [--quick] [BUILD_DIR]   (--help)
# shellcheck disable=SC2034  # the cmd_Wn arrays are used through a nameref (run_one)
set -u

usage() {
	cat <<'EOF'
usage: scripts/bench.sh [OPTIONS] [BUILD_DIR]
Compare wall time and peak RSS of workloads W1..W7 natively, under starmm-run and under
strace -f --seccomp-bpf -e trace=%memory, pinned to CPU 0 and unpinned; medians of R rounds.
BUILD_DIR (default build) holds starmm-run and bench/w5_memloop, bench/w7_threads (`make`).

Options:
  --rounds N     rounds per mode (default 5)
  --only LIST    only these workloads, comma-separated (e.g. W1,W5)
  --quick        one round (a smoke run)
  -h, --help     this help

Workloads: W1 python3 json, W2 gcc -O2 -c (generated ~2,000 lines), W3 node allocation,
W4 bash 300 fork+exec, W5 mmap/munmap/mremap/mprotect loop, W6 sqlite3 200k inserts,
W7 4-thread malloc/free. See the comment at the top of this script for how to read the output.
EOF
}

rounds=5
only=""
b=build
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--rounds) [ $# -ge 2 ] || { echo "bench.sh: --rounds needs a value" >&2; exit 2; }
		rounds=$2; shift ;;
	--rounds=*) rounds=${1#*=} ;;
	--only) [ $# -ge 2 ] || { echo "bench.sh: --only needs a value" >&2; exit 2; }
		only=$2; shift ;;
	--only=*) only=${1#*=} ;;
	--quick) rounds=1 ;;
	-*) echo "bench.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	*) b=$1 ;;
	esac
	shift
done
case $rounds in
'' | *[!0-9]* | 0) echo "bench.sh: --rounds: expected a positive integer, got '$rounds'" >&2; exit 2 ;;
esac

ALL="W1 W2 W3 W4 W5 W6 W7"
sel=""
if [ -n "$only" ]; then
	for w in ${only//,/ }; do
		w=${w^^}
		case " $ALL " in
		*" $w "*) sel="$sel $w" ;;
		*) echo "bench.sh: --only: unknown workload '$w' (W1..W7)" >&2; exit 2 ;;
		esac
	done
else
	sel=$ALL
fi

RUN=$b/starmm-run
STRACE=(strace -f --seccomp-bpf -e trace=%memory -o /dev/null)
tmp=$(mktemp -d /tmp/starmm-bench.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/res" "$tmp/out" "$tmp/stats" "$tmp/w2"

# starmm-run may be relinked by a concurrent build: wait for it (up to 2 minutes).
wait_run() {
	local i
	for ((i = 0; i < 120; i++)); do
		[ -x "$RUN" ] && [ -s "$RUN" ] && return 0
		sleep 1
	done
	return 1
}
if ! wait_run; then
	echo "bench.sh: $RUN not found: build it with make -j2" >&2
	exit 1
fi

have_time=0
if /usr/bin/time -f '%e %M' -o /dev/null true 2>/dev/null; then
	have_time=1
fi
have_strace=0
command -v strace >/dev/null && have_strace=1
modes="pinned unpinned"
command -v taskset >/dev/null || modes=unpinned

# The workloads: cmd_Wn is the command, skip_Wn is set to the reason a workload cannot run.
declare -A skip
cmd_W1=(/usr/bin/python3 -c 'import json; print(len(json.dumps([dict(a=i) for i in range(200000)])))')
[ -x /usr/bin/python3 ] || skip[W1]="/usr/bin/python3 not found"

# W2: ~2,000 lines of C, deterministic: 40 small functions (a loop, an inner loop, a switch),
# and a dispatcher with a 100-case switch calling them.
awk 'BEGIN {
	nf = 40; nc = 100
	print "/* generated by scripts/bench.sh (workload W2): deterministic, not meant to be read */"
	print "#include <stddef.h>"
	print "struct acc { long s; unsigned h; int n; };"
	for (f = 0; f < nf; f++) {
		printf "static long f%d(const int *v, size_t n, struct acc *a)\n{\n", f
		printf "\tlong s = %d;\n", f * 7 + 1
		printf "\tfor (size_t i = 0; i < n; i++) {\n"
		printf "\t\tint x = v[i] * %d + (int)i;\n", (f % 13) + 3
		printf "\t\tif (x %% %d == 0)\n\t\t\ts += x >> %d;\n", (f % 5) + 2, f % 4
		printf "\t\telse\n\t\t\ts ^= (long)x * %d;\n", f + 11
		printf "\t\tfor (int j = 0; j < %d; j++)\n\t\t\ts += (s >> j) & %d;\n", (f % 6) + 2, f + 1
		printf "\t\ta->h = a->h * 31u + (unsigned)x;\n"
		printf "\t}\n"
		printf "\tswitch (s & 7) {\n"
		for (c = 0; c < 8; c++)
			printf "\tcase %d:\n\t\ts = s * %d + %d;\n\t\tbreak;\n", c, c + 3, f + c
		printf "\t}\n\ta->s += s;\n\ta->n++;\n\treturn s;\n}\n\n"
	}
	print "long dispatch(int op, const int *v, size_t n, struct acc *a)\n{\n\tlong r = 0;\n"
	print "\tswitch (op) {"
	for (c = 0; c < nc; c++)
		printf "\tcase %d:\n\t\tr = f%d(v, n, a) %s %d;\n\t\tbreak;\n", c, (c * 17) % nf,
		       (c % 3 == 0) ? "+" : ((c % 3 == 1) ? "^" : "-"), c * 31 + 5
	print "\tdefault:\n\t\tr = -1;\n\t}\n\treturn r;\n}"
}' >"$tmp/w2/gen.c"
cmd_W2=(gcc -O2 -c "$tmp/w2/gen.c" -o "$tmp/w2/gen.o")
command -v gcc >/dev/null || skip[W2]="gcc not found"

cat >"$tmp/w3.js" <<'EOF'
// W3: arrays of 100k small objects, built, summed and dropped, 12 times (~0.5 s natively).
let sum = 0;
for (let r = 0; r < 12; r++) {
	let a = [];
	for (let i = 0; i < 100000; i++) a.push({ i: i, s: 'k' + i, v: [i, r] });
	for (const o of a) sum += o.v[0] + o.s.length;
}
console.log(sum);
EOF
cmd_W3=(node "$tmp/w3.js")
command -v node >/dev/null || skip[W3]="node not found"

cmd_W4=(bash -c 'for i in $(seq 300); do /bin/true; done; echo done')

cmd_W5=("$b/bench/w5_memloop")
[ -x "$b/bench/w5_memloop" ] || skip[W5]="$b/bench/w5_memloop not built (make)"

cmd_W6=(sqlite3 :memory: "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL);
CREATE INDEX tb ON t(b);
BEGIN;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 200000)
INSERT INTO t SELECT x, printf('row-%08d', x), x * 0.5 FROM n;
COMMIT;
SELECT count(*), sum(a), sum(length(b)) FROM t;")
command -v sqlite3 >/dev/null || skip[W6]="sqlite3 not found"

cmd_W7=("$b/bench/w7_threads")
[ -x "$b/bench/w7_threads" ] || skip[W7]="$b/bench/w7_threads not built (make)"

variants="native starmm"
((have_strace)) && variants="$variants strace"

now() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		echo "${EPOCHREALTIME/,/.}"
	else
		date +%s.%N
	fi
}

# run_one MODE WL VARIANT ROUND: one timed run; appends "wall rss rc" to res/MODE.WL.VARIANT.
run_one() {
	local mode=$1 wl=$2 v=$3 r=$4 t0 t1 rc rss tries=0
	local -n cmd=cmd_$wl
	local pin=() pre=() tm=()
	local out=$tmp/out/$mode.$wl.$v.$r tf=$tmp/time.txt
	[ "$mode" = pinned ] && pin=(taskset -c 0)
	case $v in
	starmm) pre=("$RUN" --stats=json -o "$tmp/stats/$mode.$wl.$r.json" --) ;;
	strace) pre=("${STRACE[@]}") ;;
	esac
	((have_time)) && tm=(/usr/bin/time -f '%e %M' -o "$tf")
	while :; do
		[ "$v" = starmm ] && wait_run
		rm -f "$tf"
		t0=$(now)
		"${pin[@]}" "${tm[@]}" timeout -k 10 300 "${pre[@]}" "${cmd[@]}" \
			>"$out" 2>"$out.err" </dev/null
		rc=$?
		t1=$(now)
		# 126/127 from starmm-run: its binary was being relinked; try again.
		if [ "$v" = starmm ] && { [ $rc = 126 ] || [ $rc = 127 ]; } && ((++tries < 5)); then
			sleep 2
			continue
		fi
		break
	done
	rss=n/a
	if ((have_time)) && [ -s "$tf" ]; then
		rss=$(tail -n 1 "$tf" | awk '{ printf "%.1f", $2 / 1024 }')
	fi
	if [ "$wl" = W2 ] && [ -f "$tmp/w2/gen.o" ]; then
		mv -f "$tmp/w2/gen.o" "$out.o"
	fi
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') $rss $rc" \
		>>"$tmp/res/$mode.$wl.$v"
}

# check_round MODE WL ROUND: a WARNING for each supervised run that differs from native.
check_round() {
	local mode=$1 wl=$2 r=$3 v o rc
	local n=$tmp/out/$mode.$wl.native.$r
	for v in $variants; do
		o=$tmp/out/$mode.$wl.$v.$r
		rc=$(tail -n 1 "$tmp/res/$mode.$wl.$v" | awk '{ print $3 }')
		if [ "$rc" != 0 ]; then
			local why=""
			[ "$rc" = 124 ] && why=" (timeout 300 s)"
			echo "WARNING: $wl $v ($mode, round $r): exit status $rc$why:" \
				"$(tail -n 1 "$o.err" 2>/dev/null)" >>"$tmp/warnings"
		fi
		[ "$v" = native ] && continue
		if ! cmp -s "$n" "$o"; then
			echo "WARNING: $wl $v ($mode, round $r): stdout differs from native" \
				"('$(head -c 60 "$o" | head -n 1)' vs '$(head -c 60 "$n" | head -n 1)')" \
				>>"$tmp/warnings"
		fi
		if [ "$wl" = W2 ] && ! cmp -s "$n.o" "$o.o"; then
			echo "WARNING: W2 $v ($mode, round $r): object file differs from native" \
				>>"$tmp/warnings"
		fi
	done
}

# median FILE COLUMN: the median of the numeric values of a column (n/a if none).
median() {
	awk -v c="$2" '$c ~ /^[0-9.]+$/ { print $c }' "$1" 2>/dev/null | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR == 0) print "n/a"
			else if (NR % 2) print v[(NR + 1) / 2]
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b == 0) print "n/a"
		else printf "%.2fx", a / b }'
}
fmt() {
	awk -v a="$1" -v f="$2" 'BEGIN { if (a ~ /^[0-9.]+$/) printf f, a; else print "n/a" }'
}
# JSON helpers for starmm-run's one-line --stats=json.
jnum() { grep -oE "\"$2\": [0-9.]+" "$1" | head -n 1 | awk '{ print $2 }'; }
# jtrapped FILE [mem]: the trapped calls (mem: memory calls only, without task calls).
jtrapped() {
	grep -oE '"trapped": \{[^}]*\}' "$1" | grep -oE '"[a-z_0-9]+": [0-9]+' |
		awk -v mem="${2:-}" '{
			gsub(/[":]/, "", $1)
			if (mem != "" && $1 ~ /^(clone|clone3|fork|vfork|execve|execveat|ptrace|seccomp)$/)
				next
			s += $2 } END { print s + 0 }'
}
jtrapped_list() {
	grep -oE '"trapped": \{[^}]*\}' "$1" | sed -E 's/"trapped": \{//; s/\}//; s/"//g'
}

echo "== starmm-run against native and strace: $(uname -r), $(nproc) CPUs, $(date -u +%F)," \
	"$rounds round(s), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)$(
		git diff --quiet HEAD 2>/dev/null || echo ' (working tree modified)')," \
	"starmm-run $(sha256sum "$RUN" | cut -c1-12), load average $(cut -d' ' -f1-3 /proc/loadavg)"
((have_strace)) || echo "strace not found: its columns are n/a"
((have_time)) || echo "GNU time (/usr/bin/time, package time) not found: peak RSS is n/a"
command -v taskset >/dev/null || echo "taskset not found: no pinned mode"

# strace's count of W5's memory calls (once, untimed): the divisor of its per-call cost.
strace_calls=n/a
if ((have_strace)) && [ -z "${skip[W5]:-}" ] && [[ " $sel " == *" W5 "* ]]; then
	timeout -k 10 300 strace -f -c --seccomp-bpf -e trace=%memory -o "$tmp/w5.strace-c" \
		"${cmd_W5[@]}" >/dev/null 2>&1 </dev/null
	strace_calls=$(awk '$NF == "total" { print $4 }' "$tmp/w5.strace-c" 2>/dev/null)
	[ -n "$strace_calls" ] || strace_calls=n/a
fi

read -ra vlist <<<"$variants"
for mode in $modes; do
	for ((r = 1; r <= rounds; r++)); do
		printf '%s round %d/%d:' "$mode" "$r" "$rounds" >&2
		for wl in $sel; do
			[ -n "${skip[$wl]:-}" ] && continue
			printf ' %s' "$wl" >&2
			for ((k = 0; k < ${#vlist[@]}; k++)); do
				run_one "$mode" "$wl" "${vlist[(k + r - 1) % ${#vlist[@]}]}" "$r"
			done
			check_round "$mode" "$wl" "$r"
		done
		echo >&2
	done
done

for mode in $modes; do
	echo
	if [ "$mode" = pinned ]; then
		echo "== pinned (taskset -c 0), median of $rounds: wall s, peak RSS MiB (largest single process)"
	else
		echo "== unpinned, median of $rounds: wall s, peak RSS MiB (largest single process)"
	fi
	printf '%-8s %9s %9s %9s %8s %8s | %10s %10s %10s %8s %8s\n' workload 'native s' \
		'starmm s' 'strace s' 'starmm x' 'strace x' 'native MiB' 'starmm MiB' 'strace MiB' \
		'starmm x' 'strace x'
	for wl in $sel; do
		if [ -n "${skip[$wl]:-}" ]; then
			printf '%-8s skipped: %s\n' "$wl" "${skip[$wl]}"
			continue
		fi
		declare -A w=() m=()
		for v in native starmm strace; do
			w[$v]=$(median "$tmp/res/$mode.$wl.$v" 1)
			m[$v]=$(median "$tmp/res/$mode.$wl.$v" 2)
		done
		printf '%-8s %9s %9s %9s %8s %8s | %10s %10s %10s %8s %8s\n' "$wl" \
			"$(fmt "${w[native]}" %.3f)" "$(fmt "${w[starmm]}" %.3f)" "$(fmt "${w[strace]}" %.3f)" \
			"$(ratio "${w[starmm]}" "${w[native]}")" "$(ratio "${w[strace]}" "${w[native]}")" \
			"$(fmt "${m[native]}" %.1f)" "$(fmt "${m[starmm]}" %.1f)" "$(fmt "${m[strace]}" %.1f)" \
			"$(ratio "${m[starmm]}" "${m[native]}")" "$(ratio "${m[strace]}" "${m[native]}")"
	done

	# The per-call cost, from W5.
	if [[ " $sel " == *" W5 "* ]] && [ -z "${skip[W5]:-}" ]; then
		js=$(ls "$tmp/stats/$mode.W5."*.json 2>/dev/null | tail -n 1)
		nw=$(median "$tmp/res/$mode.W5.native" 1)
		sw=$(median "$tmp/res/$mode.W5.starmm" 1)
		tw=$(median "$tmp/res/$mode.W5.strace" 1)
		if [ -n "$js" ]; then
			tr=$(jtrapped "$js")
			trm=$(jtrapped "$js" mem)
			for f in "$tmp/stats/$mode.W5."*.json; do
				awk -v u="$(jnum "$f" supervisor_user_seconds)" \
					-v s="$(jnum "$f" supervisor_sys_seconds)" 'BEGIN { print u + s }'
			done >"$tmp/k.cpu"
			echo "W5 per call ($mode): starmm-run +$(awk -v s="$sw" -v n="$nw" -v t="$tr" \
				'BEGIN { printf "%.2f", (s - n) / t * 1e6 }') µs per trapped call," \
				"strace +$(awk -v s="$tw" -v n="$nw" -v t="$strace_calls" \
				'BEGIN { if (t + 0 > 0 && s ~ /^[0-9.]+$/) printf "%.2f", (s - n) / t * 1e6; else printf "n/a" }') µs" \
				"per memory call (median wall minus median native wall, divided by the calls)"
			echo "  trapped by starmm-run: $tr ($(jtrapped_list "$js")), $trm of them memory" \
				"calls; memory calls counted by strace -c: $strace_calls"
			echo "  starmm-run per trapped call: $(awk -v a="$(jnum "$js" stops)" \
				-v b="$(jnum "$js" batches)" -v c="$(jnum "$js" injected_calls)" -v t="$tr" \
				-v cpu="$(median "$tmp/k.cpu" 1)" \
				'BEGIN { printf "%.3f stops, %.3f batches, %.3f injected calls, supervisor CPU (user+sys) %.2f µs", a / t, b / t, c / t, cpu / t * 1e6 }')"
		else
			echo "W5 per call ($mode): no --stats=json from starmm-run (did it fail?)"
		fi
	fi

	# Where starmm-run's time goes, as its statistics show.
	echo "-- starmm-run --stats=json ($mode; counts of the last round, seconds are medians)"
	printf '%-8s %8s %9s %9s %9s %9s %8s %8s %8s\n' workload trapped 'stops/tr' 'batch/tr' \
		'inject/tr' 'tasks' 'wall s' 'sup usr' 'sup sys'
	for wl in $sel; do
		[ -n "${skip[$wl]:-}" ] && continue
		js=$(ls "$tmp/stats/$mode.$wl."*.json 2>/dev/null | tail -n 1)
		if [ -z "$js" ]; then
			printf '%-8s no statistics (starmm-run failed?)\n' "$wl"
			continue
		fi
		for k in wall_seconds supervisor_user_seconds supervisor_sys_seconds; do
			for f in "$tmp/stats/$mode.$wl."*.json; do jnum "$f" "$k"; done >"$tmp/k.$k"
		done
		tr=$(jtrapped "$js")
		printf '%-8s %8s %9s %9s %9s %9s %8s %8s %8s\n' "$wl" "$tr" \
			"$(awk -v a="$(jnum "$js" stops)" -v t="$tr" 'BEGIN { printf "%.3f", a / t }')" \
			"$(awk -v a="$(jnum "$js" batches)" -v t="$tr" 'BEGIN { printf "%.3f", a / t }')" \
			"$(awk -v a="$(jnum "$js" injected_calls)" -v t="$tr" 'BEGIN { printf "%.3f", a / t }')" \
			"$(jnum "$js" tasks)" \
			"$(fmt "$(median "$tmp/k.wall_seconds" 1)" %.3f)" \
			"$(fmt "$(median "$tmp/k.supervisor_user_seconds" 1)" %.3f)" \
			"$(fmt "$(median "$tmp/k.supervisor_sys_seconds" 1)" %.3f)"
	done
done

echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other load on the machine makes the figures noisy)."
echo "Peak RSS is ru_maxrss (GNU time %M): the largest single process of the tree, not the sum" \
	"of supervisor and program."
if [ -s "$tmp/warnings" ]; then
	cat "$tmp/warnings"
fi
exit 0
