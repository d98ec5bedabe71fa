#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A stand-in for qemu-system-x86_64 in the harness's own tests
# (MZ_QEMU_BIN=fake-qemu.sh): it writes a recorded console to the first
# -serial file, a recorded TAP stream to the second, then behaves as
# MZ_FAKE_END says: hang (never exits, like a guest that waits), exit (a
# guest that reset; QEMU with -no-reboot exits 0), or triple (the same,
# with QEMU's "Triple fault" in the -D log).

serials=() dbg=/dev/null
while [ $# -gt 0 ]; do
	case $1 in
	-serial) serials+=("${2#file:}"); shift 2 ;;
	-D) dbg=$2; shift 2 ;;
	*) shift ;;
	esac
done
cp "$MZ_FAKE_CONSOLE" "${serials[0]}"
[ -z "${MZ_FAKE_TAP:-}" ] || [ ${#serials[@]} -lt 2 ] || cp "$MZ_FAKE_TAP" "${serials[1]}"
case ${MZ_FAKE_END:-hang} in
triple) echo "Triple fault" >> "$dbg"; exit 0 ;;
exit) exit 0 ;;
*) exec sleep 100000 ;;
esac
