// Browser tests of the hosted verification flow in Debian's chromium (playwright-core, no
// downloaded browser) with a fake camera fed a y4m that ffmpeg makes at test time from
// ../shared/testdata, against one idgate with the real face and OCR models. Each test makes its
// own session through the API and checks what the tenant sees afterwards (step_data, status).
// Screenshots of every screen at 360×740 and 1280×800 go to tests/browser/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { startIdgate, y4m, browser, snap, watchedPage, cleanup, testdata, until } from './flow_support.mjs';

let idg;
const CPF = '529.982.247-25';
const doc = (p) => join(testdata, 'documents', p);

before(async () => { idg = await startIdgate(); }, { timeout: 120_000 });
after(() => { idg?.stop(); cleanup(); });

/** A tenant page that frames `?src=` and records the messages it receives in `window.events`;
 * answers its origin (the server is pushed to `hosts` for closing). */
function frameHost(hosts) {
  return new Promise((r) => {
    const srv = createServer((req, res) => {
      const src = decodeURIComponent(new URL(req.url, 'http://x').searchParams.get('src') || '');
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><title>host</title><script>window.events=[];addEventListener('message',(e)=>events.push({origin:e.origin,data:e.data}));</script>
        <iframe id="f" src="${src}" allow="camera" width="400" height="600" onload="window.loaded=true"></iframe>`);
    }).listen(0, '127.0.0.1', () => { hosts.push(srv); r(`http://127.0.0.1:${srv.address().port}`); });
  });
}

async function session(id, steps, extra = {}) {
  const r = await idg.api('POST', '/v1/verification-sessions', { id, document_number: CPF, settings: { steps, ...extra } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
}

test('device scan and an RG front (file) and back (rear camera) through the page; the device is flagged', { timeout: 240_000 }, async () => {
  idg.cli('tenant', 'policy', 'sandbox', '--unverifiable', 'manual_analysis', '--risky-device', 'manual_analysis');
  const s = await session('browser-rg', [{ step: 'device_scan' },
    { step: 'personal_document', document_templates: ['rg', 'cnh', 'cnh_digital'], show_introduction_screen: true }]);
  const ctx = await browser({ camera: y4m(doc('br/bid_rg_verso_1.jpg'), 'rg-back', { still: true, vf: 'scale=1280:-2,pad=1280:960:(ow-iw)/2:(oh-ih)/2' }) });
  try {
    const { page, errors } = await watchedPage(ctx);
    await page.goto(s.auth_session_url);
    assert.equal(await page.getAttribute('html', 'lang'), 'pt-BR');
    await page.waitForSelector('[data-screen=intro]');
    assert.match(await page.textContent('h1'), /Vamos verificar sua identidade/);
    await snap(page, 'intro');
    await page.click('#start');
    await page.waitForSelector('[data-screen=device_scan]');
    assert.match(await page.textContent('#progress'), /Etapa 1 de 2/);
    // focus moves to the new screen's heading
    assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1');
    await snap(page, 'device');
    await page.click('#device-continue');
    await page.waitForSelector('#document-template');
    await snap(page, 'document-pick');
    await page.check('input[value=rg]');
    await page.click('#template-continue');
    await page.waitForSelector('#shoot-front');
    await snap(page, 'document-side');
    await page.setInputFiles('#document-front', doc('br/bid_rg_frente_1.jpg'));
    await page.waitForSelector('#preview-front');
    await snap(page, 'document-preview');
    // a retake goes back to the capture screen; the second pick is used
    await page.click('#retake-front');
    await page.setInputFiles('#document-front', doc('br/bid_rg_frente_1.jpg'));
    await page.click('#use-front');
    await page.click('#shoot-back');
    await until(page, () => document.querySelector('#document-video')?.videoWidth > 0);
    await snap(page, 'document-camera');
    await page.click('#snap-back');
    await page.waitForSelector('#preview-back');
    // the browser downscaled the capture to ≤ 2000 px, JPEG
    const dims = await page.$eval('#preview-back', (i) => [i.naturalWidth, i.naturalHeight, i.src.slice(0, 23)]);
    assert.ok(Math.max(dims[0], dims[1]) <= 2000 && dims[0] > 0, String(dims));
    assert.equal(dims[2], 'data:image/jpeg;base64,');
    await page.click('#use-back');
    await page.waitForSelector('#document-send');
    await snap(page, 'document-send');
    await page.click('#document-send');
    await page.waitForSelector('#done', { timeout: 180_000 });
    await snap(page, 'done');
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
    idg.cli('tenant', 'policy', 'sandbox', '--unverifiable', 'manual_analysis');
  }
  const got = (await idg.api('GET', '/v1/verification-sessions/browser-rg')).json;
  const d = got.step_data.device_scan;
  assert.equal(d.signals.webdriver, true);
  assert.ok(d.risk_signals.includes('automation'), JSON.stringify(d.risk_signals));
  assert.match(d.fingerprint, /^[0-9a-f]{32}$/);
  assert.equal(d.network.ip, '127.0.0.1');
  assert.equal(d.signals.time_zone, 'America/Sao_Paulo');
  assert.ok(d.signals.canvas_hash && d.signals.screen.width > 0);
  assert.equal(got.step_data.personal_document.document_template, 'rg');
  assert.equal(got.step_data.personal_document.ocr_keys.length, 2);
  assert.ok(['approved', 'rejected', 'in_manual_analysis'].includes(got.status), got.status);
  assert.ok(got.decision.reasons.some((r) => r.code === 'device_risky'), JSON.stringify(got.decision.reasons));
});

test('a CNH digital PDF, in English by the switch, with the success screen', { timeout: 180_000 }, async () => {
  const s = await session('browser-cnh-digital', [{ step: 'personal_document', document_templates: ['cnh_digital'], show_introduction_screen: false }]);
  const ctx = await browser();
  try {
    const { page, errors } = await watchedPage(ctx);
    await page.goto(s.auth_session_url);
    await page.click('a[hreflang=en]');
    await page.waitForSelector('#document-pdf', { state: 'attached' });
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match(await page.textContent('h1'), /The PDF of your CNH digital/);
    // sending without a file explains itself in the catalogue's words
    await page.click('#document-send');
    assert.equal(await page.textContent('#error'), 'Choose the PDF file first.');
    await page.setInputFiles('#document-pdf', doc('cnh_digital_synthetic/cnh_digital_synth_signed.pdf'));
    assert.match(await page.textContent('#pdf-chosen'), /cnh_digital_synth_signed\.pdf/);
    assert.equal(await page.textContent('#error'), '');
    await snap(page, 'document-pdf');
    await page.click('#document-send');
    await page.waitForSelector('#done', { timeout: 120_000 });
    assert.match(await page.textContent('#done h1'), /Thank you/);
    assert.deepEqual(errors, []);
  } finally { await ctx.close(); }
  const got = (await idg.api('GET', '/v1/verification-sessions/browser-cnh-digital')).json;
  assert.equal(got.step_data.personal_document.document_template, 'cnh_digital');
  assert.equal(got.step_data.personal_document.ocr_keys.length, 1);
  assert.notEqual(got.status, 'in_progress');
});

test('expired and closed links get their own page, in pt-BR and en', { timeout: 60_000 }, async () => {
  const s = await session('browser-expired', [{ step: 'device_scan' }], { token_expiration_seconds: 1 });
  // wait for the one-second token to lapse (a condition, polled; the server's clock is real)
  let st = 0;
  for (let i = 0; i < 50 && st !== 410; i++) {
    st = (await fetch(s.auth_session_url)).status;
    if (st !== 410) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(st, 410);
  const closed = await session('browser-closed', [{ step: 'device_scan' }]);
  assert.equal((await idg.api('POST', '/v1/verification-sessions/browser-closed/cancel', {})).status, 200);
  const ctx = await browser({ locale: 'en-US' });
  try {
    const { page } = await watchedPage(ctx);
    await page.goto(s.auth_session_url);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.textContent('h1'), 'This link has expired');
    await snap(page, 'expired');
    await page.goto(`${s.auth_session_url}?lang=pt-BR`);
    assert.equal(await page.getAttribute('html', 'lang'), 'pt-BR');
    assert.equal(await page.textContent('h1'), 'Este link expirou');
    await page.goto(closed.auth_session_url);
    assert.equal(await page.textContent('h1'), 'This verification is closed');
    await snap(page, 'closed');
  } finally { await ctx.close(); }
});

test('camera denied and no camera: their screens; no camera offers the link as a QR code', { timeout: 60_000 }, async () => {
  const s = await session('browser-nocam', [{ step: 'face_recognition' }]);
  for (const [camera, screenName] of [['denied', 'camera_denied'], ['none', 'no_camera']]) {
    const ctx = await browser({ camera });
    try {
      const { page, errors } = await watchedPage(ctx);
      await page.goto(s.auth_session_url);
      await page.waitForSelector('[data-screen=face_recognition]');
      await snap(page, 'selfie-intro');
      await page.click('#selfie-start');
      await page.waitForSelector(`[data-screen=${screenName}]`);
      if (screenName === 'no_camera') {
        await until(page, () => document.querySelector('img.qr')?.naturalWidth > 0);
        const qr = await fetch(`${s.auth_session_url}/qr.svg`);
        assert.equal(qr.headers.get('content-type'), 'image/svg+xml');
      } else {
        assert.ok(await page.isVisible('#retry'));
      }
      await snap(page, screenName);
      assert.deepEqual(errors, []);
    } finally { await ctx.close(); }
  }
});

test('a lost connection shows the network screen; retry goes on', { timeout: 60_000 }, async () => {
  const s = await session('browser-network', [{ step: 'device_scan' }], {});
  const ctx = await browser();
  try {
    const { page } = await watchedPage(ctx);
    await page.route('**/steps/device_scan', (r) => r.abort('internetdisconnected'));
    await page.goto(s.auth_session_url);
    await page.click('#device-continue');
    await page.waitForSelector('[data-screen=network]');
    await snap(page, 'network');
    await page.unroute('**/steps/device_scan');
    await page.click('#retry');
    await page.waitForSelector('#done');
    // a device scan alone checks no identity: under analysis, never approved
    assert.equal(await page.getAttribute('#done', 'data-status'), 'in_manual_analysis');
  } finally { await ctx.close(); }
});

test('an iframe host on an allowed origin gets the events; another origin cannot frame the page', { timeout: 60_000 }, async () => {
  const hosts = [];
  const listen = () => frameHost(hosts);
  const allowed = await listen();
  const other = await listen();
  idg.cli('tenant', 'frame-origins', 'sandbox', allowed);
  const s = await session('browser-iframe', [{ step: 'device_scan' }], { open_mode: 'iframe' });
  const ctx = await browser();
  try {
    const { page } = await watchedPage(ctx);
    await page.goto(`${allowed}/?src=${encodeURIComponent(s.auth_session_url)}`);
    await until(page, () => window.events.some((e) => e.data.type === 'opened'));
    const frame = page.frames().find((f) => f.url().startsWith(s.auth_session_url));
    await frame.click('#device-continue');
    const events = await until(page, () => window.events.some((e) => e.data.type === 'finished') && window.events);
    const origin = new URL(s.auth_session_url).origin;
    assert.ok(events.every((e) => e.origin === origin));
    assert.deepEqual(events.map((e) => e.data.type), ['opened', 'step_completed', 'finished']);
    assert.deepEqual([events[1].data.session_id, events[1].data.completed, events[1].data.step], ['browser-iframe', 'device_scan', null]);
    assert.equal(events[2].data.session_id, 'browser-iframe');
    assert.equal(events[2].data.status, 'in_manual_analysis');
    // a host the tenant did not allow: the frame is refused (CSP frame-ancestors), nothing is posted
    const s2 = await session('browser-iframe-2', [{ step: 'device_scan' }], { open_mode: 'iframe' });
    await page.goto(`${other}/?src=${encodeURIComponent(s2.auth_session_url)}`);
    await until(page, () => window.loaded === true);
    const f2 = page.frames().find((f) => f !== page.mainFrame());
    assert.equal(await f2.$('#flow').catch(() => null), null);
    assert.deepEqual(await page.evaluate(() => window.events), []);
  } finally {
    await ctx.close();
    for (const h of hosts) h.close();
  }
});

test('a browser without what the page needs gets the unsupported screen', { timeout: 60_000 }, async () => {
  const s = await session('browser-old', [{ step: 'device_scan' }]);
  const ctx = await browser({ locale: 'en-US' });
  try {
    const { page, errors } = await watchedPage(ctx);
    await page.addInitScript(() => { delete window.fetch; });
    await page.goto(s.auth_session_url);
    await page.waitForSelector('[data-screen=unsupported]');
    assert.equal(await page.textContent('h1'), 'This browser is not supported');
    await snap(page, 'unsupported');
    assert.deepEqual(errors, []);
  } finally { await ctx.close(); }
});

test('link mode with a tenant redirect URL: the success screen, then back to the tenant with the session id', { timeout: 60_000 }, async () => {
  const seen = [];
  const srv = await new Promise((r) => {
    const h = createServer((req, res) => { seen.push(req.url); res.setHeader('content-type', 'text/html'); res.end('<title>tenant</title>back'); })
      .listen(0, '127.0.0.1', () => r(h));
  });
  const target = `http://127.0.0.1:${srv.address().port}/done`;
  idg.cli('tenant', 'redirect-url', 'sandbox', target);
  try {
    const s = await session('browser-redirect', [{ step: 'device_scan' }]);
    const ctx = await browser();
    try {
      const { page } = await watchedPage(ctx);
      await page.goto(s.auth_session_url);
      await page.click('#device-continue');
      await page.waitForSelector('#done');
      await page.waitForURL(`${target}?**`, { timeout: 15_000 });
      const u = new URL(page.url());
      assert.equal(u.searchParams.get('session_id'), 'browser-redirect');
      assert.equal(u.searchParams.get('status'), 'in_manual_analysis');
    } finally { await ctx.close(); }
  } finally {
    idg.cli('tenant', 'redirect-url', 'sandbox');
    srv.close();
  }
  assert.equal(seen.filter((u) => u.startsWith('/done')).length, 1, JSON.stringify(seen));
});

test('an iframe host hears of a refused step (error event with its code), then of the finish', { timeout: 60_000 }, async () => {
  const hosts = [];
  const host = await frameHost(hosts);
  idg.cli('tenant', 'frame-origins', 'sandbox', host);
  const s = await session('browser-iframe-error', [{ step: 'device_scan' }], { open_mode: 'iframe' });
  const ctx = await browser();
  try {
    const { page } = await watchedPage(ctx);
    // the first submission is refused as a server would refuse a malformed scan
    let refused = 0;
    await page.route('**/steps/device_scan', (r) => (refused++ === 0
      ? r.fulfill({ status: 422, contentType: 'application/json', body: JSON.stringify({ error: { code: 'validation_failed', message: 'signals: must be an object' } }) })
      : r.continue()));
    await page.goto(`${host}/?src=${encodeURIComponent(s.auth_session_url)}`);
    await until(page, () => window.events.some((e) => e.data.type === 'opened'));
    const frame = page.frames().find((f) => f.url().startsWith(s.auth_session_url));
    await frame.click('#device-continue');
    const err = await until(page, () => window.events.find((e) => e.data.type === 'error'));
    assert.deepEqual([err.data.session_id, err.data.code, err.data.step], ['browser-iframe-error', 'validation_failed', 'device_scan']);
    // the person sees the catalogue's words, not the developer message
    const alert = await frame.textContent('[role=alert]');
    assert.ok(alert.length > 0 && !alert.includes('signals:'), alert);
    await frame.click('#device-continue');
    const events = await until(page, () => window.events.some((e) => e.data.type === 'finished') && window.events);
    assert.deepEqual(events.map((e) => e.data.type), ['opened', 'error', 'step_completed', 'finished']);
  } finally {
    await ctx.close();
    for (const h of hosts) h.close();
  }
});

test('a session still being decided shows the waiting screen and polls to its outcome', { timeout: 60_000 }, async () => {
  const s = await session('browser-processing', [{ step: 'device_scan' }]);
  const ctx = await browser({ locale: 'en-US' });
  try {
    const { page, errors } = await watchedPage(ctx);
    // the step really completes on the server; the page is told the decision is still running
    await page.route('**/steps/device_scan', async (r) => {
      const res = await r.fetch();
      const body = await res.json();
      await r.fulfill({ response: res, json: { ...body, status: 'processing', step: null } });
    });
    let polls = 0;
    await page.route('**/state', (r) => { polls++; return r.continue(); });
    await page.goto(s.auth_session_url);
    await page.click('#device-continue');
    await page.waitForSelector('#done[data-status=processing]');
    assert.match(await page.textContent('#outcome'), /checking what you sent/);
    assert.ok(await page.isVisible('.icon-wait'));
    await snap(page, 'processing');
    await page.waitForSelector('#done[data-status=in_manual_analysis]', { timeout: 15_000 });
    assert.ok(polls >= 1, 'the page polled the state');
    assert.match(await page.textContent('#outcome'), /under analysis/);
    assert.ok(await page.isVisible('.icon-done'));
    assert.deepEqual(errors, []);
  } finally { await ctx.close(); }
});
