#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Access recording: the self-test reads and writes each of its objects a
# known number of times from known call sites (mz_st_read, mz_st_write),
# and, with "smp", one kernel thread per CPU writes one shared object at
# once.  kmap and the accesses CSV must hold exactly those counts.

load lib/memorizer

# fn_range FUNCTION: "START NEXT" addresses of a text symbol.
fn_range() {
	grep -A1 -E " [tT] $1\$" "$(mz_syms)" | cut -d' ' -f1 | tr '\n' ' '
}

# obj_accesses FILE VA INDEX: the indented lines under one object.
obj_accesses() {
	awk -F, -v va="$2" -v idx="$3" \
		'NF == 11 { on = ($3 == va && $5 == idx); next } on { sub(/^  /, ""); print }' "$1"
}

# in_range START NEXT < lines: the lines whose first field lies in the range
in_range() {
	awk -F, -v s="$1" -v e="$2" '$1 >= s && $1 < e'
}

setup_file() {
	keep_exited
	echo 1 > $MZ/clear_dead_objects	# smaller kmaps to scan
	echo 1 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_live_enabled
	echo 1 > $MZ/log_accesses_enabled
	bash -c 'echo $$ > /tmp/ac.pid; echo run > /sys/kernel/debug/memorizer/selftest'
	echo smp > $MZ/selftest
	echo 0 > $MZ/log_accesses_enabled
	# The last vCPU goes offline with the counts of its "smp" thread still
	# in its hit cache: the reads below must fold them for it.
	cpu=/sys/devices/system/cpu/cpu$(($(grep -c ^processor /proc/cpuinfo) - 1))/online
	echo 0 > "$cpu" && echo "$cpu" > /tmp/ac.offline
	cat $MZ/selftest > /tmp/ac.all
	cat $MZ/stats > /tmp/ac.stats
	# the boot's whole record, cut down once to the self-test's objects
	read -r _ _ first last < <(grep '^# alloc_index' /tmp/ac.all)
	idx="$(grep -v '^#' /tmp/ac.all | tail -n +2 | cut -d, -f3) $(grep '^# smp ' /tmp/ac.all | cut -d' ' -f4)"
	cat $MZ/kmap > /tmp/ac.full
	mz_select "$first" "$last" $idx < /tmp/ac.full > /tmp/ac.kmap
	cat $MZ/accesses > /tmp/ac.csv
	echo 1 > "$cpu"
}

teardown_file() {
	retire_default
	echo 0 > $MZ/log_live_enabled
	echo 0 > $MZ/log_accesses_enabled
	rm -f /tmp/ac.kmap /tmp/ac.full /tmp/ac.csv /tmp/ac.mine /tmp/ac.offline /tmp/ac.s1 /tmp/ac.s2 /tmp/ac.pids /tmp/ac.before
}

@test "each test object's reads and writes are exact per instruction and pid in kmap" {
	pid=$(cat /tmp/ac.pid)
	read -r rs re <<< "$(fn_range mz_st_read)"
	read -r ws we <<< "$(fn_range mz_st_write)"
	[ -n "$re" ] && [ -n "$we" ]
	n=0
	while IFS=, read -r name va idx size type cache state afn ffn reads writes; do
		[ "$reads" -gt 0 ] || continue
		obj_accesses /tmp/ac.kmap "$va" "$idx" > /tmp/ac.obj
		got=$(in_range "$rs" "$re" < /tmp/ac.obj | awk -F, -v p="$pid" '$4 == p')
		[ "$(echo "$got" | wc -l)" = 1 ] && [ "$(field "$got" 2)" = 0 ] &&
		[ "$(field "$got" 3)" = "$reads" ] ||
			{ echo "$name: reads want $reads: [$got]"; cat /tmp/ac.obj; return 1; }
		got=$(in_range "$ws" "$we" < /tmp/ac.obj | awk -F, -v p="$pid" '$4 == p')
		[ "$(echo "$got" | wc -l)" = 1 ] && [ "$(field "$got" 2)" = "$writes" ] &&
		[ "$(field "$got" 3)" = 0 ] ||
			{ echo "$name: writes want $writes: [$got]"; cat /tmp/ac.obj; return 1; }
		n=$((n + 1))
	done < <(tail -n +2 /tmp/ac.all | grep -v '^#')
	[ "$n" -ge 19 ]
}

@test "the accesses CSV has a header and the same counts, naming each object" {
	[ "$(head -n 1 /tmp/ac.csv)" = "obj_va_ptr,alloc_index,access_ip,write_count,read_count,access_pid,access_command" ]
	[ -z "$(tail -n +2 /tmp/ac.csv | awk -F, 'NF != 7')" ]
	pid=$(cat /tmp/ac.pid)
	read -r rs re <<< "$(fn_range mz_st_read)"
	read -r ws we <<< "$(fn_range mz_st_write)"
	# the self-test process's rows, cut from the boot's whole CSV once
	awk -F, -v p="$pid" '$6 == p' /tmp/ac.csv > /tmp/ac.mine
	while IFS=, read -r name va idx size type cache state afn ffn reads writes; do
		[ "$reads" -gt 0 ] || continue
		rows=$(awk -F, -v va="$va" -v idx="$idx" '$1 == va && $2 == idx { print $3 "," $4 "," $5 }' /tmp/ac.mine)
		r=$(echo "$rows" | in_range "$rs" "$re")
		w=$(echo "$rows" | in_range "$ws" "$we")
		[ "$r" = "$(echo "$r" | cut -d, -f1),0,$reads" ] &&
		[ "$w" = "$(echo "$w" | cut -d, -f1),$writes,0" ] ||
			{ echo "$name: [$r] [$w] want $reads reads, $writes writes"; return 1; }
	done < <(tail -n +2 /tmp/ac.all | grep -v '^#')
}

@test "threads on every vCPU writing one object at once: the total is exact, read with one vCPU offline" {
	# read while one vCPU was offline (setup_file)
	[ -s /tmp/ac.offline ]
	read -r _ _ va idx threads k < <(grep '^# smp ' /tmp/ac.all)
	[ "$threads" -ge 2 ]
	[ "$threads" -eq "$(grep -c ^processor /proc/cpuinfo)" ]
	read -r ws we <<< "$(fn_range mz_st_write)"
	obj_accesses /tmp/ac.kmap "$va" "$idx" | in_range "$ws" "$we" > /tmp/ac.smp
	cat /tmp/ac.smp
	[ "$(wc -l < /tmp/ac.smp)" -eq "$threads" ]	# one line per thread (pid)
	[ -z "$(awk -F, -v k="$k" '$2 != k || $3 != 0' /tmp/ac.smp)" ]
	[ "$(awk -F, '{ s += $2 } END { print s }' /tmp/ac.smp)" -eq $((threads * k)) ]
}

@test "stats count exactly the accesses a known process made, and nothing while logging is off" {
	echo 0 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_live_enabled
	sleep 0.2	# allocations that saw recording on finish
	# room in the pool for the workload's counter records: the suites
	# before this one leave freed objects and their records behind
	echo 1 > $MZ/clear_dead_objects
	cat $MZ/stats > /tmp/ac.s1
	# counts per pid so far: pids wrap (4096 on the small guest), and the
	# rows of an earlier process with a new one's pid are still printed
	awk -F, 'FNR > 1 { s[$6] += $4 + $5 } END { for (p in s) print p "," s[p] }' \
		$MZ/accesses > /tmp/ac.before
	# a workload recorded for one new process and its child only: every
	# access counted meanwhile carries one of their two pids
	echo 1 > $MZ/log_accesses_enabled
	bash -c "echo \$\$ > /tmp/ac.pids; echo 3 > $MZ/memorizer_enabled
		ls -R /proc/self > /dev/null & echo \$! >> /tmp/ac.pids; wait
		echo 0 > $MZ/memorizer_enabled"
	echo 0 > $MZ/log_accesses_enabled
	cat $MZ/stats > /tmp/ac.s2
	echo 1 > $MZ/memorizer_enabled
	sum=$(awk -F, 'FILENAME == ARGV[1] { p[$1] = 1; next }
		FILENAME == ARGV[2] { if ($1 in p) s -= $2; next }
		FNR > 1 && ($6 in p) { s += $4 + $5 }
		END { print s + 0 }' /tmp/ac.pids /tmp/ac.before $MZ/accesses)
	echo 0 > $MZ/log_live_enabled
	d=$(($(stat_of accesses_recorded /tmp/ac.s2) - $(stat_of accesses_recorded /tmp/ac.s1)))
	echo "stats: +$d, the two processes' rows: $sum"
	[ "$d" -gt 1000 ]
	[ "$sum" -eq "$d" ]
	[ "$(stat_of accesses_dropped /tmp/ac.s2)" -eq "$(stat_of accesses_dropped /tmp/ac.s1)" ]
	# logging is off: nothing more is counted
	ls -R /proc/self > /dev/null
	[ "$(stat_of accesses_recorded)" -eq "$(stat_of accesses_recorded /tmp/ac.s2)" ]
}

@test "every kmap line is well formed, indented lines included" {
	# a retired command's line (pid -2) carries the command as a fifth field
	awk -F, '/^  / { if ((NF != 4 && !(NF >= 5 && $4 == -2)) || $1 !~ /^  [0-9a-f]+$/ ||
			    $2 !~ /^[0-9]+$/ || $3 !~ /^[0-9]+$/ || $4 !~ /^-?[0-9]+$/) { print; bad = 1 }; next }
		 NF != 11 { print; bad = 1 } END { exit bad }' /tmp/ac.full
}

@test "accesses no object covers go to catch-all objects, printed with their type" {
	# a catch-all's alloc_ip and obj_va_ptr are its type's number
	grep -E '^[0-9a-f]{1,2},0,[0-9a-f]{1,2},0,0,0,0,(USER|STACK|GLOBAL|NONE),' /tmp/ac.full
}
