#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debugging as the guide's gdb_doit.sh does: boottest.sh -i -g PORT boots
# the kernel stopped, with the guide's GRUB line verbatim; gdb -batch
# attaches ('target remote :PORT'), breaks in memorizer_debugfs_init (a
# late initcall: the pool is reserved and SMP is up), and reads the
# recorder's variables.  They must show the guide's parameters took:
# mz_enabled 0 (memorizer_enabled_boot=no), mz_pool_bytes min(4 GiB,
# memory/4) (memalloc_size=4), one CPU online of two (maxcpus=1).
#
# Without debug info gdb reads the variables through vmlinux's symbol
# table, with casts.  A kernel built with memorizer_debug.config (DWARF 5,
# CONFIG_GDB_SCRIPTS) is also read by type (mz_pool.nr_slots) and through
# the kernel's gdb scripts (lx-version).
#
# usage: test-gdb.sh [-k bzImage] [-t SECONDS]   (vmlinux is taken from the
# tree the image lies in; default: $BUILD_DIR/linux, as the boot test builds)

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"

kernel=$TREE/arch/x86/boot/bzImage wait_s=600 mem=512M
while getopts "k:t:h" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	t) wait_s=$OPTARG ;;
	h) echo "usage: ${0##*/} [-k bzImage] [-t SECONDS]"; exit 0 ;;
	*) exit 2 ;;
	esac
done
[[ $wait_s =~ ^[0-9]+$ ]] || mz_die "-t takes seconds"
"$PROJECT_DIR/scripts/memorizer/install-deps.sh" gdb iproute2 || mz_die "installing gdb failed"
[ -f "$kernel" ] || mz_die "no kernel image at $kernel (build it: make guestconfig && make)"
kernel=$(cd "$(dirname "$kernel")" && pwd)/$(basename "$kernel")
tree=${kernel%/arch/x86/boot/bzImage}
vmlinux=$tree/vmlinux
[ -f "$vmlinux" ] || mz_die "no vmlinux next to $kernel (looked for $vmlinux)"

work=$(mktemp -d "${TMPDIR:-/tmp}/test-gdb.XXXXXX")
qpid=""
cleanup() {
	[ -z "$qpid" ] || { kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; }
	[ "${MZ_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0
result() {
	if [ "$1" = 0 ]; then
		echo "ok - $2"
		passed=$((passed + 1))
	else
		echo "not ok - $2"
		failed=$((failed + 1))
	fi
}

debuginfo=0
readelf -S "$vmlinux" 2>/dev/null | grep -q '\.debug_info' && debuginfo=1
port=$(mz_free_port)
t0=$SECONDS
# The boot script's interactive mode with its gdb stub, as a user runs it;
# the serial console (this mode's stdio) goes to a file.
"$PROJECT_DIR/scripts/memorizer/boottest.sh" -n -k "$kernel" -i -g "$port" -s 2 -m "$mem" \
	-o "$work/out" -a "$MZ_GUIDE_APPEND" < /dev/null > "$work/console.log" 2>&1 &
qpid=$!

# QEMU listens once the initramfs is packed; nothing connects before gdb.
deadline=$((SECONDS + 120))
until ss -Hltn "sport = :$port" | grep -q .; do
	kill -0 $qpid 2>/dev/null || { cat "$work/console.log"; mz_die "boottest.sh -i -g ended before QEMU listened"; }
	[ $SECONDS -lt $deadline ] || mz_die "QEMU's gdb stub did not listen on $port within 120 s"
	sleep 1
done

cmds=(-ex "target remote :$port" -ex "hbreak memorizer_debugfs_init" -ex continue
      -ex 'printf "mz_enabled=%d\n", *(int *)&mz_enabled'
      -ex 'printf "mz_pool_bytes=%lu\n", *(unsigned long *)&mz_pool_bytes'
      -ex 'printf "online=%d\n", *(int *)&__num_online_cpus')
if [ $debuginfo -eq 1 ]; then
	cmds+=(-ex 'printf "nr_slots=%lu\n", mz_pool.nr_slots' -ex 'printf "slot=%lu\n", sizeof(struct mz_obj)'
	       -ex lx-version)
fi
# -batch kills the stopped guest when it ends; the wall clock bounds it.
timeout --signal=KILL "$wait_s" gdb -batch -nx -iex "add-auto-load-safe-path $tree" \
	"${cmds[@]}" "$vmlinux" > "$work/gdb.log" 2>&1
rc=$?
get() { sed -n "s/^$1=//p" "$work/gdb.log" | tail -n 1; }
grep -q 'memorizer_debugfs_init' "$work/gdb.log" && [ -n "$(get mz_enabled)" ]
result $? "gdb -batch attaches to the stopped guest and stops in memorizer_debugfs_init ($((SECONDS - t0)) s, gdb exit $rc)"
if [ $failed -gt 0 ]; then
	sed 's/^/#   /' "$work/gdb.log" | tail -n 15
	tail -n 8 "$work/console.log" | tr -d '\r' | sed 's/^/#   /'
	echo "$passed passed, $failed failed"
	exit 1
fi

v=$(get mz_enabled)
[ "$v" = 0 ]
result $? "memorizer_enabled_boot=no: gdb reads mz_enabled = $v"
v=$(get online)
[ "$v" = 1 ]
result $? "maxcpus=1: gdb reads __num_online_cpus = $v with 2 vCPUs"
pool=$(get mz_pool_bytes)
why=$(mz_check_guide_pool "$work/console.log" "${pool:-0}" "$mem")
result $? "memalloc_size=4: gdb reads mz_pool_bytes, min(4 GiB, memory/4): $why"
if [ $debuginfo -eq 1 ]; then
	slots=$(get nr_slots) slot=$(get slot)
	[ -n "$slots" ] && [ -n "$slot" ] && [ $((slots * slot)) = "${pool:-x}" ]
	result $? "debug info: gdb reads mz_pool.nr_slots by type: $slots slots of $slot bytes"
	grep -q '^Linux version ' "$work/gdb.log"
	result $? "gdb scripts: lx-version prints the banner"
else
	echo "# $vmlinux has no debug info: typed reads and lx- commands need memorizer_debug.config"
fi
why=$(mz_console_fatal "$work/console.log")
[ -z "$why" ]
result $? "no kernel report on the console${why:+: $why}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
