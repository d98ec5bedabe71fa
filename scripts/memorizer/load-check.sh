#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The load check: run the boot test and the kmap demo while the host's
# cores are busy with other work (one `nice -n 0` CPU-burning loop per
# core), and report how long each took.  Verdicts must not depend on how
# fast, or how loaded, the host is.  Run by hand; not part of `make test`.
#
# usage: load-check.sh [-b BURNERS] [boottest.sh options...]

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

burners=$(nproc)
if [ "${1:-}" = -b ]; then burners=$2; shift 2; fi
pids=()
stop() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null; }
trap stop EXIT
for _ in $(seq "$burners"); do
	nice -n 0 sh -c 'while :; do :; done' &
	pids+=($!)
done
mz_say "$burners CPU burner(s) running"

t0=$SECONDS
"$here/boottest.sh" -s 4 "$@" > "$BUILD_DIR/load-boottest.log" 2>&1
brc=$?
bt=$((SECONDS - t0))
t0=$SECONDS
"$here/kmap-demo.sh" "$BUILD_DIR/load-demo-out" > "$BUILD_DIR/load-demo.log" 2>&1
drc=$?
dt=$((SECONDS - t0))
stop
pids=()

tail -n 1 "$BUILD_DIR/load-boottest.log"
grep -h -E 'boot to /init|answers over ssh' "$BUILD_DIR/load-boottest.log" "$BUILD_DIR/load-demo.log"
echo "boot test under load: exit $brc in ${bt}s (log: $BUILD_DIR/load-boottest.log)"
echo "kmap demo under load: exit $drc in ${dt}s (log: $BUILD_DIR/load-demo.log)"
[ $brc -eq 0 ] && [ $drc -eq 0 ]
