#!/usr/bin/env python3
"""Prepares a schemathesis run against a fresh dev server: makes one of each resource the API
points at (sessions, a face image, registration and validation, a document read, a liveness
challenge, an authenticator device, an OAuth client, a started and an approved login) and writes a
schemathesis.toml that gives each kind of caller its credential (API key, client id/secret, the
callback JWT, the hosted page's link) and each operation real ids and usable images.

Usage: schemathesis_seed.py BASE_URL DATA_DIR IDGATE_BIN TESTDATA OUT_TOML
Stdlib only, plus `cryptography` (installed in the venv by scripts/setup.d/40-python.sh) for the
device's P-256 signatures and Debian's ffmpeg (55-ffmpeg.sh) for a small face frame.
"""
import base64
import http.server
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

BASE, DATA, BIN, TESTDATA, OUT = sys.argv[1:6]
KEY = open(os.path.join(DATA, "dev-api-key")).read().strip()
CPF = "529.982.247-25"


def call(method, path, body=None, auth=f"Bearer {KEY}", want=(200, 201)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if auth:
        req.add_header("authorization", auth)
    try:
        with urllib.request.urlopen(req, timeout=120) as res:
            status, raw = res.status, res.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    value = json.loads(raw) if raw else None
    if status not in want:
        sys.exit(f"seed: {method} {path} answered {status}: {value}")
    return value


def b64file(rel):
    with open(os.path.join(TESTDATA, rel), "rb") as f:
        return base64.b64encode(f.read()).decode()


def small_face():
    """A 240 px wide face for the hint route (frames of at most 320x320), made by ffmpeg."""
    out = os.path.join(DATA, "hint.jpg")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", os.path.join(TESTDATA, "faces/jennifer_1.jpg"),
                    "-vf", "scale=240:-2", out], check=True)
    with open(out, "rb") as f:
        return base64.b64encode(f.read()).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cli(*args):
    env = dict(os.environ)
    env["IDGATE_MASTER_KEY"] = open(os.path.join(DATA, "master.key")).read().strip()
    out = subprocess.run([BIN, *args, "--data", DATA], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def session(sid, steps):
    s = call("POST", "/v1/verification-sessions", {"id": sid, "document_number": CPF,
              "settings": {"steps": steps}})
    link = s["auth_session_url"].split("/s/", 1)[1]
    hash_, token = link.split("/t/", 1)
    return s, hash_, token


def callbacks():
    """A local receiver for the login callback POST: answers 200, queues the bodies."""
    got = queue.Queue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            got.put(json.loads(self.rfile.read(int(self.headers.get("content-length", 0)))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{srv.server_port}/callback", got


def signed(key, message):
    raw = json.dumps(message, separators=(",", ":")).encode()
    return b64url(key.sign(raw, ec.ECDSA(hashes.SHA256())))


def device(username):
    enrol = call("POST", "/v1/authenticator/enrollments", {"username": username})
    token = enrol["enrollment_url"].split("#e=", 1)[1]
    key = ec.generate_private_key(ec.SECP256R1())
    n = key.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "x": b64url(n.x.to_bytes(32, "big")), "y": b64url(n.y.to_bytes(32, "big"))}
    d = call("POST", "/authenticator/api/devices", {"enrollment_token": token, "public_key": jwk}, auth=None)
    return d["device_id"], key


def pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def uq_result(uq_token, uq_data):
    """A uqudo QR session decided through the sandbox's /simulate: its signed result exists."""
    sid = call("POST", "/api/v1/session", {"data": uq_data}, auth=f"Bearer {uq_token}")["sessionId"]
    call("POST", f"/v1/verification-sessions/{sid}/simulate", {"outcome": "approved"})
    return sid


def approved_login(client, dev, key, got):
    """Starts a login, opens and approves it on the device; answers the callback JWT."""
    start = call("POST", "/oauth/start", {"client_id": client["client_id"], "client_secret": client["client_secret"],
                 "scope": "authentication_session", "lifetime": 600}, auth=None)
    short = start["short_token"]
    now = int(time.time())
    sig = signed(key, {"action": "open", "short_token": short, "time": now})
    call("POST", "/authenticator/api/logins/open",
         {"device_id": dev, "short_token": short, "time": now, "signature": sig}, auth=None)
    pick = int(start["challenge"])
    sig = signed(key, {"challenge": pick, "decision": "approve", "short_token": short, "time": now})
    call("POST", "/authenticator/api/logins/decide", {"device_id": dev, "short_token": short, "time": now,
         "signature": sig, "challenge": pick, "decision": "approve"}, auth=None)
    return got.get(timeout=60)["token"]


def wait_ready():
    for _ in range(600):
        try:
            with urllib.request.urlopen(BASE + "/readyz", timeout=5) as r:
                v = json.loads(r.read())
                if v.get("ready") and v.get("faces") == "ready" and v.get("ocr") == "ready":
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    sys.exit("seed: the server never became ready with its face and OCR models (run scripts/setup.sh)")


def manual(sid):
    """A sandbox session moved to manual analysis (what a reviewer decides)."""
    call("POST", f"/v1/verification-sessions/{sid}/simulate", {"outcome": "in_manual_analysis", "reasons": ["document_check_digits_unread"]})
    return sid


def started(client, username=None):
    body = {"client_id": client["client_id"], "client_secret": client["client_secret"],
            "scope": "authentication_session", "lifetime": 600}
    if username:
        body["username"] = username
    return call("POST", "/oauth/start", body, auth=None)


def opened(client, dev, key):
    """A started login opened on the device: answers its short token and the right number."""
    start = started(client)
    now = int(time.time())
    sig = signed(key, {"action": "open", "short_token": start["short_token"], "time": now})
    call("POST", "/authenticator/api/logins/open",
         {"device_id": dev, "short_token": start["short_token"], "time": now, "signature": sig}, auth=None)
    return {"short_token": start["short_token"], "challenge": int(start["challenge"])}


def main():
    wait_ready()
    face, other = b64file("faces/jennifer_1.jpg"), b64file("faces/jennifer_2.jpg")
    passport = b64file("documents/passport/icao_utopia_td3_passport.jpg")
    hint = small_face()
    steps = [{"step": "device_scan"}, {"step": "face_recognition"},
             {"step": "personal_document", "document_templates": ["passport", "rg"]}]
    v1, _, _ = session("st-seed", steps)  # canceled, redacted, renewed by /v1 operations
    _, hash_, token = session("st-seed-page", steps)
    qi = call("POST", "/auth_session_manager/auth_session", {"id": "st-seed-qi", "document_number": CPF},
              auth=KEY)
    image = call("POST", "/v1/faces/images", {"image": face})["image_key"]
    reg = call("POST", "/v1/faces/registrations", {"document_number": CPF, "image_key": image})
    val = call("POST", "/v1/faces/validations", {"registration_key": reg["registration_key"], "image": other})
    doc = call("POST", "/v1/documents/read", {"document_b64": passport, "template": "passport", "file_type": "jpeg"})
    cb_url, got = callbacks()
    client = cli("client", "create", "--tenant", "sandbox", "--name", "schemathesis", "--scope",
                 "authentication_session", "--callback-url", cb_url, "--can-notify", "--websocket")
    dev, key = device(CPF.replace(".", "").replace("-", ""))
    # the uqudo door: a client with the sessions scope, its access token, QR sessions
    uq = cli("client", "create", "--tenant", "sandbox", "--name", "uqudo", "--scope", "sessions")
    uq_token = call("POST", "/api/oauth/token", {"grant_type": "client_credentials", "client_id": uq["client_id"],
                    "client_secret": uq["client_secret"]}, auth=None)["access_token"]
    uq_data = base64.b64encode(json.dumps({
        "documents": [{"documentType": "BRA_RG", "reading": {"enabled": False, "isForceReading": False},
                       "faceScanMinimumMatchLevel": 2, "faceReadMinimumMatchLevel": 3}],
        "generalConfig": {"secureWindowsEnabled": True, "userIdentifier": None},
        "backgroundCheck": {"enabled": False, "checkType": "RDC"},
        "facialRecognition": {"enabled": True, "scanMinimumMatchLevel": 2, "maxAttempts": 3}}).encode()).decode()
    # one-time things, one per positive case that may use one (the hooks take them in turn)
    n = 12
    state = {
        "uq_client": uq, "uq_token": uq_token, "uq_data": uq_data,
        "uq_qr": [call("POST", "/api/v1/session", {"data": uq_data}, auth=f"Bearer {uq_token}")["qrCodeText"]
                  for _ in range(3 * n)],
        "base": BASE, "key": KEY, "steps": steps,
        "cpf": CPF, "face": face, "other": other, "hint": hint, "passport": passport, "image_key": image,
        "registration_key": reg["registration_key"], "ocr_key": doc["ocr_key"],
        "client_id": client["client_id"], "client_secret": client["client_secret"],
        "uq_result": uq_result(uq_token, uq_data),
        "uq_deletable": [uq_result(uq_token, uq_data) for _ in range(n)],
        "device_id": dev, "device_key": pem(key),
        # devices the person removes from the app (one per positive case of the revoke route)
        "revocable": [{"device_id": d, "key": pem(k)} for d, k in (device(CPF) for _ in range(n))],
        "jwts": [approved_login(client, dev, key, got) for _ in range(n)],
        "enrollments": [call("POST", "/v1/authenticator/enrollments", {"username": CPF})["enrollment_url"]
                        .split("#e=", 1)[1] for _ in range(n)],
        "to_open": [started(client)["short_token"] for _ in range(n)],
        "to_notify": [started(client, CPF)["short_token"] for _ in range(n)],
        "to_decide": [opened(client, dev, key) for _ in range(n)],
        "challenges": [call("POST", "/v1/liveness/challenges", {})["id"] for _ in range(n)],
        "links": [session(f"st-seed-step-{i}", steps)[1:] for i in range(n)],
        "deletable_docs": [call("POST", "/v1/documents/read", {"document_b64": passport, "template": "passport",
                                                              "file_type": "jpeg"})["ocr_key"] for _ in range(3)],
        "erasable": [call("POST", "/v1/faces/registrations", {"document_number": "111.444.777-35", "image": other})
                     ["registration_key"] for _ in range(4)],
    }
    with open(os.path.join(DATA, "schemathesis-state.json"), "w") as f:
        json.dump(state, f)

    ids = {
        "id": v1["id"], "registration_key": reg["registration_key"], "validation_key": val["validation_key"],
        "document_number": CPF, "ocr_key": doc["ocr_key"],
    }
    page = {"hash": hash_, "token": token}
    ops = [
        ("qi_get_session", {"id": qi["id"]}),
        ("v1_get_document", {"id": doc["ocr_key"]}),
        ("v1_face_match", {"id": doc["ocr_key"]}),
        ("open_session", page), ("get_state", page), ("get_qr", page), ("session_challenge", page),
        ("session_face_hint", page),
    ]
    heavy = {"qi_read_document", "v1_read_document", "qi_face_match", "v1_face_match", "v1_compare",
             "qi_create_registration", "qi_create_validation", "v1_create_validation", "verify_challenge",
             "qi_upload_image", "v1_upload_image", "v1_create_registration"}
    with open(OUT, "w") as f:
        f.write("# Written by scripts/schemathesis_seed.py for one run.\n")
        f.write("hooks = %s\n" % json.dumps(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                          "schemathesis_hooks.py")))
        f.write("[auth.openapi.rawKey]\napi_key = %s\n" % json.dumps(KEY))
        f.write("[auth.openapi.bearer]\nbearer = %s\n" % json.dumps(KEY))
        f.write("[auth.openapi.clientBasic]\nusername = %s\npassword = %s\n"
                % (json.dumps(client["client_id"]), json.dumps(client["client_secret"])))
        f.write("[parameters]\n")
        for k, v in ids.items():
            f.write("%s = %s\n" % (json.dumps(k), json.dumps(v)))
        for op, params in ops:
            f.write("\n[[operations]]\ninclude-operation-id = %s\n" % json.dumps(op))
            f.write("parameters = { %s }\n" % ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in params.items()))
        for op in sorted(heavy):
            f.write("\n[[operations]]\ninclude-operation-id = %s\ngeneration.max-examples = 8\n" % json.dumps(op))
        # An HTTP fuzzer cannot open a web socket: the two upgrades are tested in tests/http
        # (edges, login) instead.
        for op in ("login_socket", "device_socket", "session_socket"):
            f.write("\n[[operations]]\ninclude-operation-id = %s\nenabled = false\n" % json.dumps(op))
    print(f"seed: resources made; {OUT} written", file=sys.stderr)


main()
