"""Result check for the uqudo browser test, independent of idgate's Rust code: verifies the
result JWS (RS256) with PyPI PyJWT + cryptography against the JWKS idgate publishes, checking
`aud`, then prints the claims as JSON. Input JSON on stdin: {"jws", "jwks", "aud"}. Exits
non-zero with the reason on failure."""
import json
import sys

import jwt


def main():
    c = json.load(sys.stdin)
    kid = jwt.get_unverified_header(c["jws"])["kid"]
    key = next(k for k in c["jwks"]["keys"] if k["kid"] == kid)
    public = jwt.PyJWK(key).key
    claims = jwt.decode(c["jws"], public, algorithms=["RS256"], audience=c["aud"],
                        options={"require": ["aud", "jti", "iat"]})
    sys.stdout.write(json.dumps(claims))


if __name__ == "__main__":
    main()
