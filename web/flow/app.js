// The hosted verification flow: one screen at a time, in the session's order (introduction,
// one per step, the outcome), each step sent as JSON to `<page URL>/steps/<step>` (the URL's
// token is the credential). Errors are shown from the catalogue by their code; a lost
// connection gets a retry screen; a `processing` session is polled to its outcome. An `iframe`
// session posts `{type, session_id, status, step}` to the tenant's allowed origins only.
'use strict';

import { t, h, screen, button, alertBox, root, busy, has } from './ui.js';
import { collectSignals } from './device.js';
import { selfieStep } from './selfie.js';
import { documentStep } from './document.js';

const page = location.pathname.replace(/\/+$/, '');
let state = JSON.parse(root.dataset.state);

/** A fetch that failed to reach the server (shown as the network screen). */
export class NetworkError extends Error {}

/** Calls the page's API: `{status, json}`; throws NetworkError when the server is unreachable. */
export async function call(method, path, body) {
  let res;
  try {
    res = await fetch(page + path, {
      method, headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch { throw new NetworkError(); }
  return { status: res.status, json: await res.json().catch(() => null) };
}

/** The person-facing text of an API error answer (never the server's developer message). */
export function errorText(json) {
  const code = json?.error?.code;
  return code && has(`err.${code}`) ? t('err.' + code) : t('err.generic');
}

/** Tells the framing page (only the tenant's allowed origins) where the flow stands. */
function notify(type, extra = {}) {
  if (state.open_mode !== 'iframe' || window.parent === window) return;
  const msg = { type, session_id: state.session_id, status: state.status, step: state.step, ...extra };
  for (const origin of state.frame_origins) window.parent.postMessage(msg, origin);
}

/** Submits a step; a new state moves the flow on, anything else answers `{status, json}`. */
export async function submit(step, body) {
  const r = await call('POST', `/steps/${step}`, body);
  if (r.status === 200) {
    state = { ...state, ...r.json };
    notify('step_completed', { completed: step });
    route();
    return null;
  }
  if (r.json?.error?.code === 'step_out_of_order') { await refresh(); return null; }
  if (r.status === 410) { closedScreen('expired'); return null; }
  notify('error', { code: r.json?.error?.code || 'error' });
  return r;
}

/** Reads the flow's state again and shows the screen it is at. */
export async function refresh() {
  const r = await call('GET', '/state');
  if (r.status === 200) { state = { ...state, ...r.json }; route(); } else if (r.status === 410) closedScreen('expired');
  else closedScreen('closed');
}

/** Runs `work`; a lost connection shows the network screen whose retry runs it again. */
export async function guarded(work) {
  try { return await work(); } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    const again = button(t('network.retry'), () => guarded(work), { id: 'retry' });
    screen('network', h('div', { class: 'icon icon-network', 'aria-hidden': 'true' }),
      h('h1', { text: t('network.title') }), h('p', { text: t('network.body') }), again);
    return null;
  }
}

function progress() {
  const total = state.steps.length;
  const n = Math.min(state.completed_steps.length + 1, total);
  return h('p', { id: 'progress', class: 'progress' },
    h('span', { text: t('progress', { n, total }) }),
    h('progress', { max: total, value: n - 1, 'aria-hidden': 'true' }));
}

function closedScreen(kind) {
  screen(kind, h('div', { class: `icon icon-${kind}`, 'aria-hidden': 'true' }),
    h('h1', { text: t(`${kind}.title`) }), h('p', { text: t(`${kind}.body`) }));
}

function introScreen() {
  const items = { device_scan: 'intro.device', face_recognition: 'intro.selfie', personal_document: 'intro.document' };
  screen('intro', h('div', { class: 'icon icon-intro', 'aria-hidden': 'true' }),
    h('h1', { text: t('intro.title') }), h('p', { text: t('intro.body') }),
    h('ul', { class: 'checklist' }, state.steps.map((s) => h('li', { text: t(items[s]) }))),
    button(t('intro.start'), () => { state.show_introduction_screen = false; route(); }, { id: 'start' }));
}

function deviceScreen() {
  const err = alertBox();
  const go = button(t('device.continue'), () => busy(go, () => guarded(async () => {
    const r = await submit('device_scan', { signals: await collectSignals() });
    if (r) err.textContent = errorText(r.json);
  })), { id: 'device-continue' });
  screen('device_scan', progress(), h('div', { class: 'icon icon-device', 'aria-hidden': 'true' }),
    h('h1', { text: t('device.title') }), h('p', { text: t('device.body') }), err, go);
}

let polling = null;
function outcomeScreen() {
  const processing = state.status === 'processing';
  const text = processing ? 'done.processing' : state.status === 'in_manual_analysis' ? 'done.review' : 'done.sent';
  if (!processing) notify('finished');
  if (!processing && !state.show_success_screen && state.redirect_url) return finish();
  const sec = screen('done', h('div', { class: `icon ${processing ? 'icon-wait' : 'icon-done'}`, 'aria-hidden': 'true' }),
    h('h1', { text: processing ? t('page.title') : t('done.title') }),
    h('p', { id: 'outcome', role: 'status', text: t(text) }));
  sec.id = 'done';
  sec.dataset.status = state.status;
  clearTimeout(polling);
  if (processing) polling = setTimeout(() => guarded(refresh), 2000);
  else if (state.redirect_url) setTimeout(finish, 3000);
}

/** `link` mode with a tenant `redirect_url`: back to the tenant with the session id. */
function finish() {
  const u = new URL(state.redirect_url);
  u.searchParams.set('session_id', state.session_id);
  u.searchParams.set('status', state.status);
  location.assign(u.toString());
}

/** Shows the screen the flow is at. */
export function route() {
  const { status, step } = state;
  if (status === 'expired') return closedScreen('expired');
  if (status === 'canceled') return closedScreen('closed');
  if (!['pending', 'in_progress'].includes(status) || step === null) return outcomeScreen();
  if (state.show_introduction_screen && state.completed_steps.length === 0) return introScreen();
  if (step === 'device_scan') return deviceScreen();
  if (step === 'face_recognition') return selfieStep(progress());
  if (step === 'personal_document') return documentStep(progress(), state.document_templates);
  return closedScreen('closed');
}

if (!window.fetch || !window.Promise || !window.crypto?.subtle || !window.URL) {
  closedScreen('unsupported');
} else {
  route();
  notify('opened');
}
performance.mark('idgate:interactive');
