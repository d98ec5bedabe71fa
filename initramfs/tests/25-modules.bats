#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Modules: load memorizer_testmod.ko (mm/memorizer/memorizer_testmod.c),
# have one process poke it a known number of times, unload it.  The kmap
# must hold the module's memory, its two globals and its buffer, with
# every access of the poke charged to them exactly, and after the unload
# the frees of the memory and the globals.

load lib/memorizer

KO=/lib/modules/memorizer_testmod.ko
POKES=1000

# sym NAME: the address of one of the module's symbols, from /tmp/mod.syms.
sym() {
	awk -v n="$1" '$3 == n { print $1 }' /tmp/mod.syms
}

# after NAME: the address of the module's next symbol after NAME.
after() {
	awk -v a="$(sym "$1")" '$1 > a { print $1; exit }' /tmp/mod.syms
}

# in_fn NAME < access lines: those whose ip lies in the module's function.
in_fn() {
	awk -F, -v s="$(sym "$1")" -v e="$(after "$1")" \
		'{ ip = $1; sub(/^ +/, "", ip) } ip >= s && ip < e'
}

# accesses FILE LINE: the access lines of the object of kmap line LINE.
accesses() {
	awk -F, -v va="$(field "$2" 3)" -v idx="$(field "$2" 5)" \
		'!/^ / { on = ($3 == va && $5 == idx); next } on'  "$1"
}

# modkmap [PID]: the kmap cut down to module space, the catch-alls and the
# objects PID allocated (whole-boot kmaps would fill the guest's /tmp).
modkmap() {
	awk -F, -v p="${1:-none}" '
		!/^ / { on = ($3 >= "ffffffffa0000000" && $3 < "ffffffffff000000") ||
			     length($1) <= 2 || $2 == p }
		on' $MZ/kmap
}

# sum_rw PID < access lines: "WRITES READS" summed over the lines of PID.
sum_rw() {
	awk -F, -v p="$1" '$4 == p { w += $2; r += $3 } END { print w + 0, r + 0 }'
}

setup_file() {
	keep_exited
	grep -q '^CONFIG_MEMORIZER_TEST_MODULE=m' /etc/memorizer/config ||
		skip "this kernel has no test module"
	rmmod memorizer_testmod 2> /dev/null || true
	# the earlier suites' freed objects: hundreds of thousands of lines
	# that each whole-kmap read below would scan
	echo 1 > $MZ/clear_dead_objects
	# mode 3: this shell and its children (insmod, the poke), so that the
	# rest of the system does not fill the pool with counter records
	echo 3 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_live_enabled
	echo 1 > $MZ/log_accesses_enabled
	insmod $KO &
	echo $! > /tmp/mod.insmod
	wait $!
	grep -E '\[memorizer_testmod\]$' /proc/kallsyms | tr -d '\t' |
		sed 's/\[memorizer_testmod\]$//' | sort > /tmp/mod.syms
	sed 's/^0x//' /sys/module/memorizer_testmod/sections/.text > /tmp/mod.text
	bash -c "echo \$\$ > /tmp/mod.pid; echo $POKES > /sys/module/memorizer_testmod/parameters/poke"
	echo 0 > $MZ/log_accesses_enabled
	modkmap "$(cat /tmp/mod.pid)" > /tmp/mod.loaded
	grep -F '[memorizer_testmod]' /proc/kallsyms > /tmp/mod.kallsyms
	echo "/tmp/mod.loaded /tmp/mod.kallsyms" > /tmp/mz-modcheck
	rmmod memorizer_testmod
	modkmap > /tmp/mod.unloaded
}

teardown_file() {
	retire_default
	echo 0 > $MZ/log_live_enabled
	echo 0 > $MZ/log_accesses_enabled
	echo 0 > $MZ/memorizer_enabled
	rmmod memorizer_testmod 2> /dev/null || true
	# the host's check copies mod.loaded and mod.kallsyms afterwards
	rm -f /tmp/mod.unloaded /tmp/mod.again
}

@test "the module's memory is a VMALLOC object of insmod, live while loaded" {
	text=$(cat /tmp/mod.text)
	line=$(kmap_line /tmp/mod.loaded "$text" VMALLOC)
	echo "# $line"
	[ -n "$line" ]
	[ "$(field "$line" 2)" = "$(cat /tmp/mod.insmod)" ]
	[ "$(field "$line" 6)" = 0 ]
	# the globals lie inside it
	[ $((16#$(sym mzt_counts) - 16#$text)) -lt "$(field "$line" 4)" ]
}

@test "a module global is an object, and its writes are exact" {
	va=$(sym mzt_counts)
	line=$(kmap_line /tmp/mod.loaded "$va" GLOBAL)
	echo "# $line"
	[ "$(field "$line" 4)" = 16 ]
	[ "$(field "$line" 6)" = 0 ]
	read -r w r < <(accesses /tmp/mod.loaded "$line" | in_fn mzt_touch | sum_rw "$(cat /tmp/mod.pid)")
	echo "# writes $w reads $r"
	[ "$w" = $POKES ] && [ "$r" = 0 ]
}

@test "a module's read-only global is an object, and its reads are exact" {
	va=$(sym mzt_table)
	line=$(kmap_line /tmp/mod.loaded "$va" GLOBAL)
	echo "# $line"
	[ "$(field "$line" 4)" = 64 ]
	read -r w r < <(accesses /tmp/mod.loaded "$line" | in_fn mzt_touch | sum_rw "$(cat /tmp/mod.pid)")
	echo "# writes $w reads $r"
	[ "$w" = 0 ] && [ "$r" = $POKES ]
}

@test "the module's kmalloc has its call site, and its writes are exact" {
	pid=$(cat /tmp/mod.pid)
	line=$(awk -F, -v p="$pid" '!/^ / && $2 == p && $4 == 232 && $8 == "KMALLOC"' /tmp/mod.loaded |
		in_fn mzt_poke)
	echo "# $line"
	[ -n "$line" ] && [ "$(echo "$line" | wc -l)" = 1 ]
	echo "$(field "$line" 7)" | in_fn mzt_poke | grep -q .
	read -r w r < <(accesses /tmp/mod.loaded "$line" | in_fn mzt_touch | sum_rw "$pid")
	echo "# writes $w reads $r"
	[ "$w" = $POKES ] && [ "$r" = 0 ]
}

@test "no access of the poke is charged to a catch-all or the module's memory" {
	pid=$(cat /tmp/mod.pid)
	# catch-all objects have alloc_ip 0 or their type's number
	n=$(awk -F, '!/^ / { on = (length($1) <= 2) } on && /^ /' /tmp/mod.loaded |
		in_fn mzt_touch | awk -F, -v p="$pid" '$4 == p' | wc -l)
	[ "$n" = 0 ]
	n=$(accesses /tmp/mod.loaded "$(kmap_line /tmp/mod.loaded "$(cat /tmp/mod.text)" VMALLOC)" |
		in_fn mzt_touch | wc -l)
	[ "$n" = 0 ]
}

@test "unloading frees the module's memory and its globals, at the free's call site" {
	text=$(cat /tmp/mod.text)
	area=$(kmap_line /tmp/mod.unloaded "$text" VMALLOC)
	echo "# $area"
	[ "$(field "$area" 6)" != 0 ]
	fip=$(field "$area" 7)
	[ "$fip" != 0 ] && [ "$fip" != deadbeef ]
	for g in mzt_counts mzt_table; do
		line=$(kmap_line /tmp/mod.unloaded "$(sym $g)" GLOBAL)
		echo "# $line"
		[ "$(field "$line" 6)" != 0 ]
		[ "$(field "$line" 6)" -le "$(field "$area" 6)" ]
		[ "$(field "$line" 7)" = "$fip" ]
	done
}

@test "a second load is recorded afresh, and the first one's record stays" {
	echo 3 > $MZ/memorizer_enabled
	insmod $KO
	text=$(sed 's/^0x//' /sys/module/memorizer_testmod/sections/.text)
	rmmod memorizer_testmod
	modkmap > /tmp/mod.again
	line=$(kmap_line /tmp/mod.again "$text" VMALLOC)
	echo "# $line"
	[ -n "$line" ] && [ "$(field "$line" 6)" != 0 ]
	# the first load's globals are still there, freed, once each
	for g in mzt_counts mzt_table; do
		first=$(kmap_line /tmp/mod.unloaded "$(sym $g)" GLOBAL)
		n=$(grep -c -F -x "$first" /tmp/mod.again)
		[ "$n" = 1 ]
	done
	# nothing in module space (above the kernel image, below the fixmap)
	# was taken over unseen (free_ip deadbeef)
	n=$(awk -F, '!/^ / && $3 >= "ffffffffa0000000" && $3 < "ffffffffff000000" &&
		$7 == "deadbeef"' /tmp/mod.again | wc -l)
	[ "$n" = 0 ]
}
