#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The debugfs controls: values, aliases, bad writes, root only.

load lib/memorizer

teardown() {
	rm -f /tmp/k1 /tmp/k2 /tmp/k1.freed
	echo 1 > $MZ/memorizer_enabled
	echo 0 > $MZ/log_live_enabled
	echo 0 > $MZ/verbose_warnings_enabled
	echo 0 > $MZ/log_accesses_enabled
}

@test "every documented file exists, with its legacy alias" {
	for f in memorizer_enabled log_accesses_enabled log_live_enabled \
		 clear_dead_objects clear_printed_objects verbose_warnings_enabled \
		 kmap allocations accesses kmap_stream stats clear_dead_objs \
		 clear_printed_list print_live_obj memorizer_log_access; do
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

@test "data files refuse writes" {
	for f in kmap allocations accesses kmap_stream stats; do
		run bash -c "echo 1 > $MZ/$f"
		[ "$status" -ne 0 ]
		[[ $output == *"Invalid argument"* ]] || [[ $output == *"Permission denied"* ]]
	done
	# and nothing recorded was lost: kmap still reads
	cat $MZ/kmap > /dev/null
}

@test "a non-root user can neither read nor write the files" {
	for f in $MZ/kmap $MZ/stats $MZ/allocations $MZ/accesses $MZ/kmap_stream \
		 $MZ/memorizer_enabled $MZ/log_accesses_enabled $MZ/clear_dead_objects \
		 /proc/1/memorizer_enabled; do
		run su -s /bin/sh nobody -c "cat $f"
		[ "$status" -ne 0 ]
		run su -s /bin/sh nobody -c "echo 1 > $f"
		[ "$status" -ne 0 ]
	done
	[ "$(cat $MZ/memorizer_enabled)" = 1 ]
	[ "$(cat $MZ/log_accesses_enabled)" = 0 ]
	[ "$(cat /proc/1/memorizer_enabled)" = 0 ]
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

@test "clear_printed_objects drops exactly the freed objects kmap reported" {
	echo 1 > $MZ/memorizer_enabled
	echo 0 > $MZ/log_live_enabled
	echo 1 > $MZ/clear_dead_objects
	ls / > /dev/null
	cat $MZ/kmap > /tmp/k1
	[ -s /tmp/k1 ]
	echo 0 > $MZ/memorizer_enabled
	echo 1 > $MZ/clear_printed_objects
	cat $MZ/kmap > /tmp/k2
	# nothing printed before survives; what was freed after the read does
	awk -F, 'NF == 11 && $6 != 0' /tmp/k1 > /tmp/k1.freed
	[ -s /tmp/k1.freed ]
	! grep -qxFf /tmp/k1.freed /tmp/k2
}

@test "clear_dead_objects forgets every freed object and returns its descriptor" {
	echo 1 > $MZ/memorizer_enabled
	ls / > /dev/null
	echo 0 > $MZ/memorizer_enabled
	used=$(stat_of pool_slots_used)
	freed=$(stat_of objects_freed)
	[ "$freed" -gt 0 ]
	echo 1 > $MZ/clear_dead_objects
	[ "$(stat_of objects_freed)" -lt "$freed" ]
	[ "$(stat_of pool_slots_used)" -lt "$used" ]
	[ "$(cat $MZ/kmap | wc -l)" -lt "$freed" ]
}

@test "stats: events seen = recorded + dropped, tracked = live + freed" {
	cat $MZ/stats > /tmp/stats
	seen=$(stat_of events_seen /tmp/stats)
	rec=$(stat_of events_recorded /tmp/stats)
	drop=$(stat_of events_dropped /tmp/stats)
	[ "$rec" -gt 0 ]
	[ "$seen" -eq $((rec + drop)) ]
	[ "$(stat_of objects_tracked /tmp/stats)" -eq \
	  $(($(stat_of objects_live /tmp/stats) + $(stat_of objects_freed /tmp/stats))) ]
	[ "$(stat_of pool_descriptor_bytes /tmp/stats)" -eq 64 ]
}

@test "stats: every recorded object is tracked or was cleared, and holds a pool slot" {
	echo 1 > $MZ/memorizer_enabled
	ls -R /proc/self > /dev/null
	echo 1 > $MZ/clear_dead_objects
	ls -R /proc/self > /dev/null
	echo 0 > $MZ/memorizer_enabled
	sleep 0.2	# allocations that saw recording on finish
	cat $MZ/stats > /tmp/stats
	echo 1 > $MZ/memorizer_enabled
	[ "$(stat_of objects_cleared /tmp/stats)" -gt 0 ]
	[ "$(stat_of events_recorded /tmp/stats)" -eq \
	  $(($(stat_of objects_tracked /tmp/stats) + $(stat_of objects_cleared /tmp/stats))) ]
	[ "$(stat_of pool_slots_used /tmp/stats)" -eq \
	  $(($(stat_of objects_tracked /tmp/stats) + $(stat_of access_records /tmp/stats))) ]
}
