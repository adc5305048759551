// bench/flow_page's measuring half (see bench/flow_page): first-screen bytes and time to
// interactive of the hosted verification page in chromium, loopback and slow 4G.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { chromium } = createRequire(join(here, '../tests/browser/package.json'))('playwright-core');
const runs = Number(process.env.BENCH_RUNS || 15);
const data = mkdtempSync(join(tmpdir(), 'idgate-bench-flow-'));
const port = 20000 + Math.floor(Math.random() * 20000);
const env = { ...process.env, IDGATE_LOG: 'warn' };
for (const k of Object.keys(env)) if (k.startsWith('BENCH_')) delete env[k];
const srv = spawn(process.env.BENCH_BIN, ['serve', '--dev', '--data', data, '--listen', `127.0.0.1:${port}`], { env, stdio: 'ignore' });
const base = `http://127.0.0.1:${port}`;
let up = false;
for (let i = 0; i < 300 && !up; i++) {
  up = await fetch(`${base}/healthz`).then((r) => r.ok).catch(() => false);
  if (!up) await new Promise((r) => setTimeout(r, 100));
}
if (!up) throw new Error('idgate did not start');
const key = readFileSync(join(data, 'dev-api-key'), 'utf8').trim();
let n = 0;
async function sessionUrl() {
  const r = await fetch(`${base}/v1/verification-sessions`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ id: `bench-${n++}`, document_number: '529.982.247-25',
      settings: { steps: [{ step: 'device_scan' }, { step: 'face_recognition' }, { step: 'personal_document', document_templates: ['rg', 'cnh', 'cnh_digital'] }] } }),
  });
  return (await r.json()).auth_session_url;
}
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'] });
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
async function measure(label, throttle) {
  const bytes = []; const tti = [];
  for (let i = 0; i < runs; i++) {
    const ctx = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (throttle) await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 });
    let total = 0;
    cdp.on('Network.loadingFinished', (e) => { total += e.encodedDataLength; });
    const url = await sessionUrl();
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('[data-screen]');
    const t = await page.evaluate(() => performance.getEntriesByName('idgate:interactive')[0]?.startTime);
    await new Promise((r) => setTimeout(r, 50)); // let the last loadingFinished events arrive
    bytes.push(total); tti.push(t);
    await ctx.close();
  }
  console.log(`${label}: first screen ${(median(bytes) / 1024).toFixed(1)} KB transferred (max ${(Math.max(...bytes) / 1024).toFixed(1)} KB); `
    + `time to interactive median ${median(tti).toFixed(0)} ms, worst ${Math.max(...tti).toFixed(0)} ms (${runs} runs, empty cache, ${process.env.BENCH_PROFILE} server)`);
}
try {
  await measure('loopback', false);
  await measure('slow 4G (150 ms RTT, 1.6 Mbit/s)', true);
} finally {
  await browser.close();
  srv.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
}
