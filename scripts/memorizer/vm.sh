#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A Debian 12 guest running the Memorizer kernel, as the user's guide runs
# its mkosi VM: systemd, sshd with the host's key authorised, the kernel's
# modules installed, booted under QEMU with -kernel and the guide's command
# line, reached over ssh and scp.
#
# The image is made with mmdebstrap from the Debian archive and packed with
# mkfs.ext4 -d (no loop device, no mount).  mkosi 14, the guide's tool,
# is packaged by Debian 12 but runs every step inside the image with
# systemd-nspawn: in a container (CI's, this project's machines) nspawn
# finds no system bus and refuses to clean up under a /run that is not a
# tmpfs, so mkosi stops right after debootstrap.
#
# usage: vm.sh [options] [image|boot|test]
#   image  build the image only
#   boot   build the image, boot it, serial console on this terminal (make vm)
#   test   build, boot, check the guide's parameters, run the guide's
#          debugfs sequence over ssh, scp the kmap, power off (make vm-test)

set -uo pipefail
. "$(dirname "$0")/lib.sh"

MIRROR=${MZ_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What the guest runs: systemd as init, udev, sshd (openssh-server brings
# scp's server side), kmod for the modules, iproute2 and procps to look.
PACKAGES=systemd-sysv,udev,openssh-server,kmod,iproute2,procps
# What the image's kernel must have built in: root on virtio-blk ext4,
# virtio-net, what systemd needs, the serial console, the recorder.
NEED_CONFIG="VIRTIO_PCI VIRTIO_BLK VIRTIO_NET EXT4_FS DEVTMPFS CGROUPS FHANDLE
	INOTIFY_USER SIGNALFD TIMERFD EPOLL UNIX TMPFS SERIAL_8250_CONSOLE DEBUG_FS MEMORIZER"

usage() {
	cat <<USAGE
usage: ${0##*/} [options] [image|boot|test]   (default: boot)
  image       build the Debian 12 image only
  boot        build the image and boot it; console on this terminal (make vm)
  test        boot with the guide's command line, run its debugfs sequence
              over ssh, copy the kmap with scp, check, power off (make vm-test)
  -k KERNEL   kernel image (default: $TREE/arch/x86/boot/bzImage, built if
              stale); its modules come from the tree it lies in
  -o DIR      work directory: base.tar, debian.ext4, console.log, kmap
              (default: $BUILD_DIR/vm)
  -a ARGS     kernel command line after root=/dev/vda rw
              (default: the guide's, $MZ_GUIDE_APPEND)
  -s N        vCPUs (default: 2; the guide's maxcpus=1 keeps one online)
  -m MEM      guest memory (default: 2G)
  -T          TCG even when /dev/kvm is usable
  -f          fetch the Debian base system again
  -n          do not build the kernel
  -t SECONDS  wait at most SECONDS for ssh (default: 1800 under TCG, 600 with KVM)
  -h          this help
USAGE
}

kernel="" out=$BUILD_DIR/vm append=$MZ_GUIDE_APPEND smp=2 mem=2G tcg=0
refetch=0 build=1 wait_s=""
while getopts "k:o:a:s:m:Tfnt:h" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	o) out=$OPTARG ;;
	a) append=$OPTARG ;;
	s) smp=$OPTARG ;;
	m) mem=$OPTARG ;;
	T) tcg=1 ;;
	f) refetch=1 ;;
	n) build=0 ;;
	t) wait_s=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
cmd=${1:-boot}
case $cmd in image | boot | test) ;; *) usage >&2; exit 2 ;; esac
[[ $smp =~ ^[0-9]+$ ]] || mz_die "-s takes a number"
[[ $mem =~ ^[0-9]+[MG]?$ ]] || mz_die "-m takes a size such as 2G or 1536M"
[ -z "$wait_s" ] || [[ $wait_s =~ ^[0-9]+$ ]] || mz_die "-t takes seconds"
[ "$(id -u)" -eq 0 ] || mz_die "building the image needs root (mmdebstrap's root mode keeps file owners)"

"$PROJECT_DIR/scripts/memorizer/install-deps.sh" mmdebstrap e2fsprogs debian-archive-keyring \
	qemu-system-x86 openssh-client dropbear-bin python3 kmod ||
	mz_die "installing the packages the VM needs failed"

mkdir -p "$out"
out=$(cd "$out" && pwd)

# The kernel and the tree its modules come from.
if [ -z "$kernel" ]; then
	tree=$TREE
	if [ $build -eq 1 ]; then
		make -C "$PROJECT_DIR" -s tree || mz_die "preparing the tree failed"
		if [ ! -f "$tree/.config" ]; then
			mz_say "no kernel configured in $tree: make defconfig memorizer.config"
			make -C "$PROJECT_DIR" defconfig memorizer.config > "$out/build.log" 2>&1 ||
				mz_die "configuring the kernel failed (log: $out/build.log)"
		fi
	fi
	kernel=$tree/arch/x86/boot/bzImage
else
	[ -f "$kernel" ] || mz_die "no kernel image at $kernel"
	kernel=$(cd "$(dirname "$kernel")" && pwd)/$(basename "$kernel")
	tree=${kernel%/arch/x86/boot/bzImage}
	[ "$tree" != "$kernel" ] || tree=$(dirname "$kernel")
	build=0
fi
config=$tree/.config
[ -f "$config" ] || mz_die "no .config next to the kernel (looked in $tree)"
missing=""
for o in $NEED_CONFIG; do
	grep -q "^CONFIG_$o=y" "$config" || missing="$missing CONFIG_$o"
done
[ -z "$missing" ] || mz_die "$config lacks$missing: the Debian guest needs a full kernel (make BUILD_DIR=DIR defconfig memorizer.config; make BUILD_DIR=DIR -j\$(nproc); then BUILD_DIR=DIR ${0##*/})"
if [ $build -eq 1 ]; then
	mz_say "building the kernel and its modules (log: $out/build.log)"
	make -C "$PROJECT_DIR" -j"$(nproc)" >> "$out/build.log" 2>&1 ||
		{ grep -E 'error|Error' "$out/build.log" | head -n 20; mz_die "kernel build failed (log: $out/build.log)"; }
fi
[ -f "$kernel" ] || mz_die "no kernel image at $kernel"
krel=$(cat "$tree/include/config/kernel.release" 2>/dev/null) || mz_die "no kernel.release in $tree: is the kernel built?"

# The Debian base system, fetched once: Debian 12 minbase plus PACKAGES,
# networkd on DHCP, root without a password on the console.
base_image() {
	local t0=$SECONDS

	[ $refetch -eq 0 ] && [ -s "$out/base.tar" ] && return 0
	rm -f "$out/base.tar" "$out/base.tar.tmp"
	mz_say "fetching Debian 12 from $MIRROR (log: $out/mmdebstrap.log)"
	nice -n 10 mmdebstrap --mode=root --variant=minbase --format=tar \
		--aptopt='APT::Install-Recommends "false"' --include="$PACKAGES" \
		--customize-hook='chroot "$1" systemctl enable systemd-networkd.service' \
		--customize-hook='chroot "$1" passwd -d root' \
		bookworm "$out/base.tar.tmp" "$MIRROR" > "$out/mmdebstrap.log" 2>&1 ||
		{ tail -n 15 "$out/mmdebstrap.log"; mz_die "mmdebstrap failed (log: $out/mmdebstrap.log)"; }
	mv "$out/base.tar.tmp" "$out/base.tar"
	mz_say "Debian base system: $((SECONDS - t0)) s"
}

# The image: the base system, this host's keys, the kernel's modules,
# packed into an ext4 file system.  Made anew for each boot, so the
# modules always match the kernel and every boot starts clean.
assemble() {
	local stage=$out/stage img=$out/debian.ext4 t0=$SECONDS k size

	rm -rf "$stage" "$img"
	mkdir -p "$stage"
	tar -C "$stage" -xf "$out/base.tar" || mz_die "unpacking $out/base.tar failed"
	echo memorizer-vm > "$stage/etc/hostname"
	printf '127.0.1.1\tmemorizer-vm\n' >> "$stage/etc/hosts"
	printf '/dev/vda\t/\text4\terrors=remount-ro\t0\t1\n' > "$stage/etc/fstab"
	printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n' > "$stage/etc/systemd/network/20-wired.network"
	mz_ssh_keys
	install -d -m 700 "$stage/root/.ssh"
	for k in "$SSH_DIR/id_ed25519.pub" "$HOME"/.ssh/id_*.pub; do
		[ -f "$k" ] && cat "$k"
	done > "$stage/root/.ssh/authorized_keys"
	chmod 600 "$stage/root/.ssh/authorized_keys"
	# A KASAN kernel under TCG runs systemd slowly.  e2scrub_reap (it looks
	# for LVM snapshots; there are none) takes minutes; devices such as
	# ttyS0, which the serial getty waits for, get 15 minutes, not 90 s;
	# sshd opens no PAM session per command (logind is slow to answer).
	ln -sf /dev/null "$stage/etc/systemd/system/e2scrub_reap.service"
	mkdir -p "$stage/etc/systemd/system.conf.d"
	printf '[Manager]\nDefaultDeviceTimeoutSec=900s\n' > "$stage/etc/systemd/system.conf.d/memorizer.conf"
	printf 'UsePAM no\n' > "$stage/etc/ssh/sshd_config.d/memorizer.conf"
	if grep -q '^CONFIG_MODULES=y' "$config"; then
		make -C "$tree" -s modules_install INSTALL_MOD_PATH="$stage" > "$out/modules.log" 2>&1 ||
			{ tail -n 10 "$out/modules.log"; mz_die "make modules_install failed (log: $out/modules.log)"; }
		[ -f "$stage/lib/modules/$krel/modules.dep" ] || mz_die "modules_install left no modules.dep for $krel"
	fi
	# Room for kmaps saved in the guest's /tmp; the file is sparse.
	size=$(( $(du -sm "$stage" | cut -f1) + 3072 ))
	mkfs.ext4 -q -F -L memorizer -d "$stage" "$img" "${size}M" > "$out/mkfs.log" 2>&1 ||
		{ cat "$out/mkfs.log"; mz_die "mkfs.ext4 -d failed"; }
	rm -rf "$stage"
	mz_say "image $img: $((SECONDS - t0)) s (kernel $krel)"
}

image_t0=$SECONDS
base_image
assemble
image_s=$((SECONDS - image_t0))
[ "$cmd" != image ] || exit 0

# KVM when it works, else TCG.  /dev/kvm may open and still not run a
# vCPU (nested KVM that cannot set an MSR QEMU asks for aborts QEMU at
# reset): QEMU stopped with -S must still be up after 3 s.
accel=tcg cpu=max
if [ $tcg -eq 0 ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	(timeout 3 qemu-system-x86_64 -accel kvm -cpu host -machine q35 -m 64 -nodefaults \
		-display none -S < /dev/null; exit $?) > "$out/kvm-probe.log" 2>&1
	if [ $? -eq 124 ]; then
		accel=kvm cpu=host
	else
		mz_say "KVM does not run here ($(head -n 1 "$out/kvm-probe.log")): TCG"
	fi
fi
[ -n "$wait_s" ] || { [ $accel = kvm ] && wait_s=600 || wait_s=1800; }
if [ $accel = tcg ]; then
	# One ssh command can take a minute there: longer tries, more patience.
	MZ_SSH_TRY=150
	MZ_SSH_OPTS=("${MZ_SSH_OPTS[@]/#ConnectTimeout=*/ConnectTimeout=120}")
	MZ_SSH_OPTS=("${MZ_SSH_OPTS[@]/#ServerAliveCountMax=*/ServerAliveCountMax=40}")
fi
port=$(mz_free_port)
echo "$port" > "$BUILD_DIR/ssh-port"
# A q35 machine with a virtio NIC and a virtio disk, like the boot test's.
qemu=(qemu-system-x86_64 -machine q35 -cpu "$cpu" -accel "$accel" -smp "$smp" -m "$mem"
      -kernel "$kernel" -append "root=/dev/vda rw $append"
      -drive "file=$out/debian.ext4,format=raw,if=virtio"
      -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0
      -no-reboot -nographic)

if [ "$cmd" = boot ]; then
	mz_say "booting $krel ($accel); log in as root on this console, or"
	mz_say "ssh: scripts/memorizer/guest-ssh.sh -p $port ...; Ctrl-A X quits QEMU"
	exec "${qemu[@]}" -serial mon:stdio
fi

# vm-test: the guide's path end to end.
console=$out/console.log
rm -f "$console" "$out/kmap" "$out/kmap-boot"
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
finish() {
	[ -n "${qpid:-}" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ]
	exit
}

mz_say "booting $krel ($accel, -smp $smp -m $mem; console: $console)"
boot_t0=$SECONDS
# A backstop only: the waits below keep their deadlines by the wall clock.
timeout --signal=KILL $((wait_s + 1800)) "${qemu[@]}" -monitor none -serial "file:$console" \
	< /dev/null > "$out/qemu.log" 2>&1 &
qpid=$!
trap 'kill $qpid 2>/dev/null' EXIT
if ! why=$(mz_wait_ssh "$port" "$wait_s" $qpid "$console"); then
	result 1 "boots to ssh: $why (console: $console)"
	tail -n 8 "$console" 2>/dev/null | tr -d '\r' | sed 's/^/#   /'
	finish
fi
boot_s=$((SECONDS - boot_t0))
result 0 "boots to ssh in $boot_s s ($accel), image built in $image_s s"

g() { mz_ssh "$port" "$@"; }

# The guide's command line, verbatim, and its effects.
cmdline=$(g cat /proc/cmdline)
[[ " $cmdline " == *" $MZ_GUIDE_APPEND "* ]] || [ "$append" != "$MZ_GUIDE_APPEND" ]
result $? "the kernel runs with the command line given: $cmdline"
if [ "$append" = "$MZ_GUIDE_APPEND" ]; then
	v=$(g cat /sys/kernel/debug/memorizer/memorizer_enabled)
	[ "$v" = 0 ]
	result $? "memorizer_enabled_boot=no: memorizer_enabled reads '$v' after boot"
	v=$(g cat /sys/devices/system/cpu/online)
	[ "$v" = 0 ] && [ "$(g nproc)" = 1 ]
	result $? "maxcpus=1: online CPUs '$v' of $smp"
	pool=$(g cat /sys/kernel/debug/memorizer/stats | sed -n 's/^pool_bytes: //p')
	why=$(mz_check_guide_pool "$console" "${pool:-0}" "$mem")
	result $? "memalloc_size=4: pool is min(4 GiB, memory/4): $why"
fi

# The modules make modules_install put in the image load.
if grep -q '^CONFIG_MODULES=y' "$config"; then
	# One that loads on any machine (defconfig's netfilter ones), else the first.
	mod=$(sed 's|.*/||; s|\.k\{0,1\}o$||' "$tree/modules.order" 2>/dev/null |
	      grep -m1 -x -E 'xt_mark|nf_log_syslog|xt_LOG')
	[ -n "$mod" ] || mod=$(sed -n '1{s|.*/||; s|\.k\{0,1\}o$||; p}' "$tree/modules.order" 2>/dev/null)
	g "test -f /lib/modules/\$(uname -r)/modules.dep && modprobe $mod && grep -q '^$mod ' /proc/modules && modprobe -r $mod"
	result $? "modules installed for $krel: modprobe and modprobe -r $mod"
fi

# The kmap right after boot (recording off since boot), then the guide's
# test sequence, verbatim, with its ls -l recorded.
kmap_boot=$(g cat /sys/kernel/debug/memorizer/kmap | wc -c)
result $? "kmap after boot: $kmap_boot bytes"
g 'set -e
cd /sys/kernel/debug/memorizer
echo 1 > clear_dead_objs
cp kmap /dev/null
echo 1 > clear_printed_list
echo 0 > print_live_obj
echo 1 > memorizer_log_access
echo 1 > memorizer_enabled
ls -l
echo 0 > memorizer_enabled
echo 0 > memorizer_log_access' > "$out/sequence.log" 2>&1
result $? "the guide's debugfs sequence runs over ssh (output: $out/sequence.log)"

# The guide's scp route: a regular copy in the guest, then scp.
want=$(g 'cat /sys/kernel/debug/memorizer/kmap > /tmp/kmap && sha256sum < /tmp/kmap') && want=${want%% *}
mz_scp "$port" /tmp/kmap "$out/kmap"
[ -n "$want" ] && [ "$(sha256sum < "$out/kmap" | cut -d' ' -f1)" = "$want" ]
result $? "scp copies /tmp/kmap byte-identical: $(stat -c %s "$out/kmap" 2>/dev/null) bytes in $out/kmap"
# ls -l ran while recording: its objects, freed when it exited, are there.
n=$(awk -F, '!/^ / && $9 == "ls"' "$out/kmap" 2>/dev/null | wc -l)
bad=$(awk -F, '!/^ / && NF != 11 { n++ } /^ / && NF != 4 && !(NF >= 5 && $4 == -2) { n++ } END { print n + 0 }' "$out/kmap" 2>/dev/null)
[ "$n" -gt 0 ] && [ "$bad" = 0 ]
result $? "kmap holds $n objects allocated by ls, every line well formed ($bad bad)"
acc=$(awk -F, '/^ / { a++ } END { print a + 0 }' "$out/kmap")
[ "$acc" -gt 0 ]
result $? "kmap holds $acc access lines (memorizer_log_access was on)"

# Power off as a user would; QEMU ends (-no-reboot).
g systemctl poweroff > /dev/null 2>&1
deadline=$((SECONDS + 300))
while kill -0 $qpid 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 1; done
! kill -0 $qpid 2>/dev/null
result $? "systemctl poweroff ends the guest"
# The loopback route without a loop device: e2fsprogs' debugfs reads the
# kmap the guest saved out of the powered-off image, without a mount.
rm -f "$out/kmap-image"
debugfs -R "dump /tmp/kmap $out/kmap-image" "$out/debian.ext4" > /dev/null 2>&1
[ -n "$want" ] && [ "$(sha256sum < "$out/kmap-image" 2>/dev/null | cut -d' ' -f1)" = "$want" ]
result $? "debugfs -R 'dump /tmp/kmap' reads the same kmap out of the image"
why=$(mz_console_fatal "$console")
[ -z "$why" ]
result $? "no kernel report on the console${why:+: $why}"
mz_say "image ${image_s}s, boot to ssh ${boot_s}s ($accel), kmap after boot ${kmap_boot} bytes, after the sequence $(stat -c %s "$out/kmap" 2>/dev/null) bytes"
finish
