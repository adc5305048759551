#!/usr/bin/env bash
# Refreshes the vendored /docs renderer from npm after a version change in web/docs/package.json:
# updates the lock file, reinstalls, and copies the standalone bundle and its licences.
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/web/docs"
cd "$dir"
npm install --package-lock-only --silent
rm -rf node_modules
npm ci --silent
cp node_modules/redoc/bundles/redoc.standalone.js node_modules/redoc/bundles/redoc.standalone.js.LICENSE.txt .
cp node_modules/redoc/LICENSE LICENSE-redoc
echo "redoc $(node -p "require('./node_modules/redoc/package.json').version") vendored in web/docs" >&2
