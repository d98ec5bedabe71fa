#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the kernel tree the build runs in: upstream Linux 6.1 (Debian's
# linux-source-6.1, or KERNEL_SRC), the project's own files linked over it,
# and the patch series applied.  Cheap when nothing changed, so the top-level
# Makefile runs it before every kernel goal.
#
# Incrementality is the point of most of this script: project files are
# symlinked (kbuild sees their own mtimes), and a changed series is applied
# to pristine copies of the files it touches in a staging area, so only files
# whose patched content really changed are rewritten in the tree.

set -euo pipefail

PROJECT_DIR=${PROJECT_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=${BUILD_DIR:-$PROJECT_DIR/build}
TREE=$BUILD_DIR/linux
STATE=$BUILD_DIR/state
TARBALL=${KERNEL_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
SERIES=$PROJECT_DIR/patches/series

die() { echo "prepare-tree: error: $*" >&2; exit 1; }
say() { echo "prepare-tree: $*"; }

# The version the series is known to apply to, from the series header.
known_version() {
	sed -n 's/^# Known to apply to: *//p' "$SERIES" | head -n 1
}

tree_version() {
	local mk=$1/Makefile v p s e
	v=$(sed -n 's/^VERSION = //p' "$mk"); p=$(sed -n 's/^PATCHLEVEL = //p' "$mk")
	s=$(sed -n 's/^SUBLEVEL = //p' "$mk"); e=$(sed -n 's/^EXTRAVERSION = *//p' "$mk")
	echo "$v.$p.$s$e"
}

unpack() {
	local tmp=$BUILD_DIR/unpack.tmp

	rm -rf "$tmp" "$TREE" "$STATE"
	mkdir -p "$tmp" "$STATE"
	if [ -n "${KERNEL_SRC:-}" ]; then
		[ -f "$KERNEL_SRC/Makefile" ] && [ -d "$KERNEL_SRC/mm" ] ||
			die "KERNEL_SRC=$KERNEL_SRC is not an unpacked kernel tree"
		say "copying $KERNEL_SRC"
		mkdir -p "$tmp/src"
		tar -C "$KERNEL_SRC" --exclude=.git -cf - . | tar -C "$tmp/src" -xf -
		mv "$tmp/src" "$TREE"
	else
		if [ ! -f "$TARBALL" ]; then
			say "$TARBALL missing; installing linux-source-6.1"
			"$PROJECT_DIR/scripts/memorizer/install-deps.sh" linux-source-6.1
		fi
		[ -f "$TARBALL" ] || die "$TARBALL not found (apt-get install linux-source-6.1)"
		say "unpacking $TARBALL"
		tar -C "$tmp" -xJf "$TARBALL"
		mv "$tmp"/linux-source-* "$TREE"
	fi
	rm -rf "$tmp"
	case $(tree_version "$TREE") in
	6.1.*) ;;
	*) die "upstream is Linux $(tree_version "$TREE"), Memorizer needs 6.1 LTS" ;;
	esac
	echo "$(tree_version "$TREE")" > "$STATE/upstream-version"
}

# Project files that belong in the kernel tree: everything tracked (or new
# and not ignored) except the project's own top-level and harness files.
overlay_files() {
	(cd "$PROJECT_DIR" &&
	 if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard
	 else
		find . -type f ! -path './.git/*' ! -path './build/*' | sed 's|^\./||'
	 fi) | grep -v -E '^(Makefile|README[^/]*|MAINTAINERS|\.[^/]*|patches/|initramfs/|scripts/memorizer/|build/|out/)' |
	while read -r f; do [ -f "$PROJECT_DIR/$f" ] && echo "$f"; done | sort
}

overlay() {
	local list=$STATE/overlay.list new=$STATE/overlay.list.new f dst

	overlay_files > "$new"
	while read -r f; do
		dst=$TREE/$f
		if [ -L "$dst" ]; then
			[ "$(readlink "$dst")" = "$PROJECT_DIR/$f" ] && continue
		elif [ -e "$dst" ]; then
			die "project file $f would replace upstream's $f; change upstream files with a patch in patches/"
		fi
		mkdir -p "$(dirname "$dst")"
		ln -sfn "$PROJECT_DIR/$f" "$dst"
	done < "$new"
	# Drop links for files the project no longer has.
	if [ -f "$list" ]; then
		comm -23 "$list" "$new" | while read -r f; do
			[ -L "$TREE/$f" ] && rm -f "$TREE/$f"
		done
	fi
	mv "$new" "$list"
}

series_patches() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$SERIES" | grep -v '^$' || true
}

# Files a patch touches, from its +++ lines (a/ b/ prefixes, -p1).
patch_files() {
	sed -n -e 's|^+++ b/\([^[:space:]]*\).*|\1|p' -e 's|^--- a/\([^[:space:]]*\).*|\1|p' "$@" |
		grep -v '^/dev/null$' | sort -u
}

apply_series() {
	local applied=$STATE/applied stage=$BUILD_DIR/stage pristine=$STATE/pristine
	local p f known have

	[ -f "$SERIES" ] || die "$SERIES missing"
	mkdir -p "$applied" "$pristine"
	# Nothing to do when the series and every patch are as last applied.
	if { cat "$SERIES"; for p in $(series_patches); do cat "$PROJECT_DIR/patches/$p"; done; } |
	   cmp -s - "$applied/all" 2>/dev/null; then
		return 0
	fi

	known=$(known_version); have=$(cat "$STATE/upstream-version")
	rm -rf "$stage"; mkdir -p "$stage"
	: > "$STATE/touched.new"
	for p in $(series_patches); do
		[ -f "$PROJECT_DIR/patches/$p" ] || die "patches/series names $p, which does not exist"
		patch_files "$PROJECT_DIR/patches/$p" >> "$STATE/touched.new"
	done
	sort -u -o "$STATE/touched.new" "$STATE/touched.new"
	touch "$STATE/touched"
	# Keep a pristine copy of every upstream file before it is first patched.
	sort -u "$STATE/touched" "$STATE/touched.new" | while read -r f; do
		if [ ! -e "$pristine/$f" ] && [ ! -e "$pristine/$f.absent" ]; then
			mkdir -p "$(dirname "$pristine/$f")"
			if [ -f "$TREE/$f" ]; then cp -p "$TREE/$f" "$pristine/$f"
			else touch "$pristine/$f.absent"; fi
		fi
	done
	while read -r f; do
		[ -f "$pristine/$f" ] || continue
		mkdir -p "$(dirname "$stage/$f")"
		cp -p "$pristine/$f" "$stage/$f"
	done < "$STATE/touched.new"
	for p in $(series_patches); do
		if ! out=$(patch -d "$stage" -p1 --batch --forward --no-backup-if-mismatch \
			   -i "$PROJECT_DIR/patches/$p" 2>&1); then
			echo "$out" >&2
			die "patches/$p does not apply to Linux $have (the series is known to apply to Linux $known)"
		fi
	done
	# Rewrite only what changed, so kbuild rebuilds only what depends on it.
	while read -r f; do
		if [ -f "$stage/$f" ]; then
			cmp -s "$stage/$f" "$TREE/$f" 2>/dev/null || { mkdir -p "$(dirname "$TREE/$f")"; cp "$stage/$f" "$TREE/$f"; }
		else
			rm -f "$TREE/$f"
		fi
	done < "$STATE/touched.new"
	comm -23 "$STATE/touched" "$STATE/touched.new" | while read -r f; do
		if [ -f "$pristine/$f" ]; then
			cmp -s "$pristine/$f" "$TREE/$f" || cp "$pristine/$f" "$TREE/$f"
		else
			rm -f "$TREE/$f"
		fi
	done
	mv "$STATE/touched.new" "$STATE/touched"
	{ cat "$SERIES"; for p in $(series_patches); do cat "$PROJECT_DIR/patches/$p"; done; } > "$applied/all"
	rm -rf "$stage"
	say "applied $(series_patches | wc -l) patches to Linux $have"
}

mkdir -p "$BUILD_DIR"
[ -f "$STATE/upstream-version" ] && [ -f "$TREE/Makefile" ] || unpack
overlay
apply_series
