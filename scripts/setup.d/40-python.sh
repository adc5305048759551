#!/usr/bin/env bash
# Python test tools in a venv outside the clone ($HOME/.cache/idgate-venv, shared with
# scripts/schemathesis.sh): http-ece, py-vapid and cryptography, which the Web Push interop
# test (crates/idgate-core/tests/webpush_interop.rs) uses to decrypt and verify what idgate
# sends, and PyJWT, with which the uqudo browser test (tests/browser/uqudo_verify.py) checks the
# result JWS against the JWKS. Idempotent: installs nothing when the modules already import.
set -euo pipefail
. "$IDGATE_ROOT/scripts/setup-lib.bash"
venv="$HOME/.cache/idgate-venv"
if [ ! -x "$venv/bin/python" ]; then
  python=$(command -v python3 || true)
  [ -n "$python" ] || { apt_ensure python3; python=python3; }
  if ! "$python" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    apt_ensure python3-venv
    /usr/bin/python3 -m venv "$venv"
  fi
fi
"$venv/bin/python" -c 'import http_ece, py_vapid, cryptography, jwt' 2>/dev/null && exit 0
echo "setup: installing http-ece, py-vapid, cryptography and PyJWT into $venv" >&2
"$venv/bin/pip" install -q 'http-ece>=1.2,<2' 'py-vapid>=1.9,<2' 'cryptography>=42' 'PyJWT>=2.8,<3' >&2
"$venv/bin/python" -c 'import http_ece, py_vapid, cryptography, jwt'
