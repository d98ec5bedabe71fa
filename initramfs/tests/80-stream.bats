#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# kmap_stream: a reader blocks for objects as they are freed and receives
# each freed object's lines exactly once.

load lib/memorizer

setup_file() {
	keep_exited
	echo 1 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_accesses_enabled
	cat $MZ/kmap_stream > /tmp/sm.out &
	echo $! > /tmp/sm.reader
	sleep 1
	echo run > $MZ/selftest
	echo 0 > $MZ/log_accesses_enabled
	# objects waiting for the reader must survive clearing
	echo 1 > $MZ/clear_dead_objects
	cat $MZ/selftest > /tmp/sm.all
	# kfree_rcu frees after a grace period and a batching delay
	IFS=, read -r _ va idx _ < <(grep '^kfree-rcu,' /tmp/sm.all)
	for _ in $(seq 30); do
		grep -q "^[0-9a-f]*,[-0-9]*,$va,[0-9]*,$idx," /tmp/sm.out && break
		sleep 1
	done
	cat $MZ/stats > /tmp/sm.stats
}

teardown_file() {
	retire_default
	kill "$(cat /tmp/sm.reader)" 2>/dev/null
	rm -f /tmp/sm.*
}

@test "the reader blocks instead of ending, and a second reader is refused" {
	kill -0 "$(cat /tmp/sm.reader)"
	run bash -c "cat $MZ/kmap_stream"
	[ "$status" -ne 0 ]
	[[ $output == *"busy"* ]]
}

@test "every freed test object arrives once, with its access lines, despite clearing" {
	while IFS=, read -r name va idx size type cache state afn ffn reads writes; do
		[ "$state" = freed ] || continue
		n=$(grep -c "^[0-9a-f]*,[-0-9]*,$va,$size,$idx,[1-9]" /tmp/sm.out)
		[ "$n" -eq 1 ] || { echo "$name ($va, $idx): $n times"; return 1; }
		[ "$reads" = 0 ] && continue
		awk -F, -v va="$va" -v idx="$idx" 'NF == 11 { on = ($3 == va && $5 == idx); next }
			on && /^  / { n++ } END { exit !n }' /tmp/sm.out ||
			{ echo "$name: no access lines"; return 1; }
	done < <(tail -n +2 /tmp/sm.all | grep -v '^#')
}

@test "the stream holds only freed objects, none twice, and reports no overflow" {
	[ -z "$(awk -F, 'NF == 11 && $6 == 0' /tmp/sm.out)" ]
	[ -z "$(awk -F, 'NF == 11 { print $3 "," $5 }' /tmp/sm.out | sort | uniq -d)" ]
	[ "$(stat_of stream_overflow /tmp/sm.stats)" -eq 0 ]
}
