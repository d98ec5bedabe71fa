#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Switching access logging on and off many times.  Each switch flips the
# static key in KASAN's check of every access; with CONFIG_JUMP_LABEL (any
# full kernel) that rewrites the call sites with text_poke_bp() while every
# CPU, the patching one included, keeps running through them.  A loader on
# the other CPUs makes sure the sites are in use while they change.

load lib/memorizer

# Keep every CPU but ours busy with instrumented kernel code.
start_load() {
	local n=$(($(grep -c ^processor /proc/cpuinfo) - 1)) i

	[ $n -ge 1 ] || n=1
	: > /tmp/tg.pids
	for i in $(seq $n); do
		bash -c 'while :; do cat /proc/self/status /proc/meminfo > /dev/null; done' &
		echo $! >> /tmp/tg.pids
	done
}

stop_load() {
	[ -f /tmp/tg.pids ] && kill $(cat /tmp/tg.pids) 2>/dev/null
	rm -f /tmp/tg.pids
	wait 2>/dev/null || true
}

# toggle N: switch access logging on and off N times, with each spelling.
toggle() {
	local i v

	for i in $(seq "$1"); do
		for v in 1 yes true on y; do
			echo $v > $MZ/log_accesses_enabled
			echo 0 > $MZ/log_accesses_enabled
		done
	done
	[ "$(cat $MZ/log_accesses_enabled)" = 0 ]
}

teardown() {
	stop_load
	echo 0 > $MZ/log_accesses_enabled
	echo 1 > $MZ/memorizer_enabled
}

@test "the second enabling with recording off (the full kernel's reset)" {
	echo 0 > $MZ/memorizer_enabled
	echo 0 > $MZ/log_accesses_enabled
	echo yes > $MZ/log_accesses_enabled
	echo 0 > $MZ/log_accesses_enabled
	echo true > $MZ/log_accesses_enabled
	[ "$(cat $MZ/log_accesses_enabled)" = 1 ]
}

@test "100 on/off switches with recording off, other CPUs busy" {
	echo 0 > $MZ/memorizer_enabled
	start_load
	toggle 20
}

@test "50 on/off switches with recording on, other CPUs busy" {
	echo 1 > $MZ/memorizer_enabled
	start_load
	toggle 10
}

@test "50 on/off switches recording only this shell, other CPUs busy" {
	echo 1 > $MZ/memorizer_enabled
	start_load
	echo 3 > $MZ/memorizer_enabled		# this shell only
	toggle 10
	echo 1 > $MZ/memorizer_enabled
}

@test "accesses are still counted after the switching, and only while on" {
	echo 1 > $MZ/memorizer_enabled
	toggle 2
	before=$(stat_of accesses_recorded)
	echo 1 > $MZ/log_accesses_enabled
	ls -R /sys/kernel/debug/memorizer > /dev/null
	echo 0 > $MZ/log_accesses_enabled
	on=$(stat_of accesses_recorded)
	ls -R /sys/kernel/debug/memorizer > /dev/null
	off=$(stat_of accesses_recorded)
	echo "before $before on $on off $off"
	[ "$on" -gt "$before" ]
	[ "$off" = "$on" ]
}
