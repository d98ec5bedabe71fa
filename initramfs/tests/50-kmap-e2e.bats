#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The end-to-end kmap check, guest half: two processes with known commands
# run a small workload while recording is on, and the guest leaves their
# names in /tmp/mz-e2e.  The boot test's host half then copies the kmap and
# /proc/kallsyms off the guest over ssh and analyses them with kmaptool
# (scripts/memorizer/kmap-check.sh).

load lib/memorizer

@test "two known processes run a shared workload while recording" {
	echo 1 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_live_enabled
	cp /bin/bash /tmp/mzpd_alpha
	cp /bin/bash /tmp/mzpd_beta
	# one writes files, the other reads them: they share those objects
	echo 1 > $MZ/log_accesses_enabled
	/tmp/mzpd_alpha -c 'for i in $(seq 20); do echo "$i" > /tmp/mz-shared.$i; done'
	/tmp/mzpd_beta -c 'for i in $(seq 20); do cat /tmp/mz-shared.$i > /dev/null; rm /tmp/mz-shared.$i; done'
	echo 0 > $MZ/log_accesses_enabled
	grep -q ',mzpd_alpha,' $MZ/kmap
	grep -q ',mzpd_beta,' $MZ/kmap
	echo "mzpd_alpha mzpd_beta" > /tmp/mz-e2e
}
