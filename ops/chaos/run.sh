#!/usr/bin/env bash
# The chaos suite, by hand, at the product's default settings: three edges (one PostgreSQL;
# as root, each edge in a network namespace of its own), two connector replicas, a real Samba
# share, an smbclient put/get loop and a probe opening a new connection every 0.25 s through
# `access tcp`, while edges are SIGKILLed and restarted, a connector replica is killed,
# WebSockets are dropped, a stream is closed through the admin API, the client's edge is
# frozen (SIGSTOP) for 5 s and for 60 s, a connector replica is frozen, the path to the client's
# edge is black-holed, one edge is partitioned from the other two and then all three from each
# other (then healed), and all edges are restarted one by one. A supervisor restarts an edge
# that exits, as Restart=always does. Every fault checks that it took effect, and after each the
# cluster must run exactly one copy of the tunnel's sharded entity again within 45 s. Prints
# recovery times, the share of failed transfers, the sha256 proof for every completed
# transfer and the figures against their targets; exits 1 if a completed transfer was corrupt,
# a fault did not happen, or the entity did not come back single.
#   ops/chaos/run.sh                 every fault, 20 s of traffic after each
#   ops/chaos/run.sh --settle 60     longer windows
#   ops/chaos/run.sh --smoke         short windows (a 25 s freeze, 25 s partitions: about 6 minutes)
#   ops/chaos/run.sh --soak 30       instead: 30 minutes of churn (100,000 short connections, 64 MiB SMB
#                                    transfers, a random gray fault every 30 s) with every process's RSS
#                                    sampled; prints each one's growth after warm-up
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
for p in samba smbclient postgresql python3 iproute2; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  systemctl disable --now smbd nmbd postgresql >/dev/null 2>&1 || true
fi
export TUNNELACTORS_CLI="${TUNNELACTORS_CLI:-$(pwd)/src/TunnelActors.Cli/bin/Release/net10.0/tunnelactors.dll}"
[ -f "$TUNNELACTORS_CLI" ] && [ -n "${CHAOS_NO_BUILD:-}" ] || dotnet build src/TunnelActors.Cli -c Release -v quiet -nologo >/dev/null
exec python3 ops/chaos/chaos.py "$@"
