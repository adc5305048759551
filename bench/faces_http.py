"""bench/faces, idgate side: registers one photo per person over HTTP, then runs 1:1 validations
(POST /v1/faces/validations, base64 image + registration_key) of every probe photo with C
keep-alive connections for S seconds. Prints throughput, latency percentiles and the pass rate
of genuine pairs. Sequential passes first measure per-request latency without queueing: every
probe once, then the ~1 MP photos of the set (the latency target's size) 5 times each.
usage: faces_http.py BASE_URL API_KEY FACES_DIR SECONDS CONNECTIONS"""
import base64
import http.client
import json
import sys
import threading
import time
import urllib.parse

from faces_photos import one_megapixel, photo_set

base, key, faces_dir, seconds, conns = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
u = urllib.parse.urlparse(base)
headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}


def post(conn, path, body):
    conn.request("POST", path, body=body, headers=headers)
    r = conn.getresponse()
    return r.status, json.loads(r.read() or b"{}")


def b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


registrations, probes = photo_set(faces_dir)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
keys = {}
for label, path in registrations.items():
    st, v = post(conn, "/v1/faces/registrations", json.dumps({"document_number": "529.982.247-25", "image": b64(path)}))
    if st != 201:
        sys.exit(f"registration of {path} failed: {st} {v}")
    keys[label] = v["registration_key"]
bodies = [(label, json.dumps({"registration_key": keys[label], "image": b64(p)}).encode()) for label, p in probes]

# sequential latency (one request at a time, every probe once, after one warm-up request)
post(conn, "/v1/faces/validations", bodies[0][1])
seq, passed = [], 0
for label, body in bodies:
    t0 = time.perf_counter()
    st, v = post(conn, "/v1/faces/validations", body)
    seq.append(time.perf_counter() - t0)
    passed += st == 201 and v.get("validation_result") == "pass"
seq.sort()

# sequential latency on the ~1 MP photos (each validated against its person's registration)
mp1 = [json.dumps({"registration_key": keys[label], "image": b64(p)}).encode()
       for label, p in one_megapixel(registrations, probes)]
seq_1mp = []
for _ in range(5):
    for body in mp1:
        t0 = time.perf_counter()
        st, v = post(conn, "/v1/faces/validations", body)
        seq_1mp.append(time.perf_counter() - t0)
        if st != 201:
            sys.exit(f"a 1 MP validation failed: {st} {v}")
seq_1mp.sort()

lat, errors, busy, done = [], [0], [0], [0]
lock = threading.Lock()
stop_at = time.perf_counter() + seconds


def worker(i):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    n = i
    while time.perf_counter() < stop_at:
        label, body = bodies[n % len(bodies)]
        n += conns
        t0 = time.perf_counter()
        st, _ = post(c, "/v1/faces/validations", body)
        dt = time.perf_counter() - t0
        with lock:
            if st == 201:
                done[0] += 1
                lat.append(dt)
            elif st == 503:
                busy[0] += 1
            else:
                errors[0] += 1


t0 = time.perf_counter()
threads = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.perf_counter() - t0
lat.sort()
pct = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))] * 1000 if xs else float("nan")
print(f"IDGATE_RESULT validations={done[0]} seconds={elapsed:.1f} per_s={done[0] / elapsed:.2f} "
      f"p50_ms={pct(lat, .5):.0f} p99_ms={pct(lat, .99):.0f} busy_503={busy[0]} errors={errors[0]} "
      f"seq_p50_ms={pct(seq, .5):.0f} seq_p90_ms={pct(seq, .9):.0f} "
      f"seq_p50_1mp_ms={pct(seq_1mp, .5):.0f} seq_p90_1mp_ms={pct(seq_1mp, .9):.0f} photos_1mp={len(mp1)} genuine_pass={passed}/{len(bodies)} probes={len(bodies)}")
