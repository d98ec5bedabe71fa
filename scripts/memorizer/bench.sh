#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Memorizer's overhead: the same guest workload under the same QEMU settings
# on a KASAN-only kernel (CONFIG_MEMORIZER off; built in BUILD_DIR/kasan-only)
# and on the Memorizer kernel with recording off, objects only, and objects
# and accesses.  Both guests are up at once, and each rep runs the workload
# on the KASAN-only guest and then once per Memorizer mode on the other, so
# that every configuration meets the same moments of the machine's load.
# Prints each configuration's median time and its ratio to KASAN-only, and
# the accesses recorded per second.
#
# usage: bench.sh [-n] [-k] [-r REPS] [-s SMP] [-m MiB] [-p MiB] [OUTDIR]
#                                                      (default: build/bench)
#   -n  do not build; use the kernels as they are
#   -k  keep the freed objects: with accesses logged, the workload does not
#       write clear_dead_objects every 25 processes as a long trace does,
#       and the freed objects' records fill the pool
#   -m  guest memory (default 512)
#   -p  Memorizer's pool (memalloc_size=; default: the kernel's default).
#       The records of the workload's exited processes are retired, so
#       the default pool holds the run; the drops are printed after it.

set -uo pipefail
. "$(dirname "$0")/lib.sh"

build=1 reps=5 smp=2 mem=512 pool= drain=1
while getopts "nr:s:m:p:k" opt; do
	case $opt in
	n) build=0 ;;
	k) drain=0 ;;
	r) reps=$OPTARG ;;
	s) smp=$OPTARG ;;
	m) mem=$OPTARG ;;
	p) pool=$OPTARG ;;
	*) mz_die "usage: ${0##*/} [-n] [-k] [-r REPS] [-s SMP] [-m MiB] [-p MiB] [OUTDIR]" ;;
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

# The guest side of one rep: MODES are the Memorizer modes to run in turn
# (none: KASAN-only), each printing "time MODE SECONDS ACCESSES DROPPED",
# the accesses recorded and those dropped for want of a record; WARM=1
# runs the workload once first, LAST=1 prints the stats after.
guest_script() {
	cat <<GUEST
modes="$1" warm=$2 last=$3 drain=$drain
GUEST
	cat <<'GUEST'
d=/sys/kernel/debug/memorizer
# drain: with accesses logged, a user drains the freed objects now and then
# (their records wait for a reader, see "Long traces"); the time counts.
drain() {
	[ "$draining" = 0 ] || [ $(($1 % 25)) != 0 ] || echo 1 > $d/clear_dead_objects
}
draining=0
workload() {
	local i
	for i in $(seq 50); do /bin/true; drain $i; done	# fork/exec
	for i in $(seq 50); do				# files on tmpfs
		echo "bench $i" > /tmp/b.$i
		cat /tmp/b.$i > /dev/null
		rm /tmp/b.$i
		drain $i
	done
	dd if=/dev/zero bs=4096 count=512 2>/dev/null | cat > /dev/null	# a pipe
}
mode() {
	[ -d $d ] || return 0
	echo 1 > $d/clear_dead_objects
	draining=0
	case $1 in
	off) echo 0 > $d/log_accesses_enabled; echo 0 > $d/memorizer_enabled ;;
	objects) echo 0 > $d/log_accesses_enabled; echo 1 > $d/memorizer_enabled ;;
	accesses) echo 1 > $d/memorizer_enabled; echo 1 > $d/log_accesses_enabled
		  draining=$drain ;;
	esac
}
# acc: accesses recorded and dropped so far
acc() {
	[ -d $d ] && awk '$1 == "accesses_recorded:" { a = $2 } $1 == "accesses_dropped:" { x = $2 }
			  END { print a, x }' $d/stats || echo 0 0
}
[ "$warm" = 0 ] || workload
for m in $modes; do
	mode $m
	read -r a0 x0 <<< "$(acc)"
	t0=$EPOCHREALTIME
	workload
	t1=$EPOCHREALTIME
	read -r a1 x1 <<< "$(acc)"
	mode off
	echo "time $m $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $((a1 - a0)) $((x1 - x0))"
done
[ "$last" = 0 ] || [ ! -d $d ] || sed 's/^/stats /' $d/stats
GUEST
}

declare -A port qpid modes
# boot NAME TREE MODES [APPEND]: a guest of TREE's kernel, with an
# initramfs that names TREE's config (the boot checks KUnit if it has it).
boot() {
	local TREE=$2

	mkdir -p "$out/$1"
	rm -f "$out/$1/times"
	mz_boot_ssh "$TREE/arch/x86/boot/bzImage" "$out/$1" "${4:-}" "$smp" "${mem}M" ||
		mz_die "$1: the guest did not boot"
	port[$1]=$MZ_PORT qpid[$1]=$MZ_QPID modes[$1]=$3
}
trap 'kill "${qpid[@]}" 2> /dev/null' EXIT

boot kasan-only "$kasan_tree" none
boot memorizer "$TREE" "off objects accesses" "${pool:+memalloc_size=${pool}M}"
for ((r = 1; r <= reps; r++)); do
	for g in kasan-only memorizer; do
		guest_script "${modes[$g]}" $((r == 1)) $((r == reps)) |
			mz_ssh "${port[$g]}" bash -s >> "$out/$g/times" 2>&1
	done
done
for g in kasan-only memorizer; do
	MZ_PORT=${port[$g]} MZ_QPID=${qpid[$g]}
	mz_halt
	[ "$(grep -c '^time ' "$out/$g/times")" = $((reps * $(wc -w <<< "${modes[$g]}"))) ] ||
		mz_die "$g: times missing (see $out/$g/times)"
done

median() {
	awk -v m="$1" '$1 == "time" && $2 == m { print $3 }' "$out"/*/times | sort -n |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
base=$(median none)
echo "workload: 50 fork/exec, 50 tmpfs create/read/delete, 2 MiB through a pipe;" \
     "$reps reps, -smp $smp, -m ${mem}M, pool ${pool:-default}${pool:+ MiB}, TCG"
[ $drain = 0 ] || echo "with accesses logged, freed objects cleared every 25 processes (as a long trace drains them)"
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
awk -v smp="$smp" '$1 == "time" && $2 == "accesses" { a += $4; s += $3; x += $5 }
     END { if (s > 0) printf "accesses recorded: %d in %.1f s, %.0f per second, %.0f per vCPU; dropped: %d\n",
			     a, s, a / s, a / s / smp, x }' "$out/memorizer/times"
stats='accesses_looked_up|accesses_dropped|events_dropped|pool_slots_used|pool_slots'
stats+='|tasks_retired|records_retired'
grep -E "^stats ($stats):" "$out/memorizer/times" |
	sed 's/^stats /after the run: /'
