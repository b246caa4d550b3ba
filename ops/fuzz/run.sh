#!/usr/bin/env bash
# Fuzzes the frame decoder and payload parsers, a whole mux session, and the YAML configuration readers with
# SharpFuzz + AFL++ (Debian's afl++). Each target runs for the given seconds; the script prints
# executions and crashes per target and exits non-zero when any crash was found, leaving the
# crashing inputs in artifacts/fuzz/<target>/default/crashes (replay one: see Program.cs).
#   ops/fuzz/run.sh [--seconds N] [target ...]      (default: 600 s each, every target)
#   CI runs `ops/fuzz/run.sh --seconds 20` through the test suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=600
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -eq 0 ] && targets=(frames mux access-yaml tunnel-yaml)

if ! command -v afl-fuzz >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi

out=artifacts/fuzz
bin="$out/bin"
rm -rf "$out"; mkdir -p "$out"
dotnet build ops/fuzz/TunnelActors.Fuzz -c Release -o "$bin" > "$out/build.txt" 2>&1 || { tail -n 30 "$out/build.txt"; exit 1; }
# Instrument what is fuzzed (never rebuild afterwards: a build copies the plain assemblies back).
for dll in TunnelActors.Protocol TunnelActors.Transport TunnelActors.Access TunnelActors.Origin YamlDotNet; do
  dotnet tool exec SharpFuzz.CommandLine@2.3.0 --yes -- "$bin/$dll.dll" > "$out/instrument-$dll.txt" 2>&1 \
    || { cat "$out/instrument-$dll.txt"; exit 1; }
done

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
total_crashes=0
for target in "${targets[@]}"; do
  afl-fuzz -i "ops/fuzz/corpus/$target" -o "$out/$target" -t 10000 -m none -V "$seconds" \
    -- dotnet "$bin/TunnelActors.Fuzz.dll" "$target" > "$out/$target.log" 2>&1 || { tail -n 30 "$out/$target.log"; exit 1; }
  stats="$out/$target/default/fuzzer_stats"
  execs=$(awk '/^execs_done/{print $3}' "$stats")
  crashes=$(awk '/^saved_crashes/{print $3}' "$stats")
  echo "fuzz $target: $execs executions in ${seconds} s, $crashes crashes"
  total_crashes=$((total_crashes + crashes))
done
[ "$total_crashes" -eq 0 ]
