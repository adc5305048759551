"""Push receiver check for the browser test: decrypts one Web Push body with PyPI http_ece and
verifies its VAPID header with py_vapid (independent of idgate's Rust code), printing the
plaintext. Input JSON on stdin: {"now", "private_key", "auth", "body", "endpoint", "vapid",
"subject"} (binary values base64url). Exits non-zero with the reason on failure."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "crates/idgate-core/tests/interop"))
from decrypt import b64d, check_vapid  # noqa: E402

import http_ece  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402


def main():
    c = json.load(sys.stdin)
    key = ec.derive_private_key(int.from_bytes(b64d(c["private_key"]), "big"), ec.SECP256R1())
    plain = http_ece.decrypt(b64d(c["body"]), private_key=key, auth_secret=b64d(c["auth"]), version="aes128gcm")
    check_vapid(c["vapid"], c["endpoint"], c["subject"], c["now"])
    sys.stdout.write(plain.decode())


if __name__ == "__main__":
    main()
