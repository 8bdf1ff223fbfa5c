#!/usr/bin/env bash
# Runs one bench phase for several builds or environments, alternating, so a noisy minute on a shared machine falls on
# all of them. Each variant is LABEL=DIR (a copy of bench/bin/Release/net10.0) or LABEL=DIR:VAR=VALUE[,VAR=VALUE...]
# (environment for that run). Prints each run's summary line of the phase.
#   bench/probe/alternate.sh 2 throughput "now=bench/bin/Release/net10.0" "nodatas=bench/bin/Release/net10.0:DOTNET_GCDynamicAdaptationMode=0"
# The phase is throughput (10 s windows, 2 rounds) or reaction.
set -euo pipefail
if [ "$#" -lt 3 ]; then
  echo "usage: $0 REPEATS throughput|reaction LABEL=DIR[:VAR=VALUE,...] ..." >&2
  exit 2
fi

repeats="$1"
phase="$2"
shift 2
case "$phase" in
  throughput) args=(--only throughput --throughput-window-s 10 --throughput-rounds 2); pattern="throughput round" ;;
  reaction) args=(--only reaction); pattern="reaction:" ;;
  *) echo "alternate: unknown phase '$phase' (throughput or reaction)" >&2; exit 2 ;;
esac

for ((rep = 1; rep <= repeats; rep++)); do
  for variant in "$@"; do
    label="${variant%%=*}"
    rest="${variant#*=}"
    dir="${rest%%:*}"
    envs=()
    if [ "$rest" != "$dir" ]; then
      IFS=',' read -r -a envs <<<"${rest#*:}"
    fi

    if [ ! -f "$dir/Mdl.Bench.dll" ]; then
      echo "alternate: $dir has no Mdl.Bench.dll (build with: dotnet build -c Release bench)" >&2
      exit 2
    fi

    echo "== $label, run $rep"
    env "${envs[@]}" dotnet "$dir/Mdl.Bench.dll" "${args[@]}" 2>&1 | grep "$pattern" | sed 's/^\[ *[0-9.]*s\] //'
  done
done
