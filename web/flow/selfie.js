// The selfie with liveness: the front camera in an oval guide with live hints (a 320 px preview
// frame about once a second to `POST <page>/face-hint`, answered by the server's face detector,
// so hints work in every browser), a challenge from
// the server (`POST <page>/liveness`), its actions shown one by one while frames are captured
// at ~10 fps (each ≤ 640 px, JPEG), then sent with the challenge id to the face step. A failed
// check shows its reasons and, while attempts are left, a retry with a new challenge.
'use strict';

import { t, h, screen, button, alertBox, status, busy } from './ui.js';
import { call, submit, refresh, guarded, errorText } from './app.js';

const FPS = 10;
const LOOK_MS = 1000;
const ACTION_MS = 2500;
const MAX_FRAMES = 120;
const MAX_SIDE = 640;
const HINT_SIDE = 320;
const HINT_MS = 1000;

/** Opens a camera; on failure shows the denied / no camera / unsupported screen and answers null. */
export async function openCamera(facing, constraints = {}) {
  if (!navigator.mediaDevices?.getUserMedia) { cameraProblem('unsupported'); return null; }
  try {
    return await navigator.mediaDevices.getUserMedia({
      video: { facingMode: facing, width: { ideal: 1280 }, height: { ideal: 720 }, ...constraints }, audio: false });
  } catch (e) {
    const kind = e && (e.name === 'NotAllowedError' || e.name === 'SecurityError') ? 'camera_denied'
      : e && (e.name === 'NotFoundError' || e.name === 'OverconstrainedError') ? 'no_camera' : 'camera_denied';
    cameraProblem(kind);
    return null;
  }
}

/** The camera problem screens; "no camera" offers the same link as a QR code for a phone. */
export function cameraProblem(kind) {
  const parts = [h('div', { class: `icon icon-${kind}`, 'aria-hidden': 'true' }),
    h('h1', { text: t(`${kind}.title`) }), h('p', { text: t(`${kind}.body`) })];
  if (kind === 'no_camera') {
    parts.push(h('img', { class: 'qr', src: `${location.pathname.replace(/\/+$/, '')}/qr.svg`, alt: t('no_camera.qr'), width: 240, height: 240 }));
  }
  if (kind === 'camera_denied') parts.push(button(t('camera_denied.retry'), () => location.reload(), { id: 'retry' }));
  screen(kind, ...parts);
}

/** One frame of `video`, at most `side` px on its long side, as base64 JPEG. */
function grab(video, canvas, side = MAX_SIDE, quality = 0.8) {
  const w = video.videoWidth; const hgt = video.videoHeight;
  const k = Math.min(1, side / Math.max(w, hgt));
  canvas.width = Math.round(w * k); canvas.height = Math.round(hgt * k);
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL('image/jpeg', quality).replace(/^data:[^,]*,/, '');
}

/** Live hints while the camera screen is shown: a small frame to the server about once a
 * second (never two at a time), its answer in the `hint` live region. */
function liveHints(video, hint) {
  const canvas = document.createElement('canvas');
  const tick = async () => {
    if (!video.isConnected) return;
    if (video.videoWidth && !video.paused) {
      try {
        const r = await call('POST', '/face-hint', { image: grab(video, canvas, HINT_SIDE, 0.7) });
        if (video.isConnected && r.status === 200) {
          const text = t(`hint.${r.json.hint}`);
          if (hint.textContent !== text) hint.textContent = text;
          hint.dataset.hint = r.json.hint;
        }
      } catch { /* a lost hint is not worth the network screen */ }
    }
    setTimeout(tick, HINT_MS);
  };
  tick();
}

/** Films the challenge: shows each action for its time and captures frames at FPS. */
async function film(video, challenge, cue) {
  const canvas = document.createElement('canvas');
  const plan = [['look', LOOK_MS], ...challenge.actions.map((a) => [a, ACTION_MS])];
  const frames = [];
  let t0 = null;
  for (const [action, ms] of plan) {
    cue.dataset.action = action;
    cue.querySelector('.cue-text').textContent = t(`action.${action}`);
    const end = performance.now() + ms;
    while (performance.now() < end && frames.length < MAX_FRAMES) {
      const started = performance.now();
      const image = grab(video, canvas);
      t0 ??= started;
      frames.push({ image, t_ms: Math.round(started - t0) });
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 / FPS - (performance.now() - started))));
    }
  }
  delete cue.dataset.action;
  return frames;
}

function stop(stream) { for (const tr of stream?.getTracks() || []) tr.stop(); }

/** The selfie step's screens: explanation, camera with guide, filming, result. */
export function selfieStep(progress) {
  const err = alertBox();
  const start = button(t('selfie.start'), () => camera(progress), { id: 'selfie-start' });
  screen('face_recognition', progress, h('div', { class: 'icon icon-selfie', 'aria-hidden': 'true' }),
    h('h1', { text: t('selfie.title') }), h('p', { text: t('selfie.body') }), err, start);
}

async function camera(progress) {
  const stream = await openCamera('user', { width: { ideal: 640 }, height: { ideal: 480 } });
  if (!stream) return;
  const video = h('video', { id: 'selfie-video', autoplay: true, muted: true, playsinline: true, 'aria-hidden': 'true' });
  video.srcObject = stream;
  const hint = status('hint');
  const cue = h('div', { id: 'cue', class: 'cue' }, h('span', { class: 'cue-anim', 'aria-hidden': 'true' }), h('span', { class: 'cue-text', text: t('selfie.oval') }));
  const err = alertBox();
  const attempts = h('p', { id: 'attempts', class: 'muted' });
  const go = button(t('selfie.go'), () => busy(go, () => guarded(() => attempt(video, stream, cue, hint, err, attempts, go))), { id: 'selfie-go' });
  screen('face_recognition', progress, h('h1', { class: 'sr-only', text: t('selfie.title') }),
    h('div', { class: 'camera selfie' }, video, h('div', { class: 'oval', 'aria-hidden': 'true' }), cue),
    hint, err, attempts, go);
  await video.play().catch(() => {});
  liveHints(video, hint);
}

async function attempt(video, stream, cue, hint, err, attempts, go) {
  err.textContent = '';
  const c = await call('POST', '/liveness', {});
  if (c.status !== 201) { err.textContent = errorText(c.json); if (c.status === 410 || c.status === 409) await refresh(); return; }
  const frames = await film(video, c.json, cue);
  cue.querySelector('.cue-text').textContent = t('selfie.sending');
  hint.textContent = '';
  const r = await submit('face_recognition', { challenge_id: c.json.id, frames });
  if (!r) { stop(stream); return; }
  const d = r.json?.error?.details || {};
  const reasons = (d.reasons || []).map((x) => t(`live.${x}`));
  err.textContent = [errorText(r.json), ...reasons].join(' ');
  cue.querySelector('.cue-text').textContent = t('selfie.oval');
  if (typeof d.attempts_left === 'number') {
    attempts.textContent = t('selfie.attempts_left', { n: d.attempts_left });
    if (d.attempts_left === 0) { stop(stream); err.textContent += ' ' + t('live.no_attempts'); await refresh(); return; }
  }
  go.textContent = t('selfie.retry');
}
