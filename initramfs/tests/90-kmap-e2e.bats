#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The end-to-end kmap check, guest half: two processes with known commands
# run a small workload while recording is on, and the guest leaves their
# names, with the kmap it saved, in /tmp/mz-e2e.  The boot test's host half
# then copies that kmap and /proc/kallsyms off the guest over ssh and
# analyses them with kmaptool (scripts/memorizer/kmap-check.sh).

load lib/memorizer

setup_file() {
	keep_exited
}

teardown_file() {
	retire_default
}

@test "two known processes run a shared workload while recording, and only they are recorded" {
	echo 1 > $MZ/memorizer_enabled
	echo 1 > $MZ/log_live_enabled
	cp /bin/bash /tmp/mzpd_alpha
	cp /bin/bash /tmp/mzpd_beta
	# one writes files, the other reads them: they share those objects.
	# Mode 3: each marks itself, so only these two (and the children
	# they fork, with their command) are recorded.
	echo 0 > $MZ/memorizer_enabled
	sleep 0.2	# allocations that saw recording on finish
	lo=$(awk '$1 == "index_now:" { print $2 }' $MZ/stats)
	sort $MZ/accesses > /tmp/mz-e2e.acc0
	echo 1 > $MZ/log_accesses_enabled
	/tmp/mzpd_alpha -c "echo \$\$ > /tmp/mz-e2e.alpha; echo 3 > $MZ/memorizer_enabled
		for i in \$(seq 20); do echo \$i > /tmp/mz-shared.\$i; done"
	/tmp/mzpd_beta -c "echo \$\$ > /tmp/mz-e2e.beta; echo 3 > $MZ/memorizer_enabled
		for i in \$(seq 20); do read -r _ < /tmp/mz-shared.\$i; done"
	echo 0 > $MZ/log_accesses_enabled
	echo 0 > $MZ/memorizer_enabled
	# the user's way: cat the kmap to a file, the host copies it
	cat $MZ/kmap > /tmp/mz-e2e.kmap
	sort $MZ/accesses > /tmp/mz-e2e.acc1
	echo 1 > $MZ/memorizer_enabled
	rm -f /tmp/mz-shared.*
	echo 0 > $MZ/log_live_enabled
	a=$(cat /tmp/mz-e2e.alpha) b=$(cat /tmp/mz-e2e.beta)
	# every object allocated in the window is one of theirs (or seq's,
	# their child) and carries its pid; theirs are there
	awk -F, -v lo="$lo" 'NF == 11 && $5 > lo' /tmp/mz-e2e.kmap > /tmp/mz-e2e.new
	[ -z "$(awk -F, '$9 != "mzpd_alpha" && $9 != "mzpd_beta" && $9 != "seq"' /tmp/mz-e2e.new)" ]
	awk -F, -v a="$a" '$9 == "mzpd_alpha" && $2 == a' /tmp/mz-e2e.new | grep -q .
	awk -F, -v b="$b" '$9 == "mzpd_beta" && $2 == b' /tmp/mz-e2e.new | grep -q .
	# the access rows the window added or changed: both pids, no interrupt
	# context (-1), nobody else's (not this test's shell, not init)
	only_in /tmp/mz-e2e.acc1 /tmp/mz-e2e.acc0 | cut -d, -f6 | sort -u > /tmp/mz-e2e.apids
	grep -qx "$a" /tmp/mz-e2e.apids
	grep -qx "$b" /tmp/mz-e2e.apids
	! grep -qx -- -1 /tmp/mz-e2e.apids
	! grep -qx "$$" /tmp/mz-e2e.apids
	! grep -qx 1 /tmp/mz-e2e.apids
	# they share objects: some object was accessed by both
	awk -F, -v a="$a" -v b="$b" 'NF == 11 { k = $3 "," $5; next }
		$4 == a { sa[k] = 1 } $4 == b { sb[k] = 1 }
		END { for (k in sa) if (k in sb) n++; print n + 0 }' /tmp/mz-e2e.kmap > /tmp/mz-e2e.shared
	[ "$(cat /tmp/mz-e2e.shared)" -gt 0 ]
	rm -f /tmp/mz-e2e.acc0 /tmp/mz-e2e.acc1 /tmp/mz-e2e.new
	echo "/tmp/mz-e2e.kmap mzpd_alpha mzpd_beta" > /tmp/mz-e2e
}
