#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module check, host half: kmaptool names the test module's call
# sites in a kmap taken off the guest while memorizer_testmod was loaded,
# from that moment's /proc/kallsyms, as "func+off [module]".  Prints one
# "ok - host: ..." or "not ok - host: ..." line (the boot test counts it).
#
# usage: module-check.sh KMAP KALLSYMS

set -u
here=$(cd "$(dirname "$0")" && pwd)
kmap=$1 syms=$2
what="kmaptool names the test module's call sites func+off [memorizer_testmod]"

make -s -C "$here/kmaptool" kmaptool > /dev/null || { echo "not ok - host: kmaptool builds"; exit 1; }
if "$here/kmaptool/kmaptool" csv --symbols "$syms" -o "$kmap" "$kmap" &&
   grep -q 'mzt_poke+0x[0-9a-f]* \[memorizer_testmod\]' "${kmap}_allocations.csv" &&
   grep -q 'mzt_touch+0x[0-9a-f]* \[memorizer_testmod\]' "${kmap}_accesses.csv"; then
	echo "ok - host: $what"
else
	echo "not ok - host: $what"
	exit 1
fi
