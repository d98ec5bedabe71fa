#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Memorizer's overhead: the same guest workload under the same QEMU settings
# on a KASAN-only kernel (CONFIG_MEMORIZER off; built in BUILD_DIR/kasan-only)
# and on the Memorizer kernel with recording off, objects only, and objects
# and accesses.  The three Memorizer modes alternate within one boot, rep by
# rep, so they share the machine's conditions.  Prints each configuration's
# median time and its ratio to KASAN-only, and the accesses recorded per
# second.
#
# usage: bench.sh [-n] [-r REPS] [-s SMP] [-m MiB] [-p MiB] [OUTDIR]
#                                                      (default: build/bench)
#   -n  do not build; use the kernels as they are
#   -m  guest memory (default 512)
#   -p  Memorizer's pool (memalloc_size=; default: the kernel's default).
#       The records of the workload's exited processes are retired, so
#       the default pool holds the run; the drops are printed after it.

set -uo pipefail
. "$(dirname "$0")/lib.sh"

build=1 reps=5 smp=2 mem=512 pool=
while getopts "nr:s:m:p:" opt; do
	case $opt in
	n) build=0 ;;
	r) reps=$OPTARG ;;
	s) smp=$OPTARG ;;
	m) mem=$OPTARG ;;
	p) pool=$OPTARG ;;
	*) mz_die "usage: ${0##*/} [-n] [-r REPS] [-s SMP] [-m MiB] [-p MiB] [OUTDIR]" ;;
	esac
done
shift $((OPTIND - 1))
[[ $reps =~ ^[1-9][0-9]*$ && $smp =~ ^[1-9][0-9]*$ && $mem =~ ^[1-9][0-9]*$ &&
   $pool =~ ^([1-9][0-9]*)?$ ]] ||
	mz_die "-r, -s, -m and -p take positive numbers"
out=${1:-$BUILD_DIR/bench}
mkdir -p "$out"
out=$(cd "$out" && pwd)
kasan_dir=$BUILD_DIR/kasan-only
kasan_tree=$kasan_dir/linux

if [ $build -eq 1 ]; then
	mz_build_kernel "$out/build.log"
	mz_say "building the KASAN-only kernel in $kasan_tree (log: $out/build-kasan.log)"
	{
		make -C "$PROJECT_DIR" BUILD_DIR="$kasan_dir" -s tree &&
		{ [ -f "$kasan_tree/.config" ] ||
		  { make -C "$PROJECT_DIR" BUILD_DIR="$kasan_dir" guestconfig &&
		    "$kasan_tree/scripts/config" --file "$kasan_tree/.config" -d MEMORIZER &&
		    make -C "$PROJECT_DIR" BUILD_DIR="$kasan_dir" olddefconfig; }; } &&
		make -C "$PROJECT_DIR" BUILD_DIR="$kasan_dir" -j"$(nproc)"
	} > "$out/build-kasan.log" 2>&1 || mz_die "KASAN-only build failed (log: $out/build-kasan.log)"
fi
grep -q '^CONFIG_KASAN_GENERIC=y' "$kasan_tree/.config" 2>/dev/null &&
	! grep -q '^CONFIG_MEMORIZER=y' "$kasan_tree/.config" ||
	mz_die "$kasan_tree is not a KASAN-only build"

# The guest side: MODES are Memorizer modes to alternate (none: KASAN-only).
# Each rep runs the fixed workload once per mode and prints
# "time MODE SECONDS ACCESSES".
guest_script() {
	cat <<GUEST
reps=$reps modes="$1"
GUEST
	cat <<'GUEST'
d=/sys/kernel/debug/memorizer
workload() {
	local i
	for i in $(seq 50); do /bin/true; done		# fork/exec
	for i in $(seq 50); do				# files on tmpfs
		echo "bench $i" > /tmp/b.$i
		cat /tmp/b.$i > /dev/null
		rm /tmp/b.$i
	done
	dd if=/dev/zero bs=4096 count=512 2>/dev/null | cat > /dev/null	# a pipe
}
mode() {
	[ -d $d ] || return 0
	echo 1 > $d/clear_dead_objects
	case $1 in
	off) echo 0 > $d/log_accesses_enabled; echo 0 > $d/memorizer_enabled ;;
	objects) echo 0 > $d/log_accesses_enabled; echo 1 > $d/memorizer_enabled ;;
	accesses) echo 1 > $d/memorizer_enabled; echo 1 > $d/log_accesses_enabled ;;
	esac
}
acc() { [ -d $d ] && awk '$1 == "accesses_recorded:" { print $2 }' $d/stats || echo 0; }
workload	# warm up
for r in $(seq $reps); do
	for m in $modes; do
		mode $m
		a0=$(acc)
		t0=$EPOCHREALTIME
		workload
		t1=$EPOCHREALTIME
		a1=$(acc)
		mode off
		echo "time $m $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $((a1 - a0))"
	done
done
[ -d $d ] && cat $d/stats | sed 's/^/stats /'
GUEST
}

# run NAME KERNEL MODES [APPEND]
run() {
	mkdir -p "$out/$1"
	mz_boot_ssh "$2" "$out/$1" "${4:-}" "$smp" "${mem}M" || mz_die "$1: the guest did not boot"
	guest_script "$3" | mz_ssh "$MZ_PORT" bash -s > "$out/$1/times" 2>&1
	mz_halt
	grep -q '^time ' "$out/$1/times" || mz_die "$1: no times (see $out/$1/times)"
}

run kasan-only "$kasan_tree/arch/x86/boot/bzImage" none
run memorizer "$TREE/arch/x86/boot/bzImage" "off objects accesses" "${pool:+memalloc_size=${pool}M}"

median() {
	awk -v m="$1" '$1 == "time" && $2 == m { print $3 }' "$out"/*/times | sort -n |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
base=$(median none)
echo "workload: 50 fork/exec, 50 tmpfs create/read/delete, 2 MiB through a pipe;" \
     "$reps reps, -smp $smp, -m ${mem}M, pool ${pool:-default}${pool:+ MiB}, TCG"
printf '%-34s %9s %8s\n' configuration "median s" ratio
for m in none off objects accesses; do
	t=$(median $m)
	case $m in
	none) name="KASAN only (CONFIG_MEMORIZER off)" ;;
	off) name="Memorizer, recording off" ;;
	objects) name="Memorizer, objects" ;;
	accesses) name="Memorizer, objects + accesses" ;;
	esac
	printf '%-34s %9s %8s\n' "$name" "$t" "$(awk -v t="$t" -v b="$base" 'BEGIN { printf "%.2f", t / b }')"
done
awk -v smp="$smp" '$1 == "time" && $2 == "accesses" { a += $4; s += $3 }
     END { if (s > 0) printf "accesses recorded: %d in %.1f s, %.0f per second, %.0f per vCPU\n",
			     a, s, a / s, a / s / smp }' "$out/memorizer/times"
stats='accesses_looked_up|accesses_dropped|events_dropped|pool_slots_used|pool_slots'
stats+='|tasks_retired|records_retired'
grep -E "^stats ($stats):" "$out/memorizer/times" |
	sed 's/^stats /after the run: /'
