#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Recording chosen processes: memorizer_enabled 2, 3 or a pid, and
# /proc/<pid>/memorizer_enabled.  A traced process's objects and accesses
# appear, with those of the children it forks afterwards; an untraced
# process's do not.

load lib/memorizer

setup_file() {
	keep_exited
	echo 1 > $MZ/clear_dead_objects	# smaller kmaps to scan
}

teardown_file() {
	retire_default
}

setup() {
	rm -f /tmp/md.*
	echo 0 > $MZ/memorizer_enabled	# until the test chooses whom
	echo 1 > $MZ/log_live_enabled
	echo 1 > $MZ/log_accesses_enabled
	# an untraced process, busy allocating all along
	bash -c 'while :; do ls / > /dev/null; done' &
	echo $! > /tmp/md.bg
	stat_of index_now > /tmp/md.first
	bg_rows > /tmp/md.bgrows
}

teardown() {
	kill "$(cat /tmp/md.bg)" 2>/dev/null
	echo 0 > $MZ/log_accesses_enabled
	echo 0 > $MZ/log_live_enabled
	echo 1 > $MZ/memorizer_enabled
	rm -f /tmp/md.*
}

# traced MODE: a process that switches to MODE, forks three children and
# touches a file (with builtins: no other child), then stops recording; its
# pid and its children's are in /tmp/md.allowed.
traced() {
	bash -c "echo \$\$ >> /tmp/md.allowed
		echo $1 > $MZ/memorizer_enabled
		for i in 1 2 3; do ls / > /dev/null & echo \$! >> /tmp/md.allowed; wait; done
		echo hello > /tmp/md.file; read -r _ < /tmp/md.file
		echo 0 > $MZ/memorizer_enabled"
}

# bg_rows: how many access rows the untraced process has.
bg_rows() {
	awk -F, -v p="$(cat /tmp/md.bg)" '$6 == p' $MZ/accesses | wc -l
}

# check_window [-1]: every object allocated since setup, and every access
# to one, belongs to an allowed pid (or to interrupt context with -1); the
# untraced process has no new access rows; the allowed processes appear.
check_window() {
	local first allowed
	first=$(cat /tmp/md.first)
	allowed=$(tr '\n' ' ' < /tmp/md.allowed)
	[ -n "${1:-}" ] && allowed="$allowed -1"
	awk -F, -v lo="$first" 'NF == 11 { on = $5 > lo; if (on) print $2; next }
		on { print $4 }' $MZ/kmap | sort -u > /tmp/md.pids
	echo "allowed: $allowed"
	echo "seen: $(tr '\n' ' ' < /tmp/md.pids)"
	grep -qx "$(head -n 1 /tmp/md.allowed)" /tmp/md.pids
	for p in $(cat /tmp/md.pids); do
		[[ " $allowed " == *" $p "* ]] || { echo "pid $p is not traced"; return 1; }
	done
	[ "$(bg_rows)" -eq "$(cat /tmp/md.bgrows)" ] || { echo "the untraced process was recorded"; return 1; }
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
	mkfifo /tmp/md.go
	bash -c 'echo $$ > /tmp/md.allowed; read -r _ < /tmp/md.go
		 for i in 1 2 3; do ls / > /dev/null & echo $! >> /tmp/md.allowed; wait; done' &
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
	mkfifo /tmp/md.go
	bash -c 'echo $$ > /tmp/md.allowed; read -r _ < /tmp/md.go
		 ls / > /dev/null & echo $! >> /tmp/md.allowed; wait' &
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
	echo 0 > $MZ/log_accesses_enabled
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
