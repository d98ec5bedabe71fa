#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every Memorizer test: the host tests of the tools, the boot test (which
# builds what is stale), and the host tests of the boot-test harness.
# Ends with one line "N passed, M failed"; exits non-zero if any failed.
#
# usage: test-all.sh [--host-only]

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
passed=0 failed=0
logdir=$BUILD_DIR/test-logs
mkdir -p "$logdir"

# step NAME COMMAND...: run a test runner, add up its closing line.
# Each step's wall-clock time is printed after it and again at the end, so
# a CI log shows where the time went.
times=()
step() {
	local name=$1 log=$logdir/$1.log line p f rc t0=$SECONDS
	shift
	echo "=== $name: $*"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	times+=("$name $((SECONDS - t0))s")
	echo "=== $name: $((SECONDS - t0)) s"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "not ok - $name: no result line (log: $log)"
		failed=$((failed + 1))
		return
	fi
	p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
	passed=$((passed + p)); failed=$((failed + f))
	[ "$rc" = 0 ] || [ "$f" -gt 0 ] || { echo "not ok - $name exited non-zero"; failed=$((failed + 1)); }
}

if [ -f "$here/kmaptool/Makefile" ]; then
	step kmaptool make -s -C "$here/kmaptool" test
fi
if [ "${1:-}" != --host-only ]; then
	# Every suite, on 4 vCPUs: SMP exactness needs several.
	step boottest "$here/boottest.sh" -s 4
	# A second boot with a pool too small for the system: exhaustion.
	step boottest-pool "$here/boottest.sh" -n -f pool-exhaustion \
		-a memalloc_size=2M -o "$BUILD_DIR/boottest-pool"
	# A boot for the fork/exec soak: 2000 short processes, retired as they
	# go, with a fresh pool (scripts/memorizer/soak.sh runs more).
	step boottest-soak "$here/soak.sh" -p 2000 -n -T 3600 \
		-o "$BUILD_DIR/boottest-soak"
	step harness "$here/tests/test-boottest.sh"
	# gdb on the guest stopped by boottest.sh -i -g, with the guide's
	# GRUB line: its effects read from the recorder's variables.
	step gdb "$here/tests/test-gdb.sh"
fi
echo "=== time per step:$(printf " %s;" "${times[@]}")"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
