#!/usr/bin/env bash
# Bounds what the goal state's write costs a loop: builds the harness with write-bounds.patch in a throwaway worktree
# and alternates three variants of it (bench/probe/bounds.sh): as it is; with the settled decisions parked in the state
# left out of each write (PROBE_NOPARKED=1); and with goal states neither serialised nor stored (PROBE_NOWRITE=1).
# Neither probe is a correct product: they only show how much of a loop those bytes cost.
#   bench/probe/write-bounds.sh [REPEATS]
set -euo pipefail
here="$(dirname "$0")"
exec "$here/bounds.sh" "$here/write-bounds.patch" "${1:-1}" as-is no-parked:PROBE_NOPARKED=1 no-write:PROBE_NOWRITE=1
