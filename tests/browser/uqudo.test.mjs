// Browser test of the uqudo door (cross-device QR sessions) in Debian's chromium, two contexts:
// a desktop page (another origin) showing the QR code through /sdk/idgate-qr.js, and a phone
// (360 px, fake camera playing the shared head-turn clip) that opens qrCodeTextWithDynamicLink
// and completes the hosted flow (RG front and back, selfie with liveness). The desktop must
// receive SCAN, FACE and INFO in that order as DOM events; the backend's result JWS is then
// verified by PyJWT + cryptography (tests/browser/uqudo_verify.py) against the JWKS, with
// `aud`, `jti`, `nonce` and the document's fields checked against the stored read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { startIdgate, headTurnY4m, browser, watchedPage, cleanup, testdata, until, snap, SIZES, root } from './flow_support.mjs';

let idg;
before(async () => { idg = await startIdgate(); }, { timeout: 120_000 });
after(() => { idg?.stop(); cleanup(); });

const camel = (k) => ({ birth_date: 'dateOfBirth', expiry_date: 'dateOfExpiry', given_names: 'firstName',
  surname: 'lastName', name: 'fullName' })[k] || k.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

async function form(path, body) {
  const res = await fetch(idg.base + path, { method: 'POST', body: new URLSearchParams(body) });
  return { status: res.status, json: await res.json() };
}

test('desktop QR via idgate-qr.js, phone completes the flow, SCAN/FACE/INFO in order, JWS verified by PyJWT', { timeout: 400_000 }, async () => {
  const client = idg.cli('client', 'create', '--tenant', 'sandbox', '--name', 'Desk', '--scope', 'sessions');
  const tok = await form('/api/oauth/token', { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret });
  assert.equal(tok.status, 200, JSON.stringify(tok.json));
  const bearer = { authorization: `Bearer ${tok.json.access_token}`, 'content-type': 'application/json' };
  const data = Buffer.from(JSON.stringify({ documents: [{ documentType: 'BRA_RG', faceScanMinimumMatchLevel: 2 }],
    facialRecognition: { enabled: true, maxAttempts: 3 }, backgroundCheck: { enabled: false }, nonce: 'browser-nonce' })).toString('base64');
  const created = await fetch(`${idg.base}/api/v1/session`, { method: 'POST', headers: bearer, body: JSON.stringify({ data }) });
  assert.equal(created.status, 200);
  const s = await created.json();

  // the integrator's page, on its own origin, with one <script> tag
  const html = `<!doctype html><meta charset=utf-8><title>desk</title>
    <div id="qr" data-idgate-qr="${s.qrCodeText}"></div>
    <script>window.got = []; for (const n of ['scan','face','info','read','background_check'])
      document.addEventListener('idgate:' + n, (e) => window.got.push(e.detail));
      document.addEventListener('idgate:close', (e) => { window.closeCode = e.detail.code; });</script>
    <script src="${idg.base}/sdk/idgate-qr.js"></script>`;
  const site = await new Promise((r) => { const srv = createServer((q, res) => { res.setHeader('content-type', 'text/html'); res.end(html); }).listen(0, '127.0.0.1', () => r(srv)); });
  const desk = await browser({ viewport: SIZES.desktop });
  const phone = await browser({ camera: headTurnY4m(), viewport: SIZES.phone });
  try {
    const d = await watchedPage(desk);
    await d.page.goto(`http://127.0.0.1:${site.address().port}/`);
    await until(d.page, () => !!document.querySelector('#qr svg'));
    assert.equal(await d.page.getAttribute('#qr', 'data-link'), s.qrCodeTextWithDynamicLink);
    await d.page.screenshot({ path: join(root, 'tests/browser/screenshots/uqudo-desktop-qr.png') }).catch(() => {});

    const p = await watchedPage(phone);
    // the sandbox tenant may fix the challenge to the turns the clip performs
    await p.page.route('**/liveness', (route) => route.continue({ postData: JSON.stringify({ actions: ['turn_left', 'turn_right'] }) }));
    await p.page.goto(s.qrCodeTextWithDynamicLink);
    assert.match(p.page.url(), /\/s\/[^/]+\/t\//);
    await p.page.waitForSelector('#shoot-front', { timeout: 60_000 });
    await p.page.setInputFiles('#document-front', join(testdata, 'documents/br/bid_rg_frente_1.jpg'));
    await p.page.click('#use-front');
    await p.page.setInputFiles('#document-back', join(testdata, 'documents/br/bid_rg_verso_1.jpg'));
    await p.page.click('#use-back');
    await p.page.click('#document-send');
    await until(d.page, () => window.got.length >= 2, undefined, 180_000);
    await p.page.waitForSelector('#selfie-start', { timeout: 60_000 });
    await p.page.click('#selfie-start');
    await until(p.page, () => document.querySelector('#selfie-video')?.videoWidth > 0);
    await p.page.click('#selfie-go');
    await p.page.waitForSelector('#done', { timeout: 180_000 });
    await snap(p.page, 'uqudo-phone-done');
    await until(d.page, () => window.closeCode === 1000, undefined, 60_000).catch(async (e) => {
      const state = await d.page.evaluate(() => JSON.stringify({ got: window.got, closeCode: window.closeCode }));
      const v = (await idg.api('GET', `/v1/verification-sessions/${s.sessionId}`)).json;
      throw new Error(`${e.message}: ${state} session ${v.status} ${JSON.stringify(v.step_data)}`);
    });
    const got = await d.page.evaluate(() => window.got);
    assert.deepEqual(got.map((f) => f.service), ['SCAN', 'SCAN', 'FACE', 'INFO'], JSON.stringify(got));
    assert.deepEqual(got.slice(0, 2).map((f) => f.side), ['front', 'back']);
    assert.equal(got[3].sessionId, s.sessionId);
    assert.deepEqual(d.errors, []);
    assert.deepEqual(p.errors, []);
    // a second phone is refused
    const again = await fetch(s.qrCodeTextWithDynamicLink, { redirect: 'manual' });
    assert.equal(again.status, 409);
  } finally {
    await desk.close();
    await phone.close();
    site.close();
  }

  // the backend's result, verified by an independent library against the JWKS
  const res = await fetch(`${idg.base}/api/v1/info/${s.sessionId}`, { headers: bearer });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/jwt');
  const jws = await res.text();
  const jwks = await (await fetch(`${idg.base}/api/.well-known/jwks.json`)).json();
  const py = join(process.env.IDGATE_VENV || join(homedir(), '.cache/idgate-venv'), 'bin/python');
  const claims = JSON.parse(execFileSync(py, [join(root, 'tests/browser/uqudo_verify.py')],
    { input: JSON.stringify({ jws, jwks, aud: client.client_id }), encoding: 'utf8' }));
  assert.equal(claims.aud, client.client_id);
  assert.equal(claims.jti, s.sessionId);
  assert.equal(claims.nonce, 'browser-nonce');
  const doc = claims.data.documents[0];
  assert.equal(doc.documentType, 'BRA_RG');
  assert.equal(typeof doc.face.match, 'boolean');
  assert.ok(doc.face.matchLevel >= 0 && doc.face.matchLevel <= 5);
  // every field of each side is the stored read's value
  for (const [side, key] of [['front', doc.scan.frontImageId], ['back', doc.scan.backImageId]]) {
    const read = (await idg.api('GET', `/v1/documents/${key}`)).json;
    const fields = Object.entries(read.fields || {});
    for (const [k, f] of fields) assert.deepEqual(doc.scan[side][camel(k)], f.value, `${side}.${k}`);
    assert.equal(Object.keys(doc.scan[side]).length >= fields.length, true);
  }
  assert.ok(Object.keys(doc.scan.front).length + Object.keys(doc.scan.back).length > 0, JSON.stringify(doc));
  const img = await fetch(`${idg.base}/api/v1/info/img/${doc.scan.faceImageId}`, { headers: bearer });
  assert.equal(img.status, 200);
  assert.match(img.headers.get('content-type'), /^image\//);
});
