#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Memorizer boot test: build what is stale, pack the BATS suites into an
# initramfs, boot the kernel under QEMU (TCG, headless), run the suites in the
# guest and judge the run.  The run fails when a test fails, when the guest
# never reports, on timeout, and when the console shows a kernel panic,
# BUG:, WARNING:, a KASAN report or a lockdep splat.

set -uo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: ${0##*/} [options]
  -k KERNEL   kernel image (default: $TREE/arch/x86/boot/bzImage, built if stale)
  -a ARGS     extra kernel command line
  -f REGEX    run only the suites whose file name matches REGEX
  -S DIR      take the suites from DIR (default: initramfs/tests)
  -s N        number of vCPUs (default: 2)
  -m MEM      guest memory (default: 512M)
  -t SECONDS  give up after SECONDS (default: 1200)
  -o DIR      output directory: console.log, results.tap (default: build/boottest)
  -n          do not build; use the kernel as it is
  -i          interactive: boot to a shell on this terminal (ssh port printed)
  -h          this help
USAGE
}

kernel="" append="" filter="" suites=$PROJECT_DIR/initramfs/tests smp=2 mem=512M
timeout_s=1200 out=$BUILD_DIR/boottest build=1 interactive=0
while getopts "k:a:f:S:s:m:t:o:nih" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	a) append=$OPTARG ;;
	f) filter=$OPTARG ;;
	S) suites=$OPTARG ;;
	s) smp=$OPTARG ;;
	m) mem=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	o) out=$OPTARG ;;
	n) build=0 ;;
	i) interactive=1 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ $smp =~ ^[0-9]+$ && $timeout_s =~ ^[0-9]+$ ]] || mz_die "-s and -t take numbers"

mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -z "$kernel" ]; then
	[ $build -eq 1 ] && mz_build_kernel "$out/build.log"
	kernel=$TREE/arch/x86/boot/bzImage
fi
[ -f "$kernel" ] || mz_die "no kernel image at $kernel"

files=()
for f in "$suites"/*.bats; do
	[ -f "$f" ] || continue
	[ -z "$filter" ] || [[ $(basename "$f") =~ $filter ]] || continue
	files+=("$f")
done
[ ${#files[@]} -gt 0 ] || mz_die "no suite in $suites matches '${filter:-.*}'"
mz_initramfs "$out" "${files[@]}"

port=$(mz_free_port)
console=$out/console.log tap=$out/results.tap
rm -f "$console" "$tap"
if [ $interactive -eq 1 ]; then
	mz_qemu "$kernel" "$out/initramfs.cpio.gz" "$MZ_APPEND_BASE memorizer.mode=shell $append" "$smp" "$mem" "$port"
	mz_say "ssh: scripts/memorizer/guest-ssh.sh -p $port ...; Ctrl-A X quits QEMU"
	echo "$port" > "$BUILD_DIR/ssh-port"
	exec "${MZ_QEMU[@]}" -serial mon:stdio
fi

mz_qemu "$kernel" "$out/initramfs.cpio.gz" "$MZ_APPEND_BASE memorizer.mode=test memorizer.smp=$smp $append" "$smp" "$mem" "$port"
mz_say "booting $(basename "$kernel") with ${#files[@]} suite(s), -smp $smp -m $mem (console: $console)"
start=$(date +%s)
timeout --signal=KILL "$timeout_s" "${MZ_QEMU[@]}" -monitor none \
	-serial "file:$console" -serial "file:$tap" < /dev/null > "$out/qemu.log" 2>&1 &
qpid=$!
echo "$port" > "$BUILD_DIR/ssh-port"

# While the guest runs: once it has reported, fetch files over ssh (the
# host-side checks), then let it power off.
host_results=()
hostchecks_done=0
while kill -0 $qpid 2>/dev/null; do
	if [ $hostchecks_done -eq 0 ] && grep -q '^MEMORIZER-TAP-END' "$tap" 2>/dev/null; then
		hostchecks_done=1
		want=$(tr -d '\r' < "$tap" | sed -n 's/^# scp-probe sha256 //p')
		if mz_wait_ssh "$port" 60 $qpid && mz_scp "$port" /tmp/scp-probe "$out/scp-probe" &&
		   [ "$(sha256sum < "$out/scp-probe" | cut -d' ' -f1)" = "$want" ]; then
			host_results+=("ok - host: scp copies a guest file byte-identical")
		else
			host_results+=("not ok - host: scp copies a guest file byte-identical")
		fi
		if mz_ssh "$port" cat /tmp/scp-probe > "$out/ssh-probe" 2>/dev/null &&
		   [ "$(sha256sum < "$out/ssh-probe" | cut -d' ' -f1)" = "$want" ]; then
			host_results+=("ok - host: ssh cat copies a guest file byte-identical")
		else
			host_results+=("not ok - host: ssh cat copies a guest file byte-identical")
		fi
		# A suite that ran known processes asks for the kmap check:
		# /tmp/mz-e2e names the kmap it saved and the two commands.
		read -r gkmap pds < <(mz_ssh "$port" cat /tmp/mz-e2e 2>/dev/null)
		if [ -n "$pds" ]; then
			mz_ssh "$port" cat "$gkmap" > "$out/kmap" 2>/dev/null
			mz_ssh "$port" cat /proc/kallsyms > "$out/kallsyms" 2>/dev/null
			while IFS= read -r r; do
				case $r in "ok "* | "not ok "*) host_results+=("$r") ;; *) echo "$r" ;; esac
			done < <("$PROJECT_DIR/scripts/memorizer/kmap-check.sh" "$out/kmap" "$out/kallsyms" $pds 2>&1)
		fi
		mz_ssh "$port" touch /tmp/host-done 2>/dev/null
	fi
	sleep 1
done
wait $qpid
qrc=$?
elapsed=$(( $(date +%s) - start ))

# The verdict.
verdict=()
[ $qrc -eq 137 ] && verdict+=("timeout: the guest did not finish within ${timeout_s}s (hang)")
if grep -q -E '^\[ *[0-9.]+\] Kernel panic' "$console" 2>/dev/null; then
	verdict+=("kernel panic: $(grep -m1 -a -E 'Kernel panic' "$console" | tr -d '\r')")
fi
splat=$(grep -a -E "$MZ_SPLAT" "$console" 2>/dev/null | grep -v 'Kernel panic' | head -n 3 | tr -d '\r')
[ -n "$splat" ] && verdict+=("console shows a kernel report: $splat")
if ! grep -q '^MEMORIZER-TAP-END' "$tap" 2>/dev/null; then
	verdict+=("the guest never reported: no end of TAP on the results port")
fi
[ $qrc -ne 0 ] && [ $qrc -ne 137 ] && ! grep -q 'Kernel panic' "$console" 2>/dev/null &&
	verdict+=("QEMU exited with status $qrc ($(tail -n 1 "$out/qemu.log" 2>/dev/null))")

passed=0 failed=0 skipped=0
while IFS= read -r line; do
	line=${line%$'\r'}
	case $line in
	"ok "*"# skip"*) skipped=$((skipped + 1)); echo "$line" ;;
	"ok "*) passed=$((passed + 1)); echo "$line" ;;
	"not ok "*) failed=$((failed + 1)); echo "$line" ;;
	"#"*) [ $failed -gt 0 ] && echo "$line" ;;
	esac
done < <(sed -n '/^MEMORIZER-TAP-BEGIN/,/^MEMORIZER-TAP-END/p' "$tap" 2>/dev/null)
plan=$(grep -m1 -a -E '^1\.\.[0-9]+' "$tap" 2>/dev/null | tr -d '\r')
if [ -n "$plan" ] && [ $((passed + failed + skipped)) -ne "${plan#1..}" ]; then
	verdict+=("the guest planned ${plan#1..} tests but reported $((passed + failed + skipped))")
fi
for r in "${host_results[@]}"; do
	echo "$r"
	case $r in ok*) passed=$((passed + 1)) ;; *) failed=$((failed + 1)) ;; esac
done
for v in "${verdict[@]}"; do
	echo "not ok - boot: $v"
	failed=$((failed + 1))
done
mz_say "guest ran ${elapsed}s; console: $console"
[ $failed -gt 0 ] && mz_say "FAILED: $failed failure(s)$(printf '; %s' "${verdict[@]}")"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
