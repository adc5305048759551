"""Schemathesis hooks for idgate (loaded by the schemathesis.toml that schemathesis_seed.py writes).

Positive test cases are meant to be valid, but random data cannot be where validity is a secret
or a fact of the server: a CPF's check digits, an image with one face, a document to read, a
one-time enrolment token or callback JWT, a device signature over the current time, a session
link that has not yet taken its step, a session id not yet taken, a session in the status an
operation acts on (made when needed). Before each positive case is sent, the fields that need
such a value get one from what the seed made (one-time ones in turn); every other field keeps
its generated value, and negative cases are sent as generated.
"""
import base64
import json
import os
import time
import urllib.request
import uuid

import schemathesis
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from schemathesis.core import deserialization
from schemathesis.generation import GenerationMode

@schemathesis.deserializer("application/jwt")
def compact_jws(_ctx, response):
    """`GET /api/v1/info*` answers a compact JWS, which RFC 7519 names `application/jwt`: text.
    schemathesis 4 files application/jwt under JSON, so this is also asked for JSON answers."""
    kind = (response.headers.get("content-type") or [""])[0].split(";")[0].strip().lower()
    return response.content.decode("ascii") if kind == "application/jwt" else response.json()


# ... and would try its own JSON parser first: ours goes first
_registered = deserialization._DESERIALIZERS
_ours = _registered.pop("application/jwt")
_rest = dict(_registered)
_registered.clear()
_registered.update({"application/jwt": _ours, **_rest})

STATE = json.load(open(os.environ["IDGATE_ST_STATE"]))
KEY = serialization.load_pem_private_key(STATE["device_key"].encode(), None)
CREDS = {"client_id": STATE["client_id"], "client_secret": STATE["client_secret"]}


def new_session(manual=False):
    """A fresh pending session of the sandbox tenant (moved to manual analysis if asked)."""
    sid = f"st-{uuid.uuid4().hex}"
    post("/v1/verification-sessions", {"id": sid, "document_number": STATE["cpf"], "settings": {"steps": STATE["steps"]}})
    if manual:
        post(f"/v1/verification-sessions/{sid}/simulate",
             {"outcome": "in_manual_analysis", "reasons": ["document_check_digits_unread"]})
    return sid


def post(path, body):
    req = urllib.request.Request(STATE["base"] + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json", "authorization": f"Bearer {STATE['key']}"})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read())


def take(name):
    """The next of a one-time pool (the last one again once it is used up)."""
    pool = STATE[name]
    return pool.pop(0) if len(pool) > 1 else pool[0]


def sign(message, key=KEY):
    raw = json.dumps(message, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(key.sign(raw, ec.ECDSA(hashes.SHA256()))).rstrip(b"=").decode()


def one_image(body, image_field="image", key_field="image_key"):
    body.pop(image_field, None)
    body[key_field] = STATE["image_key"]


def fill(op, case, body):
    cpf = STATE["cpf"]
    if op in ("v1_create_session", "qi_create_session"):
        body["document_number"] = cpf
        # an id no earlier case took (a taken one with another body is a 409 by design)
        if isinstance(body.get("id"), str):
            body["id"] = f"{body['id'][:90]}-{uuid.uuid4().hex}"
    elif op == "create_enrollment":
        body["username"] = cpf
    elif op in ("qi_upload_image", "v1_upload_image"):
        body["image"] = STATE["face"]
    elif op in ("qi_create_registration", "v1_create_registration"):
        body["document_number"] = cpf
        one_image(body)
    elif op in ("qi_create_validation", "v1_create_validation"):
        body.pop("document_number", None)
        body["registration_key"] = STATE["registration_key"]
        one_image(body)
    elif op == "v1_compare":
        for side in ("a", "b"):
            body.pop(f"image_{side}", None)
            body[f"image_key_{side}"] = STATE["image_key"]
    elif op in ("qi_read_document", "v1_read_document"):
        body.update(document_b64=STATE["passport"], template="passport", file_type="jpeg")
    elif op in ("qi_face_match", "v1_face_match"):
        body["image_key"] = STATE["image_key"]
        if op == "qi_face_match":
            body["ocr_key"] = STATE["ocr_key"]
    elif op == "session_face_hint":
        body.clear()
        body["image"] = STATE["hint"]
    elif op in ("start_login", "notify_login", "introspect", "revoke"):
        body.update(CREDS)
        if op == "start_login":
            body.update(scope="authentication_session", lifetime=min(int(body.get("lifetime") or 600), 604800))
            body.pop("username", None)
            body.pop("callback_url", None)
        if op == "notify_login":
            body.update(username=cpf, short_token=take("to_notify"))
    elif op == "register_device":
        n = KEY.public_key().public_numbers()
        b64 = lambda i: base64.urlsafe_b64encode(i.to_bytes(32, "big")).rstrip(b"=").decode()  # noqa: E731
        body.update(enrollment_token=take("enrollments"), public_key={"kty": "EC", "crv": "P-256", "x": b64(n.x), "y": b64(n.y)})
        body.pop("push_subscription", None)
    elif op == "open_login":
        short, now = take("to_open"), int(time.time())
        body.clear()
        body.update(device_id=STATE["device_id"], short_token=short, time=now,
                    signature=sign({"action": "open", "short_token": short, "time": now}))
    elif op == "revoke_device":
        dev, now = take("revocable"), int(time.time())
        key = serialization.load_pem_private_key(dev["key"].encode(), None)
        body.clear()
        body.update(device_id=dev["device_id"], time=now,
                    signature=sign({"action": "revoke", "device_id": dev["device_id"], "time": now}, key))
    elif op == "decide_login":
        login, now = take("to_decide"), int(time.time())
        decision = body.get("decision") if body.get("decision") in ("approve", "deny") else "approve"
        pick = login["challenge"] if decision == "approve" else 0
        body.clear()
        body.update(device_id=STATE["device_id"], short_token=login["short_token"], time=now, challenge=pick,
                    decision=decision, signature=sign({"challenge": pick, "decision": decision,
                                                       "short_token": login["short_token"], "time": now}))


IMAGES = ["ocr_key", "image_key"]  # a document read's image and a selfie, in turn
UQ_BEARER = {"create_session", "info_by_header", "info", "delete_info", "image", "face_match"}


def uqudo(op, case):
    """The uqudo door: its own client, access token and QR sessions."""
    if op == "issue_token" and isinstance(case.body, dict):
        case.body.pop("scope", None)
        uq = STATE["uq_client"]
        case.body.update(grant_type="client_credentials", client_id=uq["client_id"], client_secret=uq["client_secret"])
        # HTTP Basic wins over the body: the login client's (the run's clientBasic) would be refused
        basic = base64.b64encode(f"{uq['client_id']}:{uq['client_secret']}".encode()).decode()
        case.headers["Authorization"] = f"Basic {basic}"
    elif op in UQ_BEARER:
        case.headers["Authorization"] = f"Bearer {STATE['uq_token']}"
        if op == "create_session":
            case.body = {"data": STATE["uq_data"]}
        if op == "face_match" and isinstance(case.body, dict):
            case.body.update(sourceImage=STATE["face"], targetImage=STATE["other"])
        # a decided session (sandbox /simulate) for the signed result; a read's or a selfie's image
        if op == "info":
            case.path_parameters["id"] = STATE["uq_result"]
        elif op == "info_by_header":
            case.headers["UQ-Session-ID"] = STATE["uq_result"]
        elif op == "delete_info":
            case.path_parameters["id"] = take("uq_deletable")
        elif op == "image":
            IMAGES.append(IMAGES.pop(0))
            case.path_parameters["id"] = STATE[IMAGES[0]]
    elif op == "phone_session":
        case.headers["Authorization"] = take("uq_qr")
    elif op in ("phone_session_path", "delete_session", "open_link"):
        case.path_parameters["qr"] = take("uq_qr")
    else:
        return False
    return True


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    op = case.operation.definition.raw.get("operationId")
    if case.headers is None:
        case.headers = {}
    if uqudo(op, case):
        return
    if op == "exchange_token":
        case.headers["Authorization"] = f"Bearer {take('jwts')}"
    elif op == "v1_delete_document":
        case.path_parameters["id"] = take("deletable_docs")
    elif op == "v1_erase_registration":
        case.path_parameters["registration_key"] = take("erasable")
    elif op in ("v1_review_session", "v1_simulate_session"):
        case.path_parameters["id"] = new_session(manual=op == "v1_review_session")
    elif op == "verify_challenge":
        case.path_parameters["id"] = take("challenges")
        case.body = {"frames": [{"image": STATE["hint"], "t_ms": 0}]}
    elif op == "submit_step":
        case.path_parameters["hash"], case.path_parameters["token"] = take("links")
        case.path_parameters["step"] = "device_scan"
        case.body = {}
    elif isinstance(case.body, dict):
        fill(op, case, case.body)
