// Shared set-up of the hosted-flow browser tests: one idgate (dev mode, SQLite in a temp dir,
// the real models), its CLI, Debian's chromium through playwright-core with a fake camera fed a
// y4m made at test time by Debian's ffmpeg from ../shared/testdata, and screenshots of each
// screen at phone and desktop sizes.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, existsSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '../..');
export const testdata = join(root, '../shared/testdata');
const wt = basename(root).startsWith('wt-') ? `-${basename(root)}` : '';
export const bin = process.env.IDGATE_BIN
  || join(process.env.CARGO_TARGET_DIR || join(homedir(), `.cache/idgate-target${wt}`), 'debug/idgate');
export const shots = process.env.SCREENSHOT_DIR || join(here, 'screenshots');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const SIZES = { phone: { width: 360, height: 740 }, desktop: { width: 1280, height: 800 } };

const dirs = [];
export const tmp = (prefix) => { const d = mkdtempSync(join(tmpdir(), prefix)); dirs.push(d); return d; };

export async function freePort() {
  return new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
}

/** Starts idgate; answers `{base, port, apiKey, dataDir, cli(args), api(method, path, body), stop()}`.
 * `env(port)`: extra environment for the server and its CLI (e.g. `IDGATE_CONSOLE__*`). */
export async function startIdgate({ env: extra = () => ({}) } = {}) {
  assert.ok(existsSync(bin), `build the server first (cargo build -p idgate-server): ${bin}`);
  assert.ok(existsSync(testdata), `\n\n*** ${testdata} is missing: the flow tests need ../shared/testdata ***\n`);
  const dataDir = tmp('idgate-flow-');
  const port = await freePort();
  const env = { ...process.env, IDGATE_LOG: 'warn', IDGATE_WEBHOOKS__ALLOW_PRIVATE: 'true', IDGATE_MODELS_DIR: process.env.IDGATE_MODELS_DIR || join(root, 'models'), ...extra(port) };
  delete env.DATABASE_URL;
  delete env.IDGATE_BIN;
  const proc = spawn(bin, ['serve', '--dev', '--data', dataDir, '--listen', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const base = `http://127.0.0.1:${port}`;
  let ready = false; let exited = false;
  proc.on('exit', () => { exited = true; });
  for (let i = 0; i < 900 && !ready && !exited; i++) {
    try {
      const r = await (await fetch(`${base}/readyz`)).json();
      ready = r.ready && r.faces === 'ready' && r.ocr === 'ready';
    } catch { /* not yet */ }
    if (!ready) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(ready, `idgate never became ready (faces and OCR models loaded):\n${stderr}`);
  const apiKey = readFileSync(join(dataDir, 'dev-api-key'), 'utf8').trim();
  const cliEnv = { ...env, IDGATE_MASTER_KEY: readFileSync(join(dataDir, 'master.key'), 'utf8').trim() };
  const cli = (...args) => JSON.parse(execFileSync(bin, [...args, '--data', dataDir], { env: cliEnv, encoding: 'utf8' }) || 'null');
  async function api(method, path, body) {
    const res = await fetch(base + path, {
      method, headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  }
  return { base, port, apiKey, dataDir, cli, api, stop: () => proc.kill('SIGTERM') };
}

/** A y4m for chromium's fake camera, made by ffmpeg from `input` (an image is held `seconds`). */
export function y4m(input, name, { seconds = 4, vf = 'scale=640:-2', still = false } = {}) {
  const out = join(tmp('idgate-y4m-'), `${name}.y4m`);
  const src = still ? ['-loop', '1', '-t', String(seconds), '-i', input] : ['-i', input];
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', ...src, '-vf', `${vf},fps=10,format=yuv420p`, '-f', 'yuv4mpegpipe', out]);
  return out;
}

/** A y4m of the shared head-turn clip (scaled to 640 px, as the page sends it) performing the person's left
 * turn then right turn, each coming back, between frontal holds: `lead_s` seconds before, 4 s after (the fake
 * camera loops the file, so the capture must end before it starts again). */
export function headTurnY4m(leadS = 1.2) {
  const dir = tmp('idgate-turns-');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(testdata, 'video/head_turn_lr_female.mp4'),
    '-vf', 'fps=12.5,scale=640:360', join(dir, 'f%04d.png')]);
  // frame 9 faces the camera, 14 is her left turn, 19 frontal, 23 her right turn (0-based)
  const idx = [...Array(Math.round(leadS * 10)).fill(9), ...range(9, 23), ...range(22, 19), ...Array(40).fill(19)];
  const list = idx.map((i) => `file '${join(dir, `f${String(i + 1).padStart(4, '0')}.png`)}'\nduration 0.1`).join('\n');
  writeFileSync(join(dir, 'list.txt'), `${list}\nfile '${join(dir, 'f0020.png')}'\n`);
  const out = join(dir, 'turns.y4m');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', join(dir, 'list.txt'),
    '-vf', 'fps=10,format=yuv420p', '-f', 'yuv4mpegpipe', out]);
  return out;
}

function range(a, b) {
  const out = [];
  for (let i = a; a <= b ? i <= b : i >= b; i += a <= b ? 1 : -1) out.push(i);
  return out;
}

/** A chromium context; `camera`: a y4m path (fake camera, permission granted), 'none' (no camera device, permission
 * granted) or 'denied' (the person refuses). */
export async function browser({ camera = 'denied', locale = 'pt-BR', viewport = SIZES.phone } = {}) {
  const args = [...FLAGS, `--lang=${locale}`];
  if (camera !== 'none') args.push('--use-fake-device-for-media-stream');
  if (camera !== 'denied' && camera !== 'none') args.push(`--use-file-for-fake-video-capture=${camera}`);
  const ctx = await chromium.launchPersistentContext(tmp('idgate-chromium-'), {
    executablePath: '/usr/bin/chromium', headless: true, args, locale, viewport, timezoneId: 'America/Sao_Paulo',
    permissions: camera === 'denied' ? [] : ['camera'],
  });
  return ctx;
}

/** Screenshots of the page as it is, at phone and desktop sizes: `<shots>/<name>-{phone,desktop}.png`. */
export async function snap(page, name) {
  mkdirSync(shots, { recursive: true });
  const was = page.viewportSize();
  for (const [size, vp] of Object.entries(SIZES)) {
    await page.setViewportSize(vp);
    await page.screenshot({ path: join(shots, `${name}-${size}.png`), fullPage: true, animations: 'disabled' });
  }
  await page.setViewportSize(was);
}

/** A page that fails its test on any script error or CSP violation. */
export async function watchedPage(ctx) {
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
  return { page, errors };
}

export function cleanup() {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** Waits until `fn` (run in the page) answers truthy; `waitForFunction` evaluates strings, which the page's CSP forbids. */
export async function until(page, fn, arg, timeout = 30_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await page.evaluate(fn, arg);
    if (v) return v;
    assert.ok(Date.now() < end, `timed out waiting for ${fn}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
