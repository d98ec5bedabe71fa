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
  -t SECONDS  a hang: no progress for SECONDS (default: 900); before /init,
              300 s (MZ_EARLY_HANG_S), and such a stall is booted once more
  -T SECONDS  give up after SECONDS in all (default: 3600)
  -o DIR      output directory: console.log, results.tap (default: build/boottest)
  -n          do not build; use the kernel as it is
  -i          interactive: boot to a shell on this terminal (ssh port printed)
  -g PORT     with -i: QEMU's gdb stub on 127.0.0.1:PORT, the guest stopped
              before its first instruction until gdb continues it
              (gdb -ex 'target remote :PORT' vmlinux)
  -h          this help
USAGE
}

args=("$@")
kernel="" append="" filter="" suites=$PROJECT_DIR/initramfs/tests smp=2 mem=512M
timeout_s=900 total_s=3600 out=$BUILD_DIR/boottest build=1 interactive=0 gdb_port=""
while getopts "k:a:f:S:s:m:t:T:o:nig:h" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	a) append=$OPTARG ;;
	f) filter=$OPTARG ;;
	S) suites=$OPTARG ;;
	s) smp=$OPTARG ;;
	m) mem=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	T) total_s=$OPTARG ;;
	o) out=$OPTARG ;;
	n) build=0 ;;
	i) interactive=1 ;;
	g) gdb_port=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[[ $smp =~ ^[0-9]+$ && $timeout_s =~ ^[0-9]+$ && $total_s =~ ^[0-9]+$ ]] ||
	mz_die "-s, -t and -T take numbers"
[ -z "$gdb_port" ] || { [ $interactive -eq 1 ] && [[ $gdb_port =~ ^[0-9]+$ ]]; } ||
	mz_die "-g takes a port number and goes with -i"

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
console=$out/console.log tap=$out/results.tap dbg=$out/qemu-debug.log
rm -f "$console" "$tap" "$dbg"
MZ_WANT_KUNIT=0
grep -q '^CONFIG_MEMORIZER_KUNIT_TEST=y' "$out/root/etc/memorizer/config" && MZ_WANT_KUNIT=1
if [ $interactive -eq 1 ]; then
	mz_qemu "$kernel" "$out/initramfs.cpio.gz" "$MZ_APPEND_BASE memorizer.mode=shell $append" "$smp" "$mem" "$port"
	mz_say "ssh: scripts/memorizer/guest-ssh.sh -p $port ...; Ctrl-A X quits QEMU"
	if [ -n "$gdb_port" ]; then
		MZ_QEMU+=(-gdb "tcp:127.0.0.1:$gdb_port" -S)
		mz_say "stopped for gdb: gdb -ex 'target remote :$gdb_port' ${kernel%/arch/x86/boot/bzImage}/vmlinux"
	fi
	echo "$port" > "$BUILD_DIR/ssh-port"
	exec "${MZ_QEMU[@]}" -serial mon:stdio
fi

mz_qemu "$kernel" "$out/initramfs.cpio.gz" "$MZ_APPEND_BASE memorizer.mode=test memorizer.smp=$smp $append" \
	"$smp" "$mem" "$port" "$dbg"
mz_say "booting $(basename "$kernel") with ${#files[@]} suite(s), -smp $smp -m $mem (console: $console)"
start=$SECONDS
# A backstop only: the loop below keeps the deadline by the wall clock.
timeout --signal=KILL $((total_s + 60)) "${MZ_QEMU[@]}" -monitor none \
	-serial "file:$console" -serial "file:$tap" < /dev/null > "$out/qemu.log" 2>&1 &
qpid=$!
echo "$port" > "$BUILD_DIR/ssh-port"

# While the guest runs: stop at once when the console shows that the run
# cannot succeed; once the guest has reported, fetch files over ssh (the
# host-side checks), then let it power off.  A hang is a run that makes no
# progress (neither the TAP stream nor the console grows; each test's start
# is logged on both) for -t seconds: a slow host only makes each step slower.
host_results=()
hostchecks_done=0 fatal="" timed_out="" init_at="" sizes="" progress=$SECONDS
# Before /init the console grows every few seconds, even under a loaded host.
early_s=${MZ_EARLY_HANG_S:-300} early_hang=""
[ "$early_s" -le "$timeout_s" ] || early_s=$timeout_s
while kill -0 $qpid 2>/dev/null; do
	size=$(stat -c %s "$tap" "$console" 2>/dev/null | tr '\n' ' ')
	[ "$size" = "$sizes" ] || { sizes=$size; progress=$SECONDS; }
	if [ -z "$init_at" ] && grep -a -q '^init: started' "$console" 2>/dev/null; then
		init_at=$((SECONDS - start))
		mz_say "boot to /init: ${init_at} s"
	fi
	if fatal=$(mz_console_fatal "$console"); then
		kill $qpid 2>/dev/null
		break
	fi
	if [ $((SECONDS - progress)) -ge "$timeout_s" ]; then
		timed_out="no progress for ${timeout_s}s (hang)"
	elif [ -z "$init_at" ] && [ $((SECONDS - progress)) -ge "$early_s" ]; then
		timed_out="no progress for ${early_s}s before /init (early boot stalled${MZ_BOOT_ATTEMPT:+ again})"
		early_hang=1
	elif [ $((SECONDS - start)) -ge "$total_s" ]; then
		timed_out="the guest did not finish within ${total_s}s"
	fi
	if [ -n "$timed_out" ]; then
		kill $qpid 2>/dev/null
		break
	fi
	if [ $hostchecks_done -eq 0 ] && grep -q '^MEMORIZER-TAP-END' "$tap" 2>/dev/null; then
		hostchecks_done=1
		want=$(tr -d '\r' < "$tap" | sed -n 's/^# scp-probe sha256 //p')
		if ! why=$(mz_wait_ssh "$port" 60 $qpid "$console"); then
			host_results+=("not ok - host: ssh to the guest: $why")
			kill $qpid 2>/dev/null
			break
		fi
		if mz_scp "$port" /tmp/scp-probe "$out/scp-probe" &&
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
		# The module suite saved a kmap and kallsyms with its module loaded.
		read -r gkmap gsyms < <(mz_ssh "$port" cat /tmp/mz-modcheck 2>/dev/null)
		if [ -n "$gsyms" ]; then
			mz_ssh "$port" cat "$gkmap" > "$out/mod.kmap" 2>/dev/null
			mz_ssh "$port" cat "$gsyms" > "$out/mod.kallsyms" 2>/dev/null
			host_results+=("$("$PROJECT_DIR/scripts/memorizer/module-check.sh" "$out/mod.kmap" "$out/mod.kallsyms" 2>&1 | tail -n 1)")
		fi
		mz_ssh "$port" touch /tmp/host-done 2>/dev/null
	fi
	sleep 1
done
wait $qpid
qrc=$?
elapsed=$((SECONDS - start))
# QEMU may have ended between two looks at the console.
[ -n "$fatal" ] || fatal=$(mz_console_fatal "$console") || fatal=""

# A guest that went idle before /init with nothing on its console: seen
# only on a loaded host under TCG, after its timer calibration failed
# ("tsc: Fast TSC calibration failed", "Unable to calibrate against PIT"),
# with QEMU idle.  It is booted once more, saying so; a second stall is
# the verdict.
if [ -n "$early_hang" ] && [ -z "$fatal" ] && [ "${MZ_BOOT_ATTEMPT:-1}" = 1 ]; then
	mv "$console" "$out/console.stalled.log"
	mz_say "$timed_out, last line: $(tail -n 1 "$out/console.stalled.log" | tr -d '\r'); booting once more (that console: $out/console.stalled.log)"
	MZ_BOOT_ATTEMPT=2 exec "$0" -n "${args[@]}"
fi

# The verdict.
verdict=()
reported=0
grep -q '^MEMORIZER-TAP-END' "$tap" 2>/dev/null && reported=1
# The test that was running: the last one begun without a result.
running=$(tr -d '\r' 2>/dev/null < "$tap" | awk '
	/^# begin [0-9]+ / { n = $3; name = $0; sub(/^# begin [0-9]+ /, "", name) }
	/^(not )?ok [0-9]+ / { if ($0 ~ "^(not )?ok " n " ") n = "" }
	END { if (n != "") print n " " name }')
during=${running:+, during test $running}
# The formatter that logs each test's start runs in a process of its own:
# a guest that dies at once may not have logged it.  Name the last result.
if [ -z "$running" ] && [ $reported -eq 0 ]; then
	last=$(tr -d '\r' 2>/dev/null < "$tap" | grep -E '^(not )?ok [0-9]+ ' | tail -n 1)
	[ -z "$last" ] || during=", after test ${last#ok }"
	during=${during/after test not ok /after failed test }
fi
[ -z "$fatal" ] || verdict+=("$fatal$during")
if [ -n "$timed_out" ] || [ $qrc -eq 137 ]; then
	verdict+=("timeout: ${timed_out:-the guest did not finish within ${total_s}s}$during")
elif [ -z "$fatal" ] && [ $reported -eq 0 ]; then
	if [ $qrc -eq 0 ]; then
		verdict+=("$(mz_reset_reason "$console" "$dbg")$during; the guest never reported")
	else
		verdict+=("the guest never reported: QEMU exited with status $qrc ($(tail -n 1 "$out/qemu.log" 2>/dev/null))")
	fi
fi

passed=0 failed=0 skipped=0
while IFS= read -r line; do
	line=${line%$'\r'}
	case $line in
	"ok "*"# skip"*) skipped=$((skipped + 1)); echo "$line" ;;
	"ok "*) passed=$((passed + 1)); echo "$line" ;;
	"not ok "*) failed=$((failed + 1)); echo "$line" ;;
	"# begin "*) ;;
	"#"*) [ $failed -gt 0 ] && echo "$line" ;;
	esac
done < <(sed -n '/^MEMORIZER-TAP-BEGIN/,/^MEMORIZER-TAP-END/p' "$tap" 2>/dev/null)
plan=$(grep -m1 -a -E '^1\.\.[0-9]+' "$tap" 2>/dev/null | tr -d '\r')
if [ $reported -eq 1 ] && [ -n "$plan" ] && [ $((passed + failed + skipped)) -ne "${plan#1..}" ]; then
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
if [ ${#verdict[@]} -gt 0 ]; then
	echo "# last console lines:"
	tail -n 8 "$console" 2>/dev/null | tr -d '\r' | sed 's/^/#   /'
fi
mz_say "guest ran ${elapsed}s${init_at:+, boot to /init ${init_at}s}; console: $console"
[ $failed -gt 0 ] && mz_say "FAILED: $failed failure(s)$(printf '; %s' "${verdict[@]}")"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
