#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of the boot-test harness itself.  Two kinds:
#  - real guests (the kernel already built, boottest.sh -n) running fixture
#    suites: a passing suite passes; a failing test, a panic, a hang, a
#    guest that powers off or resets mid-suite, and a console splat each
#    make boottest.sh exit non-zero with a message saying which;
#  - recorded consoles played by a fake QEMU (fake-qemu.sh): a failing or
#    missing KUnit suite, a NIC without an interrupt, dropbear failing, a
#    guest that never answers over ssh and a silent triple fault each fail
#    fast, well under the old timeouts, naming the cause; a boot that
#    stalls before /init is booted once more;
#  - lib.sh's objtool check on a made-up build log.

set -u
here=$(cd "$(dirname "$0")" && pwd)
bt=$here/../boottest.sh
out=${BUILD_DIR:-$here/../../../build}/harness-tests
passed=0 failed=0

# check NAME FIXTURE WANT_RC MESSAGE_REGEX MAX_SECONDS [extra boottest args]
check() {
	local name=$1 fixture=$2 want=$3 re=$4 max=$5 rc log t0 took
	shift 5
	log=$out/$(echo "$name" | tr -c 'a-zA-Z0-9\n' _ | cut -c1-50).out
	mkdir -p "$out"
	t0=$SECONDS
	"$bt" -n -S "$here/fixtures" -f "^$fixture\\.bats\$" -o "$out/$fixture" "$@" > "$log" 2>&1
	rc=$?
	took=$((SECONDS - t0))
	if { [ "$want" = 0 ] && [ $rc -eq 0 ]; } || { [ "$want" != 0 ] && [ $rc -ne 0 ]; }; then
		if ! grep -q -E "$re" "$log"; then
			:
		elif [ $took -gt "$max" ]; then
			echo "not ok - harness: $name (took ${took}s, more than ${max}s)"
			failed=$((failed + 1))
			return
		else
			echo "ok - harness: $name (${took}s)"
			passed=$((passed + 1))
			return
		fi
	fi
	echo "not ok - harness: $name (exit $rc; see $log)"
	sed 's/^/#   /' "$log" | tail -n 15
	failed=$((failed + 1))
}

# fake NAME CONSOLE TAP END MESSAGE_REGEX MAX_SECONDS: a recorded run.
fake() {
	MZ_QEMU_BIN=$here/fake-qemu.sh MZ_FAKE_CONSOLE=$here/consoles/$2 \
	MZ_FAKE_TAP=${3:+$here/consoles/$3} MZ_FAKE_END=$4 \
		check "$1" pass 1 "$5" "$6" -k "$here/fake-qemu.sh" -o "$out/fake-${2%.log}" -t 600
}

check "a passing suite exits 0" pass 0 '^3 passed, 0 failed, 0 skipped$' 600
check "a failing test exits non-zero and names it" fail 1 '^not ok 2 fixture: deliberately failing test' 600
check "a kernel panic exits non-zero and says so" panic 1 'not ok - boot: kernel panic' 600
check "a hanging guest times out and says so" hang 1 'not ok - boot: timeout.*during test 2 fixture: hang' 600 -t 90
check "a guest that powers off mid-suite fails and says so" silent 1 \
	'not ok - boot: the guest rebooted before reporting, (during test 2 fixture: power off mid-suite|after test 1 fixture: true passes); the guest never reported' 600
check "a guest that resets mid-test is reported as a reset, with the test" reset 1 \
	'not ok - boot: the guest reset without a word \(a triple fault\), (during test 2 fixture: triple fault|after test 1 fixture: true passes)' 600 -a reboot=t
check "a WARNING: on the console fails the run" warn 1 'not ok - boot: console shows a kernel report: .*WARNING:' 600

fake "a failing KUnit case fails fast and is named" kunit-fail.log "" hang \
	'not ok - boot: KUnit case failed: memorizer.table_insert_lookup$' 30
fake "a KUnit suite that never reports fails fast" kunit-missing.log "" hang \
	"not ok - boot: KUnit: the memorizer suite did not report" 30
fake "a NIC without an interrupt fails fast and says why" nic-no-gsi.log "" hang \
	"not ok - boot: the guest's NIC has no interrupt: e1000 0000:00:03.0: PCI INT A: no GSI \\(after ACPI: .*AE_AML_LOOP_TIMEOUT" 30
fake "dropbear failing fails fast" dropbear-fail.log "" hang \
	'not ok - boot: guest init: dropbear failed to start' 30
fake "a guest that never answers over ssh fails within a minute" boot-ok.log done.tap hang \
	'not ok - host: ssh to the guest: the guest did not answer over ssh within 60 s' 120
fake "a silent triple fault is a reset, with the test that was running" boot-ok.log reset.tap triple \
	'not ok - boot: the guest reset without a word \(a triple fault\), during test 2 boolean controls' 30
# early-stall.log: a real boot that went idle before /init on a loaded host
MZ_EARLY_HANG_S=10 fake "a boot that stalls before /init is booted once more, then fails" \
	early-stall.log "" hang \
	'not ok - boot: timeout: no progress for 10s before /init \(early boot stalled again\)' 60

# mz_objtool_check (lib.sh): an objtool warning fails the build and its
# object goes, so that the next incremental build checks it again.
objtool_case() {
	local d rc msg
	d=$(mktemp -d)
	mkdir -p "$d/linux/mm/memorizer"
	touch "$d/linux/mm/memorizer/access.o" "$d/linux/mm/memorizer/core.o"
	printf '  CC      mm/memorizer/access.o\nmm/memorizer/access.o: warning: objtool: mz_access_miss+0x29b: call to __stack_chk_fail() with UACCESS enabled\n' > "$d/bad.log"
	printf '  CC      mm/memorizer/core.o\n' > "$d/good.log"
	msg=$(BUILD_DIR=$d bash -c ". '$here/../lib.sh' && mz_objtool_check '$d/good.log' && mz_objtool_check '$d/bad.log'" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && grep -q 'error: objtool warned' <<< "$msg" &&
	   grep -q 'mz_access_miss+0x29b' <<< "$msg" &&
	   [ ! -e "$d/linux/mm/memorizer/access.o" ] && [ -e "$d/linux/mm/memorizer/core.o" ]; then
		echo "ok - harness: an objtool warning fails the build and its object is rebuilt next time"
		passed=$((passed + 1))
	else
		echo "not ok - harness: an objtool warning fails the build and its object is rebuilt next time (rc $rc: $msg)"
		failed=$((failed + 1))
	fi
	rm -rf "$d"
}
objtool_case
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
