#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Recording during a busybox workload on every vCPU, with kmap read at the
# same time: nothing crashes, nothing is lost, every line is well formed.

load lib/memorizer

# kmaps of the whole boot are tens of MB: keep /tmp (RAM) free for others.
teardown_file() {
	rm -f /tmp/wl.kmap /tmp/wl.kmap.0 /tmp/wl.kmap.1
}

workload() {
	for i in $(seq 40); do
		echo "line $i" > /tmp/wl.$1.$i
		cat /tmp/wl.$1.$i | wc -c > /dev/null
		ls /proc/self/ > /dev/null
		rm /tmp/wl.$1.$i
	done
}

@test "kmap reads concurrently with recording on all CPUs" {
	ncpu=$(grep -c ^processor /proc/cpuinfo)
	[ "$ncpu" -ge 2 ]
	echo 1 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_live_enabled
	cat $MZ/stats > /tmp/wl.before
	pids=()
	for c in $(seq 0 $((ncpu - 1))); do
		taskset -c $c bash -c "$(declare -f workload); workload $c" &
		pids+=($!)
	done
	n=0
	while kill -0 "${pids[@]}" 2>/dev/null; do
		cat $MZ/kmap > /tmp/wl.kmap.$((n % 2))
		n=$((n + 1))
	done
	for p in "${pids[@]}"; do wait $p; done
	[ "$n" -ge 1 ]
	cat $MZ/kmap > /tmp/wl.kmap
	cat $MZ/stats > /tmp/wl.after
	echo 0 > $MZ/log_live_enabled
	# the workload's processes and files show up
	grep -q ',bash,' /tmp/wl.kmap
	grep -q ',cat,' /tmp/wl.kmap
	[ "$(stat_of events_recorded /tmp/wl.after)" -gt "$(stat_of events_recorded /tmp/wl.before)" ]
	[ "$(stat_of events_seen /tmp/wl.after)" -eq \
	  $(($(stat_of events_recorded /tmp/wl.after) + $(stat_of events_dropped /tmp/wl.after))) ]
	awk -F, '/^  / { if (NF != 4) { print; bad = 1 }; next }
		 NF != 11 { print; bad = 1 } END { exit bad }' /tmp/wl.kmap /tmp/wl.kmap.0
}

@test "objects from every CPU's processes are recorded" {
	cut -d, -f9 /tmp/wl.kmap | sort -u > /tmp/wl.comms
	grep -qx rm /tmp/wl.comms
	grep -qx ls /tmp/wl.comms
	grep -qx wc /tmp/wl.comms
}

@test "reading kmap does not stop recording" {
	echo 1 > $MZ/memorizer_enabled
	cat $MZ/kmap > /dev/null
	[ "$(cat $MZ/memorizer_enabled)" = 1 ]
	before=$(stat_of events_recorded)
	ls / > /dev/null
	[ "$(stat_of events_recorded)" -gt "$before" ]
}
