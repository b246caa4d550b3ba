#!/usr/bin/env bash
# Builds what users install, so that no machine but the build machine needs the .NET SDK:
#
#   artifacts/packages/tunnelactors-<version>-<rid>[.exe]  self-contained single-file executables
#                                                          (linux-x64, linux-arm64, win-x64, osx-arm64)
#   artifacts/packages/tunnelactors_<version>_amd64.deb    the linux-x64 binary, hardened systemd units for
#                                                          the edge and the connector, the tunnelactors user,
#                                                          /etc/tunnelactors examples, /var/lib/tunnelactors 0700
#   artifacts/packages/tunnelactors.<version>.nupkg        a .NET tool: dotnet tool install --global tunnelactors
#                                                          --add-source artifacts/packages
#   artifacts/packages/SHA256SUMS
#
#   ops/package.sh [--rids "linux-x64 win-x64"] [--out DIR] [--no-ready-to-run]
#
# Release builds are ReadyToRun (compiled ahead of time: a new process, and its first connections,
# do not wait for the JIT); that takes about 2 minutes of CPU per platform, so the test suite's
# build of the packages skips it with --no-ready-to-run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

rids="linux-x64 linux-arm64 win-x64 osx-arm64" out="$root/artifacts/packages" r2r=true
while [ $# -gt 0 ]; do
  case "$1" in
    --rids) rids="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-ready-to-run) r2r=false; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
[ -n "$version" ] || { echo "no <Version> in Directory.Build.props" >&2; exit 1; }
cli=src/TunnelActors.Cli/TunnelActors.Cli.csproj
work="$root/artifacts/package-work"
# Only what this script makes is replaced: --out may name a directory that holds other files.
rm -rf "$work"; mkdir -p "$out" "$work"
rm -f "$out"/tunnelactors-*-* "$out"/tunnelactors_*.deb "$out"/tunnelactors.*.nupkg "$out/SHA256SUMS"
step() { printf '== %s\n' "$*"; }

for rid in $rids; do
  step "single file for $rid"
  dotnet publish "$cli" -c Release -r "$rid" --self-contained -nologo -v quiet \
    -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:PublishReadyToRun=$r2r \
    -p:DebugType=none -p:GenerateDocumentationFile=false -o "$work/$rid" >"$work/publish-$rid.log" 2>&1 \
    || { tail -n 30 "$work/publish-$rid.log"; exit 1; }
  case "$rid" in
    win-*) cp "$work/$rid/tunnelactors.exe" "$out/tunnelactors-$version-$rid.exe" ;;
    *) install -m 0755 "$work/$rid/tunnelactors" "$out/tunnelactors-$version-$rid" ;;
  esac
done

if [ -x "$out/tunnelactors-$version-linux-x64" ]; then
  step "Debian package"
  bin="$out/tunnelactors-$version-linux-x64"
  pkg="$work/deb"
  mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc/tunnelactors" "$pkg/usr/share/doc/tunnelactors"
  install -m 0755 "$bin" "$pkg/usr/bin/tunnelactors"
  # The units come from the binary itself (`service install`): one definition of the hardening.
  export DOTNET_BUNDLE_EXTRACT_BASE_DIR="$work/extract"
  "$bin" service install edge --binary /usr/bin/tunnelactors --unit-dir "$pkg/lib/systemd/system" --no-enable \
    --arg=--config=/etc/tunnelactors/edge.yaml >/dev/null
  "$bin" service install tunnel --config /etc/tunnelactors/config.yml --binary /usr/bin/tunnelactors \
    --unit-dir "$pkg/lib/systemd/system" --no-enable >/dev/null
  chmod 0644 "$pkg"/lib/systemd/system/*.service
  install -m 0644 config/edge.yaml "$pkg/etc/tunnelactors/edge.yaml"
  install -m 0644 ops/packaging/config.yml "$pkg/etc/tunnelactors/config.yml"
  install -m 0600 ops/packaging/tunnelactors-edge.env "$pkg/etc/tunnelactors/tunnelactors-edge.env"
  install -m 0600 ops/packaging/tunnelactors-tunnel.env "$pkg/etc/tunnelactors/tunnelactors-tunnel.env"
  install -m 0644 README.md "$pkg/usr/share/doc/tunnelactors/README.md"
  for script in postinst prerm postrm; do install -m 0755 "ops/packaging/debian/$script" "$pkg/DEBIAN/$script"; done
  (cd "$pkg" && find etc -type f | sed 's:^:/:' | sort) > "$pkg/DEBIAN/conffiles"
  size=$(du -sk "$pkg" | cut -f1)
  sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" ops/packaging/debian/control > "$pkg/DEBIAN/control"
  dpkg-deb --root-owner-group -Zxz --build "$pkg" "$out/tunnelactors_${version}_amd64.deb" >/dev/null
fi

step ".NET tool"
dotnet pack "$cli" -c Release -nologo -v quiet -o "$out" >"$work/pack.log" 2>&1 || { tail -n 30 "$work/pack.log"; exit 1; }

(cd "$out" && sha256sum -- tunnelactors-*-* tunnelactors_*.deb tunnelactors.*.nupkg > SHA256SUMS)
step "artifacts in $out"
(cd "$out" && ls -l tunnelactors* SHA256SUMS)
