#!/usr/bin/env bash
# Where a warm new connection's time to first byte goes, step by step: one echo service behind TunnelActors
# (edge, connector, `access tcp`), 2,000 warm-up connections, then `tcpdump` on loopback during 300 more, each
# step's median printed (ops/bench/ttfb_steps.py). Installs tcpdump if missing; writes nothing; a minute or so.
#   ops/bench/ttfb-steps.sh [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
connections=${1:-300}
iperf_secs=1; smb_mib=1; smb_runs=1; bench_packages=(tcpdump)
source ops/bench/lib.sh

start_echo_tunnel

$loadgen ttfb "$ta_port" 2000 >/dev/null # warm: JIT, pools, the carrier
tcpdump -tt -n -i lo -B 16384 tcp > "$work/dump.txt" 2>/dev/null & dump=$!; pids+=($dump)
sleep 1
$loadgen ttfb "$ta_port" "$connections" | json '"loadgen median: %d µs" % round(d["median_us"])'
sleep 1; kill "$dump"; wait "$dump" 2>/dev/null || true
python3 ops/bench/ttfb_steps.py "$work/dump.txt" "$ta_port" "$edge_port" "$echo_port"
