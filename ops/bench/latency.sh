#!/usr/bin/env bash
# The quick loop for latency work: one echo service, `ssh -L` and TunnelActors (carrier) in front of it,
# then ping-pong, time to first byte (cold, and warm after 2,000 more connections) and echo throughput
# (one stream, eight streams) side by side, what each TunnelActors process burns idle and the CPU it spends per
# new connection.
# Prints a table; writes nothing. A minute or two; run.sh remains the reference.
#   ops/bench/latency.sh [pings] [connects] [warmups]
set -euo pipefail
cd "$(dirname "$0")/../.."
pings=${1:-5000}; connects=${2:-200}; warmups=${3:-2000}
[ "$warmups" -gt 0 ] || { echo "warmups must be at least 1 (the CPU per new connection is measured over them)" >&2; exit 2; }
iperf_secs=1; smb_mib=1; smb_runs=1
source ops/bench/lib.sh

start_echo_tunnel
start_sshd
ssh_port=$(free_port)
ssh -q -N -i "$work/ssh/client" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ExitOnForwardFailure=yes \
  -p "$sshp" -L "$ssh_port:127.0.0.1:$echo_port" root@127.0.0.1 & pids+=($!)
wait_port "$ssh_port"

ta_pids=("$edge_pid" "$connector_pid" "$access_pid")
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; } # user + system, in clock ticks (1/100 s)
# Idle CPU first (before any load): what each process costs doing nothing, e.g. `access tcp` on a laptop all day.
idle_cpu() { # pid: % of one core over 10 s
  local before; before=$(cpu_ticks "$1"); sleep 10
  awk -v b="$before" -v a="$(cpu_ticks "$1")" 'BEGIN {printf "%.1f %%", (a - b) / 10}'
}
sleep 5 # start-up settled
idle="idle CPU over 10 s: edge $(idle_cpu "$edge_pid"), connector $(idle_cpu "$connector_pid"), access tcp $(idle_cpu "$access_pid")"

row() { # name port
  local pp cold warm one eight
  pp=$($loadgen pingpong "$2" "$pings")
  one=$($loadgen streams "$2" 1 $((256 << 20)) | json 'round(d["aggregate_MBps"])')
  eight=$($loadgen streams "$2" 8 $((64 << 20)) | json 'round(d["aggregate_MBps"])')
  cold=$($loadgen ttfb "$2" "$connects" | json 'round(d["median_us"])')
  local before=(); for pid in "${ta_pids[@]}"; do before+=("$(cpu_ticks "$pid")"); done
  $loadgen ttfb "$2" "$warmups" >/dev/null
  if [ "$1" = TunnelActors ]; then # the CPU each process spent per new connection over the warm-up's connections
    local i=0; per_connection="CPU per new connection (over $warmups):"
    for name in edge connector "access tcp"; do
      per_connection+=" $name $(( ($(cpu_ticks "${ta_pids[$i]}") - before[i]) * 10000 / warmups )) µs,"; i=$((i + 1))
    done
  fi
  warm=$($loadgen ttfb "$2" "$connects" | json 'round(d["median_us"])')
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(json 'round(d["p50_us"])' <<<"$pp")" "$(json 'round(d["p99_us"])' <<<"$pp")" "$cold" "$warm" "$one" "$eight"
}
echo "| path | ping-pong p50 µs | p99 µs | TTFB µs | warm TTFB µs | 1 echo stream MB/s | 8 echo streams MB/s |"
echo "|---|---|---|---|---|---|---|"
row direct "$echo_port"
row "ssh -L" "$ssh_port"
row TunnelActors "$ta_port"
echo; echo "TunnelActors $idle"
echo "TunnelActors ${per_connection%,}"
if [ -n "${LATENCY_HOLD:-}" ]; then # keep everything up for probing (perf, tcpdump): ports and pids on stderr
  echo "holding ${LATENCY_HOLD}s: echo $echo_port ssh -L $ssh_port access $ta_port edge $edge_port (pid $edge_pid)" >&2
  sleep "$LATENCY_HOLD"
fi
