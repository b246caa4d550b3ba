#!/usr/bin/env bash
# Benchmarks TunnelActors side by side with a direct connection and OpenSSH `ssh -L` (default
# cipher and aes128-gcm), all on loopback in one run, and writes the table to RESULTS.md.
#   ops/bench/run.sh            full run (a few minutes)
#   ops/bench/run.sh --smoke    seconds-long version of every measurement (CI); writes nothing
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
smoke=""; [ "${1:-}" = "--smoke" ] && smoke=1

# --- sizes: full run vs smoke ---------------------------------------------------------
if [ -n "$smoke" ]; then
  iperf_secs=1; pings=200; connects=20; few=(20 65536); many=(100 65536); smb_mib=8; smb_runs=1
else
  iperf_secs=10; pings=5000; connects=200; few=(100 1048576); many=(1000 262144); smb_mib=256; smb_runs=5
fi

# --- tools ------------------------------------------------------------------------------
need=()
for p in iperf3 openssh-server openssh-client samba smbclient python3; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
cli="${TUNNELACTORS_CLI:-$root/src/TunnelActors.Cli/bin/Release/net10.0/tunnelactors.dll}"
[ -n "${TUNNELACTORS_CLI:-}" ] || dotnet build src/TunnelActors.Cli -c Release -v quiet -nologo >/dev/null
loadgen="python3 $root/ops/bench/loadgen.py"

work=$(mktemp -d /dev/shm/tunnelactors-bench.XXXXXX)   # tmpfs: file I/O never limits the figures
chmod 0711 "$work"   # smbd serves the share below it as the bench user
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  bash "$root/tests/fixtures/samba/stop-smbd.sh" "$work/smb" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; return 1; }

# --- the services: iperf3, an echo service, Samba ---------------------------------------
iperf=$(free_port); echo_port=$(free_port); smb=$(free_port)
iperf3 -s -p "$iperf" -B 127.0.0.1 >/dev/null 2>&1 & pids+=($!)
$loadgen echo-server "$echo_port" & pids+=($!)
bash tests/fixtures/samba/start-smbd.sh "$work/smb" "$smb" benchuser benchpass >/dev/null
wait_port "$iperf"; wait_port "$echo_port"

# --- ssh -L, two ciphers ------------------------------------------------------------------
mkdir -p "$work/ssh" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/client"
cp "$work/ssh/client.pub" "$work/ssh/authorized_keys"
sshp=$(free_port)
cat > "$work/ssh/sshd_config" <<CONF
Port $sshp
ListenAddress 127.0.0.1
HostKey $work/ssh/host
PidFile $work/ssh/sshd.pid
AuthorizedKeysFile $work/ssh/authorized_keys
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
AllowTcpForwarding yes
CONF
/usr/sbin/sshd -f "$work/ssh/sshd_config" -D -e 2>"$work/ssh/sshd.log" & pids+=($!)
wait_port "$sshp"
declare -A ports
forward() { # name cipher-args...
  local name=$1; shift
  local a b c; a=$(free_port); b=$(free_port); c=$(free_port)
  ssh -q -N -i "$work/ssh/client" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ExitOnForwardFailure=yes \
    -p "$sshp" "$@" -L "$a:127.0.0.1:$iperf" -L "$b:127.0.0.1:$echo_port" -L "$c:127.0.0.1:$smb" root@127.0.0.1 & pids+=($!)
  wait_port "$a"; wait_port "$b"; wait_port "$c"
  ports[$name]="$a $b $c"
}
forward "ssh -L (default)"
forward "ssh -L aes128-gcm" -c aes128-gcm@openssh.com
ports[direct]="$iperf $echo_port $smb"

# --- TunnelActors: edge, three connectors, three access clients (TLS as deployed) ---------------
edge_port=$(free_port); edge="https://127.0.0.1:$edge_port"; ta="$work/ta"
dotnet "$cli" edge --listen "$edge" --data-dir "$ta" > "$work/edge.log" 2>&1 & edge_pid=$!; pids+=($edge_pid)
for _ in $(seq 1 200); do [ -f "$ta/service-token.json" ] && break; sleep 0.1; done
wait_port "$edge_port"
export TUNNEL_SERVICE_TOKEN_ID TUNNEL_SERVICE_TOKEN_SECRET
TUNNEL_SERVICE_TOKEN_ID=$(sed -n 's/.*"client_id": *"\([^"]*\)".*/\1/p' "$ta/service-token.json")
TUNNEL_SERVICE_TOKEN_SECRET=$(sed -n 's/.*"client_secret": *"\([^"]*\)".*/\1/p' "$ta/service-token.json")
ta_ports=()
for svc in "iperf:$iperf" "echo:$echo_port" "smb:$smb"; do
  name=${svc%%:*}; target=${svc##*:}; local_port=$(free_port); metrics=$(free_port)
  dotnet "$cli" tunnel --hostname "$name.site.test" --url "tcp://127.0.0.1:$target" --edge "$edge" --ca-file "$ta/edge-ca.pem" \
    --origincert "$ta/cert.pem" --metrics "127.0.0.1:$metrics" > "$work/tunnel-$name.log" 2>&1 & pids+=($!)
  [ "$name" = echo ] && echo_connector=$!
  dotnet "$cli" access tcp --hostname "$name.site.test" --url "127.0.0.1:$local_port" --edge "$edge" --ca-file "$ta/edge-ca.pem" \
    > "$work/access-$name.log" 2>&1 & pids+=($!)
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$metrics/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  wait_port "$local_port"; ta_ports+=("$local_port")
done
ports[TunnelActors]="${ta_ports[*]}"

# --- measurements -------------------------------------------------------------------------
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
declare -A result
measure() { # path
  local path=$1; read -r p_iperf p_echo p_smb <<<"${ports[$path]}"
  echo "measuring $path..." >&2
  result["$path|1 stream MB/s"]=$(iperf3 -c 127.0.0.1 -p "$p_iperf" -t "$iperf_secs" -J | json 'round(d["end"]["sum_received"]["bits_per_second"]/8e6)')
  result["$path|8 streams MB/s"]=$(iperf3 -c 127.0.0.1 -p "$p_iperf" -t "$iperf_secs" -P 8 -J | json 'round(d["end"]["sum_received"]["bits_per_second"]/8e6)')
  local pp; pp=$($loadgen pingpong "$p_echo" "$pings")
  result["$path|ping-pong p50 µs"]=$(json 'round(d["p50_us"])' <<<"$pp")
  result["$path|ping-pong p99 µs"]=$(json 'round(d["p99_us"])' <<<"$pp")
  result["$path|new connection TTFB µs"]=$($loadgen ttfb "$p_echo" "$connects" | json 'round(d["median_us"])')
  local s; s=$($loadgen streams "$p_echo" "${few[@]}")
  result["$path|${few[0]} streams MB/s"]=$(json 'round(d["aggregate_MBps"])' <<<"$s")
  result["$path|${few[0]} streams slowest share"]=$(json '"%.2f (%d/%d)" % (d["slowest_share"], d["complete"], d["count"])' <<<"$s")
  s=$($loadgen streams "$p_echo" "${many[@]}")
  result["$path|${many[0]} streams MB/s"]=$(json 'round(d["aggregate_MBps"])' <<<"$s")
  result["$path|${many[0]} streams slowest share"]=$(json '"%.2f (%d/%d)" % (d["slowest_share"], d["complete"], d["count"])' <<<"$s")
  local puts=() gets=()
  for run in $(seq 0 "$smb_runs"); do # run 0 warms up
    local out; out=$(smbclient //127.0.0.1/share -p "$p_smb" -U benchuser%benchpass -m SMB3 \
      -c "put $work/file.bin bench.bin; get bench.bin $work/back.bin" 2>&1)
    cmp -s "$work/file.bin" "$work/back.bin" || { echo "SMB round trip through $path failed or corrupted the file: $out" >&2; exit 1; }
    [ "$run" -eq 0 ] && continue
    # smbclient prints "putting file X as Y (123.4 kb/s) ..." and "getting file ... (123.4 KiloBytes/sec) ...", in KiB/s.
    puts+=("$(sed -n 's/.*putting file .* (\([0-9.]*\) kb\/s) (average.*/\1/p' <<<"$out")")
    gets+=("$(sed -n 's/.*getting file .* (\([0-9.]*\) KiloBytes\/sec) (average.*/\1/p' <<<"$out")")
  done
  result["$path|SMB put MB/s"]=$(printf '%s\n' "${puts[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]*1.024/1000}')
  result["$path|SMB get MB/s"]=$(printf '%s\n' "${gets[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]*1.024/1000}')
}
head -c $((smb_mib << 20)) /dev/urandom > "$work/file.bin"
paths=("direct" "ssh -L (default)" "ssh -L aes128-gcm" "TunnelActors")
for path in "${paths[@]}"; do measure "$path"; done
peak() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
edge_mib=$(peak "$edge_pid"); connector_mib=$(peak "$echo_connector")

# --- the table ----------------------------------------------------------------------------
metrics=("1 stream MB/s" "8 streams MB/s" "ping-pong p50 µs" "ping-pong p99 µs" "new connection TTFB µs"
  "${few[0]} streams MB/s" "${few[0]} streams slowest share" "${many[0]} streams MB/s" "${many[0]} streams slowest share" "SMB put MB/s" "SMB get MB/s")
table=$( {
  printf '| metric | %s | %s | %s | %s | TunnelActors ÷ direct | TunnelActors ÷ ssh -L (default) |\n' "${paths[@]}"
  printf '|---|---|---|---|---|---|---|\n'
  for m in "${metrics[@]}"; do
    row="| $m |"; for path in "${paths[@]}"; do row="$row ${result[$path|$m]} |"; done
    ta=${result[TunnelActors|$m]}; d=${result[direct|$m]}; s=${result[ssh -L (default)|$m]}
    ratio() { python3 -c "a,b='$1'.split()[0],'$2'.split()[0]; print(f'{float(a)/float(b):.2f}' if float(b) else '-')" 2>/dev/null || echo -; }
    echo "$row $(ratio "$ta" "$d") | $(ratio "$ta" "$s") |"
  done
  echo
  echo "Peak memory (VmHWM) after ${many[0]} concurrent streams: edge ${edge_mib} MiB, connector ${connector_mib} MiB."
} )
echo; echo "$table"
if [ -z "$smoke" ]; then
  {
    echo "# Benchmark results"
    echo
    echo "Run by \`ops/bench/run.sh\` on $(date -u +%Y-%m-%d) — $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB, Linux $(uname -r), $(ssh -V 2>&1 | cut -d, -f1)."
    echo "Everything on loopback; iperf3 ${iperf_secs} s; ping-pong ${pings} round trips of 64 B; TTFB median of ${connects} new connections (connect + 1-byte echo);"
    echo "${few[0]} × $((few[1] >> 10)) KiB and ${many[0]} × $((many[1] >> 10)) KiB concurrent echo streams (slowest share = slowest stream's rate ÷ mean rate);"
    echo "SMB: smbclient put/get of ${smb_mib} MiB on tmpfs, one warm-up then the median of ${smb_runs}, every round trip compared byte for byte."
    echo
    echo "$table"
    # The hand-written analysis of what limits the figures, kept next to the script.
    [ -f ops/bench/analysis.md ] && cat ops/bench/analysis.md
  } > ops/bench/RESULTS.md
  echo "wrote ops/bench/RESULTS.md"
fi
