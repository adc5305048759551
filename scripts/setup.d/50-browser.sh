#!/usr/bin/env bash
# Browser tests: Debian's chromium (never a downloaded browser) and npm playwright-core, pinned
# by tests/browser/package-lock.json. Idempotent: installs only what is missing.
set -euo pipefail
. "$IDGATE_ROOT/scripts/setup-lib.bash"
apt_ensure chromium chromium-driver
command -v npm >/dev/null || apt_ensure nodejs npm
dir="$IDGATE_ROOT/tests/browser"
if [ ! -d "$dir/node_modules/playwright-core" ]; then
  echo "setup: installing playwright-core into tests/browser" >&2
  if [ -f "$dir/package-lock.json" ]; then
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent) >&2
  else
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent) >&2
  fi
fi
