#!/usr/bin/env bash
# System packages for building and testing: PostgreSQL (throwaway test clusters), pkg-config.
set -euo pipefail
. "$IDGATE_ROOT/scripts/setup-lib.bash"
apt_ensure pkg-config postgresql
