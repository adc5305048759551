// Browser test of QR-code and push login in Debian's chromium (playwright-core, no downloaded
// browser): an integrator page shows the QR code and listens on the login web socket; a phone
// (a separate browser profile) enrols the authenticator, opens the QR URL, picks the number
// and approves; the integrator's callback receiver gets the JWT, /oauth/token returns an
// access token that verifies against the JWKS. The push variant sends /oauth/notify to a
// local push service, where PyPI http_ece decrypts the message and py_vapid checks VAPID.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.IDGATE_BIN || join(process.env.CARGO_TARGET_DIR || join(homedir(), '.cache/idgate-target'), 'debug/idgate');
const python = process.env.IDGATE_PYTHON || join(homedir(), '.cache/idgate-venv/bin/python');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CPF = '52998224725';
const b64u = (b) => Buffer.from(b).toString('base64url');

let idgate; let base; let dataDir; let apiKey; let client; let cb; let push; let integrator;
const dirs = [];

function listen(handler) {
  return new Promise((resolve) => {
    const srv = createServer(handler);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

function collector() { // a local receiver of POSTs: resolves waiters in order
  const got = []; const waiters = [];
  const srvP = listen((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const item = { headers: req.headers, body: Buffer.concat(chunks), url: req.url };
      res.writeHead(req.url.startsWith('/push') ? 201 : 200).end();
      const w = waiters.shift();
      if (w) w(item); else got.push(item);
    });
  });
  return srvP.then((srv) => ({
    srv, url: `http://127.0.0.1:${srv.address().port}`,
    next: () => (got.length ? Promise.resolve(got.shift()) : new Promise((r) => waiters.push(r))),
  }));
}

async function api(method, path, body, headers = {}) {
  const res = await fetch(base + path, {
    method, headers: { 'content-type': 'application/json', ...headers }, body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

async function browser() {
  const dir = mkdtempSync(join(tmpdir(), 'idgate-chromium-')); dirs.push(dir);
  return chromium.launchPersistentContext(dir, { executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
}

before(async () => {
  assert.ok(existsSync(bin), `build the server first (cargo build -p idgate-server): ${bin}`);
  dataDir = mkdtempSync(join(tmpdir(), 'idgate-browser-')); dirs.push(dataDir);
  cb = await collector();
  push = await collector();
  const port = await new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
  const env = { ...process.env, IDGATE_WEBHOOKS__ALLOW_PRIVATE: 'true', IDGATE_LOGIN__PUSH_ALLOW_PRIVATE: 'true', IDGATE_LOGIN__ENVIRONMENT: 'browser-test', IDGATE_LOG: 'warn' };
  delete env.DATABASE_URL;
  idgate = spawn(bin, ['serve', '--dev', '--data', dataDir, '--listen', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  idgate.stderr.on('data', () => {});
  base = `http://127.0.0.1:${port}`;
  let ready = false;
  for (let i = 0; i < 600 && !ready; i++) {
    try { ready = (await fetch(`${base}/readyz`)).ok; } catch { /* not yet */ }
    if (!ready) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(ready, 'idgate never answered /readyz with 200');
  apiKey = readFileSync(join(dataDir, 'dev-api-key'), 'utf8').trim();
  client = JSON.parse(execFileSync(bin, ['client', 'create', '--data', dataDir, '--tenant', 'sandbox', '--name', 'Integrator Portal',
    '--scope', 'authentication_session', '--callback-url', `${cb.url}/callback`, '--can-notify', '--websocket'], { env }).toString());
  assert.ok(client.client_id && client.client_secret);
  // The integrator: its server calls /oauth/start with the secret; its page shows the QR code
  // and follows the login over the web socket.
  integrator = await listen(async (req, res) => {
    if (req.url === '/start') {
      const r = await api('POST', '/oauth/start', { client_id: client.client_id, client_secret: client.client_secret,
        scope: 'authentication_session', lifetime: 3600, ...(req.headers['x-username'] ? { username: req.headers['x-username'] } : {}) });
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.json));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><meta charset=utf-8><title>Integrator</title>
      <h1>Sign in</h1><p>Scan: <a id=qr></a></p><p>Number: <b id=challenge></b></p><ul id=events></ul>
      <script>
      window.frames_seen = [];
      fetch('/start').then(r => r.json()).then(s => {
        window.login = s;
        const a = document.getElementById('qr'); a.href = s.qr_code; a.textContent = s.qr_code;
        document.getElementById('challenge').textContent = s.challenge;
        const ws = new WebSocket(${JSON.stringify(base.replace('http', 'ws'))} + '/oauth/ws');
        ws.onopen = () => ws.send(JSON.stringify({type: 'auth', ws_token: s.ws_token}));
        ws.onmessage = (m) => { const f = JSON.parse(m.data); if (f.type === 'heartbeat') return;
          window.frames_seen.push(f.type); const li = document.createElement('li'); li.textContent = f.type;
          document.getElementById('events').appendChild(li); };
        ws.onclose = (e) => { window.close_code = e.code; };
      });
      </script>`);
  });
}, { timeout: 60_000 });

after(async () => {
  idgate?.kill('SIGTERM');
  for (const s of [cb?.srv, push?.srv, integrator]) s?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function enrolPhone(phone) {
  const e = await api('POST', '/v1/authenticator/enrollments', { username: CPF }, { authorization: `Bearer ${apiKey}` });
  assert.equal(e.status, 201, JSON.stringify(e.json));
  const page = await phone.newPage();
  await page.goto(e.json.enrollment_url);
  await page.waitForSelector('body[data-ready="enrolled"]', { timeout: 30_000 });
  return page;
}

async function approveOnPhone(page, url, challenge) {
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForSelector('body[data-ready="login"]');
  assert.match(await page.textContent('#client'), /Integrator Portal/);
  const choices = await page.$$eval('#choices button', (bs) => bs.map((b) => Number(b.dataset.choice)));
  assert.equal(choices.length, 3);
  assert.ok(choices.includes(challenge));
  await page.click(`#choices button[data-choice="${challenge}"]`);
  await page.waitForSelector('body[data-result="approved"]');
}

async function exchangeAndVerify(shortToken) {
  const hook = await cb.next();
  const body = JSON.parse(hook.body.toString());
  assert.equal(body.short_token, shortToken);
  const tok = await api('GET', '/oauth/token', null, { authorization: `Bearer ${body.token}` });
  assert.equal(tok.status, 200, JSON.stringify(tok.json));
  assert.equal(tok.json.token_type, 'Bearer');
  assert.equal(tok.json.username, CPF);
  const jwks = (await api('GET', '/.well-known/jwks.json')).json;
  const [h, p, s] = tok.json.access_token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, 'kid is published');
  const ok = crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key: crypto.createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  assert.ok(ok, 'access token verifies against the JWKS');
  const replay = await api('GET', '/oauth/token', null, { authorization: `Bearer ${body.token}` });
  assert.equal(replay.status, 400);
  assert.equal(replay.json.error, 'invalid_grant');
}

test('QR login: integrator page, phone scans, matches the number, callback, token, web socket', { timeout: 120_000 }, async () => {
  const desk = await browser(); const phone = await browser();
  try {
    const phonePage = await enrolPhone(phone);
    const page = await desk.newPage();
    await page.goto(`http://127.0.0.1:${integrator.address().port}/`);
    await page.waitForFunction(() => window.login && document.getElementById('qr').href && window.frames_seen.includes('status'));
    const login = await page.evaluate(() => window.login);
    assert.equal(login.environment, 'browser-test');
    await page.waitForFunction(() => window.frames_seen !== undefined);
    await approveOnPhone(phonePage, login.qr_code, Number(login.challenge));
    await exchangeAndVerify(login.short_token);
    await page.waitForFunction(() => window.close_code === 1000, null, { timeout: 10_000 });
    const seen = await page.evaluate(() => window.frames_seen);
    assert.deepEqual(seen.filter((t) => t !== 'status'), ['scanned', 'approved']);
  } finally {
    await desk.close(); await phone.close();
  }
});

test('push login: notify reaches a local push service (http_ece decrypts, VAPID verifies) and the open authenticator over its socket; phone approves', { timeout: 120_000 }, async () => {
  const phone = await browser();
  try {
    const phonePage = await enrolPhone(phone);
    // A second authenticator for the same person whose push subscription points at the local
    // push service (a headless browser cannot subscribe to a real one).
    const ecdh = crypto.createECDH('prime256v1'); ecdh.generateKeys();
    const auth = crypto.randomBytes(16);
    const dev = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const e = await api('POST', '/v1/authenticator/enrollments', { username: CPF }, { authorization: `Bearer ${apiKey}` });
    const endpoint = `${push.url}/push/device-1`;
    const jwk = dev.publicKey.export({ format: 'jwk' });
    const reg = await api('POST', '/authenticator/api/devices', { enrollment_token: e.json.enrollment_url.split('#e=')[1],
      public_key: jwk, push_subscription: { endpoint, keys: { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(auth) } } });
    assert.equal(reg.status, 201, JSON.stringify(reg.json));
    // The enrolled phone's authenticator is open and idle: it listens on its own web socket.
    await phonePage.goto('about:blank');
    await phonePage.goto(`${base}/authenticator`);
    await phonePage.waitForSelector('body[data-socket="ready"]', { timeout: 30_000 });
    const start = await api('POST', '/oauth/start', { client_id: client.client_id, client_secret: client.client_secret, scope: 'authentication_session', lifetime: 600 });
    assert.equal(start.json.notified, false);
    const n = await api('POST', '/oauth/notify', { client_id: client.client_id, client_secret: client.client_secret, username: CPF, short_token: start.json.short_token });
    assert.equal(n.status, 200, JSON.stringify(n.json));
    assert.equal(n.json.notified, true);
    const msg = await push.next();
    assert.equal(msg.headers['content-encoding'], 'aes128gcm');
    const input = JSON.stringify({ now: Math.floor(Date.now() / 1000), private_key: b64u(ecdh.getPrivateKey()), auth: b64u(auth),
      body: b64u(msg.body), endpoint, vapid: msg.headers.authorization, subject: 'mailto:admin@idgate.invalid' });
    const plain = JSON.parse(execFileSync(python, [join(here, 'push_verify.py')], { input }).toString());
    assert.equal(plain.type, 'login_request');
    assert.equal(plain.short_token, start.json.short_token);
    assert.equal(plain.client_name, 'Integrator Portal');
    assert.equal(plain.url, start.json.qr_code);
    // The open authenticator got the same request over its socket and shows the numbers.
    await phonePage.waitForSelector('body[data-ready="login"]', { timeout: 30_000 });
    assert.match(await phonePage.textContent('#client'), /Integrator Portal/);
    const challenge = Number(start.json.challenge);
    await phonePage.click(`#choices button[data-choice="${challenge}"]`);
    await phonePage.waitForSelector('body[data-result="approved"]');
    await exchangeAndVerify(start.json.short_token);
  } finally {
    await phone.close();
  }
});
