#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The user's kernel, checked: build `make defconfig memorizer.config` (with
# its modules) in a build directory of its own, then boot it with the boot
# test's initramfs and run every suite, once as defconfig boots
# (PREEMPT_DYNAMIC, voluntary preemption) and once with preempt=full, and
# the pool exhaustion suite with a 2 MiB pool.  Not part of make test: a
# build from scratch takes 35-70 minutes on 2 cores (then it is
# incremental).  Ends with "N passed, M failed"; exits non-zero on any
# failure.  The verdict of each boot is boottest.sh's.
#
# usage: BUILD_DIR=DIR fullkernel-check.sh [-s VCPUS] [-m MEM] [-f REGEX]
#        (BUILD_DIR defaults to build/full)

set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$(cd "$here/../.." && pwd)/build/full}
. "$here/lib.sh"
# A full kernel's kmap is ten times the small guest's: one pass of a test
# over it can print nothing for many minutes under TCG on a loaded host.
smp=2 mem=1G filter="" hang=3600 total=14400
while getopts "s:m:f:h" opt; do
	case $opt in
	s) smp=$OPTARG ;;
	m) mem=$OPTARG ;;
	f) filter=$OPTARG ;;
	*) sed -n '3,15p' "$0"; exit 2 ;;
	esac
done

mkdir -p "$BUILD_DIR"
log=$BUILD_DIR/fullkernel-build.log
make -C "$PROJECT_DIR" -s tree > "$log" 2>&1 || { tail -n 30 "$log"; mz_die "preparing the tree failed (log: $log)"; }
if [ ! -f "$TREE/.config" ]; then
	make -C "$PROJECT_DIR" defconfig memorizer.config >> "$log" 2>&1 ||
		{ tail -n 30 "$log"; mz_die "make defconfig memorizer.config failed (log: $log)"; }
fi
mz_say "building defconfig + memorizer.config in $BUILD_DIR (log: $log)"
start=$SECONDS
make -C "$PROJECT_DIR" -j"$(nproc)" >> "$log" 2>&1 ||
	{ grep -E 'error|Error' "$log" | head -n 20; mz_die "kernel build failed (log: $log)"; }
mz_say "built in $((SECONDS - start)) s"
mz_objtool_check "$log"

passed=0 failed=0
# boot NAME ARGS...: one boot test, its closing line added up.
boot() {
	local name=$1 out=$BUILD_DIR/fullkernel-$1 line rc p f
	shift
	mz_say "=== $name: boottest.sh $*"
	"$here/boottest.sh" -n -k "$TREE/arch/x86/boot/bzImage" -s "$smp" -m "$mem" \
		-t "$hang" -T "$total" -o "$out" "$@" 2>&1 | tee "$out.log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out.log" | tail -n 1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		return
	fi
	p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
	passed=$((passed + p)); failed=$((failed + f))
	[ "$rc" = 0 ] || [ "$f" -gt 0 ] || failed=$((failed + 1))
}

boot voluntary ${filter:+-f "$filter"}
boot preempt-full -a preempt=full ${filter:+-f "$filter"}
[ -n "$filter" ] || boot pool -f pool-exhaustion -a memalloc_size=2M
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
