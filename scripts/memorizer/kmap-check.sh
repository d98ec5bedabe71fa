#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The end-to-end kmap check, host half: analyse a kmap taken off the guest
# with kmaptool.  Prints one "ok - host: ..." or "not ok - host: ..." line
# per check (the boot test counts them) and exits non-zero if any failed.
#
# usage: kmap-check.sh KMAP KALLSYMS COMM1 COMM2

set -u
here=$(cd "$(dirname "$0")" && pwd)
kt=$here/kmaptool/kmaptool
kmap=$1 syms=$2 a=$3 b=$4
fail=0

check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok - host: $what"
	else
		echo "not ok - host: $what"
		fail=1
	fi
}

# total COMM1 COMM2: "SHARED UNION" from kmaptool share's total line.
total() {
	"$kt" share --pd1 "comm:$1" --pd2 "comm:$2" "$kmap" |
		sed -n 's|^RSI total: [0-9.]* (\([0-9]*\)/\([0-9]*\))$|\1 \2|p'
}

parses() {
	local objs lines
	"$kt" summary -s "$syms" "$kmap" > "$kmap.summary" 2> "$kmap.err" || {
		cat "$kmap.err"
		return 1
	}
	[ ! -s "$kmap.err" ] || return 1
	objs=$(sed -n 's/^objects: \([0-9]*\).*/\1/p' "$kmap.summary")
	lines=$(grep -c -v '^ ' "$kmap")
	[ "$lines" -gt 1000 ] && [ "$objs" = "$lines" ] ||
		{ echo "# summary counts $objs objects, the kmap has $lines"; return 1; }
}

share_sane() {
	local aa bb ab
	read -r -a aa < <(total "$a" "$a")
	read -r -a bb < <(total "$b" "$b")
	read -r -a ab < <(total "$a" "$b")
	echo "# share: |$a| = ${aa[1]:-?}, |$b| = ${bb[1]:-?}, shared ${ab[0]:-?} of ${ab[1]:-?}"
	[ ${#aa[@]} = 2 ] && [ ${#bb[@]} = 2 ] && [ ${#ab[@]} = 2 ] || return 1
	# each process holds objects, and shares all of them with itself
	[ "${aa[1]}" -gt 0 ] && [ "${aa[0]}" = "${aa[1]}" ] || return 1
	[ "${bb[1]}" -gt 0 ] && [ "${bb[0]}" = "${bb[1]}" ] || return 1
	# |A u B| = |A| + |B| - |A n B|, and the index lies in [0, 1]
	[ "${ab[1]}" -eq $((aa[1] + bb[1] - ab[0])) ] && [ "${ab[0]}" -le "${ab[1]}" ] || return 1
	# with accesses recorded, one reading what the other wrote shares objects
	! grep -q '^  ' "$kmap" || [ "${ab[0]}" -gt 0 ]
}

# metrics PD1 PD2: "MO FR" from kmaptool metrics, if its output has
# OSmosis's form (six RSI lines, the five non-memory types 0, then FR)
metrics() {
	"$kt" metrics "$1" "$2" "$kmap" | awk '
		NR <= 6 { split("VMR MO VCPU PCPU FILE BLOCK", t, " ")
			  if ($1 != "RSI" || $2 != t[NR] ":") bad = 1
			  if (NR == 2) mo = $3; else if ($3 != "0") bad = 1 }
		NR == 7 { if ($1 != "FR:") bad = 1; fr = $2 }
		END { if (NR == 7 && !bad) print mo, fr }'
}

metrics_sane() {
	local ab aa ka
	read -r -a ab < <(metrics "$a" "$b")
	read -r -a aa < <(metrics "$a" "$a")
	read -r -a ka < <(metrics PD_KERNEL "$b")
	echo "# metrics $a $b: RSI MO ${ab[0]:-?}, FR ${ab[1]:-?}"
	[ ${#ab[@]} = 2 ] && [ ${#aa[@]} = 2 ] && [ ${#ka[@]} = 2 ] || return 1
	# a PD shares all of its pages with itself and meets itself at once
	[ "${aa[0]}" = 1.0 ] && [ "${aa[1]}" = 0 ] || return 1
	# the kernel PD reaches spaces, no object, and is every pid's owner
	[ "${ka[0]}" = 0.0 ] && [ "${ka[1]}" = 0 ] || return 1
	# two processes depend on the kernel: FR 1; the index is in [0, 1]
	[ "${ab[1]}" = 1 ] || return 1
	awk -v r="${ab[0]}" 'BEGIN { exit !(r >= 0 && r <= 1) }' || return 1
	# with accesses recorded, one reading what the other wrote shares pages
	! grep -q '^  ' "$kmap" || awk -v r="${ab[0]}" 'BEGIN { exit !(r > 0) }'
}

make -s -C "$here/kmaptool" kmaptool > /dev/null || { echo "not ok - host: kmaptool builds"; exit 1; }
check "the guest's kmap parses with zero errors, every object counted" parses
check "share between $a and $b is consistent" share_sane
check "OSmosis metrics between $a and $b are sane (RSI MO in [0, 1], FR 1)" metrics_sane
exit $fail
