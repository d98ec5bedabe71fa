#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark: `kmaptool summary` and `kmaptool modelstate` against `wc -l`
# on the same generated kmap (default 1 GiB), page cache warm, best of 3
# runs each.  Prints the times, the ratios to wc -l, MB/s and peak RSS
# (from /usr/bin/time -v), summary also with one thread, and the peak RSS
# on a file a quarter the size (memory must not grow with the input).  The
# files go to $TMPDIR (default /tmp) and are removed.
#
# Usage: bench.sh [SIZE_BYTES]

set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
KT=$here/kmaptool
GEN=$here/tests/genkmap
size=${1:-1073741824}
f=$(mktemp "${TMPDIR:-/tmp}/kmaptool-bench.XXXXXX")
trap 'rm -f "$f" "$f.time" "$f.q" "$f".ms*.csv' EXIT

[ -x "$KT" ] && [ -x "$GEN" ] || { echo "build first: make -C $here"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (make deps)"; exit 1; }

echo "bench: generating $((size >> 20)) MiB kmap in $f"
"$GEN" -b "$size" > "$f"
bytes=$(stat -c %s "$f")
cat "$f" > /dev/null	# both commands read from the page cache

# "SECONDS PEAK_RSS_KB": best wall time of 3 runs of "$@", largest RSS
best() {
	local b= t t0 t1 r rss=0
	for _ in 1 2 3; do
		t0=$(date +%s.%N)
		/usr/bin/time -v -o "$f.time" "$@" > /dev/null
		t1=$(date +%s.%N)
		t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
		r=$(sed -n 's/^\tMaximum resident set size (kbytes): //p' "$f.time")
		[ "$r" -gt "$rss" ] && rss=$r
		if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN { exit !(a < b) }'; then b=$t; fi
	done
	echo "$b $rss"
}

lines=$(wc -l < "$f")
read -r t_wc rss_wc < <(best wc -l "$f")
read -r t_sum rss_sum < <(best "$KT" summary "$f")
read -r t_one rss_one < <(KMAPTOOL_THREADS=1 best "$KT" summary "$f")
read -r t_ms rss_ms < <(best "$KT" modelstate -o "$f.ms" "$f")
out=$(cat "$f".ms*.csv | wc -c)
rm -f "$f".ms*.csv
# memory flat in file size: the same on a quarter of the file
"$GEN" -b $((size / 4)) > "$f.q"
read -r _ rss_sumq < <(best "$KT" summary "$f.q")
read -r _ rss_msq < <(best "$KT" modelstate -o "$f.ms" "$f.q")
rm -f "$f.q" "$f".ms*.csv

awk -v b="$bytes" -v l="$lines" -v w="$t_wc" -v s="$t_sum" -v o="$t_one" \
    -v rw="$rss_wc" -v rs="$rss_sum" -v ro="$rss_one" -v m="$t_ms" -v rm="$rss_ms" \
    -v out="$out" -v rsq="$rss_sumq" -v rmq="$rss_msq" 'BEGIN {
	mb = b / 1048576
	printf "file:                   %.0f MiB, %d lines\n", mb, l
	printf "wc -l:                  %.3f s  (%.0f MiB/s), peak RSS %.1f MiB\n", w, mb / w, rw / 1024
	printf "kmaptool summary:       %.3f s  (%.0f MiB/s), peak RSS %.1f MiB (%.1f MiB on 1/4 of it)\n", s, mb / s, rs / 1024, rsq / 1024
	printf "  one thread:           %.3f s  (%.0f MiB/s), peak RSS %.1f MiB\n", o, mb / o, ro / 1024
	printf "kmaptool modelstate:    %.3f s  (%.0f MiB/s), peak RSS %.1f MiB (%.1f MiB on 1/4 of it), writes %.0f MiB\n", m, mb / m, rm / 1024, rmq / 1024, out / 1048576
	printf "ratio summary/wc -l:    %.1fx (one thread %.1fx; target 3x)\n", s / w, o / w
	printf "ratio modelstate/wc -l: %.1fx (target 10x)\n", m / w
}'
