#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The debugfs controls: values, aliases, bad writes, root only.

load lib/memorizer

teardown() {
	rm -f /tmp/k1 /tmp/k2 /tmp/k1.* /tmp/k2.* /tmp/s1 /tmp/s2 /tmp/s3 /tmp/dm.* /tmp/ls.nobody
	mount -o remount,mode=0700 /sys/kernel/debug
	echo 1 > $MZ/memorizer_enabled
	echo 0 > $MZ/log_live_enabled
	echo 0 > $MZ/verbose_warnings_enabled
	echo 0 > $MZ/log_accesses_enabled
	echo 25 > $MZ/reserve_objects
	echo 25 > $MZ/reserve_accesses
}

@test "every documented file exists, with its legacy alias" {
	for f in memorizer_enabled log_accesses_enabled log_live_enabled \
		 clear_dead_objects clear_printed_objects verbose_warnings_enabled \
		 kmap allocations accesses kmap_stream stats clear_dead_objs \
		 clear_printed_list print_live_obj memorizer_log_access \
		 retire_threshold retire_exited reserve_objects reserve_accesses; do
		[ -e $MZ/$f ] || { echo "missing $f"; return 1; }
	done
}

@test "memorizer_enabled reads back 0 and 1" {
	echo 0 > $MZ/memorizer_enabled
	[ "$(cat $MZ/memorizer_enabled)" = 0 ]
	echo 1 > $MZ/memorizer_enabled
	[ "$(cat $MZ/memorizer_enabled)" = 1 ]
}

@test "memorizer_enabled rejects bad values with EINVAL and keeps its value" {
	echo 1 > $MZ/memorizer_enabled
	for v in 999999 -1 abc "1 2" 99999999999999999999 " "; do	# 999999: no such pid
		run bash -c "printf '%s' '$v' > $MZ/memorizer_enabled"
		[ "$status" -ne 0 ]
		[[ $output == *"Invalid argument"* ]]
		[ "$(cat $MZ/memorizer_enabled)" = 1 ]
	done
}

@test "boolean controls take yes/no/true/false/on/off/1/0 and their aliases share the value" {
	echo 0 > $MZ/memorizer_enabled	# no system-wide access recording meanwhile
	for pair in "log_live_enabled print_live_obj" "log_accesses_enabled memorizer_log_access"; do
		set -- $pair
		for v in yes true on 1 y; do
			echo 0 > $MZ/$1
			echo $v > $MZ/$1
			[ "$(cat $MZ/$1)" = 1 ] && [ "$(cat $MZ/$2)" = 1 ]
		done
		for v in no false off 0 n; do
			echo 1 > $MZ/$2
			echo $v > $MZ/$2
			[ "$(cat $MZ/$1)" = 0 ] && [ "$(cat $MZ/$2)" = 0 ]
		done
	done
	echo on > $MZ/verbose_warnings_enabled
	[ "$(cat $MZ/verbose_warnings_enabled)" = 1 ]
}

@test "boolean controls reject bad values with EINVAL and keep their value" {
	echo 0 > $MZ/memorizer_enabled
	for f in log_live_enabled log_accesses_enabled verbose_warnings_enabled print_live_obj; do
		echo 1 > $MZ/$f
		for v in maybe 2 " " yesno; do
			run bash -c "printf '%s' '$v' > $MZ/$f"
			[ "$status" -ne 0 ]
			[[ $output == *"Invalid argument"* ]]
			[ "$(cat $MZ/$f)" = 1 ]
		done
		echo 0 > $MZ/$f
	done
}

@test "the pool's reserves are percentages that fit it together; the records' holds while accesses are logged" {
	echo 0 > $MZ/memorizer_enabled	# no system-wide access recording meanwhile
	[ "$(cat $MZ/reserve_objects)" = 25 ]
	[ "$(cat $MZ/reserve_accesses)" = 25 ]
	for f in reserve_objects reserve_accesses; do
		for v in 101 -1 x 10x ''; do
			run sh -c "echo '$v' > $MZ/$f"
			[ "$status" -ne 0 ]
			[ "$(cat $MZ/$f)" = 25 ]
		done
	done
	echo 60 > $MZ/reserve_objects
	# 60 + 41 would leave the pool short
	run sh -c "echo 41 > $MZ/reserve_accesses"
	[ "$status" -ne 0 ]
	[ "$(cat $MZ/reserve_accesses)" = 25 ]
	echo 40 > $MZ/reserve_accesses
	slots=$(stat_of pool_slots)
	[ "$(stat_of pool_slots_reserved_objects)" = $((slots * 60 / 100)) ]
	echo 0 > $MZ/log_accesses_enabled
	[ "$(stat_of pool_slots_reserved_accesses)" = 0 ]
	echo 1 > $MZ/log_accesses_enabled
	[ "$(stat_of pool_slots_reserved_accesses)" = $((slots * 40 / 100)) ]
	echo 0 > $MZ/log_accesses_enabled
	[ "$(stat_of pool_slots_reserved_accesses)" = 0 ]
	# what each kind holds adds up to what the pool has in use
	cat $MZ/stats > /tmp/s3
	[ $(($(stat_of pool_slots_objects /tmp/s3) + $(stat_of pool_slots_accesses /tmp/s3))) = \
	  "$(stat_of pool_slots_used /tmp/s3)" ]
}

@test "data files refuse writes" {
	for f in kmap allocations accesses kmap_stream stats; do
		run bash -c "echo 1 > $MZ/$f"
		[ "$status" -ne 0 ]
		[[ $output == *"Invalid argument"* ]] || [[ $output == *"Permission denied"* ]]
	done
	# and nothing recorded was lost: kmap still reads
	cat $MZ/kmap > /dev/null
}

@test "the files have their documented modes, owned by root" {
	[ "$(stat -c '%a %U %G' $MZ)" = "755 root root" ]
	while read -r mode files; do
		for f in $files; do
			[ "$(stat -c '%a %U %G' $MZ/$f)" = "$mode root root" ] ||
				{ echo "$f: $(stat -c '%a %U %G' $MZ/$f), want $mode root root"; return 1; }
		done
	done <<-EOF
	600 memorizer_enabled log_accesses_enabled memorizer_log_access log_live_enabled print_live_obj verbose_warnings_enabled selftest
	200 clear_dead_objects clear_dead_objs clear_printed_objects clear_printed_list retire_exited
	600 retire_threshold reserve_objects reserve_accesses
	400 kmap allocations accesses kmap_stream stats
	EOF
	[ "$(stat -c '%a' /proc/1/memorizer_enabled)" = 600 ]
}

@test "a non-root user who can reach the files can neither read nor write them" {
	# debugfs's root is 0700: open it, so only the files' own modes protect them
	mount -o remount,mode=0755 /sys/kernel/debug
	su -s /bin/sh nobody -c "ls $MZ" > /tmp/ls.nobody
	mount -o remount,mode=0700 /sys/kernel/debug
	grep -qx kmap /tmp/ls.nobody	# nobody could traverse
	mount -o remount,mode=0755 /sys/kernel/debug
	bad=
	for f in $MZ/kmap $MZ/stats $MZ/allocations $MZ/accesses $MZ/kmap_stream \
		 $MZ/memorizer_enabled $MZ/log_accesses_enabled $MZ/verbose_warnings_enabled \
		 $MZ/clear_dead_objects $MZ/clear_printed_objects $MZ/selftest; do
		out=$(su -s /bin/sh nobody -c "cat $f" 2>&1) && bad="$bad read:$f"
		[[ $out == *"Permission denied"* ]] || [[ $f == *clear* ]] || bad="$bad read-msg:$f"
		out=$(su -s /bin/sh nobody -c "echo 1 > $f" 2>&1) && bad="$bad write:$f"
		[[ $out == *"Permission denied"* ]] || bad="$bad write-msg:$f"
	done
	mount -o remount,mode=0700 /sys/kernel/debug
	[ -z "$bad" ] || { echo "nobody could:$bad"; return 1; }
	[ "$(cat $MZ/memorizer_enabled)" = 1 ]
	[ "$(cat $MZ/log_accesses_enabled)" = 0 ]
}

@test "a process of a non-root user cannot mark or unmark itself, root can" {
	su -s /bin/sh nobody -c 'exec sleep 600' &
	pid=$!
	for _ in $(seq 50); do [ "$(stat -c %U /proc/$pid/exe 2>/dev/null)" = nobody ] && break; sleep 0.1; done
	[ "$(stat -c %U /proc/$pid/memorizer_enabled)" = nobody ]	# its owner
	run su -s /bin/sh nobody -c "echo 1 > /proc/$pid/memorizer_enabled"
	[ "$status" -ne 0 ] && [[ $output == *"Operation not permitted"* ]]
	run su -s /bin/sh nobody -c 'echo 1 > /proc/self/memorizer_enabled'
	[ "$status" -ne 0 ] && [[ $output == *"Operation not permitted"* ]]
	[ "$(cat /proc/$pid/memorizer_enabled)" = 0 ]
	echo 1 > /proc/$pid/memorizer_enabled
	[ "$(cat /proc/$pid/memorizer_enabled)" = 1 ]
	run su -s /bin/sh nobody -c "echo 0 > /proc/$pid/memorizer_enabled"
	[ "$status" -ne 0 ]
	[ "$(cat /proc/$pid/memorizer_enabled)" = 1 ]
	kill $pid
}

@test "a reader that stops early reports only the records it received whole" {
	# before any test logs accesses: every record is one line
	echo 0 > $MZ/log_live_enabled
	echo 1 > $MZ/clear_dead_objects
	ls -R /proc/self > /dev/null	# freed objects to report
	sleep 0.2
	# a live process allocates last, so that most frees so far have
	# free_index < index_now (objects freed since the last allocation may
	# still have counts on their way and are never marked)
	sleep 600 &
	sleeper=$!
	sleep 0.2
	echo 0 > $MZ/memorizer_enabled
	sleep 0.2	# allocations that saw recording on finish
	[ "$(stat_of access_records)" -eq 0 ]
	now=$(stat_of index_now)
	cleared=$(stat_of objects_cleared)
	cat $MZ/allocations > /dev/null	# the CSV reports nothing
	dd if=$MZ/kmap of=/tmp/k1 bs=1 count=1 2> /dev/null
	[ "$(wc -c < /tmp/k1)" -eq 1 ]
	echo 1 > $MZ/clear_printed_objects
	[ "$(stat_of objects_cleared)" -eq "$cleared" ]	# one byte is no record
	dd if=$MZ/kmap of=/tmp/k1 bs=4096 count=1 2> /dev/null
	kill $sleeper
	lines=$(tr -cd '\n' < /tmp/k1 | wc -c)
	whole=$(head -n "$lines" /tmp/k1 | awk -F, -v n="$now" 'NF == 11 && $6 < n' | wc -l)
	echo 1 > $MZ/clear_printed_objects
	echo "$lines whole lines, $whole reportable"
	[ "$(stat_of objects_cleared)" -eq $((cleared + whole)) ]
	# the record cut in two (unless the read ended between two) is still
	# in the kmap
	tail -c +$(($(head -n "$lines" /tmp/k1 | wc -c) + 1)) /tmp/k1 > /tmp/k1.cut
	cat $MZ/kmap > /tmp/k2
	[ ! -s /tmp/k1.cut ] || grep -qF "$(cat /tmp/k1.cut)" /tmp/k2
}

@test "the user's guide sequence works verbatim" {
	cd $MZ
	echo 1 > clear_dead_objs
	cp kmap /dev/null
	echo 1 > clear_printed_list
	echo 0 > print_live_obj
	echo 1 > memorizer_log_access
	echo 1 > memorizer_enabled
	ls -l
	echo 0 > memorizer_enabled
	echo 0 > memorizer_log_access
	[ "$(cat memorizer_enabled)" = 0 ]
}

@test "clear_printed_objects drops exactly the freed objects kmap reported, and keeps the others" {
	echo 1 > $MZ/memorizer_enabled
	echo 0 > $MZ/log_live_enabled
	echo 1 > $MZ/clear_dead_objects
	ls / > /dev/null
	echo 0 > $MZ/memorizer_enabled
	sleep 0.2	# allocations that saw recording on finish
	now=$(stat_of index_now)
	cat $MZ/kmap > /tmp/k1
	# freed after the read: never reported, so they must stay
	echo 1 > $MZ/memorizer_enabled
	ls / > /dev/null
	echo 0 > $MZ/memorizer_enabled
	cleared=$(stat_of objects_cleared)
	echo 1 > $MZ/clear_printed_objects
	cat $MZ/kmap > /tmp/k2
	# reported: the freed objects k1 printed, but for those freed since
	# the last allocation (free_index = index_now), whose counts may be
	# on their way
	awk -F, -v n="$now" 'NF == 11 && $6 != 0 && $6 < n' /tmp/k1 > /tmp/k1.freed
	[ -s /tmp/k1.freed ]
	# nothing reported survives, and exactly those were dropped
	! grep -qxFf /tmp/k1.freed /tmp/k2
	[ "$(stat_of objects_cleared)" -eq $((cleared + $(wc -l < /tmp/k1.freed))) ]
	# what the second ls freed is still there, unreported until now
	[ "$(awk -F, -v l="$now" 'NF == 11 && $6 != 0 && $5 > l && $9 == "ls"' /tmp/k2 | wc -l)" -gt 0 ]
}

@test "clear_dead_objects forgets exactly the freed objects and returns their slots" {
	echo 1 > $MZ/memorizer_enabled
	ls / > /dev/null
	echo 0 > $MZ/memorizer_enabled	# nothing new from here on
	sleep 0.2	# allocations that saw recording on finish
	echo 1 > $MZ/log_live_enabled
	cat $MZ/stats > /tmp/s1
	cat $MZ/kmap > /tmp/k1
	echo 1 > $MZ/clear_dead_objects
	cat $MZ/kmap > /tmp/k2
	cat $MZ/stats > /tmp/s2
	key='NF == 11 { print $3 "," $5 }'
	awk -F, 'NF == 11 && $6 != 0 { print $3 "," $5 }' /tmp/k1 | sort > /tmp/k1.freed
	awk -F, "$key" /tmp/k1 | sort > /tmp/k1.keys
	awk -F, "$key" /tmp/k2 | sort > /tmp/k2.keys
	[ -s /tmp/k1.freed ]
	# no freed object of k1 is left; nothing new appeared
	[ -z "$(in_both /tmp/k1.freed /tmp/k2.keys)" ]
	[ -z "$(only_in /tmp/k2.keys /tmp/k1.keys)" ]
	# what left the kmap is what was cleared: k1's freed objects, and the
	# objects freed between the first read and the clear
	gone=$(only_in /tmp/k1.keys /tmp/k2.keys | wc -l)
	[ "$gone" -ge "$(wc -l < /tmp/k1.freed)" ]
	[ "$(stat_of objects_cleared /tmp/s2)" -eq $(($(stat_of objects_cleared /tmp/s1) + gone)) ]
	# each cleared descriptor and each of its access records went back to the pool
	[ "$(stat_of pool_slots_used /tmp/s2)" -eq $(($(stat_of pool_slots_used /tmp/s1) - gone - \
		$(stat_of access_records /tmp/s1) + $(stat_of access_records /tmp/s2))) ]
	echo 0 > $MZ/log_live_enabled
}

@test "stats count what the kmap holds: objects tracked, live and freed, and new records" {
	echo 0 > $MZ/memorizer_enabled
	sleep 0.2	# allocations that saw recording on finish
	echo 1 > $MZ/log_live_enabled
	cat $MZ/stats > /tmp/s1
	# a known workload, recorded for this process and its children only
	bash -c "echo 3 > $MZ/memorizer_enabled; ls -R /proc/self > /dev/null; echo 0 > $MZ/memorizer_enabled"
	cat $MZ/stats > /tmp/s2
	cat $MZ/kmap > /tmp/k2
	cat $MZ/stats > /tmp/s3
	echo 0 > $MZ/log_live_enabled
	# recording is off and nothing was cleared: the kmap is every tracked
	# object plus one line per catch-all (its alloc_ip is its type number)
	objs=$(awk -F, 'NF == 11 && !($1 == $3 && length($1) <= 2)' /tmp/k2 | wc -l)
	freed=$(awk -F, 'NF == 11 && !($1 == $3 && length($1) <= 2) && $6 != 0' /tmp/k2 | wc -l)
	[ "$(stat_of objects_tracked /tmp/s2)" -eq "$objs" ]
	[ "$(stat_of objects_tracked /tmp/s3)" -eq "$objs" ]
	# frees go on while recording is off: the kmap lies between the reads
	[ "$(stat_of objects_freed /tmp/s2)" -le "$freed" ]
	[ "$(stat_of objects_freed /tmp/s3)" -ge "$freed" ]
	# each new record is a new kmap line of the workload's processes
	lo=$(stat_of index_now /tmp/s1) hi=$(stat_of index_now /tmp/s2)
	new=$(awk -F, -v lo="$lo" -v hi="$hi" 'NF == 11 && $5 > lo && $5 <= hi' /tmp/k2)
	[ "$(echo "$new" | grep -c .)" -eq $(($(stat_of events_recorded /tmp/s2) - $(stat_of events_recorded /tmp/s1))) ]
	[ "$(stat_of events_dropped /tmp/s2)" -eq "$(stat_of events_dropped /tmp/s1)" ]
	[ -z "$(echo "$new" | awk -F, '$9 != "bash" && $9 != "ls"')" ]
	echo "$new" | grep -q ',ls,'
	[ "$(stat_of pool_descriptor_bytes /tmp/s2)" -eq 64 ]
}

@test "verbose_warnings_enabled: an unseen free is a warning, a WARN() with its stack when on" {
	overlap() {	# the self-test stages a missed free in this process only
		bash -c "echo 3 > $MZ/memorizer_enabled; echo overlap > $MZ/selftest; echo 0 > $MZ/memorizer_enabled"
	}
	echo 0 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_live_enabled
	unseen=$(stat_of frees_unseen)
	echo 0 > $MZ/verbose_warnings_enabled
	echo "memorizer-test: quiet overlap" > /dev/kmsg
	overlap
	echo 1 > $MZ/verbose_warnings_enabled
	echo "memorizer-test: expect-warning begin" > /dev/kmsg
	overlap
	echo "memorizer-test: expect-warning end" > /dev/kmsg
	echo 0 > $MZ/verbose_warnings_enabled
	msg='memorizer: ALLOC_PAGES at index [0-9]+ overlaps a live ALLOC_PAGES whose free was not seen'
	dmesg | sed -n '/memorizer-test: quiet overlap/,/expect-warning begin/p' > /tmp/dm.quiet
	dmesg | sed -n '/expect-warning begin/,/expect-warning end/p' > /tmp/dm.verbose
	grep -qE "$msg" /tmp/dm.quiet
	! grep -q 'WARNING:' /tmp/dm.quiet
	grep -qE "$msg" /tmp/dm.verbose
	grep -qE 'WARNING: .* mz_warn\+' /tmp/dm.verbose
	grep -qE 'mz_selftest_overlap' /tmp/dm.verbose	# the stack names the culprit
	[ "$(stat_of frees_unseen)" -eq $((unseen + 2)) ]
	# the kmap closes the missed object with free_ip deadbeef
	cat $MZ/kmap > /tmp/k1
	echo 0 > $MZ/log_live_enabled
	n=0
	while IFS=, read -r aip _ _ _ _ fidx fip _; do
		ip_in_fn "$aip" mz_selftest_overlap && [ "$fip" = deadbeef ] && n=$((n + 1))
	done < <(awk -F, 'NF == 11 && $8 == "ALLOC_PAGES" && $7 == "deadbeef"' /tmp/k1)
	[ "$n" -eq 2 ]
}

@test "stats: every recorded object is tracked or was cleared, and holds a pool slot" {
	echo 1 > $MZ/memorizer_enabled
	ls -R /proc/self > /dev/null
	echo 1 > $MZ/clear_dead_objects
	ls -R /proc/self > /dev/null
	echo 0 > $MZ/memorizer_enabled
	sleep 0.2	# allocations that saw recording on finish
	cat $MZ/stats > /tmp/s1
	echo 1 > $MZ/memorizer_enabled
	[ "$(stat_of objects_cleared /tmp/s1)" -gt 0 ]
	[ "$(stat_of events_recorded /tmp/s1)" -eq \
	  $(($(stat_of objects_tracked /tmp/s1) + $(stat_of objects_cleared /tmp/s1))) ]
	[ "$(stat_of pool_slots_used /tmp/s1)" -eq \
	  $(($(stat_of objects_tracked /tmp/s1) + $(stat_of access_records /tmp/s1))) ]
}
