#!/usr/bin/env bash
# Benchmarks over an emulated WAN: a delay-line relay (ops/bench/delayline) adds a round-trip time
# and caps the rate on one hop. Side by side for each RTT: direct through the relay, `ssh -L`
# through it, and TunnelActors with the relay on the connector↔edge hop and on the client↔edge hop.
#   ops/bench/wan.sh            RTT 10, 40 and 100 ms (about fifteen minutes); writes results/wan.md and RESULTS.md
#   ops/bench/wan.sh --smoke    one short pass at 40 ms (CI); writes nothing
# WAN_RATE_MBIT sets the cap (default 800 Mbit/s each way), WAN_RTTS the round trips (default "10 40 100"). The relay must never be the limit:
# where direct falls below 90 % of the cap, the cap is lowered and the RTT measured again.
set -euo pipefail
cd "$(dirname "$0")/../.."
smoke=""; [ "${1:-}" = "--smoke" ] && smoke=1
if [ -n "$smoke" ]; then
  rtts=(40); iperf_secs=2; connects=5; smb_mib=8; smb_runs=1
else
  rtts=(10 40 100); iperf_secs=10; connects=20; smb_mib=256; smb_runs=2
fi
rate_mbit=${WAN_RATE_MBIT:-800}
[ -n "${WAN_RTTS:-}" ] && read -r -a rtts <<<"$WAN_RTTS"   # e.g. WAN_RTTS="40" for one RTT
source ops/bench/lib.sh
dotnet build ops/bench/delayline -c Release -v quiet -nologo >/dev/null
delayline="$root/ops/bench/delayline/bin/Release/net10.0/delayline"

start_services
start_sshd
start_edge

paths=("direct" "ssh -L" "TunnelActors, connector hop" "TunnelActors, client hop" "TunnelActors (WebSocket each), client hop")
metrics=("1 stream MB/s" "8 streams MB/s" "new connection TTFB µs" "SMB put MB/s" "SMB get MB/s")
measure() { # path
  echo "  measuring $1..." >&2
  measure_iperf "$1"; measure_ttfb "$1"; measure_smb "$1"
}
tables=""
for rtt in "${rtts[@]}"; do
  while true; do
    echo "RTT $rtt ms, cap $rate_mbit Mbit/s" >&2
    result=()
    d_iperf=$(free_port); d_echo=$(free_port); d_smb=$(free_port); r_ssh=$(free_port); r_edge=$(free_port)
    "$delayline" --rtt-ms "$rtt" --rate-mbit "$rate_mbit" \
      "$d_iperf=$iperf" "$d_echo=$echo_port" "$d_smb=$smb" "$r_ssh=$sshp" "$r_edge=$edge_port" > "$work/relay-$rtt.log" 2>&1 & relay=$!; pids+=($relay)
    # Not wait_port: a probe connection through the relay would reach iperf3 late and keep it busy.
    for _ in $(seq 1 100); do grep -q '^delayline:' "$work/relay-$rtt.log" && break; sleep 0.1; done
    ports[direct]="$d_iperf $d_echo $d_smb"
    measure_iperf direct
    reached=$(python3 -c "print(${result[direct|1 stream MB/s]} * 8 / $rate_mbit)")
    if [ -z "$smoke" ] && python3 -c "import sys; sys.exit(0 if $reached < 0.9 else 1)"; then
      rate_mbit=$(python3 -c "print(int($rate_mbit * 0.75))")
      echo "  direct reached only $reached of the cap: the relay is the limit, lowering the cap to $rate_mbit Mbit/s" >&2
      kill "$relay"; wait "$relay" 2>/dev/null || true
      continue
    fi
    break
  done
  measure_ttfb direct; measure_smb direct
  forward "ssh -L" "$r_ssh"; ssh_pid=$last_pid
  measure "ssh -L"
  kill "$ssh_pid"; wait "$ssh_pid" 2>/dev/null || true
  start_tunnels "TunnelActors, connector hop" "$r_edge" "$edge_port" "c$rtt"; measure "TunnelActors, connector hop"; stop_tunnels
  start_tunnels "TunnelActors, client hop" "$edge_port" "$r_edge" "a$rtt"; measure "TunnelActors, client hop"; stop_tunnels
  # cloudflared's form pays TCP, TLS and the upgrade per connection over the long hop: time to first byte only.
  access_extra=(--carrier websocket); start_tunnels "TunnelActors (WebSocket each), client hop" "$edge_port" "$r_edge" "w$rtt"; access_extra=()
  measure_ttfb "TunnelActors (WebSocket each), client hop"; stop_tunnels
  kill "$relay"; wait "$relay" 2>/dev/null || true
  t=$(table metrics "${paths[@]}")
  echo; echo "RTT $rtt ms:"; echo "$t"
  tables+=$'\n'"**RTT $rtt ms**, $rate_mbit Mbit/s each way (direct reached $(printf '%.0f' "$(python3 -c "print($reached*100)")") % of the cap):"$'\n\n'"$t"$'\n'
done
if [ -z "$smoke" ]; then
  {
    echo "## Emulated WAN"
    echo
    echo "Run by \`ops/bench/wan.sh\` on $(date -u +%Y-%m-%d), same machine. The delay-line relay (ops/bench/delayline) terminates TCP on both"
    echo "sides, adds half the RTT each way and caps the rate per direction (shared by all connections, holding at most rate × (delay + 5 ms)),"
    echo "so only application-level flow control sees the round trip. It sits on the path's one long hop: between client and service"
    echo "(direct), between ssh and sshd (\`ssh -L\`), between connector and edge, or between access client and edge."
    echo "iperf3 ${iperf_secs} s; TTFB median of ${connects} new connections (connect + 1-byte echo); SMB: smbclient put/get of ${smb_mib} MiB, one warm-up then the median of ${smb_runs}, compared byte for byte."
    echo "$tables"
  } > ops/bench/results/wan.md
  bash ops/bench/results.sh
fi
