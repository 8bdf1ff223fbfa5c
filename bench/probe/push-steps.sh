#!/usr/bin/env bash
# Times each step of quiet push samples: builds the harness with push-steps.patch (markers written to /dev/null at each
# step) in a throwaway worktree, runs `--only reaction`, records the markers and the socket syscalls with perf, and
# prints the median of each step. Needs perf with syscall tracepoints (root). The markers cost time themselves: read
# the steps as shares, and the run's own push figure as the probe's overhead.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'git -C "$repo" worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

command -v perf >/dev/null || { echo "push-steps: perf is not installed (apt-get install -y linux-perf)" >&2; exit 2; }
git -C "$repo" worktree add --detach "$work/tree" HEAD >/dev/null
git -C "$work/tree" apply "$repo/bench/probe/push-steps.patch"
dotnet build -c Release "$work/tree/bench" >/dev/null

dotnet "$work/tree/bench/bin/Release/net10.0/Mdl.Bench.dll" --only reaction >"$work/bench.log" 2>&1 &
bench=$!
sleep 22 # warm-up batches and the idle schedule come first
perf record -a -o "$work/perf.data" \
  -e syscalls:sys_enter_pwrite64,syscalls:sys_enter_sendto,syscalls:sys_exit_recvfrom,syscalls:sys_exit_epoll_wait \
  -- sleep 25 >/dev/null 2>&1
wait "$bench"
perf script -i "$work/perf.data" -F comm,pid,tid,cpu,time,event,trace >"$work/perf.txt" 2>/dev/null
grep "reaction:" "$work/bench.log" | cut -c1-120
python3 "$repo/bench/probe/push_steps.py" "$work/perf.txt" "$bench"
