#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kmaptool's files are layered (util.h): each object file may use symbols
# of its own layer's files only when they are its own, and otherwise only
# symbols of lower layers; each file includes only headers of its layer or
# below.  Prints what breaks the order; exits 1 if anything does.
#
# usage: layers.sh DIR   (DIR holds the sources and the built .o files)

set -u
cd "$1" || exit 1
# file (without extension) and its layer
layer_of() {
	case $1 in
	util) echo 0 ;;
	src) echo 1 ;;
	parse | scan) echo 2 ;;
	pool) echo 3 ;;
	input) echo 4 ;;
	symbols | model) echo 5 ;;
	kmaptool) echo 5 ;;	# the header over the reader, symbols, model
	common) echo 6 ;;
	cmd_*) echo 7 ;;
	main) echo 8 ;;
	*) echo 99 ;;
	esac
}
bad=0
declare -A def
for o in *.o; do
	for s in $(nm --defined-only -g "$o" | awk '{ print $3 }'); do
		def[$s]=${o%.o}
	done
done
for o in *.o; do
	me=${o%.o} l=$(layer_of "${o%.o}")
	for s in $(nm -u "$o" | awk '{ print $2 }'); do
		d=${def[$s]:-}
		[ -n "$d" ] || continue		# libc
		ld=$(layer_of "$d")
		if [ "$ld" -ge "$l" ] && [ "$d" != "$me" ]; then
			echo "$o (layer $l) uses $s of $d.o (layer $ld)"
			bad=1
		fi
	done
done
for f in *.c *.h; do
	me=${f%.*} l=$(layer_of "${f%.*}")
	for h in $(sed -n 's/^#include "\(.*\)\.h"$/\1/p' "$f"); do
		lh=$(layer_of "$h")
		if [ "$lh" -gt "$l" ]; then
			echo "$f (layer $l) includes $h.h (layer $lh)"
			bad=1
		fi
	done
done
exit $bad
