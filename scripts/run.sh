#!/usr/bin/env bash
# Quick start: installs what is missing, then runs idgate in dev mode on SQLite under ./data.
# Extra arguments go to `idgate serve` (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/idgate-target}"
cargo build --release -p idgate-server --bin idgate
exec "$CARGO_TARGET_DIR/release/idgate" serve --dev --data "$root/data" "$@"
