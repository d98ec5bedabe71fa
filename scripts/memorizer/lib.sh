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

# Build what is stale: the tree, the guest config when there is none, the
# kernel.  The build log goes to $1.
mz_build_kernel() {
	local log=$1

	make -C "$PROJECT_DIR" -s tree > "$log" 2>&1 || { tail -n 30 "$log"; mz_die "preparing the tree failed (log: $log)"; }
	if [ ! -f "$TREE/.config" ]; then
		make -C "$PROJECT_DIR" guestconfig >> "$log" 2>&1 ||
			{ tail -n 30 "$log"; mz_die "make guestconfig failed (log: $log)"; }
	fi
	mz_say "building the kernel (log: $log)"
	make -C "$PROJECT_DIR" -j"$(nproc)" >> "$log" 2>&1 ||
		{ grep -E 'error|Error' "$log" | head -n 20; mz_die "kernel build failed (log: $log)"; }
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
	for f in /bin/bash /usr/sbin/dropbear /usr/bin/scp; do mz_copy_elf "$root" "$f"; done
	# usrmerge: /lib is /usr/lib on the host, keep the same view in the guest.
	[ -d "$root/usr/lib" ] || mkdir -p "$root/usr/lib"
	[ -d "$root/lib" ] && cp -a "$root/lib/." "$root/usr/lib/" && rm -rf "$root/lib"
	ln -s usr/lib "$root/lib"
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

# mz_qemu KERNEL INITRD APPEND SMP MEM PORT: set MZ_QEMU to the QEMU command
# line every guest shares (TCG, user networking with ssh on 127.0.0.1:PORT).
mz_qemu() {
	MZ_QEMU=(qemu-system-x86_64 -machine pc -cpu max -accel tcg
		 -smp "$4" -m "$5" -kernel "$1" -initrd "$2" -append "$3"
		 -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$6-:22"
		 -device e1000,netdev=n0 -no-reboot -nographic)
}

# Kernel command line every guest gets: serial console, fail fast on oops.
MZ_APPEND_BASE="console=ttyS0,115200 panic=-1 oops=panic nokaslr loglevel=7"

MZ_SSH_OPTS=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	     -o LogLevel=ERROR -o ConnectTimeout=10 -o BatchMode=yes)

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

# mz_wait_ssh PORT SECONDS PID: wait until the guest answers over ssh.
mz_wait_ssh() {
	local i

	for ((i = 0; i < $2; i += 2)); do
		kill -0 "$3" 2>/dev/null || return 1
		mz_ssh "$1" true 2>/dev/null && return 0
		sleep 2
	done
	return 1
}

# Kernel lines (they carry a printk timestamp) that mean the run has failed.
MZ_SPLAT='^\[ *[0-9]+\.[0-9]+\].*(Kernel panic|BUG:|WARNING:|Oops:|general protection fault|UBSAN:|INFO: trying to register non-static key|INFO: task .* blocked for more than|rcu: INFO:|watchdog: BUG)'

# mz_boot_ssh KERNEL WORKDIR APPEND [SMP] [MEM]: boot a guest that serves ssh
# (memorizer.mode=ssh) in the background; sets MZ_PORT and MZ_QPID and
# returns once the guest answers, or fails.  mz_halt stops it.
mz_boot_ssh() {
	local work=$2

	mz_initramfs "$work"
	MZ_PORT=$(mz_free_port)
	mz_qemu "$1" "$work/initramfs.cpio.gz" \
		"$MZ_APPEND_BASE memorizer.mode=ssh $3" "${4:-2}" "${5:-512M}" "$MZ_PORT"
	mz_say "booting $(basename "$1") (console: $work/console.log)"
	timeout --signal=KILL 3600 "${MZ_QEMU[@]}" -monitor none \
		-serial "file:$work/console.log" < /dev/null > "$work/qemu.log" 2>&1 &
	MZ_QPID=$!
	echo "$MZ_PORT" > "$BUILD_DIR/ssh-port"
	mz_wait_ssh "$MZ_PORT" 300 $MZ_QPID && return 0
	kill $MZ_QPID 2>/dev/null
	mz_say "the guest did not answer over ssh (console: $work/console.log)"
	return 1
}

# mz_halt: power off the guest mz_boot_ssh started and wait for QEMU.
mz_halt() {
	mz_ssh "$MZ_PORT" reboot -f > /dev/null 2>&1
	wait $MZ_QPID
}
