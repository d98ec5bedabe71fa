#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The guest itself: the kernel we built, with what the recorder needs.

config_has() {
	grep -qx "$1" /etc/memorizer/config
}

@test "the guest runs the kernel release that was built" {
	want=$(cat /etc/memorizer/kernelrelease)
	[ -n "$want" ]
	[ "$(uname -r)" = "$want" ]
}

@test "debugfs is mounted at /sys/kernel/debug" {
	grep -q '^debugfs /sys/kernel/debug debugfs' /proc/mounts
}

@test "/sys/kernel/debug/memorizer exists exactly when CONFIG_MEMORIZER=y" {
	if config_has CONFIG_MEMORIZER=y; then
		[ -d /sys/kernel/debug/memorizer ]
	else
		[ ! -e /sys/kernel/debug/memorizer ]
	fi
}

@test "the kernel is built with generic outline KASAN and SLUB" {
	config_has CONFIG_KASAN_GENERIC=y
	config_has CONFIG_KASAN_OUTLINE=y
	config_has CONFIG_SLUB=y
}

@test "every vCPU the host gave is online" {
	want=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^memorizer.smp=//p')
	[ -n "$want" ] || skip "the host did not say how many vCPUs it gave"
	[ "$(grep -c ^processor /proc/cpuinfo)" = "$want" ]
	[ "$(cat /sys/devices/system/cpu/online)" = "$(cat /sys/devices/system/cpu/possible)" ]
}
