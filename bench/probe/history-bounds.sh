#!/usr/bin/env bash
# Bounds what the decision history costs a loop: builds the harness with history-bounds.patch in a throwaway worktree
# and alternates two variants of it (bench/probe/bounds.sh): as it is; and with settled decisions leaving the goal's
# state with no history page written (PROBE_NOHISTORY=1). The probe is not a correct product (it loses the history): it
# shows what the history's pages still cost a loop.
#   bench/probe/history-bounds.sh [REPEATS]
set -euo pipefail
here="$(dirname "$0")"
exec "$here/bounds.sh" "$here/history-bounds.patch" "${1:-1}" as-is no-history:PROBE_NOHISTORY=1
