#!/usr/bin/env bash
# A CPU profile of the throughput phase's loop window, on the processor's clock: `perf record` of the whole process
# (every thread, the GC's and the JIT's included), 10 s inside a 20 s loop window, then the share of samples per part
# of the loop (bench/probe/perf_categories.py). Needs `perf` and permission to profile (root).
#   bench/probe/perf-loop.sh [OUT_DIR] [BENCH_DIR] [FRAME_REGEX ...]
# FRAME_REGEX arguments add lines "share of samples with a frame matching this" to the report. PERF_WINDOW=baseline (or
# "durable baseline", or "shaped chain") profiles that window of the same phase instead of the loops'. To compare two
# windows part by part, run perf_categories.py --per-unit RATE on each, RATE the window's rate from its round line.
set -euo pipefail
window="${PERF_WINDOW:-loops}"
out="${1:-bench/results/perf-loop}"
dir="${2:-bench/bin/Release/net10.0}"
shift $(($# < 2 ? $# : 2))
command -v perf >/dev/null || { echo "perf-loop: needs perf (apt-get install -y linux-perf)" >&2; exit 2; }
[ -f "$dir/Mdl.Bench.dll" ] || { echo "perf-loop: $dir has no Mdl.Bench.dll (build with: dotnet build -c Release bench)" >&2; exit 2; }
mkdir -p "$out"
log="$out/bench.log"

# The perf map names JIT-compiled methods; with W^X on, code runs from a double mapping that the map does not cover.
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 \
  dotnet "$dir/Mdl.Bench.dll" --only throughput --throughput-window-s 20 --throughput-rounds 1 >"$log" 2>&1 &
bench=$!
trap 'kill "$bench" 2>/dev/null || true' EXIT
for _ in $(seq 1 400); do
  grep -q "^ *$window window:" "$log" && break
  sleep 0.5
done
grep -q "^ *$window window:" "$log" || { echo "perf-loop: the $window window did not start; see $log" >&2; exit 1; }
sleep 3
perf record -F 1999 -g -p "$bench" -o "$out/perf.data" -- sleep 10 >/dev/null 2>&1
wait "$bench"
trap - EXIT
grep -E "throughput round|shaped chain round|durable baseline round" "$log" | sed 's/^\[ *[0-9.]*s\] //'
perf script -i "$out/perf.data" -F comm,tid,ip,sym 2>/dev/null >"$out/perf.txt"
python3 "$(dirname "$0")/perf_categories.py" "$out/perf.txt" "$@"
