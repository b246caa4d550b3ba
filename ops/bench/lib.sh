# Shared by ops/bench/run.sh (loopback) and ops/bench/wan.sh (emulated WAN): tools, the services
# under test (iperf3, an echo service, Samba), OpenSSH, TunnelActors, and the measurements.
# Sourced after the caller has cd'ed to the repository root and set: iperf_secs connects smb_mib smb_runs.
# bench_packages (optional): Debian packages the caller needs besides these.

root=$(pwd)
need=()
for p in iperf3 openssh-server openssh-client samba smbclient python3 ${bench_packages[@]+"${bench_packages[@]}"}; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
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
# A free port, each handed out once (listed in $work/ports): see ops/ports.py.
free_port() { python3 "$root/ops/ports.py" "$work/ports"; }
wait_port() { for _ in $(seq 1 1200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; return 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
peak() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
rss() { awk '/VmRSS/ {printf "%.0f", $2}' "/proc/$1/status"; }   # KiB
ratio() { python3 -c "a,b='$1'.split()[0],'$2'.split()[0]; print(f'{float(a)/float(b):.2f}' if float(b) else '-')" 2>/dev/null || echo -; }

# --- the services: iperf3, an echo service, Samba ---------------------------------------
start_services() {
  iperf=$(free_port); echo_port=$(free_port); smb=$(free_port)
  iperf3 -s -p "$iperf" -B 127.0.0.1 >/dev/null 2>&1 & pids+=($!)
  $loadgen echo-server "$echo_port" & pids+=($!)
  bash tests/fixtures/samba/start-smbd.sh "$work/smb" "$smb" benchuser benchpass >/dev/null
  wait_port "$iperf"; wait_port "$echo_port"
  head -c $((smb_mib << 20)) /dev/urandom > "$work/file.bin"
}

# --- OpenSSH: sshd, and `ssh -L` forwards of the three services ----------------------------
start_sshd() {
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
}
declare -A ports
forward() { # name ssh-port cipher-args...: ports[name] = "iperf echo smb" through ssh -L
  local name=$1 port=$2; shift 2
  local a b c; a=$(free_port); b=$(free_port); c=$(free_port)
  ssh -q -N -i "$work/ssh/client" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ExitOnForwardFailure=yes \
    -p "$port" "$@" -L "$a:127.0.0.1:$iperf" -L "$b:127.0.0.1:$echo_port" -L "$c:127.0.0.1:$smb" root@127.0.0.1 & pids+=($!)
  last_pid=$!
  wait_port "$a"; wait_port "$b"; wait_port "$c"
  ports[$name]="$a $b $c"
}

# --- TunnelActors: an edge, then connectors and access clients (TLS as deployed) ----------------
start_edge() {
  edge_port=$(free_port); edge_metrics=$(free_port); ta="$work/ta"
  dotnet "$cli" edge --listen "https://127.0.0.1:$edge_port" --data-dir "$ta" --metrics "127.0.0.1:$edge_metrics" > "$work/edge.log" 2>&1 & edge_pid=$!; pids+=($edge_pid)
  for _ in $(seq 1 1200); do [ -f "$ta/service-token.json" ] && break; kill -0 "$edge_pid" 2>/dev/null || break; sleep 0.1; done
  [ -f "$ta/service-token.json" ] || { echo "the edge did not start: $(tail -n 5 "$work/edge.log")" >&2; return 1; }
  wait_port "$edge_port"
  export TUNNEL_SERVICE_TOKEN_ID TUNNEL_SERVICE_TOKEN_SECRET
  TUNNEL_SERVICE_TOKEN_ID=$(sed -n 's/.*"client_id": *"\([^"]*\)".*/\1/p' "$ta/service-token.json")
  TUNNEL_SERVICE_TOKEN_SECRET=$(sed -n 's/.*"client_secret": *"\([^"]*\)".*/\1/p' "$ta/service-token.json")
}
# hostname target-port edge-port: one connector (quick tunnel) for hostname, ready; its pid in last_pid
start_connector() {
  local metrics; metrics=$(free_port)
  dotnet "$cli" tunnel --hostname "$1" --url "tcp://127.0.0.1:$2" --edge "https://127.0.0.1:$3" --ca-file "$ta/edge-ca.pem" \
    --origincert "$ta/cert.pem" --metrics "127.0.0.1:$metrics" > "$work/tunnel-$1.log" 2>&1 & pids+=($!); last_pid=$!
  for _ in $(seq 1 1200); do curl -sf "http://127.0.0.1:$metrics/ready" >/dev/null 2>&1 && return 0; kill -0 "$last_pid" 2>/dev/null || break; sleep 0.1; done
  echo "connector for $1 not ready (exited, or 120 s passed): $(tail -n 5 "$work/tunnel-$1.log")" >&2; return 1
}
# One echo service (echo_port) behind TunnelActors: an edge, a connector (connector_pid) and `access tcp` (access_pid,
# listening on ta_port), for the latency scripts.
start_echo_tunnel() {
  echo_port=$(free_port)
  $loadgen echo-server "$echo_port" & pids+=($!)
  wait_port "$echo_port"
  start_edge
  start_connector echo.site.test "$echo_port" "$edge_port"; connector_pid=$last_pid
  start_access echo.site.test "$edge_port"; ta_port=$last_port; access_pid=$last_pid
}
# hostname edge-port [log-tag]: one `access tcp` for hostname (with access_extra's flags), listening; its pid in last_pid, its port in last_port
access_extra=()
start_access() {
  last_port=$(free_port)
  dotnet "$cli" access tcp --hostname "$1" --url "127.0.0.1:$last_port" --edge "https://127.0.0.1:$2" --ca-file "$ta/edge-ca.pem" "${access_extra[@]}" \
    > "$work/access-$1${3:-}.log" 2>&1 & pids+=($!); last_pid=$!
  wait_port "$last_port"
}
# path connector-edge-port client-edge-port [tag]: one connector and one access client per service,
# on hostnames SERVICE-TAG.site.test; ports[path] = their local ports, tunnel_pids = the processes.
start_tunnels() {
  local path=$1 c_edge=$2 a_edge=$3 tag=${4:-}; [ -n "$tag" ] || tag=$(tr -c 'a-z0-9' '-' <<<"${path,,}" | sed 's/-*$//')
  local local_ports=(); tunnel_pids=()
  for svc in "iperf:$iperf" "echo:$echo_port" "smb:$smb"; do
    local name=${svc%%:*} target=${svc##*:}
    start_connector "$name-$tag.site.test" "$target" "$c_edge"; tunnel_pids+=("$last_pid")
    [ "$name" = echo ] && echo_connector=$last_pid
    start_access "$name-$tag.site.test" "$a_edge"; tunnel_pids+=("$last_pid"); local_ports+=("$last_port")
  done
  ports[$path]="${local_ports[*]}"
}
stop_tunnels() { for pid in "${tunnel_pids[@]}"; do kill "$pid" 2>/dev/null || true; done; for pid in "${tunnel_pids[@]}"; do wait "$pid" 2>/dev/null || true; done; }

# --- measurements: result["path|metric"] -------------------------------------------------------
declare -A result
iperf_MBps() { # port extra-args...: received MB/s; retries while iperf3 still serves an earlier probe (wait_port's connection arrives late over a WAN)
  local port=$1 out; shift
  for _ in 1 2 3 4 5; do
    out=$(iperf3 -c 127.0.0.1 -p "$port" -t "$iperf_secs" -J "$@" || true)
    json 'round(d["end"]["sum_received"]["bits_per_second"]/8e6)' <<<"$out" 2>/dev/null && return 0
    sleep 1
  done
  echo "iperf3 through port $port failed: $(json 'd.get("error")' <<<"$out" 2>/dev/null || echo "$out")" >&2; return 1
}
measure_iperf() { # path
  local p_iperf; read -r p_iperf _ _ <<<"${ports[$1]}"
  result["$1|1 stream MB/s"]=$(iperf_MBps "$p_iperf")
  result["$1|8 streams MB/s"]=$(iperf_MBps "$p_iperf" -P 8)
}
measure_ttfb() { # path: the median of $connects new connections; with $warmups set, again after that many more
  local p_echo; read -r _ p_echo _ <<<"${ports[$1]}"
  result["$1|new connection TTFB µs"]=$($loadgen ttfb "$p_echo" "$connects" | json 'round(d["median_us"])')
  [ -n "${warmups:-}" ] || return 0
  # A long-running process has tiered up its per-stream code (.NET's JIT); ssh is native from the start.
  $loadgen ttfb "$p_echo" "$warmups" >/dev/null
  result["$1|warm TTFB µs"]=$($loadgen ttfb "$p_echo" "$connects" | json 'round(d["median_us"])')
}
# The edge's own account of new streams' opening, from its phase counters: edge_phases prints them (JSON),
# phase_means BEFORE AFTER the mean µs per phase of the streams opened in between.
edge_phases() {
  curl -sf "http://127.0.0.1:$edge_metrics/metrics" | python3 -c '
import json, re, sys
out = {}
for line in sys.stdin:
    m = re.match(r"tunnelactors_edge_stream_open_phase_(microseconds_total|total)\{(?:[^}]*,)?phase=\"([^\"]+)\"\} (\S+)", line)
    if m: out.setdefault(m.group(2), [0, 0])[0 if m.group(1) == "microseconds_total" else 1] = float(m.group(3))
print(json.dumps(out))'
}
phase_means() {
  python3 -c '
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
parts = []
for p, (s, n) in b.items():
    s0, n0 = a.get(p, [0, 0])
    if n > n0: parts.append(f"{p} {(s - s0) / (n - n0):.0f} µs")
print("; ".join(parts) or "n/a")' "$1" "$2"
}
measure_smb() { # path: smbclient put and get of file.bin, one warm-up then the median of smb_runs
  local p_smb; read -r _ _ p_smb <<<"${ports[$1]}"
  local puts=() gets=()
  for run in $(seq 0 "$smb_runs"); do
    local out; out=$(smbclient //127.0.0.1/share -p "$p_smb" -U benchuser%benchpass -m SMB3 \
      -c "put $work/file.bin bench.bin; get bench.bin $work/back.bin" 2>&1)
    cmp -s "$work/file.bin" "$work/back.bin" || { echo "SMB round trip through $1 failed or corrupted the file: $out" >&2; exit 1; }
    rm -f "$work/back.bin"
    [ "$run" -eq 0 ] && continue
    # smbclient prints "putting file X as Y (123.4 kb/s) ..." and "getting file ... (123.4 KiloBytes/sec) ...", in KiB/s.
    puts+=("$(sed -n 's/.*putting file .* (\([0-9.]*\) kb\/s) (average.*/\1/p' <<<"$out")")
    gets+=("$(sed -n 's/.*getting file .* (\([0-9.]*\) KiloBytes\/sec) (average.*/\1/p' <<<"$out")")
  done
  result["$1|SMB put MB/s"]=$(printf '%s\n' "${puts[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]*1.024/1000}')
  result["$1|SMB get MB/s"]=$(printf '%s\n' "${gets[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]*1.024/1000}')
}
# table metrics-array-name paths...: a markdown table; every TunnelActors path gets its ratio to the first two (direct, ssh -L)
table() {
  local -n ms=$1; shift; local paths=("$@") base=$1 ssh=$2 ours=()
  for p in "${paths[@]}"; do [[ $p == TunnelActors* ]] && ours+=("$p"); done
  local header="| metric |" rule="|---|"
  for p in "${paths[@]}"; do header="$header $p |"; rule="$rule---|"; done
  for p in "${ours[@]}"; do header="$header $p ÷ $base | $p ÷ $ssh |"; rule="$rule---|---|"; done
  echo "$header"; echo "$rule"
  for m in "${ms[@]}"; do
    local row="| $m |"; for p in "${paths[@]}"; do row="$row ${result[$p|$m]:-} |"; done
    for p in "${ours[@]}"; do row="$row $(ratio "${result[$p|$m]:-}" "${result[$base|$m]:-}") | $(ratio "${result[$p|$m]:-}" "${result[$ssh|$m]:-}") |"; done
    echo "$row"
  done
}
