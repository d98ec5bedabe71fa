#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Pool exhaustion: booted with a tiny memalloc_size=, the recorder runs out
# of descriptors.  The system keeps running, drops are counted, and what was
# recorded stays readable.  Runs only in a boot with a small pool (the boot
# test makes one: boottest.sh -f pool-exhaustion -a memalloc_size=2M).

load lib/memorizer

setup() {
	grep -q 'memalloc_size=2M' /proc/cmdline || skip "needs a boot with memalloc_size=2M"
}

@test "a 2 MiB pool is exhausted, the drops are counted, the system runs on" {
	echo 1 > $MZ/memorizer_enabled
	for i in $(seq 30); do ls -R /sys/kernel > /dev/null 2>&1; done
	cat $MZ/stats > /tmp/ex.stats
	[ "$(stat_of pool_bytes /tmp/ex.stats)" -eq $((2 * 1024 * 1024)) ]
	[ "$(stat_of pool_slots_free /tmp/ex.stats)" -lt 16 ]
	[ "$(stat_of events_dropped /tmp/ex.stats)" -gt 0 ]
	# what was recorded is still there: every tracked object is in the kmap
	echo 0 > $MZ/memorizer_enabled
	sleep 0.2	# allocations that saw recording on finish
	echo 1 > $MZ/log_live_enabled
	cat $MZ/kmap > /tmp/ex.kmap
	cat $MZ/stats > /tmp/ex.stats2
	echo 0 > $MZ/log_live_enabled
	echo 1 > $MZ/memorizer_enabled
	objs=$(awk -F, 'NF == 11 && !($1 == $3 && length($1) <= 2)' /tmp/ex.kmap | wc -l)
	rm -f /tmp/ex.kmap
	[ "$objs" -gt 1000 ]
	[ "$(stat_of objects_tracked /tmp/ex.stats2)" -eq "$objs" ]
}

@test "clearing returns descriptors and recording resumes" {
	# recording off while the slots are counted: a full kernel's kworkers
	# take them back within moments
	echo 0 > $MZ/memorizer_enabled
	sleep 0.2	# allocations that saw recording on finish
	echo 1 > $MZ/clear_dead_objects
	free=$(stat_of pool_slots_free)
	[ "$free" -gt 0 ]
	# the slots go to whatever allocates first once recording is back on
	rec=$(stat_of events_recorded)
	echo 1 > $MZ/memorizer_enabled
	ls / > /dev/null
	[ "$(stat_of events_recorded)" -gt "$rec" ]
}
