// The hosted verification flow: one section per step of the session, in order, each sent as JSON
// to `<page URL>/steps/<step>` (the URL's token is the credential). Files are read in the
// browser and sent as base64; the server answers where the flow stands.
'use strict';

const root = document.getElementById('flow');
const page = location.pathname.replace(/\/+$/, '');
let state = JSON.parse(root.dataset.state);

const $ = (sel) => root.querySelector(sel);
const show = (el, on) => { if (el) el.hidden = !on; };

function fileB64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

function render() {
  for (const sec of root.querySelectorAll('section[data-step]')) {
    show(sec, state.status === 'in_progress' && sec.dataset.step === state.step);
  }
  const done = $('#done');
  done.dataset.status = state.status;
  show(done, state.step === null || !['pending', 'in_progress'].includes(state.status));
  const n = state.completed_steps.length;
  $('#progress').textContent = `Step ${Math.min(n + 1, state.steps.length)} of ${state.steps.length}`;
}

async function submit(step, body, button) {
  const error = $('#error');
  error.textContent = '';
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    const res = await fetch(`${page}/steps/${step}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const json = await res.json().catch(() => null);
    if (res.status === 409 && json && json.error && json.error.code === 'step_out_of_order') {
      // another tab (or a retried request) moved the flow on: show where it stands now
      location.reload();
      return;
    }
    if (!res.ok) {
      error.textContent = (json && json.error && json.error.message) || `Error ${res.status}`;
      return;
    }
    state = json;
    render();
  } catch (e) {
    error.textContent = 'Network error; please try again.';
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

$('#device-continue')?.addEventListener('click', (ev) => submit('device_scan', {}, ev.target));

$('#selfie-send')?.addEventListener('click', async (ev) => {
  const f = $('#selfie').files[0];
  if (!f) { $('#error').textContent = 'Choose or take a selfie first.'; return; }
  await submit('face_recognition', { image: await fileB64(f) }, ev.target);
});

$('#document-send')?.addEventListener('click', async (ev) => {
  const files = [$('#document-front').files[0], $('#document-back').files[0]].filter(Boolean);
  if (!files.length) { $('#error').textContent = 'Choose the document (front, and back if it has one).'; return; }
  const documents = [];
  for (const f of files) {
    documents.push({ document_b64: await fileB64(f), file_type: f.type === 'application/pdf' ? 'pdf' : 'jpeg' });
  }
  await submit('personal_document', { document_template: $('#document-template').value, documents }, ev.target);
});

render();
