"""Drives bench/liveness: challenge + verify over HTTP, sequentially then with 2 clients.

Standard library only. argv: base_url api_key frames_dir runs server_pid
"""
import base64, glob, json, os, statistics, sys, threading, time, urllib.request

base, key, frames_dir, runs, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
files = sorted(glob.glob(os.path.join(frames_dir, "*.jpg")))
# 25 frames: facing the camera (9) x3, her left turn and right turn (9..23), back (22..19), facing x3
order = [9, 9, 9] + list(range(9, 24)) + [22, 21, 20, 19] + [19, 19, 19]
order = [i - 0 for i in order][:25]
frames = [{"image": base64.b64encode(open(files[i], "rb").read()).decode(), "t_ms": k * 80}
          for k, i in enumerate(order)]
CLK = os.sysconf("SC_CLK_TCK")


def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def once():
    c = post("/v1/liveness/challenges", {"actions": ["turn_left", "turn_right"]})
    t0 = time.perf_counter()
    r = post(f"/v1/liveness/challenges/{c['id']}/verify", {"frames": frames})
    ms = (time.perf_counter() - t0) * 1000
    if not r.get("passed"):
        raise SystemExit(f"verification did not pass: {r}")
    return ms, r["elapsed_ms"]


def cpu_ticks():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])


def rss_kb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])


peak = [rss_kb()]
stop = threading.Event()


def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], rss_kb())
        time.sleep(0.02)


once()  # loads the face mesh on the worker that takes it
rss_loaded = rss_kb()
threading.Thread(target=sample, daemon=True).start()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


c0 = cpu_ticks()
seq = [once() for _ in range(runs)]
c1 = cpu_ticks()
wall = [s[0] for s in seq]
server = [s[1] for s in seq]
cpu_per_frame = (c1 - c0) / CLK * 1000 / (runs * len(frames))
print(f"sequential: p50 {pct(wall, 50):.0f} ms, p99 {pct(wall, 99):.0f} ms over HTTP "
      f"(server-side judging p50 {pct(server, 50):.0f} ms); {len(frames)} frames of 640x480 JPEG, {runs} runs")
print(f"server CPU per frame: {cpu_per_frame:.1f} ms (process CPU time / frames, sequential runs)")
both = []
lock = threading.Lock()


def client():
    for _ in range(runs):
        r = once()
        with lock:
            both.append(r[0])


ts = [threading.Thread(target=client) for _ in range(2)]
t0 = time.perf_counter()
for t in ts:
    t.start()
for t in ts:
    t.join()
elapsed = time.perf_counter() - t0
stop.set()
print(f"2 clients: p50 {pct(both, 50):.0f} ms, p99 {pct(both, 99):.0f} ms, {len(both) / elapsed:.2f} verifications/s")
print(f"server RSS: {rss_loaded // 1024} MB with the models loaded, peak {peak[0] // 1024} MB while verifying")
p50 = pct(wall, 50)
print(f"target p50 <= 400 ms (sequential): {'met' if p50 <= 400 else 'NOT met'} ({p50:.0f} ms)")
