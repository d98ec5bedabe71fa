#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command in the running Memorizer guest over ssh, e.g.
#   guest-ssh.sh cat /sys/kernel/debug/memorizer/kmap > kmap
# -p PORT picks the forwarded port (default: the last guest booted here).

set -euo pipefail
. "$(dirname "$0")/lib.sh"

port=${MEMORIZER_SSH_PORT:-}
if [ "${1:-}" = -p ]; then port=$2; shift 2; fi
[ "${1:-}" = -h ] || [ $# -eq 0 ] && { echo "usage: ${0##*/} [-p PORT] COMMAND..." >&2; exit 2; }
[ -n "$port" ] || port=$(cat "$BUILD_DIR/ssh-port" 2>/dev/null) || mz_die "no guest port; pass -p PORT"
mz_ssh "$port" "$@"
