#!/usr/bin/env bash
# The /docs renderer: npm `redoc`, pinned by web/docs/package-lock.json. Its standalone bundle is
# vendored in web/docs (embedded in the binary, so a clone builds without npm); this installs the
# pinned package and fails if the vendored copy is not that package's bundle. Idempotent.
set -euo pipefail
. "$IDGATE_ROOT/scripts/setup-lib.bash"
command -v npm >/dev/null || apt_ensure nodejs npm
dir="$IDGATE_ROOT/web/docs"
if [ ! -f "$dir/node_modules/redoc/bundles/redoc.standalone.js" ]; then
  echo "setup: installing redoc into web/docs" >&2
  (cd "$dir" && npm ci --silent) >&2
fi
if ! cmp -s "$dir/node_modules/redoc/bundles/redoc.standalone.js" "$dir/redoc.standalone.js"; then
  echo "setup: web/docs/redoc.standalone.js is not the bundle of the pinned redoc; run scripts/refresh-redoc.sh" >&2
  exit 1
fi
