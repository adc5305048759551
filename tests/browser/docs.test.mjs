// /docs in Debian's chromium: the embedded Redoc renders every operation of /openapi.json, with
// no request leaving the server and no CSP violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { bin, freePort, tmp } from './flow_support.mjs';

test('/docs renders every operation with Redoc, offline, under its CSP', { timeout: 120_000 }, async () => {
  assert.ok(existsSync(bin), `build the server first (cargo build -p idgate-server): ${bin}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { ...process.env, IDGATE_LOG: 'warn' };
  delete env.DATABASE_URL;
  const proc = spawn(bin, ['serve', '--dev', '--data', tmp('idgate-docs-'), '--listen', `127.0.0.1:${port}`],
    { env, stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    let up = false;
    for (let i = 0; i < 300 && !up; i++) {
      up = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(up, 'idgate never answered /healthz');
    const spec = await (await fetch(`${base}/openapi.json`)).json();
    const ops = Object.values(spec.paths).flatMap((p) => Object.keys(p)).length;
    assert.ok(ops > 50, `${ops} operations`);

    const res = await fetch(`${base}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy'), /script-src 'self';/);

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      const foreign = [];
      const problems = [];
      page.on('response', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url()); });
      page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
      page.on('pageerror', (e) => problems.push(String(e)));
      await page.goto(`${base}/docs`);
      // Redoc gives each operation a section named by its operationId.
      await page.waitForSelector('[data-section-id^="operation/"]', { timeout: 60_000 });
      const rendered = await page.$$eval('h2', (hs) => hs.map((h) => h.textContent));
      for (const summary of ['Create a verification session', 'Start a QR-code/push login (Soluti-compatible)', 'Validate a face against a registration']) {
        assert.ok(rendered.some((t) => t.includes(summary)), `${summary} is rendered`);
      }
      const sections = await page.$$eval('[data-section-id^="operation/"]', (els) => new Set(els.map((e) => e.getAttribute('data-section-id'))).size);
      assert.equal(sections, ops, 'every operation has a section');
      const body = await page.textContent('body');
      assert.ok(body.includes('Permission: sessions:write'), 'permissions are shown');
      assert.ok(body.includes('turn_left'), 'the liveness prose is shown');
      assert.deepEqual(foreign, [], 'no request leaves the server');
      // Redoc's footer links its logo from its CDN: the CSP blocks it (the footer hides a logo
      // that fails to load); anything else blocked would be a part of the page not working.
      const blocked = problems.filter((p) => /Content Security Policy|Refused/.test(p) && !p.includes('cdn.redoc.ly/redoc/logo-mini.svg'));
      assert.deepEqual(blocked, [], 'no other CSP violation');
    } finally {
      await browser.close();
    }
  } finally {
    proc.kill();
  }
});
