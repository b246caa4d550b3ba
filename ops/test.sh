#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh Debian machine, builds,
# runs every test project, and ends with one line "N passed, N failed[, N skipped]".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n=== %s\n' "$*"; }

install_packages() {
  # samba/smbclient: the SMB end-to-end tests; chromium: the browser tests (driven by Playwright).
  # iperf3/openssh: the benchmark's CI smoke run (ssh -L is its baseline).
  # postgresql: the edge cluster tests share a control plane (each starts its own server).
  # afl++: the fuzzing smoke (ops/fuzz/run.sh, SharpFuzz-instrumented .NET targets).
  # systemd: systemd-analyze verifies the units the package and `service install` write.
  # prometheus: promtool checks ops/monitoring, and a real server scrapes an edge and a connector.
  local wanted=(samba smbclient chromium iperf3 openssh-server openssh-client curl python3 postgresql afl++ systemd prometheus iproute2)
  command -v node >/dev/null 2>&1 || wanted+=(nodejs npm)
  local missing=()
  for p in "${wanted[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The tests start their own smbd on a loopback high port; the system one is not needed.
  $sudo systemctl disable --now smbd nmbd postgresql prometheus >/dev/null 2>&1 || true
}

install_packages || { echo "package installation failed"; echo "0 passed, 1 failed"; exit 1; }

log "installing the test identity provider (npm oidc-provider, pinned in tests/oidc)"
npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error || { echo "npm install failed"; echo "0 passed, 1 failed"; exit 1; }

results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"

log "building (Release)"
dotnet build TunnelActors.sln -c Release > "$results/build.txt" 2>&1
build_status=$?
tail -n 20 "$results/build.txt"
if [ "$build_status" -ne 0 ]; then grep -E "error" "$results/build.txt" | sort -u | head -n 40; echo "build failed"; echo "0 passed, 1 failed"; exit 1; fi
# Counters from each project's TRX file: <Counters total=".." passed=".." failed=".." ...>.
count() { sed -nE "s/.* $1=\"([0-9]+)\".*/\1/p" <<<"$counters"; }
passed=0 failed=0 skipped=0 status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  log "testing $name"
  out="$results/$name.txt"
  dotnet test "$project" -c Release --no-build --logger "console;verbosity=normal" \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" --blame-hang-timeout 20m 2>&1 \
    | tee "$out" | grep -E "^\s+(Passed|Failed|Skipped) |Error Message|^Total tests|^\s+(Passed|Failed|Skipped):"
  [ "${PIPESTATUS[0]}" -ne 0 ] && status=1
  counters=$(grep -o '<Counters [^>]*>' "$results/$name.trx" 2>/dev/null)
  if [ -z "$counters" ]; then echo "$name: no test results (crash?)"; failed=$((failed + 1)); status=1; continue; fi
  passed=$((passed + $(count passed)))
  failed=$((failed + $(count failed) + $(count error) + $(count timeout) + $(count aborted)))
  skipped=$((skipped + $(count total) - $(count executed)))  # xunit skips are counted as not executed
done

# A short fuzzing run (frame decoder and payloads, a mux session, both YAML readers): one test, failed by any crash.
log "fuzzing (ops/fuzz/run.sh --seconds 15)"
if bash ops/fuzz/run.sh --seconds 15 2>&1 | tee "$results/fuzz.txt" | grep -E "^fuzz "; then passed=$((passed + 1)); else echo "fuzzing found a crash or could not run: see artifacts/fuzz"; failed=$((failed + 1)); status=1; fi

# The packages a user installs (ops/package.sh), then the .deb installed on this machine, its binary through
# the SMB end-to-end test, its units verified, removed and purged; the .NET tool; the other platforms' files.
# Two platforms and no ReadyToRun keep this to a few minutes; `ops/package.sh` alone builds all four, ReadyToRun.
log "packaging (ops/package.sh) and checking what it built (ops/packaging/check.sh)"
export PACKAGE_RIDS="linux-x64 win-x64"
if bash ops/package.sh --rids "$PACKAGE_RIDS" --no-ready-to-run > "$results/package.txt" 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env PACKAGE_RIDS="$PACKAGE_RIDS" bash ops/packaging/check.sh 2>&1 | tee "$results/package-check.txt" | grep -E "^(ok|FAIL) "
  [ "${PIPESTATUS[0]}" -ne 0 ] && status=1
  summary=$(tail -n 1 "$results/package-check.txt")
  if [[ "$summary" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
  else echo "package check ended early: see $results/package-check.txt"; failed=$((failed + 1)); status=1; fi
else
  tail -n 20 "$results/package.txt"; echo "packaging failed"; failed=$((failed + 1)); status=1
fi

# The failures again, with the first lines of their messages, so the end of the log names them.
if [ "$failed" -gt 0 ]; then
  log "failed"
  awk '/^[[:space:]]+Failed / {n = 12} /^[[:space:]]+Stack Trace:/ {n = 0} n-- > 0' "$results"/*.Tests.txt | cut -c1-300
  grep -h "^FAIL " "$results/package-check.txt" 2>/dev/null | cut -c1-300
fi

echo
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
exit $status
