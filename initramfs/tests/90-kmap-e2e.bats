#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The end-to-end kmap check, guest half: two processes with known commands
# run a small workload while recording is on, and the guest leaves their
# names, with the kmap it saved, in /tmp/mz-e2e.  The boot test's host half
# then copies that kmap and /proc/kallsyms off the guest over ssh and
# analyses them with kmaptool (scripts/memorizer/kmap-check.sh).

load lib/memorizer

@test "two known processes run a shared workload while recording" {
	echo 1 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_live_enabled
	cp /bin/bash /tmp/mzpd_alpha
	cp /bin/bash /tmp/mzpd_beta
	# one writes files, the other reads them: they share those objects.
	# Mode 3: each marks itself, so only these two are recorded.
	echo 0 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_accesses_enabled
	/tmp/mzpd_alpha -c "echo 3 > $MZ/memorizer_enabled
		for i in \$(seq 20); do echo \$i > /tmp/mz-shared.\$i; done"
	/tmp/mzpd_beta -c "echo 3 > $MZ/memorizer_enabled
		for i in \$(seq 20); do read -r _ < /tmp/mz-shared.\$i; done"
	echo 0 > $MZ/log_accesses_enabled
	echo 1 > $MZ/memorizer_enabled
	rm -f /tmp/mz-shared.*
	# the user's way: cat the kmap to a file, the host copies it
	cat $MZ/kmap > /tmp/mz-e2e.kmap
	echo 0 > $MZ/log_live_enabled
	grep -q ',mzpd_alpha,' /tmp/mz-e2e.kmap
	grep -q ',mzpd_beta,' /tmp/mz-e2e.kmap
	echo "/tmp/mz-e2e.kmap mzpd_alpha mzpd_beta" > /tmp/mz-e2e
}
