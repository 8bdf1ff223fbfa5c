#!/usr/bin/env bash
# Bounds what the decision history costs a loop: builds the harness with history-bounds.patch in a throwaway worktree
# and alternates two variants of it (bench/probe/alternate.sh, throughput phase): as it is; and with settled decisions
# leaving the goal's state with no history read, merge or write and no copy of the history kept (PROBE_NOHISTORY=1).
# The probe is not a correct product (it loses the history): it shows the most a history stored another way could save.
#   bench/probe/history-bounds.sh [REPEATS]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'git -C "$repo" worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$repo" worktree add --detach "$work/tree" HEAD >/dev/null
git -C "$work/tree" apply "$repo/bench/probe/history-bounds.patch"
dotnet build -c Release "$work/tree/bench" >/dev/null
dir="$work/tree/bench/bin/Release/net10.0"
"$repo/bench/probe/alternate.sh" "${1:-1}" throughput "as-is=$dir" "no-history=$dir:PROBE_NOHISTORY=1"
