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
	[ "$(stat_of events_seen /tmp/ex.stats)" -eq \
	  $(($(stat_of events_recorded /tmp/ex.stats) + $(stat_of events_dropped /tmp/ex.stats))) ]
	# what was recorded is still there
	echo 1 > $MZ/log_live_enabled
	[ "$(cat $MZ/kmap | wc -l)" -gt 1000 ]
	echo 0 > $MZ/log_live_enabled
}

@test "clearing returns descriptors and recording resumes" {
	echo 1 > $MZ/clear_dead_objects
	free=$(stat_of pool_slots_free)
	[ "$free" -gt 0 ]
	rec=$(stat_of events_recorded)
	ls / > /dev/null
	[ "$(stat_of events_recorded)" -gt "$rec" ]
}
