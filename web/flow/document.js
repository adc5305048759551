// Document capture: the person picks one of the session's templates, then photographs each side
// (rear camera with a card-shaped guide) or chooses a file; every image is downscaled in the
// browser to ≤ 2000 px on its long side, as JPEG, and shown for a retake before it is sent. The
// CNH digital is its PDF, sent as it is.
'use strict';

import { t, h, screen, button, alertBox, busy } from './ui.js';
import { submit, guarded, errorText } from './app.js';
import { openCamera } from './selfie.js';

const MAX_SIDE = 2000;
const TWO_SIDED = ['rg', 'cnh', 'rne', 'crnm'];

function fileB64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

/** Draws `source` (an image or a video frame) at ≤ MAX_SIDE px: a JPEG data URL. */
function downscale(source, w, hgt) {
  const k = Math.min(1, MAX_SIDE / Math.max(w, hgt));
  const c = document.createElement('canvas');
  c.width = Math.round(w * k); c.height = Math.round(hgt * k);
  c.getContext('2d').drawImage(source, 0, 0, c.width, c.height);
  return c.toDataURL('image/jpeg', 0.88);
}

async function fileToJpeg(file) {
  const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
  try { return downscale(bmp, bmp.width, bmp.height); } finally { bmp.close?.(); }
}

/** The document step: picks a template (when there are several), then its sides. */
export function documentStep(progress, templates) {
  if (templates.length === 1) return sides(progress, templates[0]);
  const err = alertBox();
  const radios = templates.map((tpl, i) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: 'template', value: tpl, checked: i === 0 }), h('span', { text: t(`doc.${tpl}`) })));
  const go = button(t('device.continue'), () => {
    const picked = document.querySelector('input[name=template]:checked')?.value;
    if (picked) sides(progress, picked);
  }, { id: 'template-continue' });
  screen('personal_document', progress, h('h1', { text: t('doc.title') }),
    h('fieldset', { id: 'document-template' }, h('legend', { text: t('doc.pick') }), radios), err, go);
}

function sides(progress, template) {
  if (template === 'cnh_digital') return pdfScreen(progress);
  const names = TWO_SIDED.includes(template) ? ['front', 'back'] : ['front'];
  const taken = [];
  const next = () => {
    if (taken.length < names.length) return captureSide(progress, names[taken.length], (jpeg) => { taken.push(jpeg); next(); });
    return sendScreen(progress, template, taken.map((d) => ({ document_b64: d.replace(/^data:[^,]*,/, ''), file_type: 'jpeg' })));
  };
  next();
}

/** One side: live camera with the card guide, or a file; then a preview to retake or use. */
function captureSide(progress, side, done) {
  const err = alertBox();
  const file = h('input', { id: `document-${side}`, type: 'file', accept: 'image/jpeg,image/png,image/webp', class: 'sr-only' });
  file.addEventListener('change', () => guarded(async () => {
    if (!file.files[0]) return;
    try { preview(progress, side, await fileToJpeg(file.files[0]), done); } catch { err.textContent = t('err.corrupt_image'); }
  }));
  const upload = h('label', { class: 'btn secondary', for: `document-${side}` }, t('doc.upload'));
  const shoot = button(t('doc.shoot'), () => liveCapture(progress, side, done), { id: `shoot-${side}` });
  screen('personal_document', progress, h('h1', { text: t(`doc.${side}`) }),
    h('div', { class: 'icon icon-card', 'aria-hidden': 'true' }), h('p', { text: t('doc.guide') }), err, shoot, file, upload);
}

async function liveCapture(progress, side, done) {
  const stream = await openCamera('environment', { width: { ideal: 1920 }, height: { ideal: 1080 } });
  if (!stream) return;
  const video = h('video', { id: 'document-video', autoplay: true, muted: true, playsinline: true, 'aria-hidden': 'true' });
  video.srcObject = stream;
  const snap = button(t('doc.shoot'), () => {
    const jpeg = downscale(video, video.videoWidth, video.videoHeight);
    for (const tr of stream.getTracks()) tr.stop();
    preview(progress, side, jpeg, done);
  }, { id: `snap-${side}` });
  screen('personal_document', progress, h('h1', { text: t(`doc.${side}`) }),
    h('div', { class: 'camera card' }, video, h('div', { class: 'card-guide', 'aria-hidden': 'true' })),
    h('p', { class: 'muted', text: t('doc.guide') }), snap);
  await video.play().catch(() => {});
}

function preview(progress, side, jpeg, done) {
  screen('personal_document', progress, h('h1', { text: t(`doc.${side}`) }),
    h('img', { id: `preview-${side}`, class: 'preview', src: jpeg, alt: t(`doc.${side}`) }),
    h('div', { class: 'row' },
      button(t('doc.retake'), () => captureSide(progress, side, done), { kind: 'secondary', id: `retake-${side}` }),
      button(t('doc.use'), () => done(jpeg), { id: `use-${side}` })));
}

function pdfScreen(progress) {
  const err = alertBox();
  const chosen = h('p', { id: 'pdf-chosen', class: 'muted' });
  const file = h('input', { id: 'document-pdf', type: 'file', accept: 'application/pdf', class: 'sr-only' });
  const send = button(t('doc.send'), () => busy(send, () => guarded(async () => {
    const f = file.files[0];
    if (!f) { err.textContent = t('err.choose_pdf'); return; }
    err.textContent = t('doc.sending');
    const r = await submit('personal_document', { document_template: 'cnh_digital', documents: [{ document_b64: await fileB64(f), file_type: 'pdf' }] });
    if (r) err.textContent = errorText(r.json);
  })), { id: 'document-send' });
  file.addEventListener('change', () => { err.textContent = ''; chosen.textContent = file.files[0] ? t('doc.pdf_chosen', { name: file.files[0].name }) : ''; });
  screen('personal_document', progress, h('h1', { text: t('doc.pdf') }),
    h('div', { class: 'icon icon-pdf', 'aria-hidden': 'true' }), h('p', { text: t('doc.pdf_hint') }),
    file, h('label', { class: 'btn secondary', for: 'document-pdf' }, t('doc.upload')), chosen, err, send);
}

function sendScreen(progress, template, documents) {
  const err = alertBox();
  const send = button(t('doc.send'), () => busy(send, () => guarded(async () => {
    err.textContent = '';
    sending.textContent = t('doc.sending');
    const r = await submit('personal_document', { document_template: template, documents });
    sending.textContent = '';
    if (r) err.textContent = errorText(r.json);
  })), { id: 'document-send' });
  const sending = h('p', { class: 'status', role: 'status' });
  screen('personal_document', progress, h('h1', { text: t(`doc.${template}`) }),
    h('div', { class: 'thumbs' }, documents.map((d, i) => h('img', { class: 'thumb', src: `data:image/jpeg;base64,${d.document_b64}`, alt: t(i ? 'doc.back' : 'doc.front') }))),
    sending, err, send);
}
