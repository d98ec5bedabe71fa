#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The long soak: the retire suite (initramfs/tests/65-retire.bats) with
# more short processes than make test runs (2000), passed to the guest as
# memorizer.soak=N.  Ends with the boot test's verdict; the suite's
# figures (pool use per quarter, retire runs and their time) are in
# OUT/results.tap on failure and in the guest's stats.  Run by hand: 20,000
# processes take hours of guest time under TCG.
#
# usage: soak.sh [-n PROCS] [boottest.sh options...]

set -u
here=$(cd "$(dirname "$0")" && pwd)
procs=20000
if [ "${1:-}" = -n ]; then
	procs=${2:-}
	shift 2 || true
fi
case $procs in
''|*[!0-9]*|0*) echo "soak.sh: -n wants a number of processes, got '$procs'" >&2; exit 2 ;;
esac
[ $((procs % 100)) = 0 ] || { echo "soak.sh: -n wants a multiple of 100" >&2; exit 2; }
exec "$here/boottest.sh" -f 65-retire -a "memorizer.soak=$procs" -t 3600 -T 86400 \
	-o "${BUILD_DIR:-$here/../../build}/soak" "$@"
