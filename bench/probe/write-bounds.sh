#!/usr/bin/env bash
# Bounds what the goal state's write costs a loop: builds the harness with write-bounds.patch in a throwaway worktree
# and alternates three variants of it (bench/probe/alternate.sh, throughput phase): as it is; with the settled decisions
# parked in the state left out of each write (PROBE_NOPARKED=1); and with goal states neither serialised nor stored
# (PROBE_NOWRITE=1). Neither probe is a correct product: they only show how much of a loop those bytes cost.
#   bench/probe/write-bounds.sh [REPEATS]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'git -C "$repo" worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$repo" worktree add --detach "$work/tree" HEAD >/dev/null
git -C "$work/tree" apply "$repo/bench/probe/write-bounds.patch"
dotnet build -c Release "$work/tree/bench" >/dev/null
dir="$work/tree/bench/bin/Release/net10.0"
"$repo/bench/probe/alternate.sh" "${1:-1}" throughput "as-is=$dir" "no-parked=$dir:PROBE_NOPARKED=1" "no-write=$dir:PROBE_NOWRITE=1"
