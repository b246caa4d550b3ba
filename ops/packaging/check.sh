#!/usr/bin/env bash
# Checks what ops/package.sh built, on this machine, as a user would meet it: installs the .deb,
# runs the installed binary through the SMB end-to-end test, verifies the units, removes and purges
# the package; installs the .NET tool; inspects the other single files. Prints "ok NAME" or
# "FAIL NAME: why" per check and ends with "N passed, N failed". Needs root and a Release build
# of the tests (the SMB test is theirs).
#
#   ops/packaging/check.sh [artifacts/packages]   (PACKAGE_RIDS: the platforms package.sh built, default all four)
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out="${1:-$root/artifacts/packages}"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
logs="$root/artifacts/package-check"; rm -rf "$logs"; mkdir -p "$logs"
passed=0 failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
check() { local name="$1"; shift; if "$@" >"$logs/$name.log" 2>&1; then ok "$name"; else fail "$name" "$(tail -n 5 "$logs/$name.log" | tr '\n' ' ')"; fi; }

deb="$out/tunnelactors_${version}_amd64.deb"
units=(/lib/systemd/system/tunnelactors-edge.service /lib/systemd/system/tunnelactors-tunnel.service)

check sums-match bash -c "cd '$out' && sha256sum --check --quiet SHA256SUMS"
check deb-installs apt-get install -y -qq "$deb"
check version-names-version-and-commit bash -c "v=\$(/usr/bin/tunnelactors --version) && echo \"\$v\" && [[ \"\$v\" == 'tunnelactors $version (commit $commit'* ]]"
check system-user-exists id tunnelactors
check state-directory-0700 bash -c '[ "$(stat -c "%a %U" /var/lib/tunnelactors)" = "700 tunnelactors" ]'
check environment-files-0600 bash -c 'for f in /etc/tunnelactors/*.env; do [ "$(stat -c "%a %U" "$f")" = "600 root" ] || { echo "$f: $(stat -c "%a %U" "$f")"; exit 1; }; done'
check units-verify systemd-analyze verify "${units[@]}"
check units-hardened bash -c "for u in ${units[*]}; do systemd-analyze security --offline=true \"\$u\" | tail -n 1; done > '$logs/exposure.txt'; cat '$logs/exposure.txt'; [ \$(grep -c ' OK ' '$logs/exposure.txt') -eq ${#units[@]} ]"
check only-the-edge-binds-443 bash -c "grep -q '^AmbientCapabilities=CAP_NET_BIND_SERVICE' ${units[0]} && grep -q '^AmbientCapabilities=\$' ${units[1]}"
systemd-analyze security --offline=true "${units[@]}" > "$logs/security.txt" 2>&1 || true

# The installed binary, not the build, carries the SMB share end to end (smbd, smbclient, 64 MiB both ways).
check installed-binary-smb-end-to-end bash -c "TUNNELACTORS_CLI=/usr/bin/tunnelactors \
  dotnet test tests/TunnelActors.E2E.Tests/TunnelActors.E2E.Tests.csproj -c Release --no-build \
  --filter 'FullyQualifiedName~SmbTests.Smb_PutAndGet64MiB_Sha256IdenticalBothWays' | tee /dev/stderr | grep -qE 'Passed: +1, .*Total: +1,'"

check deb-removes-cleanly bash -c "apt-get remove -y -qq tunnelactors && [ ! -e /usr/bin/tunnelactors ] && [ ! -e ${units[0]} ] && [ ! -e ${units[1]} ] && [ -d /etc/tunnelactors ]"
check deb-purges-state-and-user bash -c "apt-get purge -y -qq tunnelactors && [ ! -e /var/lib/tunnelactors ] && [ ! -e /etc/tunnelactors ] && ! id tunnelactors"

tools=$(mktemp -d)
check dotnet-tool-installs bash -c "dotnet tool install tunnelactors --tool-path '$tools' --add-source '$out' --version '$version' && '$tools/tunnelactors' --version | grep -q 'tunnelactors $version'"
rm -rf "$tools"

# The other platforms' single files cannot run here: their headers say what they are.
magic() { od -An -tx1 -j "$2" -N "$3" "$1" 2>/dev/null | tr -d ' \n'; }
pe_machine() { local f="$1" at; at=$(od -An -tu4 -j 60 -N 4 "$f" | tr -d ' '); magic "$f" "$((at + 4))" 2; }
for rid in ${PACKAGE_RIDS:-linux-x64 linux-arm64 win-x64 osx-arm64}; do
  file="$out/tunnelactors-$version-$rid"
  case "$rid" in
    linux-x64) ;; # installed and run above
    win-x64) check win-x64-is-an-x64-pe-executable bash -c "[ '$(magic "$file.exe" 0 2)' = 4d5a ] && [ '$(pe_machine "$file.exe" 2>/dev/null)' = 6486 ] && [ \$(stat -c %s '$file.exe') -gt 20000000 ]" ;;
    linux-arm64) check linux-arm64-is-an-aarch64-elf bash -c "[ '$(magic "$file" 0 4)' = 7f454c46 ] && [ '$(magic "$file" 18 2)' = b700 ]" ;;
    osx-arm64) check osx-arm64-is-an-arm64-mach-o bash -c "[ '$(magic "$file" 0 4)' = cffaedfe ] && [ '$(magic "$file" 4 4)' = 0c000001 ]" ;;
    *) fail "$rid" "no check for this platform" ;;
  esac
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
