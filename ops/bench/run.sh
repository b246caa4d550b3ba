#!/usr/bin/env bash
# Benchmarks TunnelActors side by side with a direct connection and OpenSSH `ssh -L` (default
# cipher and aes128-gcm), all on loopback in one run, and writes the table to RESULTS.md.
# The emulated WAN (ops/bench/wan.sh) adds its tables there too.
#   ops/bench/run.sh            full run (a few minutes)
#   ops/bench/run.sh --smoke    seconds-long version of every measurement (CI); writes nothing
set -euo pipefail
cd "$(dirname "$0")/../.."
smoke=""; [ "${1:-}" = "--smoke" ] && smoke=1

# --- sizes: full run vs smoke ---------------------------------------------------------
if [ -n "$smoke" ]; then
  iperf_secs=1; pings=200; connects=20; warmups=20; few=(20 65536); many=(100 65536); smb_mib=8; smb_runs=1
else
  iperf_secs=10; pings=5000; connects=200; warmups=2000; few=(100 1048576); many=(1000 262144); smb_mib=256; smb_runs=5
fi
source ops/bench/lib.sh

start_services
start_sshd
forward "ssh -L (default)" "$sshp"
forward "ssh -L aes128-gcm" "$sshp" -c aes128-gcm@openssh.com
ports[direct]="$iperf $echo_port $smb"
start_edge
start_tunnels TunnelActors "$edge_port" "$edge_port"
access_extra=(--carrier websocket) # cloudflared's form: one WebSocket (TCP + TLS + upgrade) per connection
start_tunnels "TunnelActors (WebSocket each)" "$edge_port" "$edge_port" ws
access_extra=()

# --- measurements -------------------------------------------------------------------------
measure() { # path
  local path=$1 p_echo; read -r _ p_echo _ <<<"${ports[$path]}"
  echo "measuring $path..." >&2
  measure_iperf "$path"
  local pp; pp=$($loadgen pingpong "$p_echo" "$pings")
  result["$path|ping-pong p50 µs"]=$(json 'round(d["p50_us"])' <<<"$pp")
  result["$path|ping-pong p99 µs"]=$(json 'round(d["p99_us"])' <<<"$pp")
  local before; before=$(edge_phases)
  measure_ttfb "$path"
  phases["$path"]=$(phase_means "$before" "$(edge_phases)")
  local s; s=$($loadgen streams "$p_echo" "${few[@]}")
  result["$path|${few[0]} streams MB/s"]=$(json 'round(d["aggregate_MBps"])' <<<"$s")
  result["$path|${few[0]} streams slowest share"]=$(json '"%.2f (%d/%d)" % (d["slowest_share"], d["complete"], d["count"])' <<<"$s")
  s=$($loadgen streams "$p_echo" "${many[@]}")
  result["$path|${many[0]} streams MB/s"]=$(json 'round(d["aggregate_MBps"])' <<<"$s")
  result["$path|${many[0]} streams slowest share"]=$(json '"%.2f (%d/%d)" % (d["slowest_share"], d["complete"], d["count"])' <<<"$s")
  measure_smb "$path"
}
declare -A phases
paths=("direct" "ssh -L (default)" "ssh -L aes128-gcm" "TunnelActors" "TunnelActors (WebSocket each)")
for path in "${paths[@]}"; do measure "$path"; done
edge_mib=$(peak "$edge_pid"); connector_mib=$(peak "$echo_connector")

# --- fault: the client's path goes silent (a relay drops everything on the connections it carries, new ones pass) ---
recovery() { # result-variable access-extra...: seconds until a new connection succeeds after the path went silent
  local var=$1 relay control; shift; relay=$(free_port); control="$work/blackhole-$relay"
  $loadgen blackhole "$relay" "$edge_port" "$control" > "$work/blackhole-$relay.log" 2>&1 & pids+=($!)
  wait_port "$relay"
  access_extra=("$@"); start_access "echo-tunnelactors.site.test" "$relay" "-fault-$relay"; access_extra=()
  $loadgen ttfb "$last_port" 5 >/dev/null # the carrier (if any) is up and used
  touch "$control"
  printf -v "$var" '%s' "$($loadgen recover "$last_port" 30 | json '"%.2f s" % d["recovered_s"] if d["recovered_s"] is not None else "not within 30 s"')"
  kill "$last_pid" 2>/dev/null || true
}
recovery fault_mux; recovery fault_ws --carrier websocket

# --- the table ----------------------------------------------------------------------------
metrics=("1 stream MB/s" "8 streams MB/s" "ping-pong p50 µs" "ping-pong p99 µs" "new connection TTFB µs" "warm TTFB µs"
  "${few[0]} streams MB/s" "${few[0]} streams slowest share" "${many[0]} streams MB/s" "${many[0]} streams slowest share" "SMB put MB/s" "SMB get MB/s")
loopback=$( {
  table metrics "${paths[@]}"
  echo
  echo "Peak memory (VmHWM) after ${many[0]} concurrent streams: edge ${edge_mib} MiB, connector ${connector_mib} MiB."
  echo
  echo "Where a new stream's time goes at the edge (mean per stream over the TTFB run, from its tunnelactors_edge_stream_open_phase counters):"
  for p in "TunnelActors" "TunnelActors (WebSocket each)"; do echo "- $p: ${phases[$p]:-n/a}"; done
  echo
  echo "Fault: the client's path goes silent (every packet on its open connections dropped, new connections pass): a new connection succeeds again after ${fault_mux} with the carrier, ${fault_ws} with a WebSocket per connection."
} )
echo; echo "$loopback"
if [ -z "$smoke" ]; then
  {
    echo "Run by \`ops/bench/run.sh\` on $(date -u +%Y-%m-%d) — $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB, Linux $(uname -r), $(ssh -V 2>&1 | cut -d, -f1)."
    echo "Everything on loopback; iperf3 ${iperf_secs} s; ping-pong ${pings} round trips of 64 B; TTFB median of ${connects} new connections (connect + 1-byte echo), warm: again after ${warmups} more;"
    echo "${few[0]} × $((few[1] >> 10)) KiB and ${many[0]} × $((many[1] >> 10)) KiB concurrent echo streams (slowest share = slowest stream's rate ÷ mean rate);"
    echo "SMB: smbclient put/get of ${smb_mib} MiB on tmpfs, one warm-up then the median of ${smb_runs}, every round trip compared byte for byte."
    echo
    echo "$loopback"
  } > ops/bench/results/loopback.md
  bash ops/bench/results.sh
fi
