#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Recording chosen processes: memorizer_enabled 2, 3 or a pid, and
# /proc/<pid>/memorizer_enabled.  A traced process's objects and accesses
# appear, with those of the children it forks afterwards; an untraced
# process's do not.

load lib/memorizer

setup() {
	rm -f /tmp/md.*
	echo 1 > $MZ/log_live_enabled
	echo 1 > $MZ/log_accesses_enabled
	# an untraced process, busy allocating all along
	bash -c 'while :; do ls / > /dev/null; done' &
	echo $! > /tmp/md.bg
	stat_of index_now > /tmp/md.first
	cut -d, -f1,2,3,6 $MZ/accesses | sort -u > /tmp/md.acc0
}

teardown() {
	kill "$(cat /tmp/md.bg)" 2>/dev/null
	echo 0 > $MZ/log_accesses_enabled
	echo 0 > $MZ/log_live_enabled
	echo 1 > $MZ/memorizer_enabled
	rm -f /tmp/md.*
}

# traced MODE: a process that switches to MODE, forks three children and
# touches a file, then stops recording; its pid and its children's are in
# /tmp/md.allowed.
traced() {
	bash -c "echo \$\$ >> /tmp/md.allowed
		echo $1 > $MZ/memorizer_enabled
		for i in 1 2 3; do ls / > /dev/null & echo \$! >> /tmp/md.allowed; wait; done
		echo hello > /tmp/md.file; cat /tmp/md.file > /dev/null
		echo 0 > $MZ/memorizer_enabled"
}

# check_window [-1]: every object allocated since setup, and every new
# (object, ip, pid) access row, belongs to an allowed pid (or to interrupt
# context with -1); the allowed processes do appear.
check_window() {
	local first allowed
	first=$(cat /tmp/md.first)
	allowed=$(tr '\n' ' ' < /tmp/md.allowed)
	[ -n "${1:-}" ] && allowed="$allowed -1"
	awk -F, -v lo="$first" 'NF == 11 && $5 > lo { print $2 }' $MZ/kmap | sort -u > /tmp/md.pids
	cut -d, -f1,2,3,6 $MZ/accesses | sort -u > /tmp/md.acc1
	comm -13 /tmp/md.acc0 /tmp/md.acc1 | cut -d, -f4 | sort -u > /tmp/md.accpids
	echo "allowed: $allowed"
	echo "allocating: $(tr '\n' ' ' < /tmp/md.pids)"
	echo "accessing: $(tr '\n' ' ' < /tmp/md.accpids)"
	grep -qx "$(head -n 1 /tmp/md.allowed)" /tmp/md.pids
	grep -qx "$(head -n 1 /tmp/md.allowed)" /tmp/md.accpids
	for p in $(cat /tmp/md.pids /tmp/md.accpids); do
		[[ " $allowed " == *" $p "* ]] || { echo "pid $p is not traced"; return 1; }
	done
}

@test "mode 3: the writing process and its later children only" {
	traced 3
	check_window
	[ "$(cat $MZ/memorizer_enabled)" = 0 ]
}

@test "mode 2: the writing process, its later children and interrupt context" {
	traced 2
	check_window -1
}

@test "a pid: that process and the children it forks afterwards" {
	bash -c 'echo $$ > /tmp/md.allowed; read -r _ < /tmp/md.go
		 for i in 1 2 3; do ls / > /dev/null & echo $! >> /tmp/md.allowed; wait; done' &
	mkfifo /tmp/md.go
	sleep 0.5
	pid=$(head -n 1 /tmp/md.allowed)
	echo "$pid" > $MZ/memorizer_enabled
	[ "$(cat $MZ/memorizer_enabled)" = "$pid" ]
	[ "$(cat /proc/$pid/memorizer_enabled)" = 1 ]
	echo go > /tmp/md.go
	wait $!
	echo 0 > $MZ/memorizer_enabled
	check_window
}

@test "/proc/<pid>/memorizer_enabled marks a process; writing 0 clears every mark" {
	bash -c 'echo $$ > /tmp/md.allowed; read -r _ < /tmp/md.go
		 ls / > /dev/null & echo $! >> /tmp/md.allowed; wait' &
	mkfifo /tmp/md.go
	sleep 0.5
	pid=$(head -n 1 /tmp/md.allowed)
	[ "$(cat /proc/$pid/memorizer_enabled)" = 0 ]
	echo 1 > /proc/$pid/memorizer_enabled
	[ "$(cat /proc/$pid/memorizer_enabled)" = 1 ]
	[ "$(cat /proc/$$/memorizer_enabled)" = 0 ]
	# mode 3 from a process that exits at once: it marks only itself
	bash -c 'echo $$ >> /tmp/md.allowed; echo 3 > /sys/kernel/debug/memorizer/memorizer_enabled'
	echo go > /tmp/md.go
	wait $!
	check_window
	echo 0 > $MZ/memorizer_enabled
	[ ! -e /proc/$pid ] || [ "$(cat /proc/$pid/memorizer_enabled)" = 0 ]
	[ "$(cat /proc/$(cat /tmp/md.bg)/memorizer_enabled)" = 0 ]
}

@test "bad writes to memorizer_enabled and /proc/<pid>/memorizer_enabled fail with EINVAL" {
	echo 1 > $MZ/memorizer_enabled
	for v in -5 999999 x 3x; do
		run bash -c "printf '%s' '$v' > $MZ/memorizer_enabled"
		[ "$status" -ne 0 ] && [[ $output == *"Invalid argument"* ]]
		[ "$(cat $MZ/memorizer_enabled)" = 1 ]
	done
	for v in 2 x 11 " " yes; do
		run bash -c "printf '%s' '$v' > /proc/self/memorizer_enabled"
		[ "$status" -ne 0 ] && [[ $output == *"Invalid argument"* ]]
	done
	[ "$(cat /proc/$$/memorizer_enabled)" = 0 ]
}
