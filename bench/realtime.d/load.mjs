// The load client of bench/realtime (see that script): one idgate, N sessions, N idle sockets,
// then a burst of updates. Local only: it talks to the server it starts.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';

const N = Number(process.env.BENCH_SOCKETS || 10_000);
const UPDATES = Math.min(Number(process.env.BENCH_UPDATES || 200), N);
const IDLE_S = Number(process.env.BENCH_IDLE_S || 30);
const bin = process.env.BENCH_BIN;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const port = await new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
const dir = mkdtempSync(join(tmpdir(), 'idgate-rt-'));
const env = { ...process.env, IDGATE_LOG: 'error',
  IDGATE_LIMITS__MAX_CONNECTIONS: String(N + 1000), IDGATE_LIMITS__MAX_CONNECTIONS_PER_IP: String(N + 1000),
  IDGATE_LIMITS__MAX_SOCKETS_PER_IP: String(N + 100), IDGATE_LIMITS__MAX_SOCKETS_PER_TENANT: String(N + 100),
  IDGATE_LIMITS__IP_REQUESTS_PER_SECOND: '0', IDGATE_LIMITS__KEY_REQUESTS_PER_SECOND: '0',
  IDGATE_DOCUMENTS__PRELOAD: 'false', IDGATE_FACES__PRELOAD: 'false' };
delete env.DATABASE_URL;
const db = process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'SQLite';
if (process.env.BENCH_DATABASE_URL) env.DATABASE_URL = process.env.BENCH_DATABASE_URL;
const proc = spawn(bin, ['serve', '--dev', '--data', dir, '--listen', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'ignore', 'inherit'] });
const base = `http://127.0.0.1:${port}`;
try {
  let up = false;
  for (let i = 0; i < 600 && !up; i++) { try { up = (await fetch(`${base}/healthz`)).ok; } catch { await sleep(100); } }
  if (!up) throw new Error('idgate never answered /healthz');
  const apiKey = readFileSync(join(dir, 'dev-api-key'), 'utf8').trim();
  const cliEnv = { ...env, IDGATE_MASTER_KEY: readFileSync(join(dir, 'master.key'), 'utf8').trim() };
  const c = JSON.parse(execFileSync(bin, ['client', 'create', '--tenant', 'sandbox', '--name', 'bench', '--scope', 'sessions', '--data', dir], { env: cliEnv, encoding: 'utf8' }));
  const tok = await (await fetch(`${base}/api/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret }) })).json();
  const data = Buffer.from(JSON.stringify({ documents: [{ documentType: 'PASSPORT' }] })).toString('base64');
  const headers = { authorization: `Bearer ${tok.access_token}`, 'content-type': 'application/json' };
  const sessions = [];
  const t0 = Date.now();
  for (let i = 0; i < N; i += 16) {
    const batch = await Promise.all(Array.from({ length: Math.min(16, N - i) }, async () =>
      (await fetch(`${base}/api/v1/session`, { method: 'POST', headers, body: JSON.stringify({ data }) })).json()));
    sessions.push(...batch);
  }
  console.log(`created ${N} sessions in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))[1]);
  const cpu = () => { const f = readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
  await sleep(2000);
  const rss0 = rss();
  const arrived = new Map();
  const sockets = [];
  const wsBase = base.replace('http', 'ws');
  for (let i = 0; i < N; i += 250) {
    await Promise.all(sessions.slice(i, i + 250).map((s, j) => new Promise((ok, fail) => {
      const ws = new WebSocket(`${wsBase}/ws/v1/session`);
      const idx = i + j;
      ws.onopen = () => ws.send(s.qrCodeText);
      ws.onmessage = (m) => {
        const f = JSON.parse(m.data);
        if (f.service === 'QR') ok();
        if (f.service === 'INFO') arrived.set(idx, { t: performance.now(), wall: performance.timeOrigin + performance.now(), at: f.at });
      };
      ws.onclose = () => ok();
      ws.onerror = () => fail(new Error(`socket ${idx} failed`));
      sockets.push(ws);
    })));
  }
  const open = sockets.filter((w) => w.readyState === 1).length;
  console.log(`open sockets: ${open}`);
  await sleep(3000);
  const rss1 = rss();
  const c0 = cpu();
  await sleep(IDLE_S * 1000);
  const idleCpu = cpu() - c0;
  console.log(`server RSS: ${(rss0 / 1024).toFixed(1)} MB before, ${(rss1 / 1024).toFixed(1)} MB with ${open} idle sockets: ${((rss1 - rss0) / open).toFixed(1)} KB per idle socket (target ≤ 32 KB)`);
  console.log(`server CPU while idle: ${idleCpu.toFixed(2)} CPU-s over ${IDLE_S} s (${(100 * idleCpu / IDLE_S).toFixed(1)} % of one core; heartbeat 15 s)`);
  // an update: the sandbox outcome `approved` (the session's decision, committed by the request;
  // the socket then gets its INFO frame). `at` in the frame is the server's clock right after
  // the commit returned (the same machine's wall clock as performance.timeOrigin + now()).
  const decide = async (idx) => {
    const r = await fetch(`${base}/v1/verification-sessions/${sessions[idx].sessionId}/simulate`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: '{"outcome":"approved"}' });
    if (r.status !== 200) throw new Error(`simulate answered ${r.status}: ${await r.text()}`);
  };
  const pct = (xs, x) => xs[Math.min(xs.length - 1, Math.floor(x * xs.length))];
  const report = (label, picks, sent) => {
    const got = picks.filter((p) => arrived.has(p));
    const commit = got.map((p) => arrived.get(p).wall - arrived.get(p).at).sort((a, b) => a - b);
    const send = got.map((p) => arrived.get(p).t - sent.get(p)).sort((a, b) => a - b);
    const noAt = got.filter((p) => !(arrived.get(p).at > 0)).length;
    console.log(`${label}: ${got.length}/${picks.length} INFO frames (${noAt} without at); commit → frame: p50 ${pct(commit, 0.5).toFixed(1)} ms, p99 ${pct(commit, 0.99).toFixed(1)} ms, max ${commit[commit.length - 1].toFixed(1)} ms (target p99 ≤ 50 ms); request sent → frame (adds the queue before the commit): p50 ${pct(send, 0.5).toFixed(1)} ms, p99 ${pct(send, 0.99).toFixed(1)} ms`);
  };
  const waitFor = async (picks) => { for (let i = 0; i < 300 && picks.some((p) => !arrived.has(p)); i++) await sleep(10); };
  // one update at a time: the path from a commit to its frame with no queue in front
  const seqPicks = Array.from({ length: 100 }, (_, k) => k * Math.floor(N / 100) + 1);
  const seqSent = new Map();
  for (const idx of seqPicks) {
    seqSent.set(idx, performance.now());
    await decide(idx);
    await waitFor([idx]);
  }
  report('100 updates one at a time', seqPicks, seqSent);
  // the burst: every update sent at once, spread over the open sockets
  const step = Math.floor(N / UPDATES);
  const picks = Array.from({ length: UPDATES }, (_, k) => k * step);
  const sent = new Map();
  await Promise.all(picks.map(async (idx) => {
    sent.set(idx, performance.now());
    await decide(idx);
  }));
  await waitFor(picks);
  report(`burst of ${UPDATES} updates sent at once`, picks, sent);
  console.log(`measured with the ${process.env.BENCH_PROFILE} build, ${N} sockets from one Node ${process.version} client on the loopback, ${db}, ${(await import('node:os')).cpus().length} cores`);
  for (const w of sockets) w.close();
} finally {
  proc.kill('SIGTERM');
  await sleep(300);
  rmSync(dir, { recursive: true, force: true });
}
