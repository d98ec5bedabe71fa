#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian 12 packages Memorizer's build, boot test and tools need,
# only those missing.  With arguments, install just those packages.

set -euo pipefail

PKGS=(
	# upstream source and the kernel build
	linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev
	cpio xz-utils kmod rsync python3 ccache
	# guest and boot test
	qemu-system-x86 busybox-static bats dropbear-bin openssh-client mawk
	# host tests and tools
	python3-pandas time binutils graphviz groff-base man-db
)
[ $# -gt 0 ] && PKGS=("$@")

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
