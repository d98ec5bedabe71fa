#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Copy a file from the running Memorizer guest to the host with scp, e.g.
#   guest-scp.sh /tmp/kmap ./kmap
# debugfs files report size 0, so copy a regular file (cat kmap > /tmp/kmap
# in the guest first) or use guest-ssh.sh cat.  -p PORT as for guest-ssh.sh.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

port=${MEMORIZER_SSH_PORT:-}
if [ "${1:-}" = -p ]; then port=$2; shift 2; fi
[ $# -eq 2 ] || { echo "usage: ${0##*/} [-p PORT] GUEST_PATH HOST_PATH" >&2; exit 2; }
[ -n "$port" ] || port=$(cat "$BUILD_DIR/ssh-port" 2>/dev/null) || mz_die "no guest port; pass -p PORT"
mz_scp "$port" "$1" "$2"
