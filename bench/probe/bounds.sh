#!/usr/bin/env bash
# Builds the harness with a probe patch in a throwaway worktree and alternates variants of that one build
# (bench/probe/alternate.sh, throughput phase). Each variant is LABEL or LABEL:VAR=VALUE[,VAR=VALUE...], the environment
# that switches the patch's probe on. write-bounds.sh and history-bounds.sh are this with their patch and variants.
#   bench/probe/bounds.sh PATCH REPEATS VARIANT ...
set -euo pipefail
if [ "$#" -lt 3 ]; then
  echo "usage: $0 PATCH REPEATS LABEL[:VAR=VALUE,...] ..." >&2
  exit 2
fi

repo="$(cd "$(dirname "$0")/../.." && pwd)"
patch="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
repeats="$2"
shift 2
work="$(mktemp -d)"
trap 'git -C "$repo" worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$repo" worktree add --detach "$work/tree" HEAD >/dev/null
git -C "$work/tree" apply "$patch"
dotnet build -c Release "$work/tree/bench" >/dev/null
dir="$work/tree/bench/bin/Release/net10.0"
variants=()
for variant in "$@"; do
  label="${variant%%:*}"
  if [ "$label" = "$variant" ]; then
    variants+=("$label=$dir")
  else
    variants+=("$label=$dir:${variant#*:}")
  fi
done
"$repo/bench/probe/alternate.sh" "$repeats" throughput "${variants[@]}"
