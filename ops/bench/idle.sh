#!/usr/bin/env bash
# Idle density: how much memory each idle stream costs the edge, the connector and `access tcp`,
# and whether it comes back. COUNT connections through one edge, each with one byte echoed and then
# silent; RSS of each process before, while they are open, and 30 s after they closed; once per GC
# configuration (workstation, the default; server; workstation with GCConserveMemory). Where the file
# limit cannot hold two sockets per stream in one process, the streams are spread over several
# `access tcp` processes (their KiB per stream is the sum over them).
#   ops/bench/idle.sh            10,000 idle streams (a few minutes); writes results/idle.md and RESULTS.md
#   ops/bench/idle.sh --smoke    200 streams, one configuration (CI); writes nothing
set -euo pipefail
cd "$(dirname "$0")/../.."
smoke=""; [ "${1:-}" = "--smoke" ] && smoke=1
if [ -n "$smoke" ]; then count=200; settle=2; after=3; configs=("workstation")
else count=${IDLE_STREAMS:-10000}; settle=10; after=30; configs=("workstation" "server" "workstation, conserve 5")
fi
iperf_secs=1; connects=1; smb_mib=1; smb_runs=1
ulimit -n "$(ulimit -Hn)"   # every stream is a socket in each process (two in access tcp)
source ops/bench/lib.sh
start_services

gc_env() { # configuration → environment for the .NET processes
  case "$1" in
    "workstation") echo "DOTNET_gcServer=0" ;;
    "server") echo "DOTNET_gcServer=1" ;;
    "workstation, conserve 5") echo "DOTNET_gcServer=0 DOTNET_GCConserveMemory=5" ;;
  esac
}
per_stream() { python3 -c "print(f'{($2 - $1) / $3:.1f}')"; }   # before during count → KiB per stream
rows=""
for config in "${configs[@]}"; do
  echo "idle density, GC $config..." >&2
  # shellcheck disable=SC2046
  export $(gc_env "$config")
  start_edge
  host="idle-${#rows}.site.test"
  start_connector "$host" "$echo_port" "$edge_port"; connector_pid=$last_pid
  clients=$(( (2 * count + 999) / ($(ulimit -n) - 1000) + 1 )); share=$(( (count + clients - 1) / clients ))
  access_pids=(); access_ports=()
  for i in $(seq 1 "$clients"); do start_access "$host" "$edge_port" "-$i"; access_pids+=("$last_pid"); access_ports+=("$last_port"); done
  sum_rss() { local t=0; for pid in "$@"; do t=$((t + $(rss "$pid"))); done; echo "$t"; }
  sample() { # into the named array: edge, connector, access (summed)
    local -n into=$1; into[edge]=$(rss "$edge_pid"); into[connector]=$(rss "$connector_pid"); into[access]=$(sum_rss "${access_pids[@]}")
  }
  for p in "${access_ports[@]}"; do $loadgen idle "$p" 100 "$work/warm" 0 >/dev/null; done   # warm up: JIT, pools, first connections
  sleep "$settle"
  declare -A before=() during=() later=()
  sample before
  idle_pids=(); rm -f "$work"/ready-*
  for i in "${!access_ports[@]}"; do
    $loadgen idle "${access_ports[$i]}" "$share" "$work/ready-$i" $((settle + 5)) > "$work/idle-$i.json" & idle_pids+=($!)
  done
  for i in "${!access_ports[@]}"; do
    for _ in $(seq 1 1200); do [ -f "$work/ready-$i" ] && break; sleep 0.5; done
    [ -f "$work/ready-$i" ] || { echo "the idle streams never all opened" >&2; exit 1; }
  done
  sleep "$settle"
  sample during
  for pid in "${idle_pids[@]}"; do wait "$pid"; done
  opened=$(cat "$work"/idle-*.json | python3 -c "import json,sys; print(sum(json.loads(l)['open'] for l in sys.stdin))")
  failed=$(cat "$work"/idle-*.json | python3 -c "import json,sys; print(sum(json.loads(l)['failed'] for l in sys.stdin))")
  secs=$(cat "$work"/idle-*.json | python3 -c "import json,sys; print(round(max(json.loads(l)['open_seconds'] for l in sys.stdin), 1))")
  sleep "$after"
  sample later
  row="| $config | $opened/$((share * clients)) in $secs s ($clients access tcp) |"
  for who in edge connector access; do
    row="$row $(per_stream "${before[$who]}" "${during[$who]}" "$opened") | $((before[$who] >> 10)) → $((during[$who] >> 10)) → $((later[$who] >> 10)) |"
  done
  rows+="$row"$'\n'
  [ "$failed" -eq 0 ] || echo "$failed of $count idle streams failed to open" >&2
  for pid in "$connector_pid" "${access_pids[@]}" "$edge_pid"; do kill "$pid"; wait "$pid" 2>/dev/null || true; done
  rm -rf "$ta"
done
table=$( {
  echo "| GC | streams opened | edge KiB/stream | edge MiB before → open → ${after} s after | connector KiB/stream | connector MiB | access tcp KiB/stream | access tcp MiB |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s' "$rows"
} )
echo; echo "$table"
if [ -z "$smoke" ]; then
  {
    echo "## Idle density"
    echo
    echo "Run by \`ops/bench/idle.sh\` on $(date -u +%Y-%m-%d), same machine: $count connections through one \`access tcp\`, one edge and one connector"
    echo "to an echo service, each with one byte echoed and then silent. RSS (VmRSS) of each process after a warm-up, ${settle} s after the last opened,"
    echo "and ${after} s after all closed; KiB per stream = (open − before) ÷ streams."
    echo
    echo "$table"
  } > ops/bench/results/idle.md
  bash ops/bench/results.sh
fi
