#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Exactness: the self-test allocates a known set of objects from every
# allocator family at known call sites and frees a known subset; the kmap
# and the allocations CSV must hold exactly those objects.

load lib/memorizer

# st_line VA TYPE INDEX [FILE]: the line of a test object, named by the
# alloc_index the self-test read back from the recorder.
st_line() {
	kmap_line "${4:-/tmp/st.kmap}" "$1" "$2" "$3" "$3"
}

setup_file() {
	keep_exited
	echo 1 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_live_enabled
	echo 1 > $MZ/clear_dead_objects
	bash -c 'echo $$ > /tmp/st.pid; echo run > /sys/kernel/debug/memorizer/selftest'
	cat $MZ/selftest > /tmp/st.all
	grep -v '^#' /tmp/st.all > /tmp/st.expected
	read -r _ _ first last < <(grep '^# alloc_index' /tmp/st.all)
	echo "$first $last" > /tmp/st.range
	idx=$(tail -n +2 /tmp/st.expected | cut -d, -f3)
	# kfree_rcu frees after a grace period and a batching delay
	IFS=, read -r _ va kidx _ < <(grep '^kfree-rcu,' /tmp/st.expected)
	for _ in $(seq 30); do
		cat $MZ/kmap > /tmp/st.full
		mz_select "$first" "$last" $idx < /tmp/st.full > /tmp/st.kmap
		line=$(st_line "$va" KMALLOC "$kidx")
		[ "$(field "$line" 6)" != 0 ] && break
		sleep 1
	done
	cat $MZ/allocations > /tmp/st.csvfull
	{ head -n 1 /tmp/st.csvfull; mz_select "$first" "$last" $idx < /tmp/st.csvfull; } > /tmp/st.csv
}

teardown_file() {
	retire_default
	echo 0 > $MZ/log_live_enabled
	rm -f /tmp/st.kmap /tmp/st.csv /tmp/st.full /tmp/st.csvfull
}

@test "the self-test ran and lists every allocator family" {
	n=$(tail -n +2 /tmp/st.expected | wc -l)
	[ "$n" -eq 23 ]
	read -r first last < /tmp/st.range
	[ "$first" -gt 0 ] && [ "$last" -gt "$first" ]
	for t in KMALLOC KMALLOC_ND KMEM_CACHE KMEM_CACHE_ND KMEM_CACHE_BULK ALLOC_PAGES \
		 ALLOC_PAGES_GETFREEPAGES ALLOC_PAGES_EXACT ALLOC_PAGES_FOLIO VMALLOC GLOBAL; do
		cut -d, -f5 /tmp/st.expected | grep -qx $t || { echo "no $t"; return 1; }
	done
}

@test "each object was read back from the record, within the run's index range" {
	read -r first last < /tmp/st.range
	while IFS=, read -r name va idx size type cache state afn ffn _; do
		[ "$idx" -gt 0 ] || { echo "$name: not found in the record"; return 1; }
		[ "$type" = GLOBAL ] && continue
		[ "$idx" -ge "$first" ] && [ "$idx" -le "$last" ] ||
			{ echo "$name: index $idx outside $first..$last"; return 1; }
	done < <(tail -n +2 /tmp/st.expected)
}

@test "the record holds no other objects from the self-test's call sites" {
	read -r first last < /tmp/st.range
	fns=$(awk -F, 'NR > 1 && $5 != "GLOBAL" && $8 != "" { print $8 }' /tmp/st.expected)
	for fn in $(echo "$fns" | sort -u); do
		want=$(echo "$fns" | grep -cx "$fn")
		read -r start next <<< "$(grep -A1 -E " [tT] $fn\$" "$(mz_syms)" | cut -d' ' -f1 | tr '\n' ' ')"
		# kernel text addresses are 16 hex digits: strings compare as numbers
		got=$(awk -F, -v lo="$first" -v hi="$last" -v s="$start" -v e="$next" \
			'$5 >= lo && $5 <= hi && $1 >= s && $1 < e' /tmp/st.kmap | wc -l)
		[ "$got" -eq "$want" ] || { echo "$fn: $got objects in the kmap, $want expected"; return 1; }
	done
}

@test "every test object is in the kmap with its size, type, cache and state" {
	while IFS=, read -r name va idx size type cache state afn ffn _; do
		line=$(st_line "$va" "$type" "$idx")
		[ -n "$line" ] || { echo "$name: no kmap line for $va $type"; return 1; }
		[ "$(field "$line" 4)" = "$size" ] || { echo "$name: size $line"; return 1; }
		[ "$(field "$line" 10)" = "$cache" ] || { echo "$name: cache $line"; return 1; }
		if [ "$state" = live ]; then
			[ "$(field "$line" 6)" = 0 ] && [ "$(field "$line" 7)" = 0 ] ||
				{ echo "$name: should be live: $line"; return 1; }
		else
			[ "$(field "$line" 6)" -ge "$(field "$line" 5)" ] && [ "$(field "$line" 7)" != 0 ] ||
				{ echo "$name: should be freed: $line"; return 1; }
		fi
	done < <(tail -n +2 /tmp/st.expected)
}

@test "alloc and free IPs resolve to the known functions" {
	while IFS=, read -r name va idx size type cache state afn ffn _; do
		line=$(st_line "$va" "$type" "$idx")
		if [ "$type" = GLOBAL ]; then
			[ "$(field "$line" 1)" = "$va" ] || { echo "$name: $line"; return 1; }
			grep -q "^$va [dDbB] mz_selftest_global" /proc/kallsyms
			continue
		fi
		[ -z "$afn" ] || ip_in_fn "$(field "$line" 1)" "$afn" || { echo "$name: alloc_ip not in $afn: $line"; return 1; }
		if [ -n "$ffn" ]; then
			ip_in_fn "$(field "$line" 7)" "$ffn" || { echo "$name: free_ip not in $ffn: $line"; return 1; }
		fi
	done < <(tail -n +2 /tmp/st.expected)
}

@test "test objects carry the allocating process's pid and command" {
	pid=$(cat /tmp/st.pid)
	while IFS=, read -r name va idx size type cache state afn ffn _; do
		[ "$type" = GLOBAL ] && continue
		line=$(st_line "$va" "$type" "$idx")
		[ "$(field "$line" 2)" = "$pid" ] && [ "$(field "$line" 9)" = bash ] ||
			{ echo "$name: pid/comm $line (want $pid,bash)"; return 1; }
	done < <(tail -n +2 /tmp/st.expected)
}

@test "the pages under a large kmalloc and a slab name the specific allocator" {
	IFS=, read -r _ va idx _ < <(grep '^kmalloc-large-pages,' /tmp/st.expected)
	line=$(st_line "$va" ALLOC_PAGES "$idx")
	[ "$(field "$line" 11)" = KMALLOC ]
	# the self-test cache's slabs: page objects whose new_alloc_type is KMEM_CACHE
	grep -q ',ALLOC_PAGES,[^,]*,no-slab,KMEM_CACHE$' /tmp/st.kmap
}

@test "the allocations CSV has a header naming all 11 columns and the same rows" {
	[ "$(head -n 1 /tmp/st.csv)" = \
	  "alloc_ip,pid,obj_va_ptr,size,alloc_index,free_index,free_ip,alloc_type,command,slabname,new_alloc_type" ]
	while IFS=, read -r name va idx size type cache state afn ffn _; do
		line=$(st_line "$va" "$type" "$idx")
		[ "$name" = kfree-rcu ] && continue	# may have been freed between the reads
		grep -qxF "$line" /tmp/st.csv || { echo "$name: not in CSV: $line"; return 1; }
	done < <(tail -n +2 /tmp/st.expected)
	[ -z "$(awk -F, 'NF != 11' /tmp/st.csvfull)" ]
}

@test "every long kmap line has 11 well-formed fields" {
	# 11 fields on every line of the whole boot's kmap; each field's form
	# on the run's lines (seven regexes a line over a full kernel's kmap
	# took more than 15 minutes under TCG on a loaded host)
	awk -F, '!/^  / && NF != 11 { print; bad = 1 } END { exit bad }' /tmp/st.full
	awk -F, '/^  / { next } NF != 11 || $1 !~ /^[0-9a-f]+$/ || $2 !~ /^-?[0-9]+$/ || $3 !~ /^[0-9a-f]+$/ ||
		 $4 !~ /^[0-9]+$/ || $5 !~ /^[0-9]+$/ || $6 !~ /^[0-9]+$/ || $7 !~ /^[0-9a-f]+$/ {
		print; bad = 1 } END { exit bad }' /tmp/st.kmap
}
