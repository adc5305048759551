"""bench/abuse clients (asyncio, standard library only): what an attacker does to the edges,
measured from outside. Run by bench/abuse, which starts the server; local only, bounded in
count and time. Each phase prints one line.

usage: abuse.py PORT SERVER_PID LIMITED_KEY OTHER_KEY
"""
import asyncio
import os
import statistics
import sys
import time
import uuid

PORT = int(sys.argv[1])
PID = int(sys.argv[2])
LIMITED_KEY, OTHER_KEY = sys.argv[3], sys.argv[4]
HOST = "127.0.0.1"
# health checks come from their own address so per-address caps on the attackers do not hit them
PROBE_ADDR = "127.0.0.250"


def rss_mb():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def request(method, path, headers=None, body=b"", local=None, timeout=10.0):
    """One request on a new connection; returns (status, seconds)."""
    t0 = time.monotonic()
    r, w = await asyncio.wait_for(
        asyncio.open_connection(HOST, PORT, local_addr=(local, 0) if local else None), timeout)
    try:
        head = f"{method} {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        head += f"content-length: {len(body)}\r\n\r\n"
        w.write(head.encode() + body)
        await w.drain()
        line = await asyncio.wait_for(r.readline(), timeout)
        status = int(line.split()[1]) if line else 0
        return status, time.monotonic() - t0
    finally:
        w.close()


class Probe:
    """Polls /healthz every 100 ms and samples the server's RSS every 50 ms."""

    def __init__(self):
        self.lat, self.fail, self.peak, self.stop = [], 0, rss_mb(), False

    async def health(self):
        while not self.stop:
            try:
                st, dt = await request("GET", "/healthz", local=PROBE_ADDR, timeout=5)
                self.lat.append(dt) if st == 200 else None
                self.fail += st != 200
            except Exception:
                self.fail += 1
            await asyncio.sleep(0.1)

    async def rss(self):
        while not self.stop:
            self.peak = max(self.peak, rss_mb())
            await asyncio.sleep(0.05)

    def start(self):
        self.tasks = [asyncio.create_task(self.health()), asyncio.create_task(self.rss())]

    async def end(self):
        self.stop = True
        await asyncio.gather(*self.tasks)
        worst = max(self.lat) * 1000 if self.lat else float("nan")
        return f"healthz ok={len(self.lat)} failed={self.fail} max_ms={worst:.0f}"


async def big_body(i, size):
    """An unauthenticated step request announcing `size` bytes of [0,0,...] and sending them
    (while another task waits for the answer, which may come before the body is sent)."""
    path = f"/s/AAAAAAA/t/{uuid.uuid4()}/steps/device_scan"
    chunk = b"0," * 32768
    try:
        r, w = await asyncio.open_connection(HOST, PORT, local_addr=(f"127.0.2.{i % 200 + 1}", 0))
    except OSError:
        return "connect failed"
    answer = asyncio.create_task(r.readline())
    sent = 0
    try:
        w.write(f"POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                f"content-length: {size}\r\n\r\n[".encode())
        sent = 1
        while sent < size - 1 and not answer.done():
            w.write(chunk)
            await w.drain()
            sent += len(chunk)
    except (ConnectionError, OSError):
        pass
    try:
        line = await asyncio.wait_for(answer, 10)
    except (ConnectionError, OSError, asyncio.TimeoutError):
        line = b""
    w.close()
    return f"{line.split()[1].decode()} after {sent // 1_000_000} MB sent" if line else "no answer"


async def phase_bodies():
    base = rss_mb()
    p = Probe()
    p.start()
    t0 = time.monotonic()
    res = await asyncio.gather(*(big_body(i, 26_000_000) for i in range(32)))
    secs = time.monotonic() - t0
    health = await p.end()
    counts = {k: res.count(k) for k in set(res)}
    print(f"bodies: 32 unauthenticated clients x 26 MB to the step route in {secs:.1f} s: "
          f"answers {counts}; server RSS before {base:.0f} MB, peak {p.peak:.0f} MB, "
          f"growth {p.peak - base:.0f} MB (target <= 300); {health}")


async def idle(ip):
    try:
        r, w = await asyncio.open_connection(HOST, PORT, local_addr=(ip, 0))
        return r, w
    except OSError:
        return None


async def wait_closed(conns, secs):
    async def one(c):
        try:
            data = await asyncio.wait_for(c[0].read(4096), secs)
            return "refused" if data.startswith(b"HTTP/1.1 503") else "closed"
        except asyncio.TimeoutError:
            return "open"
        except (ConnectionError, OSError):
            return "closed"
    return await asyncio.gather(*(one(c) for c in conns))


async def phase_idle():
    base = rss_mb()
    p = Probe()
    p.start()
    # 10,000 connections from 40 addresses (the per-address cap is 256 by default)
    conns = []
    for batch in range(40):
        got = await asyncio.gather(*(idle(f"127.0.3.{batch + 1}") for _ in range(250)))
        conns += [c for c in got if c]
    await asyncio.sleep(1)
    held_rss = rss_mb()
    health_held = await p.end()
    p = Probe()
    p.start()
    # the header-read timeout (10 s) closes them all
    states = await wait_closed(conns, 12)
    health_after = await p.end()
    for c in conns:
        c[1].close()
    print(f"idle: {len(conns)} idle TCP connections opened; server RSS before {base:.0f} MB, "
          f"with them {held_rss:.0f} MB (peak {p.peak:.0f}); while held: {health_held}; "
          f"12 s later: {states.count('closed')} closed by the server, {states.count('refused')} "
          f"refused at once (503), {states.count('open')} still open; {health_after}")


async def half_open_ws(ip):
    try:
        r, w = await asyncio.open_connection(HOST, PORT, local_addr=(ip, 0))
        w.write(b"GET /oauth/ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
                b"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n")
        await w.drain()
        line = await asyncio.wait_for(r.readline(), 10)
        if b" 101 " not in line:
            w.close()
            return None
        while (await r.readline()) not in (b"\r\n", b""):
            pass
        return r, w
    except (OSError, asyncio.TimeoutError):
        return None


async def phase_ws():
    base = rss_mb()
    p = Probe()
    p.start()
    socks = []
    for batch in range(32):  # 32 addresses x 32 sockets (the per-address cap)
        got = await asyncio.gather(*(half_open_ws(f"127.0.4.{batch + 1}") for _ in range(32)))
        socks += [s for s in got if s]
    for extra in socks[1000:]:
        extra[1].close()
    socks = socks[:1000]
    await asyncio.sleep(1)
    held_rss = rss_mb()
    health = await p.end()
    states = await wait_closed(socks, 12)  # first frame timed at 10 s
    for s in socks:
        s[1].close()
    print(f"websockets: {len(socks)} upgraded sockets that never authenticate; server RSS before "
          f"{base:.0f} MB, with them {held_rss:.0f} MB; {health}; 12 s later "
          f"{states.count('closed')} closed by the server (first frame timed), "
          f"{states.count('open')} still open")


async def keep_alive_client(key, stop_at, out, pause=0.0):
    r, w = await asyncio.open_connection(HOST, PORT)
    req = (f"GET /v1/verification-sessions HTTP/1.1\r\nhost: x\r\n"
           f"authorization: Bearer {key}\r\n\r\n").encode()
    while time.monotonic() < stop_at:
        t0 = time.monotonic()
        w.write(req)
        await w.drain()
        status = int((await r.readline()).split()[1])
        length = 0
        while True:
            h = await r.readline()
            if h in (b"\r\n", b""):
                break
            if h.lower().startswith(b"content-length:"):
                length = int(h.split(b":")[1])
        await r.readexactly(length)
        out.append((status, time.monotonic() - t0))
        if pause:
            await asyncio.sleep(pause)
    w.close()


def p99(samples):
    lat = sorted(dt for st, dt in samples if st == 200)
    return lat[int(len(lat) * 0.99) - 1] * 1000 if lat else float("nan")


async def phase_rate(secs=10):
    alone = []
    await keep_alive_client(OTHER_KEY, time.monotonic() + secs / 2, alone, pause=0.01)
    limited, other = [], []
    stop = time.monotonic() + secs
    await asyncio.gather(*(keep_alive_client(LIMITED_KEY, stop, limited) for _ in range(16)),
                         keep_alive_client(OTHER_KEY, stop, other, pause=0.01))
    n429 = sum(1 for st, _ in limited if st == 429)
    print(f"rate: limited tenant (50 req/s, burst 50) 16 keep-alive clients for {secs} s: "
          f"{len(limited)} requests, {n429} answered 429 ({100 * n429 / max(len(limited), 1):.1f}%), "
          f"{sum(1 for st, _ in limited if st == 200)} answered 200; other tenant "
          f"(~100 req/s, one client) p99 {p99(alone):.1f} ms alone vs {p99(other):.1f} ms during, "
          f"non-200 {sum(1 for st, _ in other if st != 200)}")


async def main():
    for phase in (phase_bodies, phase_idle, phase_ws, phase_rate):
        await phase()


asyncio.run(main())
