#!/usr/bin/env bash
# The README's first command: the whole product on one machine with embedded defaults.
# Starts a single-node edge (self-signed TLS, SQLite in ./data), a connector for
# smb.site.test in front of --url, signs you in with a one-time PIN (the dev PIN sender
# prints it here), starts an `access tcp` client on 127.0.0.1:8445 and prints the
# smbclient / mount line to use. Ctrl+C (or SIGTERM) stops everything.
#
#   ops/quickstart.sh --url tcp://127.0.0.1:445 [--hostname smb.site.test] [--local-port 8445]
#                     [--edge-port 8443] [--data-dir ./data] [--service-token]
#
# --service-token skips the sign-in and uses the dev service token (headless runs).
set -euo pipefail
cd "$(dirname "$0")/.."

url="tcp://127.0.0.1:445" hostname="smb.site.test" local_port=8445 edge_port=8443 data_dir="./data" use_service_token=""
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url="$2"; shift 2 ;;
    --hostname) hostname="$2"; shift 2 ;;
    --local-port) local_port="$2"; shift 2 ;;
    --edge-port) edge_port="$2"; shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    --service-token) use_service_token=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

cli="${TUNNELACTORS_CLI:-src/TunnelActors.Cli/bin/Release/net10.0/tunnelactors.dll}"
if [ -z "${TUNNELACTORS_CLI:-}" ]; then
  echo "building tunnelactors (Release)..."
  dotnet build src/TunnelActors.Cli -c Release -v quiet -nologo >/dev/null
fi
# Always started in the background: exec so that $! is the process itself and signals reach it.
run() { exec dotnet "$cli" "$@"; }

mkdir -p "$data_dir/logs"
pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

edge="https://127.0.0.1:$edge_port"
run edge --listen "$edge" --data-dir "$data_dir" > "$data_dir/logs/edge.log" 2>&1 & pids+=($!)
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 120); do
  [ -f "$data_dir/service-token.json" ] && listening "$edge_port" && break
  sleep 0.5
done
listening "$edge_port" || { echo "edge did not start; see $data_dir/logs/edge.log"; tail -20 "$data_dir/logs/edge.log"; exit 1; }

run tunnel --hostname "$hostname" --url "$url" --edge "$edge" --ca-file "$data_dir/edge-ca.pem" \
  --origincert "$data_dir/cert.pem" > "$data_dir/logs/tunnel.log" 2>&1 & pids+=($!)

if [ -n "$use_service_token" ]; then
  token_id=$(sed -n 's/.*"client_id": *"\([^"]*\)".*/\1/p' "$data_dir/service-token.json")
  token_secret=$(sed -n 's/.*"client_secret": *"\([^"]*\)".*/\1/p' "$data_dir/service-token.json")
  export TUNNEL_SERVICE_TOKEN_ID="$token_id" TUNNEL_SERVICE_TOKEN_SECRET="$token_secret"
elif ! dotnet "$cli" access token --app "https://$hostname" >/dev/null 2>&1; then
  # Sign in once with a one-time PIN; the dev PIN sender writes PINs to the edge log, shown here.
  tail -n 0 -F "$data_dir/logs/edge.log" 2>/dev/null | grep --line-buffered -o "One-time PIN for .*" & pids+=($!)
  echo
  echo "Sign in: open the URL below, enter any email address, then the PIN printed here."
  dotnet "$cli" access login "https://$hostname" --edge "$edge" --ca-file "$data_dir/edge-ca.pem" \
    $( [ -z "${DISPLAY:-}" ] && echo --no-browser )
fi
run access tcp --hostname "$hostname" --url "127.0.0.1:$local_port" --edge "$edge" --ca-file "$data_dir/edge-ca.pem" --no-browser \
  > "$data_dir/logs/access.log" 2>&1 & pids+=($!)

for _ in $(seq 1 60); do grep -q "registered $hostname" "$data_dir/logs/tunnel.log" 2>/dev/null && break; sleep 0.5; done
grep -q "registered $hostname" "$data_dir/logs/tunnel.log" || { echo "connector did not register; see $data_dir/logs/tunnel.log"; tail -20 "$data_dir/logs/tunnel.log"; exit 1; }
for _ in $(seq 1 60); do listening "$local_port" && break; sleep 0.5; done
listening "$local_port" || { echo "access tcp did not start; see $data_dir/logs/access.log"; tail -20 "$data_dir/logs/access.log"; exit 1; }

cat <<INFO

TunnelActors is running: $hostname -> $url through the edge at $edge
Logs: $data_dir/logs/{edge,tunnel,access}.log
Dashboard: $edge/dashboard (admin token: $data_dir/admin-token; the browser must trust $data_dir/edge-ca.pem)

Point your SMB client at 127.0.0.1:$local_port, for example:
  smbclient //127.0.0.1/SHARE -p $local_port -U USER
  sudo mount -t cifs //127.0.0.1/SHARE /mnt/share -o port=$local_port,username=USER

Press Ctrl+C to stop.
INFO
wait -n "${pids[@]}" || true
echo "a component exited; see $data_dir/logs"
