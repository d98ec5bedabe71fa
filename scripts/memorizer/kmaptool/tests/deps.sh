#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages kmaptool's tests and benchmark use, installed when
# missing: pandas (the CSV outputs must load in it), GNU time (peak RSS),
# binutils (nm, addr2line), Graphviz (dot -Tsvg), groff and man (the man
# page).  Tests do not skip what is missing: they fail, so install here.

set -euo pipefail

PKGS=(python3-pandas time binutils graphviz groff-base man-db gcc)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2> /dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "kmaptool deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo > /dev/null ||
		{ echo "kmaptool deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
