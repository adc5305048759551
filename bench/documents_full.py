"""bench/documents helper: full RG/CNH reads (full-page OCR + Brazilian extractor) over HTTP
with CONNS concurrent clients for SECONDS; prints p50/p90 latency and reads per second.
Usage: documents_full.py BASE KEY SECONDS CONNS IMAGE..."""

import base64, json, statistics, sys, threading, time, urllib.request


def main():
    base, key, secs, conns, paths = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
    bodies = []
    for p in paths:
        tpl = "cnh" if "cnh" in p.lower() else "rg"
        bodies.append(json.dumps({"document_b64": base64.b64encode(open(p, "rb").read()).decode(),
                                  "template": tpl, "file_type": "jpeg"}).encode())
    lat, codes, lock = [], {}, threading.Lock()

    def one(body):
        req = urllib.request.Request(base + "/v1/documents/read", body, method="POST",
                                     headers={"Authorization": "Bearer " + key,
                                              "Content-Type": "application/json"})
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                r.read()
                code = r.status
        except urllib.error.HTTPError as e:
            code = e.code
        return time.perf_counter() - t, code

    for b in bodies:  # warm-up: every image once
        one(b)
    end = time.perf_counter() + secs

    def worker(i):
        n = i
        while time.perf_counter() < end:
            dt, code = one(bodies[n % len(bodies)])
            n += 1
            with lock:
                lat.append(dt)
                codes[code] = codes.get(code, 0) + 1

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    print(f"RESULT reads={len(lat)} p50_ms={1000 * statistics.median(lat):.0f} "
          f"p90_ms={1000 * lat[int(0.9 * (len(lat) - 1))]:.0f} reads_per_s={len(lat) / wall:.2f} statuses={codes}")


if __name__ == "__main__":
    main()
