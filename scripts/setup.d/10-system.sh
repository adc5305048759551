#!/usr/bin/env bash
# System packages for building and testing: PostgreSQL (throwaway test clusters), pkg-config,
# libssl-dev (OpenSSL for webauthn-rs, the console passkeys).
set -euo pipefail
. "$IDGATE_ROOT/scripts/setup-lib.bash"
apt_ensure pkg-config postgresql libssl-dev
