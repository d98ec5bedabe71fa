#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Recording during a busybox workload on every vCPU, with kmap read at the
# same time: nothing crashes, nothing is lost, every line is well formed.

load lib/memorizer

# kmaps of the whole boot are tens of MB: keep /tmp (RAM) free for others.
setup_file() {
	keep_exited
}

teardown_file() {
	retire_default
	rm -f /tmp/wl.kmap /tmp/wl.kmap.0 /tmp/wl.new /tmp/wl.bad
}

# well_formed KMAP: print the malformed lines; false if there are any.
well_formed() {
	awk -F, '/^  / { if (NF != 4 && !(NF >= 5 && $4 == -2)) { print; bad = 1 }; next }
		 NF != 11 || $5 !~ /^[0-9]+$/ { print; bad = 1 } END { exit bad }' "$1"
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
	# the reads during the workload print its freed objects only: small
	echo 0 > $MZ/log_live_enabled
	echo 0 > $MZ/memorizer_enabled
	sleep 0.2	# allocations that saw recording on finish
	echo 1 > $MZ/clear_dead_objects
	cat $MZ/stats > /tmp/wl.before
	echo 1 > $MZ/memorizer_enabled
	pids=()
	for c in $(seq 0 $((ncpu - 1))); do
		taskset -c $c bash -c "$(declare -f workload); workload $c" &
		pids+=($!)
	done
	# every read made while the CPUs record is checked, not only one
	n=0 bad=0
	while kill -0 "${pids[@]}" 2>/dev/null; do
		cat $MZ/kmap > /tmp/wl.kmap.0
		well_formed /tmp/wl.kmap.0 > /tmp/wl.bad || { bad=$((bad + 1)); head -n 3 /tmp/wl.bad; }
		n=$((n + 1))
	done
	for p in "${pids[@]}"; do wait $p; done
	echo "$n reads during the workload, $bad malformed"
	[ "$n" -ge 1 ] && [ "$bad" -eq 0 ]
	echo 0 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_live_enabled
	cat $MZ/kmap > /tmp/wl.kmap
	cat $MZ/stats > /tmp/wl.after
	echo 1 > $MZ/memorizer_enabled
	echo 0 > $MZ/log_live_enabled
	well_formed /tmp/wl.kmap
	# the workload's processes show up, and every object recorded since
	# the first stats read is in the kmap, none twice
	grep -q ',bash,' /tmp/wl.kmap
	grep -q ',cat,' /tmp/wl.kmap
	lo=$(stat_of index_now /tmp/wl.before)
	awk -F, -v lo="$lo" 'NF == 11 && $5 > lo { print $3 "," $5 }' /tmp/wl.kmap | sort > /tmp/wl.new
	[ -z "$(uniq -d /tmp/wl.new)" ]
	[ "$(wc -l < /tmp/wl.new)" -eq $(($(stat_of events_recorded /tmp/wl.after) - $(stat_of events_recorded /tmp/wl.before))) ]
	[ "$(stat_of events_dropped /tmp/wl.after)" -eq "$(stat_of events_dropped /tmp/wl.before)" ]
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

@test "a new task's stack is a STACK_PAGE object of its creator, with the task's accesses, freed after it exits" {
	mode=$(cat $MZ/memorizer_enabled)
	# mode 3: this shell and its children, not the whole system's accesses
	echo 3 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_accesses_enabled
	bash -c 'echo $$ > /tmp/wl.parent; busybox true & echo $! > /tmp/wl.child; wait'
	echo 0 > $MZ/log_accesses_enabled
	echo "$mode" > $MZ/memorizer_enabled
	parent=$(cat /tmp/wl.parent) child=$(cat /tmp/wl.child)
	# the stack goes after a grace period (call_rcu)
	for _ in $(seq 30); do
		cat $MZ/kmap > /tmp/wl.kmap
		# the newest: pids wrap, an earlier process may have had this one
		line=$(awk -F, -v p="$parent" '!/^ / && $2 == p && $8 == "STACK_PAGE" && $6 != 0' /tmp/wl.kmap |
			sort -t, -k5,5n | tail -n 1)
		[ -z "$line" ] || break
		sleep 1
	done
	echo "# $line"
	[ -n "$line" ]
	thread_size=$(field "$line" 4)
	[ "$thread_size" -ge 16384 ]
	# the fork path, which the compiler may have inlined into kernel_clone
	ip=$(field "$line" 1)
	ip_in_fn "$ip" dup_task_struct || ip_in_fn "$ip" copy_process || ip_in_fn "$ip" kernel_clone
	n=$(awk -F, -v va="$(field "$line" 3)" -v idx="$(field "$line" 5)" \
		'!/^ / { on = ($3 == va && $5 == idx); next } on' /tmp/wl.kmap |
		awk -F, -v c="$child" '$4 == c' | wc -l)
	echo "# $n access lines of the child"
	[ "$n" -gt 0 ]
}
