#!/usr/bin/env bash
# Installs everything idgate needs that is missing, idempotently: Debian packages, model files.
# Each part lives in scripts/setup.d/NN-name.sh; this runs them in order.
# Usage: scripts/setup.sh [--only NAME]   (NAME matches a fragment, e.g. faces)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export IDGATE_ROOT="$root"
only="${2:-}"
[ "${1:-}" = "--only" ] || only=""
for f in "$root"/scripts/setup.d/*.sh; do
  [ -n "$only" ] && [[ "$f" != *"$only"* ]] && continue
  bash "$f"
done
