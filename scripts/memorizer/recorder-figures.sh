#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The recorder's figures: boot the Memorizer kernel recording from boot, run
# a small workload, then report from stats what the record holds and costs
# (objects tracked, metadata per object, pool use) and time reading the
# whole kmap in the guest and copying it to the host over ssh.
#
# usage: recorder-figures.sh [-n] [-a ARGS] [OUTDIR]  (default: build/figures)
#   -n       do not build; use the kernel as it is
#   -a ARGS  extra kernel command line

set -uo pipefail
. "$(dirname "$0")/lib.sh"

build=1 append=""
while getopts "na:" opt; do
	case $opt in
	n) build=0 ;;
	a) append=$OPTARG ;;
	*) mz_die "usage: ${0##*/} [-n] [-a ARGS] [OUTDIR]" ;;
	esac
done
shift $((OPTIND - 1))
out=${1:-$BUILD_DIR/figures}
mkdir -p "$out"
[ $build -eq 1 ] && mz_build_kernel "$out/build.log"
mz_boot_ssh "$TREE/arch/x86/boot/bzImage" "$out" "$append" || exit 1

# In the guest: a workload, then three timed reads of the whole kmap.
mz_ssh "$MZ_PORT" bash -s > "$out/guest.txt" <<'GUEST'
d=/sys/kernel/debug/memorizer
for i in $(seq 50); do
	echo "figure $i" > /tmp/fig.$i
	cat /tmp/fig.$i | wc -c > /dev/null
	rm /tmp/fig.$i
done
ls -R /sys > /dev/null 2>&1
echo 1 > $d/log_live_enabled
cat $d/stats > /tmp/fig.stats
TIMEFORMAT=%R
for i in 1 2 3; do
	{ time cat $d/kmap > /tmp/fig.kmap; } 2>&1 | sed 's/^/read_seconds: /'
done
echo "kmap_bytes: $(wc -c < /tmp/fig.kmap)"
echo "kmap_lines: $(wc -l < /tmp/fig.kmap)"
rm /tmp/fig.kmap
cat /tmp/fig.stats
GUEST
rc=$?
t0=$(date +%s.%N)
mz_ssh "$MZ_PORT" cat /sys/kernel/debug/memorizer/kmap > "$out/kmap"
t1=$(date +%s.%N)
mz_halt
[ $rc -eq 0 ] || mz_die "the guest part failed (console: $out/console.log)"

g() { awk -v k="$1:" '$1 == k { print $2 }' "$out/guest.txt" | head -n 1; }
read_s=$(awk '$1 == "read_seconds:" { print $2 }' "$out/guest.txt" | sort -n | sed -n 2p)
tracked=$(g objects_tracked) meta=$(g metadata_bytes) bytes=$(g kmap_bytes)
echo "objects tracked:        $tracked (live $(g objects_live), freed $(g objects_freed))"
echo "events seen/recorded/dropped: $(g events_seen)/$(g events_recorded)/$(g events_dropped)"
echo "descriptor size:        $(g pool_descriptor_bytes) bytes per object"
echo "metadata reserved:      $meta bytes ($((meta / 1048576)) MiB; $((meta / tracked)) bytes per tracked object)"
echo "pool use:               $(g pool_slots_used) of $(g pool_slots) slots" \
     "($(awk -v u="$(g pool_slots_used)" -v n="$(g pool_slots)" 'BEGIN { printf "%.1f", 100 * u / n }')%)"
echo "kmap read in the guest: $bytes bytes, $(g kmap_lines) lines in ${read_s}s (median of 3;" \
     "$(awk -v b="$bytes" -v s="$read_s" 'BEGIN { printf "%.1f", b / s / 1048576 }') MiB/s)"
echo "kmap over ssh cat:      $(wc -c < "$out/kmap") bytes in" \
     "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')s"
