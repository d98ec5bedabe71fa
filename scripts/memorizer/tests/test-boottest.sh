#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of the boot-test harness itself: a passing suite passes, and a
# failing test, a panicking guest, a hanging guest, a guest that never
# reports and a console splat each make boottest.sh exit non-zero with a
# message saying which.  Uses the kernel already built (boottest.sh -n).

set -u
here=$(cd "$(dirname "$0")" && pwd)
bt=$here/../boottest.sh
out=${BUILD_DIR:-$here/../../../build}/harness-tests
passed=0 failed=0

# check NAME FIXTURE WANT_RC MESSAGE_REGEX [extra boottest args]
check() {
	local name=$1 fixture=$2 want=$3 re=$4 rc log
	shift 4
	log=$out/$fixture.out
	mkdir -p "$out"
	"$bt" -n -S "$here/fixtures" -f "^$fixture\\.bats\$" -o "$out/$fixture" "$@" > "$log" 2>&1
	rc=$?
	if { [ "$want" = 0 ] && [ $rc -eq 0 ]; } || { [ "$want" != 0 ] && [ $rc -ne 0 ]; }; then
		if grep -q -E "$re" "$log"; then
			echo "ok - harness: $name"; passed=$((passed + 1)); return
		fi
	fi
	echo "not ok - harness: $name (exit $rc; see $log)"
	sed 's/^/#   /' "$log" | tail -n 15
	failed=$((failed + 1))
}

check "a passing suite exits 0" pass 0 '^3 passed, 0 failed, 0 skipped$'
check "a failing test exits non-zero and names it" fail 1 '^not ok 2 fixture: deliberately failing test'
check "a kernel panic exits non-zero and says so" panic 1 'not ok - boot: kernel panic'
check "a hanging guest times out and says so" hang 1 'not ok - boot: timeout' -t 90
check "a guest that never reports fails and says so" silent 1 'not ok - boot: the guest never reported'
check "a WARNING: on the console fails the run" warn 1 'not ok - boot: console shows a kernel report: .*WARNING:'
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
