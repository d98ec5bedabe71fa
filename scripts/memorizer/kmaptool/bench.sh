#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark: `kmaptool summary`, `modelstate` and `share` against `wc -l`
# on the same generated kmap (default 1 GiB), page cache warm.  Prints the
# times, the ratios to wc -l, MB/s and peak RSS (from /usr/bin/time -v),
# summary also with one thread, and the peak RSS on a file a quarter the
# size (memory must not grow with the input); and, for scale, what cp of
# modelstate's output files alone takes (the page cache's cost of writing
# those bytes, which modelstate pays too).  The files go to $TMPDIR
# (default /tmp) and are removed.
#
# On a shared machine the load comes and goes within seconds, so the
# commands run in turns, ROUNDS times (default 5), and each one's best
# time counts: wc -l and kmaptool see the same moments of load, and both
# read the file from the page cache.  modelstate's files of the turn
# before are removed before it is timed, so that each turn writes new
# files and no turn pays for dropping the last one's page cache.
#
# Usage: bench.sh [SIZE_BYTES [ROUNDS]]

set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
KT=$here/kmaptool
GEN=$here/tests/genkmap
size=${1:-1073741824}
rounds=${2:-5}
f=$(mktemp "${TMPDIR:-/tmp}/kmaptool-bench.XXXXXX")
trap 'rm -f "$f" "$f".time "$f".q "$f".ms*.csv "$f.out" "$f.copy"' EXIT

[ -x "$KT" ] && [ -x "$GEN" ] || { echo "build first: make -C $here"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (make deps)"; exit 1; }

echo "bench: generating $((size >> 20)) MiB kmap in $f"
"$GEN" -b "$size" > "$f"
bytes=$(stat -c %s "$f")
lines=$(wc -l < "$f")	# also brings the file into the page cache

declare -A best rss
# One timed run of "$@" as NAME: keeps its best wall time, largest RSS.
run() {
	local name=$1 t0 t1 t r
	shift
	rm -f "$f".ms*.csv
	t0=$(date +%s.%N)
	/usr/bin/time -v -o "$f.time" "$@" > /dev/null
	t1=$(date +%s.%N)
	t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	r=$(sed -n 's/^\tMaximum resident set size (kbytes): //p' "$f.time")
	[ "${rss[$name]:-0}" -ge "$r" ] || rss[$name]=$r
	if [ -z "${best[$name]:-}" ] ||
	   awk -v a="$t" -v b="${best[$name]}" 'BEGIN { exit !(a < b) }'; then
		best[$name]=$t
	fi
}

for ((i = 0; i < rounds; i++)); do
	run wc wc -l "$f"
	run sum "$KT" summary "$f"
	run one env KMAPTOOL_THREADS=1 "$KT" summary "$f"
	run ms "$KT" modelstate -o "$f.ms" "$f"
	run share "$KT" share --pd1 comm:bash --pd2 comm:sshd "$f"
done
"$KT" modelstate -o "$f.ms" "$f"
out=$(cat "$f".ms*.csv | wc -c)
# What writing modelstate's bytes costs by itself on this machine: cat of
# its files (in the page cache) to one new file, in turns with wc -l.
cat "$f".ms*.csv > "$f.out"
for ((i = 0; i < rounds; i++)); do
	rm -f "$f.copy"
	run wc wc -l "$f"
	run copy cp "$f.out" "$f.copy"
done
rm -f "$f".ms*.csv "$f.out" "$f.copy"
# memory flat in file size: the same on a quarter of the file
"$GEN" -b $((size / 4)) > "$f.q"
for ((i = 0; i < 2; i++)); do
	run sumq "$KT" summary "$f.q"
	run msq "$KT" modelstate -o "$f.ms" "$f.q"
	run shareq "$KT" share --pd1 comm:bash --pd2 comm:sshd "$f.q"
done
rm -f "$f.q" "$f".ms*.csv

awk -v b="$bytes" -v l="$lines" -v n="$rounds" -v w="${best[wc]}" -v rw="${rss[wc]}" \
    -v s="${best[sum]}" -v rs="${rss[sum]}" -v rsq="${rss[sumq]}" \
    -v o="${best[one]}" -v ro="${rss[one]}" \
    -v m="${best[ms]}" -v rm="${rss[ms]}" -v rmq="${rss[msq]}" -v out="$out" \
    -v h="${best[share]}" -v rh="${rss[share]}" -v rhq="${rss[shareq]}" \
    -v cp="${best[copy]}" 'BEGIN {
	mb = b / 1048576
	printf "file:                   %.0f MiB, %d lines; best of %d turns each\n", mb, l, n
	printf "wc -l:                  %.3f s  (%.0f MiB/s), peak RSS %.1f MiB\n", w, mb / w, rw / 1024
	printf "kmaptool summary:       %.3f s  (%.0f MiB/s), peak RSS %.1f MiB (%.1f MiB on 1/4 of it)\n", s, mb / s, rs / 1024, rsq / 1024
	printf "  one thread:           %.3f s  (%.0f MiB/s), peak RSS %.1f MiB\n", o, mb / o, ro / 1024
	printf "kmaptool modelstate:    %.3f s  (%.0f MiB/s), peak RSS %.1f MiB (%.1f MiB on 1/4 of it), writes %.0f MiB\n", m, mb / m, rm / 1024, rmq / 1024, out / 1048576
	printf "kmaptool share:         %.3f s  (%.0f MiB/s), peak RSS %.1f MiB (%.1f MiB on 1/4 of it)\n", h, mb / h, rh / 1024, rhq / 1024
	printf "ratio summary/wc -l:    %.1fx (one thread %.1fx; target 3x)\n", s / w, o / w
	printf "ratio modelstate/wc -l: %.1fx (target 10x)\n", m / w
	printf "  cp of its %.0f MiB alone: %.1fx (%.3f s)\n", out / 1048576, cp / w, cp
	printf "ratio share/wc -l:      %.1fx\n", h / w
}'
