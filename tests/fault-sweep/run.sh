#!/usr/bin/env bash
# Tests scripts/fault-sweep against a built tree:
#
#   tests/fault-sweep/run.sh BUILD_DIR        (BUILD_DIR: build, with starmm-run and tests/progs)
#
# (a) sweeps tests/progs/map_ops with --points on this machine: no starmm failure, a result for
#     every run, every --fault-op run fired (an operation without a plan is reported, see
#     "ops without a plan" in the output: its fault hits the next operation that has one);
# (b) a program that exits 125 itself is not a starmm failure;
# (c) a small sweep through --sshloginfile naming two fake hosts, with tests/fault-sweep/local-ssh
#     as parallel's ssh (PARALLEL_SSH): every result comes back, both hosts ran jobs, and each
#     run's outcome is the one (a) found for the same k; with SHELL=/bin/sh, as a CI machine
#     may have it (the jobs are bash functions all the same);
# (d) the classification, on a fake starmm-run: starmm_failed true and a run without
#     --stats=json are starmm failures (exit 1), a program's own 125 is an error exit, a run
#     cut by --timeout is a hang.
# Needs GNU parallel (Debian package "parallel"). About 10 s on 2 cores. The last line reads
# "fault-sweep: N passed, M failed"; the exit status is non-zero on any failure.
set -u

build=${1:?usage: tests/fault-sweep/run.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sweep=$root/scripts/fault-sweep
build=$(realpath "$build")
starmm=$build/starmm-run
map_ops=$build/tests/progs/map_ops
for f in "$starmm" "$map_ops"; do
	[ -x "$f" ] || { echo "run.sh: no executable $f (make -j2)" >&2; exit 2; }
done
command -v parallel >/dev/null || { echo "run.sh: GNU parallel is missing (apt-get install parallel)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/starmm-fault-sweep-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # check DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
# The count of an outcome row of a fault-sweep table.
count() { awk -v c="$2" 'index($0, c) == 1 { split(substr($0, length(c) + 1), w, " "); print w[1]; exit }' "$1"; }
# Outcome per id from a results file: id, have_stats, starmm_failed, faults_injected, exit_status.
outcomes() { cut -f2,4,5,6,7 "$1" | sort; }

# ---- (a) map_ops with --points, on this machine ----------------------------------------------
"$sweep" --points --starmm "$starmm" --keep "$tmp/a" -- "$map_ops" >"$tmp/a.out" 2>"$tmp/a.err"
rc=$?
sed 's/^/    /' "$tmp/a.out" | grep -v '^          cd ' | head -n 20
check "(a) map_ops --points exits 0 (exit $rc)" [ $rc = 0 ]
check "(a) no starmm failure" [ "$(count "$tmp/a.out" "starmm failure")" = 0 ]
K=$(sed -n 's/.*K = \([0-9]*\) trapped.*/\1/p' "$tmp/a.out")
npoints=$("$starmm" --fault=list | awk 'NR > 1 && NF' | wc -l)
check "(a) K > 0 ($K) and one result per run ($K + $npoints)" \
	[ "${K:-0}" -gt 0 ] && [ "$(wc -l <"$tmp/a/results")" = $((K + npoints)) ]
# Every --fault-op run fired, except those of operations with nothing to fail (no plan step).
notfired=$(grep -cE '^  op [0-9]+\*? +not fired' "$tmp/a.out")
check "(a) every --fault-op run with a plan step fired (not fired: $notfired)" [ "$notfired" = 0 ]
check "(a) operations without a plan step are reported as such ($(count "$tmp/a.out" "nothing to fail"))" \
	[ "$(count "$tmp/a.out" "nothing to fail")" -gt 0 ]
check "(a) a repro command per non-clean case" \
	[ "$(grep -c '^      cd .*--fault' "$tmp/a.out")" = \
	"$(awk -F'\t' '!($4 == 1 && $5 == "false" && $6 > 0 && $7 == 0)' "$tmp/a/results" | wc -l)" ]

# ---- (b) a program's own exit 125 ------------------------------------------------------------
"$sweep" --starmm "$starmm" --ops 1000-1000 -- /bin/sh -c 'exit 125' >"$tmp/b.out" 2>&1
rc=$?
check "(b) sh -c 'exit 125': exit 0, baseline exit 125 (exit $rc)" \
	[ $rc = 0 ] && grep -q '^baseline: exit 125,' "$tmp/b.out"

# ---- (c) through --sshloginfile with two fake hosts -------------------------------------------
printf '1/fake-host-a\n1/fake-host-b\n' >"$tmp/sshlogins"
SHELL=/bin/sh PARALLEL_SSH=$here/local-ssh "$sweep" --sshloginfile "$tmp/sshlogins" --ops 1-8 \
	--starmm "$starmm" --keep "$tmp/c" -- "$map_ops" >"$tmp/c.out" 2>"$tmp/c.err"
rc=$?
check "(c) sweep through --sshloginfile exits 0 (exit $rc)" [ $rc = 0 ]
check "(c) 8 results came back" [ "$(wc -l <"$tmp/c/results" 2>/dev/null)" = 8 ]
check "(c) both fake hosts ran jobs" grep -q 'via fake-host-a' "$tmp/c/results"
check "(c) ... fake-host-b too" grep -q 'via fake-host-b' "$tmp/c/results"
check "(c) outcomes equal the local sweep's for k 1..8" \
	cmp -s <(outcomes "$tmp/c/results") <(outcomes "$tmp/a/results" | grep -E '^op:[1-8]	')

# ---- (d) classification, with a fake starmm-run whose every run is scripted ------------------
# The baseline: 3 emulated mmap calls, exit 0. --fault-op=1: starmm_failed true (exit 125);
# --fault-op=2: the program's own exit 125; --fault-op=3: hangs; the one point: no stats.
cat >"$tmp/fake-starmm" <<'EOF'
#!/usr/bin/env bash
out=/dev/stderr log=/dev/null k=0 point=
for a; do
	case $a in
	--fault=list) printf 'POINT ERRNO WHAT FAILS\nfake.point ENOMEM a fake\n'; exit 0 ;;
	--fault=*) point=${a#--fault=} ;;
	--fault-op=*) k=${a#--fault-op=} ;;
	--fault-log=*) log=${a#--fault-log=} ;;
	-o) out=next ;;
	*) [ "$out" = next ] && out=$a ;;
	esac
done
[ -n "$point" ] && exit 125
for i in 1 2 3; do
	echo "[pid 7] mmap(0, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x1000"
	echo "    model: 1 mappings"
done >"$out"
[ "$k" != 0 ] && echo '{"point": "remote.batch", "pid": 7, "syscall": "mmap", "args": ["0"]}' >"$log"
[ "$k" = 3 ] && exec sleep 30
failed=false st=0
[ "$k" = 1 ] && failed=true st=125
[ "$k" = 2 ] && st=125
echo "{\"starmm_failed\": $failed, \"exit_status\": $st, \"trapped\": {\"mmap\": 3}, \"faults_injected\": $((k > 0))}" >>"$out"
exit $st
EOF
chmod +x "$tmp/fake-starmm"
"$sweep" --points --timeout 2 --starmm "$tmp/fake-starmm" -- /bin/true >"$tmp/d.out" 2>&1
rc=$?
check "(d) exit 1 on a starmm failure (exit $rc)" [ $rc = 1 ]
row() { grep -q "^$1  *$2  *$3\$" "$tmp/d.out"; }
check "(d) starmm_failed true and a missing stats are starmm failures" row "starmm failure" 2 "1,fake.point"
check "(d) the program's own exit 125 is an error exit" row "error exit" 1 2
check "(d) a run cut by --timeout is a hang" row "hang (timeout)" 1 3
check "(d) a starmm failure's case shows its --fault-log line" \
	grep -q '^      fault-log: {"point": "remote.batch"' "$tmp/d.out"

echo "fault-sweep: $pass passed, $fail failed"
[ $fail = 0 ]
