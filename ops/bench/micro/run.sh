#!/usr/bin/env bash
# Micro benchmarks (BenchmarkDotNet): the frame codec (throughput, allocations per frame) and a relay's set-up.
#   ops/bench/micro/run.sh            full run (a few minutes)
#   ops/bench/micro/run.sh --smoke    one short iteration of each (seconds; CI)
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = "--smoke" ]; then
  exec dotnet run -c Release -- --filter '*' --job Dry --warmupCount 1 --iterationCount 1
fi
exec dotnet run -c Release -- --filter '*' "$@"
