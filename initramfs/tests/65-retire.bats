#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Exited tasks' records, retired into per-command aggregates (retire.c),
# and a soak: a fork/exec churn of short processes with access logging on
# and the default pool, beside a long-lived process whose accesses are
# known exactly.  Each short process renames itself and pokes the test
# module (mm/memorizer/memorizer_testmod.c), which writes the global
# mzt_counts N times from mzt_touch(): the kmap must account for every
# one of those writes, under the process's pid while it is kept, under
# (-2, its command) once retired, and the pool must stop growing.

load lib/memorizer

KO=/lib/modules/memorizer_testmod.ko
POKE=/sys/module/memorizer_testmod/parameters/poke
# The soak runs in a boot of its own, with memorizer.soak=N on the kernel
# command line (scripts/memorizer/soak.sh; make test runs 2000).
CHURN=$(sed -n 's/.*memorizer\.soak=\([0-9]*\).*/\1/p' /proc/cmdline)

# sym NAME: the address of one of the module's symbols.
sym() {
	awk -v n="$1" '$3 == n { print $1 }' /tmp/rt.syms
}

# touch_lines: the access lines to mzt_counts from mzt_touch, in the kmap.
touch_lines() {
	local va s e

	va=$(sym mzt_counts)
	s=$(sym mzt_touch)
	e=$(awk -v a="$s" '$1 > a { print $1; exit }' /tmp/rt.syms)
	awk -F, -v va="$va" -v s="$s" -v e="$e" '
		!/^ / { on = ($3 == va && $8 == "GLOBAL"); next }
		on { ip = $1; sub(/^ +/, "", ip); if (ip >= s && ip < e) print }' $MZ/kmap
}

# writes_of PID [COMMAND] < access lines: the writes counted for PID (and,
# for -2, COMMAND).
writes_of() {
	awk -F, -v p="$1" -v c="${2:-}" '
		$4 == p && (c == "" || substr($0, index($0, ",-2,") + 4) == c) { w += $2 }
		END { print w + 0 }'
}

# poker COMMAND N: a new process (fork and exec) named COMMAND pokes N times
# and prints its pid.
poker() {
	sh -c "echo \$\$; echo -n $1 > /proc/self/comm; echo $2 > $POKE"
}

setup_file() {
	grep -q '^CONFIG_MEMORIZER_TEST_MODULE=m' /etc/memorizer/config ||
		skip "this kernel has no test module"
	rmmod memorizer_testmod 2> /dev/null || true
	insmod $KO
	grep -E '\[memorizer_testmod\]$' /proc/kallsyms | tr -d '\t' |
		sed 's/\[memorizer_testmod\]$//' | sort > /tmp/rt.syms
	echo 0 > $MZ/log_live_enabled
	echo 1 > $MZ/retire_exited
	echo 1 > $MZ/clear_dead_objects
	# this shell and what it forks; the rest of the system stays out
	echo 3 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_accesses_enabled
}

teardown_file() {
	echo 0 > $MZ/log_accesses_enabled
	echo 0 > $MZ/memorizer_enabled
	echo 0 > $MZ/log_live_enabled
	echo 50 > $MZ/retire_threshold
	echo 25 > $MZ/reserve_objects
	echo 25 > $MZ/reserve_accesses
	kill "$(cat /tmp/rt.keeper 2> /dev/null)" 2> /dev/null || true
	rmmod memorizer_testmod 2> /dev/null || true
	rm -f /tmp/rt.*
}

@test "retire_threshold takes a percentage, and refuses anything else" {
	[ "$(cat $MZ/retire_threshold)" = 50 ]
	for bad in 101 -1 x 50x ''; do
		run sh -c "echo '$bad' > $MZ/retire_threshold"
		[ "$status" -ne 0 ]
	done
	[ "$(cat $MZ/retire_threshold)" = 50 ]
	echo 100 > $MZ/retire_threshold
	[ "$(cat $MZ/retire_threshold)" = 100 ]
}

@test "below the threshold an exited process keeps its own lines; retiring folds them exactly" {
	echo 1 > $MZ/log_live_enabled
	echo 100 > $MZ/retire_threshold
	# room for the pokers' records: what bats's own processes left goes
	# first, retired or, on the objects they freed, cleared
	echo 1 > $MZ/retire_exited
	echo 1 > $MZ/clear_dead_objects
	retired=$(stat_of tasks_retired)
	pids=""
	for i in 1 2 3 4 5; do
		pids="$pids $(poker mzkeep $((i * 10)))"
	done
	touch_lines > /tmp/rt.before
	# the default again: this suite's helpers are processes with records too
	echo 50 > $MZ/retire_threshold
	for i in 1 2 3 4 5; do
		p=$(echo $pids | cut -d' ' -f$i)
		[ "$(writes_of "$p" < /tmp/rt.before)" = $((i * 10)) ]
	done
	[ "$(writes_of -2 mzkeep < /tmp/rt.before)" = 0 ]
	echo 1 > $MZ/retire_exited
	[ "$(stat_of tasks_retired)" -ge $((retired + 5)) ]
	touch_lines > /tmp/rt.after
	cat /tmp/rt.after
	for p in $pids; do
		[ "$(writes_of "$p" < /tmp/rt.after)" = 0 ]
	done
	# one aggregate line per instruction: 10 + 20 + 30 + 40 + 50 writes
	[ "$(writes_of -2 mzkeep < /tmp/rt.after)" = 150 ]
}

@test "records at what the descriptors' reserve leaves them are retired, whatever the threshold" {
	echo 0 > $MZ/log_live_enabled
	echo 100 > $MZ/retire_threshold
	echo 1 > $MZ/retire_exited
	echo 1 > $MZ/clear_dead_objects
	runs=$(stat_of retire_runs)
	# records may have a tenth of the pool: a few processes fill it
	echo 10 > $MZ/reserve_accesses
	echo 90 > $MZ/reserve_objects
	i=0
	while [ "$(stat_of retire_runs)" = "$runs" ] && [ $i -lt 200 ]; do
		sh -c "echo -n mzfill > /proc/self/comm; echo 1 > $POKE"
		i=$((i + 1))
	done
	echo 25 > $MZ/reserve_objects
	echo 25 > $MZ/reserve_accesses
	echo 50 > $MZ/retire_threshold
	echo "# $i processes until the first retirement"
	[ "$(stat_of retire_runs)" -gt "$runs" ]
}

@test "soak: ${CHURN:-N} short processes, a long-lived one exact, no drops, flat pool" {
	[ -n "$CHURN" ] || skip "needs a boot with memorizer.soak=N (soak.sh)"
	echo 0 > $MZ/log_live_enabled
	echo 1 > $MZ/retire_exited
	echo 1 > $MZ/clear_dead_objects
	slots=$(stat_of pool_slots)
	# retire once the churn's records of the objects that outlive it take
	# 3% of the pool more than now (the default, 50%, may be far off)
	threshold=$(( $(stat_of pool_slots_used) * 100 / slots + 3 ))
	[ "$threshold" -le 95 ] || { echo "the pool is already full: $threshold%"; return 1; }
	echo $threshold > $MZ/retire_threshold
	mkfifo /tmp/rt.go
	# the long-lived process: 7 pokes now, 7 at the end
	sh -c "echo \$\$ > /tmp/rt.keeper; echo -n mzkeeper > /proc/self/comm
	       echo 7 > $POKE; read x < /tmp/rt.go
	       echo 7 > $POKE; echo > /tmp/rt.done; read x < /tmp/rt.go" &
	while [ ! -s /tmp/rt.keeper ]; do sleep 0.1; done
	base_writes=$(touch_lines | writes_of -2 mzchurn)
	drops0=$(stat_of accesses_dropped)
	events0=$(stat_of events_dropped)
	retired0=$(stat_of tasks_retired)
	runs0=$(stat_of retire_runs)
	used=""
	i=0
	while [ $i -lt "$CHURN" ]; do
		sh -c "echo -n mzchurn > /proc/self/comm; echo 3 > $POKE"
		i=$((i + 1))
		# the freed objects wait for a reader: this user drains them
		[ $((i % 10)) = 0 ] && echo 1 > $MZ/clear_dead_objects
		[ $((i % (CHURN / 4))) = 0 ] && used="$used $(stat_of pool_slots_used)"
		# progress on the console, for the boot test's hang detector
		[ $((i % 100)) = 0 ] && echo "memorizer-test: soak: $i processes" > /dev/kmsg
	done
	echo x > /tmp/rt.go
	keeper=$(cat /tmp/rt.keeper)
	while [ ! -e /tmp/rt.done ]; do sleep 0.1; done
	echo 1 > $MZ/retire_exited
	echo 1 > $MZ/log_live_enabled
	touch_lines > /tmp/rt.soak
	echo x > /tmp/rt.go
	wait
	echo "# pool slots used after each quarter:$used of $slots, retiring from $threshold%"
	echo "# tasks retired $(stat_of tasks_retired), records $(stat_of records_retired)," \
		"in $(stat_of retire_runs) runs, $(stat_of retire_usecs) us"
	# the churn was retired as it went (twice or more), not only at the end
	[ "$(stat_of retire_runs)" -ge $((runs0 + 3)) ]
	[ "$(stat_of tasks_retired)" -ge $((retired0 + CHURN)) ]
	# every churn write, exactly, in the command's aggregate
	[ "$(writes_of -2 mzchurn < /tmp/rt.soak)" = $((base_writes + 3 * CHURN)) ]
	# the long-lived process: its own line, exact
	[ "$(writes_of "$keeper" < /tmp/rt.soak)" = 14 ]
	# nothing dropped, nobody left unqueued
	[ "$(stat_of accesses_dropped)" = "$drops0" ]
	[ "$(stat_of events_dropped)" = "$events0" ]
	[ "$(stat_of tasks_unqueued)" = 0 ]
	# flat: no quarter ends far above the threshold, and after the first
	# the use grows by less than 3% of the pool
	for u in $used; do
		[ $((u * 100 / slots)) -le $((threshold + 5)) ]
	done
	set -- $used
	[ $(($4 - $2)) -le $((slots * 3 / 100)) ]
}
