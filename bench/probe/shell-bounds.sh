#!/usr/bin/env bash
# Bounds what the goal grain's optional steps around the engine cost a loop: builds the harness with shell-bounds.patch
# in a throwaway worktree and alternates two variants of it (bench/probe/bounds.sh): as it is; and with all of them left
# out at once (PROBE_LEAN=1): the loop's spans (all but mdl.act, by which the harness knows an outcome is applied),
# stage timings and counters, the resilience pipeline around the call (the worker is called directly), the function
# statistics, the grant check on the call, and the yield before the write. Each can be left out alone with
# PROBE_LEAN_TEL, _RES, _STATS, _FILTER or _YIELD=1 (pass them as variants to bounds.sh). The probe is not a correct
# product (no circuit breaker, no least privilege, no telemetry): it shows what those steps cost a loop together.
#   bench/probe/shell-bounds.sh [REPEATS]
set -euo pipefail
here="$(dirname "$0")"
exec "$here/bounds.sh" "$here/shell-bounds.patch" "${1:-1}" as-is lean:PROBE_LEAN=1
