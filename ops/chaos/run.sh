#!/usr/bin/env bash
# The chaos suite, by hand: three edges (one PostgreSQL), two connector replicas, a real Samba
# share and an smbclient put/get loop through `access tcp`, while edges are SIGKILLed and
# restarted, a connector replica is killed, WebSockets are dropped, a stream is closed through
# the admin API and all edges are restarted one by one. Every fault checks that it took effect
# (a close that closed nothing fails the run), and after each the cluster must run exactly one
# copy of the tunnel's sharded entity again within 30 s. Prints recovery times, the share of
# failed transfers and the sha256 proof for every completed transfer; exits 1 if a completed
# transfer was corrupt, a fault did not happen, or the entity did not come back single.
#   ops/chaos/run.sh                 every fault, 20 s of traffic after each
#   ops/chaos/run.sh --settle 60     longer windows
#   ops/chaos/run.sh --smoke         short windows (a couple of minutes in all)
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
for p in samba smbclient postgresql python3; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  systemctl disable --now smbd nmbd postgresql >/dev/null 2>&1 || true
fi
export TUNNELACTORS_CLI="${TUNNELACTORS_CLI:-$(pwd)/src/TunnelActors.Cli/bin/Release/net10.0/tunnelactors.dll}"
[ -f "$TUNNELACTORS_CLI" ] && [ -n "${CHAOS_NO_BUILD:-}" ] || dotnet build src/TunnelActors.Cli -c Release -v quiet -nologo >/dev/null
exec python3 ops/chaos/chaos.py "$@"
