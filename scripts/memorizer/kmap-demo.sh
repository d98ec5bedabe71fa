#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Memorizer's main job: build the kernel and initramfs, boot the guest,
# record a small demo workload (the user's guide sequence), and copy the kmap
# to the host over scp.  Prints where the files are.
#
# usage: kmap-demo.sh [OUTDIR]   (default: out/)

set -uo pipefail
. "$(dirname "$0")/lib.sh"

outdir=${1:-$PROJECT_DIR/out}
work=$BUILD_DIR/demo
mkdir -p "$outdir" "$work"
outdir=$(cd "$outdir" && pwd)
mz_build_kernel "$work/build.log"
mz_boot_ssh "$TREE/arch/x86/boot/bzImage" "$work" "" || exit 1
port=$MZ_PORT
timeout -s KILL 1800 ssh "${MZ_SSH_OPTS[@]}" -i "$SSH_DIR/id_ed25519" -p "$port" root@127.0.0.1 memorizer-demo
rc=$?
mz_scp "$port" /tmp/kallsyms "$outdir/kallsyms" || mz_say "could not copy kallsyms"
if [ $rc -eq 0 ]; then
	mz_scp "$port" /tmp/kmap "$outdir/kmap" && mz_scp "$port" /tmp/stats "$outdir/stats"
	rc=$?
fi
mz_halt
if why=$(mz_console_fatal "$work/console.log"); then
	mz_die "the guest failed during the demo: $why (console: $work/console.log)"
fi
if [ $rc -eq 0 ]; then
	mz_say "kmap: $outdir/kmap ($(wc -l < "$outdir/kmap") lines), kallsyms: $outdir/kallsyms, stats: $outdir/stats"
elif [ $rc -eq 3 ]; then
	mz_say "this kernel has no kmap yet; copied only $outdir/kallsyms"
else
	mz_die "the demo failed (exit $rc; console: $work/console.log)"
fi
