#!/usr/bin/env bash
# Runs every test: formatting, lints, unit, storage and HTTP tests on SQLite and a throwaway
# PostgreSQL, vision tests on real models and photos, and the schemathesis API check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/idgate-target}"
command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked
if [ ! -d "$root/../shared/testdata" ]; then
  echo "*** ../shared/testdata is missing: face and document tests will fail loudly ***" >&2
fi
. scripts/pg.sh
echo "== fmt" >&2
cargo fmt --all --check
echo "== clippy" >&2
cargo clippy --workspace --all-targets -- -D warnings
echo "== tests" >&2
cargo nextest run --workspace --no-fail-fast
echo "== schemathesis" >&2
scripts/schemathesis.sh
echo "== browser (chromium + playwright-core)" >&2
cargo build -q -p idgate-server --bin idgate
(cd tests/browser && node --test --test-concurrency=1 .)
