#!/usr/bin/env bash
# Runs the differential test (tests/difftest) the way `make test` and CI do, and checks that
# the runs together met every outcome the test must reach.
#
#   tests/run-difftest.sh build/difftest
#
# Runs (in parallel, one per CPU): seeds 1..4 with 5000 operations each (seed 3 with
# --split offset), two passes of 3000 operations without privileges (through setpriv when
# run as root: no CAP_IPC_LOCK, so MAP_LOCKED, mlock and the growth of locked mappings meet
# RLIMIT_MEMLOCK; the second with --split offset), and the fault-point mode with two seeds. Every run forks a snapshot every 250 operations
# (fork compared; mlockall and munlockall are tested in the forked children).
# Their --table-out files are merged and printed; the script fails on any mismatch, crash or
# missing outcome. The last line reads "difftest: N passed, M failed" (N, M: runs).
set -u

bin=${1:?usage: run-difftest.sh PATH/TO/difftest}
if [ ! -x "$bin" ]; then
	echo "run-difftest.sh: $bin is not an executable (build it with make)" >&2
	exit 2
fi
bin=$(realpath "$bin")
tmp=$(mktemp -d /tmp/starmm-run-difftest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# The unprivileged pass writes its table and test files here too; a crashed run's files go
# with the directory.
chmod 1777 "$tmp"
export TMPDIR=$tmp

unpriv=()
if [ "$(id -u)" -eq 0 ]; then
	unpriv=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all
		--bounding-set=-all)
fi

# name | command
runs=(
	"seed1|$bin --ops 5000 --seed 1"
	"seed2|$bin --ops 5000 --seed 2"
	"seed3-offset|$bin --ops 5000 --seed 3 --split offset"
	"seed4|$bin --ops 5000 --seed 4"
	"unprivileged|${unpriv[*]} $bin --ops 3000 --seed 5"
	"unpriv-offset|${unpriv[*]} $bin --ops 3000 --seed 6 --split offset"
	"faults|$bin --faults --seed 1"
	"faults2|$bin --faults --seed 2"
)

jobs_max=$(nproc 2>/dev/null || echo 2)
start=$SECONDS
for r in "${runs[@]}"; do
	name=${r%%|*}
	cmd=${r#*|}
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
		wait -n
	done
	# shellcheck disable=SC2086 # the command is a word list on purpose
	(
		cd "$tmp" && $cmd --no-table --table-out "$tmp/$name.table" >"$tmp/$name.out" 2>&1
		echo $? >"$tmp/$name.rc"
	) &
done
wait

passed=0
failed=0
for r in "${runs[@]}"; do
	name=${r%%|*}
	rc=$(cat "$tmp/$name.rc" 2>/dev/null || echo 99)
	last=$(tail -n 1 "$tmp/$name.out" 2>/dev/null)
	if [ "$rc" -eq 0 ] && [[ $last == ops=*" mismatches=0" ]]; then
		passed=$((passed + 1))
		printf 'difftest %-13s ok      %s %s\n' "$name" "$last" \
			"$(grep -s '^forks=' "$tmp/$name.out")"
	else
		failed=$((failed + 1))
		printf 'difftest %-13s FAILED  (exit %s) %s\n' "$name" "$rc" "$last"
		sed -n '/^MISMATCH/,$p; /^fault .*\(FAIL\|crash\|leak\)/p' "$tmp/$name.out" |
			head -n 200 | sed 's/^/    /'
		[ -s "$tmp/$name.out" ] && ! grep -q '^MISMATCH\|^fault' "$tmp/$name.out" &&
			tail -n 20 "$tmp/$name.out" | sed 's/^/    /'
	fi
done
grep -s '^fault ' "$tmp/faults.out" | sed 's/^/  /'

merged=$tmp/merged
cat "$tmp"/*.table 2>/dev/null | awk '{ c[$1 " " $2] += $3 } END { for (k in c) print k, c[k] }' |
	sort >"$merged"
echo
printf '%-16s %-32s %8s\n' operation outcome count
awk '{ printf "%-16s %-32s %8d\n", $1, $2, $3 }' "$merged"
echo

# The outcomes the runs must have met, together ("a|b": either).
required=(
	"mmap success" "mmap EINVAL" "mmap EEXIST" "mmap EBADF" "mmap EACCES" "mmap ENODEV"
	"mmap EOVERFLOW" "mmap ENOMEM" "mmap EAGAIN"
	"mmap validate-unknown:EOPNOTSUPP|mmap validate-unknown:EINVAL"
	"mmap EINVAL(len0)" "mmap EINVAL(fixed-unaligned)" "mmap EINVAL(off-unaligned)"
	"mmap EINVAL(no-type)"
	"munmap success" "munmap EINVAL"
	"mprotect success" "mprotect EINVAL" "mprotect ENOMEM" "mprotect ENOMEM(part-way)"
	"mprotect EACCES"
	"brk grow" "brk shrink" "brk refused"
	"mremap success(shrink)" "mremap success(grow-in-place)" "mremap success(move)"
	"mremap success(fixed)" "mremap success(dontunmap)" "mremap success(alias)"
	"mremap EINVAL" "mremap EFAULT" "mremap ENOMEM"
	"madvise success" "madvise EINVAL" "madvise ENOMEM" "madvise EACCES"
	"madvise EINVAL(unknown-advice)"
	"madvise-advice FREE:success" "madvise-advice DONTNEED:success"
	"madvise-advice REMOVE:success" "madvise-advice REMOVE:EACCES"
	"madvise-advice WIPEONFORK:success" "madvise-advice DONTFORK:success"
	"mlock success" "mlock ENOMEM" "mlock EPERM" "mlock2 success" "munlock success"
	"mlockall success" "mlockall ENOMEM" "mlockall EINVAL" "munlockall success"
	"msync success" "msync EINVAL" "msync ENOMEM" "msync EBUSY"
	"mincore success" "mincore ENOMEM" "mincore EFAULT" "mincore EINVAL"
	"fork compared"
	"fault-failed mremap" "fault-failed snapshot"
)
missing=0
for want in "${required[@]}"; do
	found=0
	IFS='|' read -ra alts <<<"$want"
	for alt in "${alts[@]}"; do
		awk -v k="$alt" '$1 " " $2 == k && $3 > 0 { f = 1 } END { exit !f }' "$merged" &&
			found=1
	done
	if [ "$found" -eq 0 ]; then
		echo "run-difftest.sh: outcome never met: $want"
		missing=$((missing + 1))
	fi
done

echo "difftest: runtime $((SECONDS - start)) s"
echo "difftest: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$missing" -eq 0 ]
