#!/usr/bin/env bash
# Assembles ops/bench/RESULTS.md from the sections the benchmarks wrote (results/*.md) and the
# hand-written analysis of what limits the figures (analysis.md).
set -euo pipefail
cd "$(dirname "$0")"
{
  echo "# Benchmark results"
  for section in loopback wan idle; do
    [ -f "results/$section.md" ] || continue
    echo; cat "results/$section.md"
  done
  [ -f analysis.md ] && { echo; cat analysis.md; }
} > RESULTS.md
echo "wrote ops/bench/RESULTS.md"
