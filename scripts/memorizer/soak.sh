#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The soak: the retire suite (initramfs/tests/65-retire.bats) in a boot of
# its own, with PROCS short processes, passed to the guest as
# memorizer.soak=PROCS.  make test runs 2000 (-p 2000); by hand, the
# default is 20,000, which takes hours of guest time under TCG.  Ends with
# the boot test's verdict; the suite's figures (pool use per quarter,
# retire runs and their time) are in OUT/results.tap on failure.
#
# usage: soak.sh [-p PROCS] [boottest.sh options...]

set -u
here=$(cd "$(dirname "$0")" && pwd)
procs=20000
if [ "${1:-}" = -p ]; then
	procs=${2:-}
	shift 2 || true
fi
case $procs in
''|*[!0-9]*|0*) echo "soak.sh: -p wants a number of processes, got '$procs'" >&2; exit 2 ;;
esac
[ $((procs % 100)) = 0 ] || { echo "soak.sh: -p wants a multiple of 100" >&2; exit 2; }
exec "$here/boottest.sh" -f 65-retire -a "memorizer.soak=$procs" -t 3600 -T 86400 \
	-o "${BUILD_DIR:-$here/../../build}/soak" "$@"
