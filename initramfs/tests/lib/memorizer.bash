# SPDX-License-Identifier: GPL-2.0
# Helpers for Memorizer's guest suites.

MZ=/sys/kernel/debug/memorizer

# Sorted text symbols, made once per boot.
mz_syms() {
	[ -s /tmp/ksyms.sorted ] ||
		grep -E ' [tT] ' /proc/kallsyms | sort > /tmp/ksyms.sorted
	echo /tmp/ksyms.sorted
}

# ip_in_fn HEXIP FUNCTION: true if the address lies inside FUNCTION.
ip_in_fn() {
	local ip=$((16#$1)) start next
	read -r start next <<< "$(grep -A1 -E " [tT] $2\$" "$(mz_syms)" | cut -d' ' -f1 | tr '\n' ' ')"
	[ -n "$start" ] && [ -n "$next" ] || return 1
	# Kernel addresses are all negative as signed 64-bit: order holds.
	[ "$ip" -ge $((16#$start)) ] && [ "$ip" -lt $((16#$next)) ]
}

# kmap_line FILE VA TYPE [FIRST LAST]: the newest line for an object at VA
# of TYPE, allocated with an index in [FIRST, LAST] when given.
kmap_line() {
	awk -F, -v va="$2" -v t="$3" -v lo="${4:-0}" -v hi="${5:-}" \
		'$3 == va && $8 == t && $5 >= lo && (hi == "" || $5 <= hi)' "$1" |
		sort -t, -k5,5n | tail -n 1
}

# Field N (1-based) of a comma-separated line.
field() {
	echo "$1" | cut -d, -f"$2"
}

# stat_of NAME [FILE]: a counter from stats (or from a saved copy of it).
stat_of() {
	awk -v k="$1:" '$1 == k { print $2 }' "${2:-$MZ/stats}"
}

# mz_select FIRST LAST [INDEX...] < kmap: the objects (with their indented
# lines) allocated with an index in [FIRST, LAST] or one of the INDEXes.
# Suites cut the boot's whole kmap down once instead of scanning it often.
mz_select() {
	awk -F, -v lo="$1" -v hi="$2" -v want="${*:3}" '
		BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) keep[w[i]] = 1 }
		/^ / { if (on) print; next }
		{ on = ($5 >= lo && $5 <= hi) || ($5 in keep); if (on) print }'
}

# only_in A B: the lines of file A that are not in file B (busybox has no comm).
only_in() {
	awk 'NR == FNR { b[$0] = 1; next } !($0 in b)' "$2" "$1"
}

# in_both A B: the lines of file A that are also in file B.
in_both() {
	awk 'NR == FNR { b[$0] = 1; next } $0 in b' "$2" "$1"
}

# keep_exited / retire_default: a suite that reads the lines of processes
# after they exit keeps them from being retired into their command's
# aggregate (retire_threshold 100: only when the pool is full), then
# restores the default.
keep_exited() {
	echo 100 > $MZ/retire_threshold
}

retire_default() {
	echo 50 > $MZ/retire_threshold
}
