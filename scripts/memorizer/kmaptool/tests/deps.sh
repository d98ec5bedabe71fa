#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages kmaptool's tests and benchmark use, installed when
# missing: pandas (the CSV outputs must load in it), GNU time (peak RSS),
# binutils (nm, addr2line), Graphviz (dot -Tsvg), groff and man (the man
# page).  Tests do not skip what is missing: they fail, so install here.

exec "$(dirname "$0")/../../install-deps.sh" \
	python3-pandas time binutils graphviz groff-base man-db gcc
