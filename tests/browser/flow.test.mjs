// Browser test of the hosted verification flow in Debian's chromium (playwright-core, no
// downloaded browser), with the real face and OCR models: a tenant creates a session, the person
// opens its link, continues past the device step, picks a selfie file and the synthetic RG, and
// the page submits each step to the step API. The tenant then sees the step_data references
// (session_id, image_key, ocr_keys) and the decision: the synthetic RG has no portrait, so the
// face cannot be compared and the session waits for manual analysis, with that reason.
// Reads its images from ../shared/testdata (beside the repository).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const testdata = join(root, '../shared/testdata');
const bin = process.env.IDGATE_BIN || join(process.env.CARGO_TARGET_DIR || join(homedir(), '.cache/idgate-target'), 'debug/idgate');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let idgate; let base; let apiKey; const dirs = [];

async function api(method, path, body) {
  const res = await fetch(base + path, {
    method, headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

before(async () => {
  assert.ok(existsSync(bin), `build the server first (cargo build -p idgate-server): ${bin}`);
  assert.ok(existsSync(testdata), `\n\n*** ${testdata} is missing: the flow test needs ../shared/testdata ***\n`);
  const dataDir = mkdtempSync(join(tmpdir(), 'idgate-flow-')); dirs.push(dataDir);
  const port = await new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
  const env = { ...process.env, IDGATE_LOG: 'warn', IDGATE_MODELS_DIR: process.env.IDGATE_MODELS_DIR || join(root, 'models') };
  delete env.DATABASE_URL;
  idgate = spawn(bin, ['serve', '--dev', '--data', dataDir, '--listen', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  idgate.stderr.on('data', () => {});
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      const r = await (await fetch(`${base}/readyz`)).json();
      if (r.ready && r.faces === 'ready' && r.ocr === 'ready') break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  apiKey = readFileSync(join(dataDir, 'dev-api-key'), 'utf8').trim();
}, { timeout: 90_000 });

after(() => {
  idgate?.kill('SIGTERM');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('hosted flow: device, selfie and document through the page, then the decision', { timeout: 180_000 }, async () => {
  const created = await api('POST', '/v1/verification-sessions', {
    id: 'browser-flow', document_number: '529.982.247-25',
    settings: { steps: [{ step: 'device_scan' }, { step: 'face_recognition' },
      { step: 'personal_document', document_templates: ['rg', 'cnh'] }] },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const dir = mkdtempSync(join(tmpdir(), 'idgate-chromium-')); dirs.push(dir);
  const ctx = await chromium.launchPersistentContext(dir, { executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
  try {
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(created.json.auth_session_url);
    await page.waitForSelector('section[data-step="device_scan"]:not([hidden])');
    assert.match(await page.textContent('#progress'), /Step 1 of 3/);
    // the selfie before the device step is not offered
    assert.equal(await page.isVisible('#selfie-send'), false);
    // another tab completes the device step first: this page's click finds the flow moved on
    // and shows the step now due
    const other = await fetch(`${created.json.auth_session_url}/steps/device_scan`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(other.status, 200);
    await page.click('#device-continue');
    await page.waitForSelector('section[data-step="face_recognition"]:not([hidden])');
    assert.match(await page.textContent('#progress'), /Step 2 of 3/);
    // sending without a file explains itself and sends nothing
    await page.click('#selfie-send');
    assert.match(await page.textContent('#error'), /selfie/);
    await page.setInputFiles('#selfie', join(testdata, 'faces/obama_1.jpg'));
    await page.click('#selfie-send');
    await page.waitForSelector('section[data-step="personal_document"]:not([hidden])', { timeout: 60_000 });
    assert.deepEqual(await page.$$eval('#document-template option', (os) => os.map((o) => o.value)), ['rg', 'cnh']);
    await page.selectOption('#document-template', 'rg');
    await page.setInputFiles('#document-front', join(testdata, 'documents/br_synthetic/rg_synth_clean.png'));
    await page.click('#document-send');
    await page.waitForSelector('#done:not([hidden])', { timeout: 120_000 });
    assert.equal(await page.getAttribute('#done', 'data-status'), 'in_manual_analysis');
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
  }
  const got = await api('GET', '/v1/verification-sessions/browser-flow');
  assert.equal(got.status, 200);
  const s = got.json;
  assert.equal(s.status, 'in_manual_analysis');
  assert.match(s.step_data.device_scan.session_id, /^[0-9a-f-]{36}$/);
  assert.match(s.step_data.face_recognition.image_key, /^[0-9a-f-]{36}$/);
  assert.equal(s.step_data.personal_document.document_template, 'rg');
  assert.equal(s.step_data.personal_document.ocr_keys.length, 1);
  assert.deepEqual(s.decision.reasons.map((r) => r.code), ['document_face_not_found']);
  assert.equal(s.decision.evidence.cpf_matches_session, true);
  // the read behind the key is the tenant's
  const read = await api('GET', `/v1/documents/${s.step_data.personal_document.ocr_keys[0]}`);
  assert.equal(read.status, 200);
  assert.equal(read.json.fields.cpf.value, '52998224725');
});
