// Browser tests of the selfie with liveness in the hosted flow, in Debian's chromium with a fake
// camera: a whole session from the API call to the webhook (device scan, selfie performing the
// challenge from the shared head-turn clip, RG front and back), and a still photo that fails with
// the catalogue's message and an attempt count. The sandbox tenant fixes the challenge's actions
// to those the clip performs (the page's own request is rewritten on its way).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { startIdgate, y4m, headTurnY4m, browser, snap, watchedPage, cleanup, testdata, until } from './flow_support.mjs';

let idg;
const CPF = '529.982.247-25';
const doc = (p) => join(testdata, 'documents', p);

before(async () => { idg = await startIdgate(); }, { timeout: 120_000 });
after(() => { idg?.stop(); cleanup(); });

async function session(id, steps) {
  const r = await idg.api('POST', '/v1/verification-sessions', { id, document_number: CPF, settings: { steps } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r.json;
}

/** Fixes the challenge's actions (a sandbox tenant may) so that the fake camera's clip matches. */
async function fixActions(page, actions) {
  await page.route('**/liveness', (route) => route.continue({ postData: JSON.stringify({ actions }) }));
}

async function selfie(page) {
  await page.click('#selfie-start');
  await until(page, () => document.querySelector('#selfie-video')?.videoWidth > 0);
  await page.click('#selfie-go');
}

test('a whole session: API call, device scan, selfie with liveness, RG front and back, webhook', { timeout: 300_000 }, async () => {
  const hooks = [];
  const srv = await new Promise((r) => {
    const s = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => { hooks.push(JSON.parse(body)); res.end('ok'); });
    }).listen(0, '127.0.0.1', () => r(s));
  });
  idg.cli('webhook', 'add', '--tenant', 'sandbox', '--url', `http://127.0.0.1:${srv.address().port}/hook`, '--event', 'session.completed');
  const s = await session('browser-walk', [{ step: 'device_scan' }, { step: 'face_recognition' },
    { step: 'personal_document', document_templates: ['rg'], show_introduction_screen: false }]);
  const ctx = await browser({ camera: headTurnY4m() });
  try {
    const { page, errors } = await watchedPage(ctx);
    await fixActions(page, ['turn_left', 'turn_right']);
    await page.goto(s.auth_session_url);
    await page.click('#device-continue');
    await page.waitForSelector('#selfie-start');
    await page.click('#selfie-start');
    await until(page, () => document.querySelector('#selfie-video')?.videoWidth > 0);
    // a live hint from the server's face detector: the clip shows one face
    const hint = await until(page, () => document.querySelector('#hint')?.dataset.hint);
    assert.ok(['ok', 'closer'].includes(hint), hint);
    assert.ok((await page.textContent('#hint')).length > 0);
    await snap(page, 'selfie-camera');
    await page.click('#selfie-go');
    await until(page, () => document.querySelector('#cue')?.dataset.action === 'turn_left');
    await snap(page, 'selfie-action');
    await page.waitForSelector('#shoot-front', { timeout: 120_000 });
    await page.setInputFiles('#document-front', doc('br/bid_rg_frente_1.jpg'));
    await page.click('#use-front');
    await page.setInputFiles('#document-back', doc('br/bid_rg_verso_1.jpg'));
    await page.click('#use-back');
    await page.click('#document-send');
    await page.waitForSelector('#done', { timeout: 180_000 });
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
  }
  const got = (await idg.api('GET', '/v1/verification-sessions/browser-walk')).json;
  assert.ok(['approved', 'rejected', 'in_manual_analysis'].includes(got.status), got.status);
  assert.ok(got.step_data.device_scan.risk_signals.includes('automation'));
  assert.match(got.step_data.face_recognition.image_key, /^[0-9a-f-]{36}$/);
  assert.equal(got.step_data.personal_document.ocr_keys.length, 2);
  // the webhook carries the same outcome (polled: delivery is asynchronous)
  for (let i = 0; i < 300 && !hooks.some((h) => JSON.stringify(h).includes('browser-walk')); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  srv.close();
  const hook = hooks.find((h) => JSON.stringify(h).includes('browser-walk'));
  assert.ok(hook, `no session.completed webhook: ${JSON.stringify(hooks)}`);
  assert.ok(JSON.stringify(hook).includes(got.status));
});

test('a still photo in front of the camera fails liveness with its message and attempts left', { timeout: 180_000 }, async () => {
  const s = await session('browser-still', [{ step: 'face_recognition' }]);
  const ctx = await browser({ camera: y4m(join(testdata, 'faces/obama_1.jpg'), 'still', { still: true, seconds: 10, vf: 'scale=640:-2' }), locale: 'pt-BR' });
  try {
    const { page } = await watchedPage(ctx);
    await fixActions(page, ['turn_left', 'blink']);
    await page.goto(s.auth_session_url);
    await selfie(page);
    await until(page, () => document.querySelector('#error')?.textContent.length > 0, undefined, 120_000);
    const text = await page.textContent('#error');
    assert.match(text, /Não conseguimos confirmar o movimento/);
    assert.match(await page.textContent('#attempts'), /Tentativas restantes: \d/);
    assert.equal(await page.textContent('#selfie-go'), 'Tentar de novo');
    await snap(page, 'selfie-failed');
  } finally { await ctx.close(); }
  const got = (await idg.api('GET', '/v1/verification-sessions/browser-still')).json;
  assert.equal(got.step_data.face_recognition, undefined);
});
