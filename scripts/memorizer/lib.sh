# SPDX-License-Identifier: GPL-2.0
#
# Shared pieces of Memorizer's guest tooling: building the kernel and the
# initramfs, booting QEMU, and reaching the guest over ssh.  Sourced by
# boottest.sh, kmap-demo.sh, guest-ssh.sh and guest-scp.sh.

PROJECT_DIR=${PROJECT_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$PROJECT_DIR/build}
TREE=$BUILD_DIR/linux
SSH_DIR=$BUILD_DIR/ssh
export PROJECT_DIR BUILD_DIR

mz_die() { echo "${0##*/}: error: $*" >&2; exit 2; }
mz_say() { echo "${0##*/}: $*"; }

# The checksum of the fragments the guest config is made of.
mz_guest_fragments_sum() {
	cat "$PROJECT_DIR/kernel/configs/memorizer_guest.config" \
	    "$PROJECT_DIR/arch/x86/configs/memorizer.config" | sha256sum | cut -c1-64
}

# Whether the tree's config is a guest config made from other fragments
# than today's (a config of the user's own, without KUnit, is left alone).
mz_guestconfig_stale() {
	grep -q '^CONFIG_MEMORIZER_KUNIT_TEST=y' "$TREE/.config" &&
		[ "$(cat "$BUILD_DIR/guestconfig.stamp" 2>/dev/null)" != "$(mz_guest_fragments_sum)" ]
}

# Build what is stale: the tree, the guest config when there is none or
# its fragments changed, the kernel.  The build log goes to $1.
mz_build_kernel() {
	local log=$1

	make -C "$PROJECT_DIR" -s tree > "$log" 2>&1 || { tail -n 30 "$log"; mz_die "preparing the tree failed (log: $log)"; }
	if [ ! -f "$TREE/.config" ] || mz_guestconfig_stale; then
		make -C "$PROJECT_DIR" guestconfig >> "$log" 2>&1 ||
			{ tail -n 30 "$log"; mz_die "make guestconfig failed (log: $log)"; }
	fi
	mz_say "building the kernel (log: $log)"
	make -C "$PROJECT_DIR" -j"$(nproc)" >> "$log" 2>&1 ||
		{ grep -E 'error|Error' "$log" | head -n 20; mz_die "kernel build failed (log: $log)"; }
	mz_objtool_check "$log"
}

# Fail on any objtool warning in kernel build log $1.  The objects it
# names are removed: an incremental build would keep them unchecked, and
# the next run would pass.
mz_objtool_check() {
	local log=$1 w o
	w=$(grep -E ': warning: objtool:' "$log") || return 0
	echo "$w"
	for o in $(echo "$w" | sed -n 's/^\([^ :]*\.o\): warning: objtool:.*/\1/p' | sort -u); do
		rm -f "$TREE/$o"
	done
	mz_die "objtool warned (above; log: $log)"
}

# Generate the guest host key and the host's client key once per build dir.
mz_ssh_keys() {
	mkdir -p "$SSH_DIR"
	[ -f "$SSH_DIR/dropbear_ed25519_host_key" ] ||
		dropbearkey -t ed25519 -f "$SSH_DIR/dropbear_ed25519_host_key" > /dev/null 2>&1
	[ -f "$SSH_DIR/id_ed25519" ] ||
		ssh-keygen -q -t ed25519 -N '' -C memorizer-host -f "$SSH_DIR/id_ed25519"
}

# Copy a binary and the shared libraries it needs into root $1.
mz_copy_elf() {
	local root=$1 bin=$2 lib

	install -D -m 755 "$bin" "$root$bin"
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] || install -D -m 755 "$(readlink -f "$lib")" "$root$lib"
	done
}

# mz_initramfs OUT SUITE... : build OUT/initramfs.cpio.gz carrying busybox,
# bash, bats, dropbear, scp, the init script and the given BATS suites.
mz_initramfs() {
	local out=$1 root=$1/root f
	shift

	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,etc/dropbear,etc/memorizer,proc,sys,dev,tmp,root/.ssh,run,var/log,usr/bin,usr/sbin,lib64}
	chmod 700 "$root/root" "$root/root/.ssh"
	install -m 755 /bin/busybox "$root/bin/busybox"
	# mawk: the suites cut whole-boot kmaps of tens of MB with awk, 2-3
	# times faster than busybox's under TCG (init links it as awk).  It
	# prints a number above 2^31 as %.6g: the suites' sums stay far below.
	for f in /bin/bash /usr/sbin/dropbear /usr/bin/scp /usr/bin/mawk; do
		mz_copy_elf "$root" "$f"
	done
	# usrmerge: /lib is /usr/lib on the host, keep the same view in the guest.
	[ -d "$root/usr/lib" ] || mkdir -p "$root/usr/lib"
	[ -d "$root/lib" ] && cp -a "$root/lib/." "$root/usr/lib/" && rm -rf "$root/lib"
	ln -s usr/lib "$root/lib"
	# The module suite's module, built with a kernel whose config has it.
	[ ! -f "$TREE/mm/memorizer/memorizer_testmod.ko" ] ||
		install -D -m 644 "$TREE/mm/memorizer/memorizer_testmod.ko" \
			"$root/usr/lib/modules/memorizer_testmod.ko"
	install -m 755 /usr/bin/bats "$root/usr/bin/bats"
	cp -a /usr/lib/bats-core "$root/usr/lib/"
	mkdir -p "$root/usr/libexec" && cp -a /usr/libexec/bats-core "$root/usr/libexec/"
	install -m 755 "$PROJECT_DIR/initramfs/init" "$root/init"
	cp -a "$PROJECT_DIR/initramfs/etc/." "$root/etc/"
	install -m 755 "$PROJECT_DIR"/initramfs/bin/* "$root/usr/bin/"
	mkdir -p "$root/tests"
	for f in "$@"; do install -m 644 "$f" "$root/tests/"; done
	[ -d "$PROJECT_DIR/initramfs/tests/lib" ] && cp -a "$PROJECT_DIR/initramfs/tests/lib" "$root/tests/"
	mz_ssh_keys
	install -m 600 "$SSH_DIR/dropbear_ed25519_host_key" "$root/etc/dropbear/"
	install -m 600 "$SSH_DIR/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
	# What the guest's tests check the running kernel against.
	make -s -C "$TREE" kernelrelease > "$root/etc/memorizer/kernelrelease" 2>/dev/null
	grep '^CONFIG_' "$TREE/.config" > "$root/etc/memorizer/config"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$out/initramfs.cpio.gz"
}

mz_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# mz_qemu KERNEL INITRD APPEND SMP MEM PORT [DEBUGLOG]: set MZ_QEMU to the
# QEMU command line every guest shares: TCG, user networking with ssh on
# 127.0.0.1:PORT.  A q35 machine and a virtio NIC with MSI-X: the NIC's
# interrupt does not depend on ACPI's _PRT method, whose AML loop ACPICA
# limits by the wall clock (on the old pc machine a slow host timed out
# there, and the NIC got no interrupt).  ACPI still lists the vCPUs.
# DEBUGLOG gets QEMU's CPU resets, where a triple fault shows.
# MZ_QEMU_BIN replaces QEMU (the harness's own tests use a fake one);
# MZ_QEMU_MACHINE the machine type (to compare with the old "pc").
mz_qemu() {
	MZ_QEMU=("${MZ_QEMU_BIN:-qemu-system-x86_64}" -machine "${MZ_QEMU_MACHINE:-q35}" -cpu max -accel tcg
		 -smp "$4" -m "$5" -kernel "$1" -initrd "$2" -append "$3"
		 -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$6-:22"
		 -device virtio-net-pci,netdev=n0 -no-reboot -nographic)
	[ -z "${7:-}" ] || MZ_QEMU+=(-d cpu_reset -D "$7")
}

# Kernel command line every guest gets: serial console, fail fast on oops.
# Under TCG the guest's clock follows the host's: on a loaded host a vCPU
# that is not scheduled for a while looks stalled to the guest's own
# watchdogs, so RCU's stall warning and the lockup watchdog get their
# longest limits (a real stall still shows, later).
MZ_APPEND_BASE="console=ttyS0,115200 panic=-1 oops=panic nokaslr loglevel=7 rcupdate.rcu_cpu_stall_timeout=300 watchdog_thresh=60"

# The user's guide's GRUB line, verbatim: recording off until enabled, one
# CPU, a 4 GiB pool (capped at a quarter of memory).  vm.sh boots the
# Debian guest with it; test-gdb.sh checks its effects.
MZ_GUIDE_APPEND="memorizer_enabled_boot=no maxcpus=1 split_lock_detect=off no_hash_pointers nokaslr audit=0 loglevel=8 memalloc_size=4 console=tty0 console=ttyS0"

# A guest that dies under an open session is noticed within a minute.
MZ_SSH_OPTS=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	     -o LogLevel=ERROR -o ConnectTimeout=10 -o BatchMode=yes
	     -o ServerAliveInterval=15 -o ServerAliveCountMax=4)

# mz_ssh PORT CMD...: run CMD in the guest.
mz_ssh() {
	local port=$1
	shift
	ssh "${MZ_SSH_OPTS[@]}" -i "$SSH_DIR/id_ed25519" -p "$port" root@127.0.0.1 "$@"
}

# mz_scp PORT GUEST_PATH HOST_PATH: legacy scp protocol (dropbear has no sftp).
mz_scp() {
	scp -O -q "${MZ_SSH_OPTS[@]}" -i "$SSH_DIR/id_ed25519" -P "$1" "root@127.0.0.1:$2" "$3"
}

# mz_wait_ssh PORT SECONDS PID [CONSOLE]: wait until the guest answers over
# ssh, at most SECONDS by the wall clock.  Fails at once when QEMU (PID)
# has exited or CONSOLE shows that the guest cannot answer; the cause is
# printed on stdout.  Each try is given MZ_SSH_TRY seconds (default 10; a
# full kernel's sshd under TCG needs more).
mz_wait_ssh() {
	local port=$1 deadline=$((SECONDS + $2)) pid=$3 con=${4:-} left why try=${MZ_SSH_TRY:-10}

	while :; do
		kill -0 "$pid" 2>/dev/null || { echo "QEMU exited"; return 1; }
		if [ -n "$con" ] && why=$(mz_console_fatal "$con"); then
			echo "$why"
			return 1
		fi
		left=$((deadline - SECONDS))
		[ $left -gt 0 ] || break
		[ $left -lt $try ] || left=$try
		timeout -s KILL $((left + 1)) ssh "${MZ_SSH_OPTS[@]}" -o ConnectTimeout=$left \
			-i "$SSH_DIR/id_ed25519" -p "$port" root@127.0.0.1 true 2>/dev/null && return 0
		[ $SECONDS -lt $deadline ] || break
		sleep 1
	done
	echo "the guest did not answer over ssh within $2 s"
	return 1
}

# Kernel lines (they carry a printk timestamp) that mean the run has failed.
MZ_SPLAT='^\[ *[0-9]+\.[0-9]+\].*(Kernel panic|BUG:|WARNING:|Oops:|general protection fault|UBSAN:|INFO: trying to register non-static key|INFO: task .* blocked for more than|rcu: INFO:|watchdog: BUG)'

# mz_console_expected CONSOLE: the console without the warnings a test
# asked for.  A test that makes the recorder WARN() on purpose brackets it
# with "memorizer-test: expect-warning begin/end" in the kernel log; only
# mz_warn()'s own WARNING lines between the two are dropped.
mz_console_expected() {
	awk '/memorizer-test: expect-warning begin/ { w = 1 }
	     /memorizer-test: expect-warning end/ { w = 0 }
	     w && /WARNING: .* mz_warn\+/ { next }
	     { print }' "$1"
}

# mz_kunit_failures CONSOLE: the failing KUnit cases on the console, as
# suite.case (KTAP: "# Subtest: S" opens a suite, an indented "not ok N C"
# is a failed case).
mz_kunit_failures() {
	tr -d '\r' < "$1" | sed -n 's/^\[ *[0-9.]*\] //p' | awk '
		/^ *# Subtest: / { sub(/^ *# Subtest: /, ""); suite = $0; next }
		/^ +not ok [0-9]+ / { sub(/^ +not ok [0-9]+ (- )?/, ""); sub(/ *#.*/, "");
				      printf "%s%s.%s", sep, suite, $0; sep = ", "; n++; next }
		/^not ok [0-9]+ / && !n { sub(/^not ok [0-9]+ (- )?/, ""); sub(/ *#.*/, "");
					  printf "%s%s", sep, $0; sep = ", " }'
}

# mz_console_fatal CONSOLE: if the console shows that the run cannot
# succeed, print why in one line and return 0.  With MZ_WANT_KUNIT=1 the
# memorizer KUnit suite must have passed by the time init starts.
mz_console_fatal() {
	local con k

	[ -s "$1" ] || return 1
	# one snapshot for every check: the guest writes the file meanwhile
	con=$(mktemp)
	cp "$1" "$con"
	mz_console_fatal_in "$con"
	k=$?
	rm -f "$con"
	return $k
}

mz_console_fatal_in() {
	local con=$1 l k
	l=$(grep -a -m1 -E '^\[ *[0-9.]+\] Kernel panic' "$con" | tr -d '\r')
	[ -z "$l" ] || { echo "kernel panic: ${l#*] }"; return 0; }
	k=$(mz_kunit_failures "$con")
	[ -z "$k" ] || { echo "KUnit case failed: $k"; return 0; }
	l=$(mz_console_expected "$con" | grep -a -m1 -E "$MZ_SPLAT" | tr -d '\r')
	[ -z "$l" ] || { echo "console shows a kernel report: $l"; return 0; }
	l=$(grep -a -m1 -E 'no GSI' "$con" | tr -d '\r')
	if [ -n "$l" ]; then
		k=$(grep -a -m1 -E 'AE_AML_LOOP_TIMEOUT' "$con" | tr -d '\r')
		echo "the guest's NIC has no interrupt: ${l#*] }${k:+ (after ACPI: ${k#*] })}"
		return 0
	fi
	l=$(grep -a -m1 -E '^init: .*failed' "$con" | tr -d '\r')
	[ -z "$l" ] || { echo "guest $l"; return 0; }
	if [ "${MZ_WANT_KUNIT:-0}" = 1 ] && grep -a -q '^init: started' "$con" &&
	   ! grep -a -q -E '# memorizer: pass:[0-9]+ fail:0 ' "$con"; then
		echo "KUnit: the memorizer suite did not report '# memorizer: pass:N fail:0' before init"
		return 0
	fi
	return 1
}

# mz_reset_reason CONSOLE DEBUGLOG: why QEMU exited on its own before the
# guest reported (with -no-reboot every guest reset ends QEMU with 0).
mz_reset_reason() {
	if grep -a -q -E 'reboot: (Restarting system|Power down)' "$1" 2>/dev/null; then
		echo "the guest rebooted before reporting"
	elif grep -a -q 'Triple fault' "$2" 2>/dev/null; then
		echo "the guest reset without a word (a triple fault)"
	else
		echo "the guest reset without a word"
	fi
}

# mz_boot_ssh KERNEL WORKDIR APPEND [SMP] [MEM]: boot a guest that serves ssh
# (memorizer.mode=ssh) in the background; sets MZ_PORT and MZ_QPID and
# returns once the guest answers, or fails saying why.  mz_halt stops it.
mz_boot_ssh() {
	local work=$2 why t0=$SECONDS

	mz_initramfs "$work"
	MZ_WANT_KUNIT=0
	grep -q '^CONFIG_MEMORIZER_KUNIT_TEST=y' "$work/root/etc/memorizer/config" && MZ_WANT_KUNIT=1
	MZ_PORT=$(mz_free_port)
	rm -f "$work/console.log" "$work/qemu-debug.log"
	mz_qemu "$1" "$work/initramfs.cpio.gz" \
		"$MZ_APPEND_BASE memorizer.mode=ssh $3" "${4:-2}" "${5:-512M}" "$MZ_PORT" \
		"$work/qemu-debug.log"
	mz_say "booting $(basename "$1") (console: $work/console.log)"
	timeout --signal=KILL 3600 "${MZ_QEMU[@]}" -monitor none \
		-serial "file:$work/console.log" < /dev/null > "$work/qemu.log" 2>&1 &
	MZ_QPID=$!
	echo "$MZ_PORT" > "$BUILD_DIR/ssh-port"
	if why=$(mz_wait_ssh "$MZ_PORT" 300 $MZ_QPID "$work/console.log"); then
		mz_say "the guest answers over ssh after $((SECONDS - t0)) s"
		return 0
	fi
	kill $MZ_QPID 2>/dev/null
	wait $MZ_QPID 2>/dev/null
	[ "$why" != "QEMU exited" ] || why="QEMU exited: $(mz_reset_reason "$work/console.log" "$work/qemu-debug.log")"
	mz_say "the guest cannot be reached: $why (console: $work/console.log)"
	tail -n 5 "$work/console.log" 2>/dev/null | tr -d '\r' | sed 's/^/    /'
	return 1
}

# mz_halt: power off the guest mz_boot_ssh started and wait for QEMU.
mz_halt() {
	mz_ssh "$MZ_PORT" reboot -f > /dev/null 2>&1
	wait $MZ_QPID
}

# mz_mem_bytes SIZE: QEMU's -m size (512M, 2G, or MiB) in bytes.
mz_mem_bytes() {
	case $1 in
	*[gG]) echo $(( ${1%[gG]} << 30 )) ;;
	*[mM]) echo $(( ${1%[mM]} << 20 )) ;;
	*) echo $(( $1 << 20 )) ;;
	esac
}

# mz_check_guide_pool CONSOLE POOL_BYTES MEM: check that the guide's
# memalloc_size=4 gave a pool of min(4 GiB, a quarter of memory): POOL_BYTES
# is what the kernel uses, MEM is QEMU's -m.  Below 16 GiB the console warns
# "memalloc_size=4096M is over a quarter of memory ...; using NM": 4096M shows
# that 4 means GiB, the pool is those N MiB, and N is a quarter of MEM less
# the firmware's holes (at most 2 MiB of a quarter here).  Prints what it
# found; returns non-zero on a mismatch.
mz_check_guide_pool() {
	local con=$1 pool=$2 mem quarter used

	mem=$(mz_mem_bytes "$3")
	quarter=$((mem / 4))
	if [ $quarter -ge $((4 << 30)) ]; then
		echo "pool $pool bytes, want 4 GiB ($((4 << 30)))"
		[ "$pool" -eq $((4 << 30)) ]
		return
	fi
	used=$(tr -d '\r' < "$con" | sed -n 's/.*memalloc_size=4096M is over a quarter of memory.*; using \([0-9]*\)M$/\1/p' | head -n 1)
	echo "pool $pool bytes ($((pool >> 20)) MiB); console: 4096M capped to ${used:-?}M; a quarter of $3 is $((quarter >> 20)) MiB"
	[ -n "$used" ] && [ $((pool >> 20)) -eq "$used" ] &&
		[ "$pool" -le $quarter ] && [ "$pool" -gt $((quarter - (2 << 20))) ]
}
