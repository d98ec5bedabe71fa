#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kmaptool host tests.  Two kinds:
#  - cases/NAME/: cmd (run in data/ with kt = kmaptool, $T a scratch
#    directory), out (exact stdout), err (exact stderr; absent: empty),
#    rc (exit status; absent: 0).  Every case runs with parser threads
#    (KMAPTOOL_THREADS=4) and without (=1): both must give the same answer.
#  - the checks below: pandas, OSmosis's readers and metrics rules
#    (tests/osmosis.py), streaming a generated multi-million-line kmap,
#    addr2line, Graphviz, help and the man page, the layering of the files.
#  - with KMAPTOOL_SAN naming a sanitizer build (make test does), every
#    case again under AddressSanitizer, UBSan and LeakSanitizer, and the
#    subcommands on a generated kmap: any report fails.
# Ends with "N passed, M failed"; exits non-zero if any failed.

set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
KT=$top/kmaptool
GEN=$here/genkmap
DATA=$here/data
PY=/usr/bin/python3	# Debian's, which has python3-pandas (not a venv's)
T=$(mktemp -d "${TMPDIR:-/tmp}/kmaptool-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export T
passed=0 failed=0

kt() { "$KT" "$@"; }
export -f kt
export KT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
notok() {
	echo "not ok - $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/#   /' | head -n 40
	failed=$((failed + 1))
}

[ -x "$KT" ] && [ -x "$GEN" ] || { echo "build first: make -C $top"; exit 1; }

# ---- data-driven cases ----------------------------------------------------

run_case() {	# CASE_DIR THREADS: results in $T/out, $T/err, $T/rc
	local dir=$1 mode=$2
	(cd "$DATA" && T=$T/work KMAPTOOL_THREADS=$mode bash -c "$(cat "$dir/cmd")") \
		> "$T/out" 2> "$T/err"
	echo $? > "$T/rc"
}

for dir in "$here"/cases/*/; do
	dir=${dir%/}
	name=$(basename "$dir")
	want_rc=0
	[ -f "$dir/rc" ] && want_rc=$(cat "$dir/rc")
	why=()
	for mode in 4 1; do
		rm -rf "$T/work"; mkdir -p "$T/work"
		run_case "$dir" $mode
		got_rc=$(cat "$T/rc")
		if ! cmp -s "$T/out" "$dir/out"; then
			why+=("stdout differs (threads $mode):" "$(diff "$dir/out" "$T/out" | head -n 20)")
		fi
		if [ -f "$dir/err" ]; then
			cmp -s "$T/err" "$dir/err" ||
				why+=("stderr differs (threads $mode):" "$(diff "$dir/err" "$T/err")")
		elif [ -s "$T/err" ]; then
			why+=("unexpected stderr (threads $mode):" "$(head -n 5 "$T/err")")
		fi
		[ "$got_rc" = "$want_rc" ] ||
			why+=("exit status $got_rc, expected $want_rc (threads $mode)")
	done
	if [ ${#why[@]} -eq 0 ]; then ok "$name"; else notok "$name" "${why[@]}"; fi
done

# ---- help and man page ----------------------------------------------------

out=$("$KT" --help) && grep -q '^Usage: kmaptool SUBCOMMAND' <<< "$out" &&
	ok "help: kmaptool --help" || notok "help: kmaptool --help"
for sub in summary filter csv modelstate share metrics dot; do
	out=$("$KT" $sub --help 2>&1); rc=$?
	if [ $rc -eq 0 ] && grep -q "^Usage: kmaptool $sub " <<< "$out" &&
	   grep -q -- '--symbols' <<< "$out"; then
		ok "help: kmaptool $sub --help"
	else
		notok "help: kmaptool $sub --help" "exit $rc" "$out"
	fi
done
out=$("$KT" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q '^Usage:' <<< "$out" && ok "help: no subcommand is a usage error (2)" ||
	notok "help: no subcommand is a usage error (2)" "exit $rc"

warn=$(groff -man -Tutf8 -ww -z "$top/kmaptool.1" 2>&1)
missing=()
for sub in summary filter csv modelstate share metrics dot; do
	grep -q "^\.SS $sub\$" "$top/kmaptool.1" || missing+=("$sub")
done
if [ -z "$warn" ] && [ ${#missing[@]} -eq 0 ] && man -l "$top/kmaptool.1" > /dev/null 2>&1; then
	ok "man page renders and documents every subcommand"
else
	notok "man page renders and documents every subcommand" "$warn" "missing: ${missing[*]}"
fi

# ---- pandas ---------------------------------------------------------------

if ! "$PY" -c 'import pandas' 2> /dev/null; then
	notok "pandas available (run make deps)"
else
	# the model line of summary: the 7 counts
	model_counts() {
		"$KT" summary "$@" | sed -n 's/^model: \([0-9]*\) PD nodes, \([0-9]*\) RESOURCE nodes, \([0-9]*\) RESOURCE_SPACE nodes, \([0-9]*\) HOLD edges, \([0-9]*\) SUBSET edges, \([0-9]*\) MAP edges, \([0-9]*\) REQUEST edges$/\1 \2 \3 \4 \5 \6 \7/p'
	}
	# modelstate's files read as OSmosis's readers read them, counts
	# checked against summary (tests/osmosis.py check)
	check_pandas_modelstate() {	# NAME KMAP...
		local name=$1; shift
		local want res
		want=$(model_counts "$@")
		"$KT" modelstate -o "$T/pm" "$@" || { notok "$name" "modelstate failed"; return; }
		res=$("$PY" "$here/osmosis.py" check "$T/pm" 2>&1)
		if [ "$res" = "$want" ] && [ -n "$want" ]; then
			ok "$name"
		else
			notok "$name" "summary: $want" "osmosis.py: $res"
		fi
	}
	# kmaptool metrics against metrics.py's rules run on modelstate's CSV
	check_metrics() {	# NAME KMAP PD1 PD2
		local name=$1 kmap=$2 a=$3 b=$4 want got
		"$KT" modelstate -o "$T/mm" "$kmap" || { notok "$name" "modelstate failed"; return; }
		want=$("$PY" "$here/osmosis.py" metrics "$T/mm.csv" "$a" "$b" 2>&1)
		got=$("$KT" metrics "$a" "$b" "$kmap" 2>&1)
		[ "$got" = "$want" ] && ok "$name" || notok "$name" "osmosis.py: $want" "kmaptool: $got"
	}
	for pair in "PD_10 PD_20" "PD_30 PD_40" "PD_10 PD_30" "PD_KERNEL PD_10" \
		    "PD_-9223372036854775808 PD_-9223372036854775807"; do
		check_metrics "osmosis: metrics of metrics.kmap $pair as metrics.py's rules give" \
			"$DATA/metrics.kmap" $pair
	done
	check_metrics "osmosis: metrics of basic.kmap PD_100 PD_200 as metrics.py's rules give" \
		"$DATA/basic.kmap" PD_100 PD_200
	# the PDs of exited tasks (access_pid -2), one per command
	for pair in "PD_exited:mzchurn PD_200" "PD_exited:a,b PD_exited:mzchurn" \
		    "PD_-2 PD_exited:" "PD_KERNEL PD_exited:a,b"; do
		check_metrics "osmosis: metrics of exited.kmap $pair as metrics.py's rules give" \
			"$DATA/exited.kmap" $pair
	done
	check_pandas_modelstate "pandas: modelstate of exited.kmap loads, counts match summary" \
		"$DATA/exited.kmap"
	check_pandas_modelstate "pandas: modelstate of basic.kmap loads, counts match summary" \
		"$DATA/basic.kmap"
	check_pandas_modelstate "pandas: modelstate of the CSV pair loads, counts match summary" \
		"$DATA/basic_allocations.csv" "$DATA/basic_accesses.csv"

	"$KT" csv -s "$DATA/System.map" -o "$T/pc" "$DATA/basic.kmap" "$DATA/comma.kmap" 2> /dev/null
	# (two kmaps in one run: objects of both)
	res=$("$PY" - "$T/pc" <<-'EOF' 2>&1
		import sys, pandas as pd
		p = sys.argv[1]
		a = pd.read_csv(p + "_allocations.csv", keep_default_na=False)
		c = pd.read_csv(p + "_accesses.csv", keep_default_na=False)
		assert len(a.columns) == 15 and len(c.columns) == 8
		assert len(a) == 8 and len(c) == 8, (len(a), len(c))
		assert list(c.access_command) == [""] * 8, list(c.access_command)
		assert list(a.command) == ["bash", "ls", "bash", "ls", "hardirq", "", "a,b", '"q"'], list(a.command)
		assert a["size"].sum() == 4352 + 32
		assert c.read_count.sum() == 26 + 2 and c.write_count.sum() == 11 + 1
		j = c.merge(a, on=["obj_va_ptr", "alloc_index"])
		assert len(j) == 8
		assert set(c.access_sym) == {"do_sys_open+0x5", "strncpy_from_user+0x10",
		                             "do_sys_open+0x100", "_stext+0x0"}
		print("fine")
	EOF
	)
	[ "$res" = fine ] && ok "pandas: csv output loads, joins and keeps quoted commands" ||
		notok "pandas: csv output loads, joins and keeps quoted commands" "$res"

	"$KT" csv -o "$T/pe" "$DATA/exited.kmap"
	res=$("$PY" - "$T/pe" <<-'EOF' 2>&1
		import sys, pandas as pd
		c = pd.read_csv(sys.argv[1] + "_accesses.csv", keep_default_na=False)
		assert list(c.columns[5:7]) == ["access_pid", "access_command"], list(c.columns)
		ex = c[c.access_pid == -2]
		assert list(ex.access_command) == ["mzchurn", "a,b", "mzchurn", "", "a,b", "mzchurn"], \
			list(ex.access_command)
		assert set(c[c.access_pid != -2].access_command) == {""}
		assert ex.groupby("access_command").write_count.sum().to_dict() == \
			{"": 0, "a,b": 2, "mzchurn": 3006}
		print("fine")
	EOF
	)
	[ "$res" = fine ] && ok "pandas: csv access_command column holds the exited tasks' commands" ||
		notok "pandas: csv access_command column holds the exited tasks' commands" "$res"
fi

# ---- the fast line decoders against the general ones ---------------------

# CRLF line ends make every access line go field by field, and a CSV pair
# goes through the CSV reader: the whole summary must not change.
sed 's/$/\r/' "$DATA/widths.kmap" > "$T/widths.crlf"
"$KT" csv -o "$T/wc" "$DATA/widths.kmap"
for n in 1 4; do
	KMAPTOOL_THREADS=$n "$KT" summary "$DATA/widths.kmap" > "$T/w.fast"
	KMAPTOOL_THREADS=$n "$KT" summary "$T/widths.crlf" > "$T/w.crlf"
	KMAPTOOL_THREADS=$n "$KT" summary "$T/wc_allocations.csv" "$T/wc_accesses.csv" > "$T/w.csv"
	if cmp -s "$T/w.fast" "$T/w.crlf" && cmp -s "$T/w.fast" "$T/w.csv"; then
		ok "decoders: widths.kmap summarizes the same with CRLF ends and as CSV ($n thread(s))"
	else
		notok "decoders: widths.kmap summarizes the same with CRLF ends and as CSV ($n thread(s))" \
			"$(diff "$T/w.crlf" "$T/w.fast" | head)" "$(diff "$T/w.csv" "$T/w.fast" | head)"
	fi
done
rm -f "$T"/wc_*.csv

# ---- streaming a generated multi-million-line kmap ------------------------

lines=3000000
"$GEN" -l $lines -s 7 -t "$T/totals" > "$T/big.kmap"
size_kb=$(( $(stat -c %s "$T/big.kmap") / 1024 ))
want=$(head -n 2 "$T/totals")
nlines=$(sed -n 's/^lines: //p' "$T/totals")

check_stream() {	# NAME COMMAND...
	local name=$1; shift
	local rss got
	/usr/bin/time -f '%M' -o "$T/rss" "$@" > "$T/sum.out" 2> "$T/sum.err"
	rss=$(tail -n 1 "$T/rss")
	got=$(head -n 2 "$T/sum.out")
	# bounded: well under the input's size, and under a fixed ceiling
	if [ "$got" = "$want" ] && [ "$rss" -lt 100000 ] && [ "$rss" -lt $((size_kb / 2)) ]; then
		ok "$name (${nlines} lines, $((size_kb / 1024)) MB, peak RSS $((rss / 1024)) MB)"
	else
		notok "$name" "want: $want" "got:  $got" "peak RSS ${rss} KB for ${size_kb} KB of input" \
			"$(head -n 3 "$T/sum.err")"
	fi
}
check_stream "stream: summary of a generated kmap, mapped file" "$KT" summary "$T/big.kmap"
cp "$T/sum.out" "$T/sum.file"
check_stream "stream: summary of a generated kmap, through a pipe" \
	bash -c "cat '$T/big.kmap' | '$KT' summary"
cmp -s "$T/sum.out" "$T/sum.file" && ok "stream: pipe and mapped file give the same summary" ||
	notok "stream: pipe and mapped file give the same summary" "$(diff "$T/sum.file" "$T/sum.out" | head)"
for n in 1 3; do
	KMAPTOOL_THREADS=$n "$KT" summary "$T/big.kmap" > "$T/sum.$n"
	cmp -s "$T/sum.$n" "$T/sum.file" && ok "stream: $n thread(s) give the same summary" ||
		notok "stream: $n thread(s) give the same summary" "$(diff "$T/sum.file" "$T/sum.$n" | head)"
done

"$KT" csv -o "$T/bc" "$T/big.kmap" &&
	"$KT" summary "$T/bc_allocations.csv" "$T/bc_accesses.csv" > "$T/sum.csv" &&
	cmp -s "$T/sum.csv" "$T/sum.file" && ok "stream: csv pair of the generated kmap summarizes the same" ||
	notok "stream: csv pair of the generated kmap summarizes the same" "$(diff "$T/sum.file" "$T/sum.csv" | head)"
rm -f "$T"/bc_*.csv

if "$PY" -c 'import pandas' 2> /dev/null; then
	check_pandas_modelstate "pandas: modelstate of the generated kmap loads, counts match summary" \
		"$T/big.kmap"
	rm -f "$T"/pm*.csv
	"$GEN" -l 200000 -s 11 > "$T/mid.kmap"
	# an allocator and another pid that accessed its object: they share
	read -r p1 p2 < <(awk -F, '!/^ / { a = $2 } /^ / && $4 != a { print "PD_" a, "PD_" $4; exit }' \
			  "$T/mid.kmap")
	check_metrics "osmosis: metrics of a generated kmap ($p1$p2) as metrics.py's rules give" \
		"$T/mid.kmap" $p1 $p2
	rm -f "$T"/mm*.csv "$T/mid.kmap"
fi

# A bad line at the very end: the right line number, whichever way it is read.
{ cat "$T/big.kmap"; echo "  ffffffff81000000,1,2"; } > "$T/bad.kmap"
want_err="kmaptool: $T/bad.kmap:$((nlines + 1)): expected 4 comma-separated fields (an access line), found 3"
for mode in 4 1; do
	err=$(KMAPTOOL_THREADS=$mode "$KT" summary "$T/bad.kmap" 2>&1 > /dev/null); rc=$?
	[ $rc -eq 1 ] && [ "$err" = "$want_err" ] &&
		ok "stream: error on line $((nlines + 1)) reported exactly (threads $mode)" ||
		notok "stream: error on line $((nlines + 1)) reported exactly (threads $mode)" "exit $rc" "$err"
done
err=$("$KT" summary < "$T/bad.kmap" 2>&1 > /dev/null); rc=$?
[ $rc -eq 1 ] && [ "$err" = "${want_err/$T\/bad.kmap/<stdin>}" ] &&
	ok "stream: error on line $((nlines + 1)) reported exactly (stdin)" ||
	notok "stream: error on line $((nlines + 1)) reported exactly (stdin)" "exit $rc" "$err"
rm -f "$T/bad.kmap" "$T/big.kmap"

# ---- exited tasks' aggregates (access_pid -2) at scale ----------------------

# A generated kmap with every third access line an aggregate of one of two
# commands (one with a comma): the fast decoder, the threads and a pipe
# must agree, with each other and with awk's count of the objects each
# command's exited tasks touched.
exited_kmap() {	# the generator's kmap on stdin, to stdout
	awk -F, -v OFS=, '/^ / && NR % 3 == 0 { $4 = "-2," (NR % 2 ? "mz,churn" : "mzchurn") } 1'
}
"$GEN" -l 300000 -s 13 | exited_kmap > "$T/ex.kmap"
want=$(awk -F, '!/^ / { k = $3 "," $5 }
	/^ / && $4 == -2 { if ($5 == "mzchurn") a[k] = 1; else b[k] = 1 }
	END { for (k in a) { u++; s += (k in b) } for (k in b) u += !(k in a)
	      printf "RSI total: %.6f (%d/%d)\n", s / u, s, u }' "$T/ex.kmap")
for how in 4 1 pipe; do
	if [ $how = pipe ]; then
		got=$("$KT" share --pd1 exited:mzchurn --pd2 exited:mz,churn < "$T/ex.kmap" | tail -n 1)
		"$KT" summary < "$T/ex.kmap" > "$T/ex.$how"
	else
		got=$(KMAPTOOL_THREADS=$how "$KT" share --pd1 exited:mzchurn --pd2 exited:mz,churn \
			"$T/ex.kmap" | tail -n 1)
		KMAPTOOL_THREADS=$how "$KT" summary "$T/ex.kmap" > "$T/ex.$how"
	fi
	[ "$got" = "$want" ] && ok "exited: share of two commands' exited tasks as awk counts ($how)" ||
		notok "exited: share of two commands' exited tasks as awk counts ($how)" \
			"awk: $want" "kmaptool: $got"
done
cmp -s "$T/ex.4" "$T/ex.1" && cmp -s "$T/ex.4" "$T/ex.pipe" &&
	ok "exited: 4 threads, 1 and a pipe give the same summary" ||
	notok "exited: 4 threads, 1 and a pipe give the same summary" "$(diff "$T/ex.4" "$T/ex.1" | head)"
# 2 exited PDs more than the pids left once the aggregated lines are gone
pds() { sed -n 's/^model: \([0-9]*\) PD nodes.*/\1/p'; }
want=$(( $(grep -v ',-2,' "$T/ex.kmap" | "$KT" summary | pds) + 2 ))
got=$(pds < "$T/ex.4")
[ "$got" = "$want" ] && ok "exited: one PD per command's exited tasks ($got PD nodes)" ||
	notok "exited: one PD per command's exited tasks" "want $want, got $got"
"$KT" csv -o "$T/ec" "$T/ex.kmap" &&
	"$KT" summary "$T/ec_allocations.csv" "$T/ec_accesses.csv" > "$T/ex.csv" &&
	cmp -s "$T/ex.csv" "$T/ex.4" && ok "exited: csv pair of the kmap summarizes the same" ||
	notok "exited: csv pair of the kmap summarizes the same" "$(diff "$T/ex.4" "$T/ex.csv" | head)"
rm -f "$T"/ex.* "$T"/ec_*.csv

# ---- file:line through addr2line ------------------------------------------

cat > "$T/fixture.c" <<'EOF'
int g;

__attribute__((noinline)) int f_alloc(int x)
{
	return x + 1;
}

__attribute__((noinline)) int f_access(int x)
{
	g = x;
	return g * 2;
}

int main(void)
{
	return f_alloc(1) + f_access(2);
}
EOF
if gcc -g -O0 -no-pie -o "$T/fixture" "$T/fixture.c" 2> "$T/gcc.err"; then
	nm --defined-only "$T/fixture" > "$T/fixture.map"
	fa=$(awk '$3 == "f_alloc" { print $1 }' "$T/fixture.map")
	fb=$(awk '$3 == "f_access" { print $1 }' "$T/fixture.map")
	ipa=$(printf '%x' $((0x$fa + 4))); ipb=$(printf '%x' $((0x$fb + 8)))
	printf '%s,1,ffff888000001000,8,1,0,0,KMALLOC,t,kmalloc-8,\n  %s,1,1,1\n' "$ipa" "$ipb" > "$T/f.kmap"
	"$KT" csv -s "$T/fixture.map" --vmlinux "$T/fixture" -o "$T/fx" "$T/f.kmap"
	got_a=$(tail -n 1 "$T/fx_allocations.csv" | awk -F, '{ print $14, $16 }')
	got_b=$(tail -n 1 "$T/fx_accesses.csv" | awk -F, '{ print $8, $9 }')
	want_a="f_alloc+0x4 $(addr2line -e "$T/fixture" 0x$ipa | sed 's/ (discriminator.*//')"
	want_b="f_access+0x8 $(addr2line -e "$T/fixture" 0x$ipb | sed 's/ (discriminator.*//')"
	if [ "$got_a" = "$want_a" ] && [ "$got_b" = "$want_b" ] &&
	   [[ $got_a == *"/fixture.c:"[3-6] ]] && [[ $got_b == *"/fixture.c:"1[01] ]]; then
		ok "vmlinux: addr2line gives file:line next to function+0xoff"
	else
		notok "vmlinux: addr2line gives file:line next to function+0xoff" \
			"alloc: $got_a (want $want_a)" "access: $got_b (want $want_b)"
	fi
	hdr=$(head -n 1 "$T/fx_accesses.csv")
	[ "$hdr" = "obj_va_ptr,alloc_index,access_ip,write_count,read_count,access_pid,access_command,access_sym,access_src" ] &&
		ok "vmlinux: csv gains *_src columns" || notok "vmlinux: csv gains *_src columns" "$hdr"
else
	notok "vmlinux: build the fixture" "$(cat "$T/gcc.err")"
fi

# ---- Graphviz -------------------------------------------------------------

if command -v dot > /dev/null; then
	"$KT" dot -s "$DATA/System.map" "$DATA/basic.kmap" > "$T/g.dot" &&
		dot -Tsvg "$T/g.dot" > "$T/g.svg" 2> "$T/dot.err" && grep -q '<svg' "$T/g.svg" &&
		[ ! -s "$T/dot.err" ] && ok "dot: dot -Tsvg renders the graph" ||
		notok "dot: dot -Tsvg renders the graph" "$(cat "$T/dot.err")"
else
	notok "dot: dot -Tsvg renders the graph" "graphviz missing: run make deps"
fi

# ---- the boot test's host check on a generated kmap ----------------------------

# as the guest's: two processes, one reading what the other allocated
{
	"$GEN" -l 100000 -s 3
	for i in 1 2 3; do
		echo "ffffffff81000010,900001,ffff888100000${i}00,64,$((900000 + i)),0,0,KMALLOC,mzpd_alpha,kmalloc-64,"
		echo "  ffffffff81000020,0,1,900002"
	done
	echo "ffffffff81000010,900002,ffff888100000400,64,900004,0,0,KMALLOC,mzpd_beta,kmalloc-64,"
} > "$T/e2e.kmap"
out=$("$top/../kmap-check.sh" "$T/e2e.kmap" "$DATA/kallsyms" mzpd_alpha mzpd_beta 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c '^ok - host:' <<< "$out")" = 3 ]; then
	ok "kmap-check.sh: parses, share and metrics checks pass on a generated kmap"
else
	notok "kmap-check.sh: parses, share and metrics checks pass on a generated kmap" "$out"
fi
out=$("$top/../kmap-check.sh" "$T/e2e.kmap" "$DATA/kallsyms" mzpd_alpha nosuchcommand 2>&1)
grep -q '^not ok - host: OSmosis metrics' <<< "$out" &&
	ok "kmap-check.sh: the metrics check fails for a process that is not there" ||
	notok "kmap-check.sh: the metrics check fails for a process that is not there" "$out"
rm -f "$T/e2e.kmap"*

# ---- layering ---------------------------------------------------------------

out=$("$here/layers.sh" "$top" 2>&1) && ok "layers: each file uses only the layers below it (util.h)" ||
	notok "layers: each file uses only the layers below it (util.h)" "$out"

# ---- sanitizers -------------------------------------------------------------

if [ -n "${KMAPTOOL_SAN:-}" ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98
	if [ ! -x "$KMAPTOOL_SAN" ]; then
		notok "sanitizers: build ($KMAPTOOL_SAN missing)"
	else
		# every case again: same output, status and (empty) stderr
		KT_PLAIN=$KT
		KT=$KMAPTOOL_SAN
		export KT
		for dir in "$here"/cases/*/; do
			dir=${dir%/}
			name=$(basename "$dir")
			want_rc=0
			[ -f "$dir/rc" ] && want_rc=$(cat "$dir/rc")
			why=()
			for mode in 4 1; do
				rm -rf "$T/work"; mkdir -p "$T/work"
				run_case "$dir" $mode
				cmp -s "$T/out" "$dir/out" || why+=("stdout differs (threads $mode)")
				if [ -f "$dir/err" ]; then
					cmp -s "$T/err" "$dir/err" || why+=("stderr (threads $mode):" "$(head -n 20 "$T/err")")
				elif [ -s "$T/err" ]; then
					why+=("stderr (threads $mode):" "$(head -n 20 "$T/err")")
				fi
				[ "$(cat "$T/rc")" = "$want_rc" ] || why+=("exit status $(cat "$T/rc") (threads $mode)")
			done
			if [ ${#why[@]} -eq 0 ]; then ok "sanitizers: $name"; else notok "sanitizers: $name" "${why[@]}"; fi
		done
		# every subcommand on a generated kmap with exited tasks'
		# aggregates, a file and a pipe
		"$GEN" -l 100000 -s 5 | exited_kmap > "$T/san.kmap"
		for c in "summary -s $DATA/System.map" "filter --pid 3" "csv -o $T/sc" \
			 "modelstate -o $T/sm" "share --pd1 comm:bash --pd2 pid:3" "metrics 3 4" "dot" \
			 "share --pd1 exited:mz,churn --pd2 comm:mzchurn" "metrics exited:mzchurn 3"; do
			for how in file pipe; do
				if [ $how = file ]; then
					"$KT" $c "$T/san.kmap" > /dev/null 2> "$T/san.err"
				else
					"$KT" $c < "$T/san.kmap" > /dev/null 2> "$T/san.err"
				fi
				rc=$?
				[ $rc -eq 0 ] && [ ! -s "$T/san.err" ] &&
					ok "sanitizers: ${c%% *} on a generated kmap ($how)" ||
					notok "sanitizers: ${c%% *} on a generated kmap ($how)" "exit $rc" \
						"$(head -n 20 "$T/san.err")"
			done
		done
		rm -f "$T/san.kmap" "$T"/sc_* "$T"/sm*
		KT=$KT_PLAIN
	fi
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
