"""Receiver side of the Web Push interop test: decrypts idgate's aes128gcm bodies with PyPI
http_ece and verifies its VAPID headers with py_vapid, as a browser and a push service would.

Reads JSON from stdin: {"now": int, "cases": [{"private_key", "auth", "body", "endpoint",
"vapid", "subject"}]} (binary values base64url) and prints {"plaintexts": [...base64url]}.
Any failure exits non-zero with the reason on stderr.
"""
import base64
import json
import sys
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid.jwt import decode as vapid_decode


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def check_vapid(header, endpoint, subject, now):
    scheme, rest = header.split(" ", 1)
    assert scheme == "vapid", f"scheme {scheme!r}"
    params = dict(p.strip().split("=", 1) for p in rest.split(","))
    claims = vapid_decode(params["t"], params["k"])  # raises InvalidSignature
    head = json.loads(b64d(params["t"].split(".")[0]))
    assert head.get("alg") == "ES256", head
    u = urlsplit(endpoint)
    assert claims["aud"] == f"{u.scheme}://{u.netloc}", claims
    assert now < claims["exp"] <= now + 24 * 3600, claims
    assert claims["sub"] == subject, claims


def main():
    req = json.load(sys.stdin)
    out = []
    for case in req["cases"]:
        scalar = int.from_bytes(b64d(case["private_key"]), "big")
        key = ec.derive_private_key(scalar, ec.SECP256R1())
        plain = http_ece.decrypt(
            b64d(case["body"]),
            private_key=key,
            auth_secret=b64d(case["auth"]),
            version="aes128gcm",
        )
        check_vapid(case["vapid"], case["endpoint"], case["subject"], req["now"])
        out.append(b64e(plain))
    json.dump({"plaintexts": out}, sys.stdout)


if __name__ == "__main__":
    main()
