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
mz_initramfs "$work"
port=$(mz_free_port)
mz_qemu "$TREE/arch/x86/boot/bzImage" "$work/initramfs.cpio.gz" \
	"$MZ_APPEND_BASE memorizer.mode=ssh" 2 512M "$port"
mz_say "booting the guest (console: $work/console.log)"
timeout --signal=KILL 1200 "${MZ_QEMU[@]}" -monitor none -serial "file:$work/console.log" \
	< /dev/null > "$work/qemu.log" 2>&1 &
qpid=$!
echo "$port" > "$BUILD_DIR/ssh-port"
mz_wait_ssh "$port" 300 $qpid || { kill $qpid 2>/dev/null; mz_die "the guest did not answer over ssh (console: $work/console.log)"; }

mz_ssh "$port" memorizer-demo
rc=$?
mz_scp "$port" /tmp/kallsyms "$outdir/kallsyms" || mz_say "could not copy kallsyms"
if [ $rc -eq 0 ]; then
	mz_scp "$port" /tmp/kmap "$outdir/kmap" && mz_scp "$port" /tmp/stats "$outdir/stats"
	rc=$?
fi
mz_ssh "$port" reboot -f > /dev/null 2>&1
wait $qpid
if [ $rc -eq 0 ]; then
	mz_say "kmap: $outdir/kmap ($(wc -l < "$outdir/kmap") lines), kallsyms: $outdir/kallsyms, stats: $outdir/stats"
elif [ $rc -eq 3 ]; then
	mz_say "this kernel has no kmap yet; copied only $outdir/kallsyms"
else
	mz_die "the demo failed (exit $rc; console: $work/console.log)"
fi
