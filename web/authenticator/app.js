// idgate authenticator: enrols this device (a non-extractable ECDSA P-256 key made with
// WebCrypto, kept in IndexedDB, plus a Web Push subscription), then opens logins from the QR
// code (#t=<short_token>) or a push, and signs the person's decision after number matching.
'use strict';

const $ = (id) => document.getElementById(id);
const say = (text) => { $('status').textContent = text; };
const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromB64url = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

function db() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('idgate-authenticator', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('device');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function load() {
  const d = await db();
  return new Promise((resolve, reject) => {
    const r = d.transaction('device').objectStore('device').get('self');
    r.onsuccess = () => resolve(r.result || null);
    r.onerror = () => reject(r.error);
  });
}

async function forget() {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction('device', 'readwrite');
    tx.objectStore('device').delete('self');
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

async function save(v) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction('device', 'readwrite');
    tx.objectStore('device').put(v, 'self');
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

async function api(path, body) {
  const res = await fetch(path, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = new Error((json.error && json.error.message) || `HTTP ${res.status}`);
    e.code = json.error && json.error.code;
    throw e;
  }
  return json;
}

async function sign(device, text) {
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, device.key, new TextEncoder().encode(text));
  return b64url(sig); // raw r||s (IEEE P1363), as the server expects
}

const withTimeout = (p, ms) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), ms))]);

async function pushSubscription() {
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) return null;
  try {
    const reg = await navigator.serviceWorker.register('/authenticator/sw.js', { scope: '/authenticator' });
    await withTimeout(navigator.serviceWorker.ready, 3000);
    const key = document.querySelector('meta[name="idgate-vapid-key"]').content;
    const sub = await withTimeout(reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromB64url(key) }), 5000);
    return sub.toJSON();
  } catch (e) {
    console.warn('push unavailable:', e.message);
    return null;
  }
}

async function enroll(token) {
  say('Enrolling this device…');
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const sub = await pushSubscription();
  const out = await api('/authenticator/api/devices', {
    enrollment_token: token,
    public_key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    push_subscription: sub,
    name: navigator.userAgent.slice(0, 64),
  });
  await save({ device_id: out.device_id, username: out.username, key: pair.privateKey });
  history.replaceState(null, '', '/authenticator');
  say(out.push ? 'This device is enrolled and will receive sign-in requests.'
    : 'This device is enrolled. Scan a sign-in QR code to approve it.');
  showWho({ username: out.username });
}

function showWho(device) {
  $('who').textContent = device ? `Enrolled for ${device.username.replace(/^(\d{3})\d{6}(\d{2})$/, '$1.***.***-$2')}` : '';
}

async function decide(device, short, decision, challenge) {
  for (const b of document.querySelectorAll('#login button')) b.disabled = true;
  const time = Math.floor(Date.now() / 1000);
  const msg = JSON.stringify({ challenge, decision, short_token: short, time });
  try {
    const out = await api('/authenticator/api/logins/decide', {
      device_id: device.device_id, short_token: short, challenge, decision, time, signature: await sign(device, msg),
    });
    $('login').hidden = true;
    if (out.status === 'approved') say('Approved. You can return to the other screen.');
    else if (out.deny_reason === 'wrong_number') say('Wrong number: this sign-in was denied.');
    else say('Denied.');
    document.body.dataset.result = out.status;
  } catch (e) {
    $('login').hidden = true;
    say(`Could not complete: ${e.message}`);
    document.body.dataset.result = e.code || 'error';
  }
}

async function openLogin(device, short) {
  say('Opening sign-in request…');
  const time = Math.floor(Date.now() / 1000);
  const msg = JSON.stringify({ action: 'open', short_token: short, time });
  const out = await api('/authenticator/api/logins/open', {
    device_id: device.device_id, short_token: short, time, signature: await sign(device, msg),
  });
  history.replaceState(null, '', '/authenticator');
  $('client').textContent = out.client_name;
  $('scope').textContent = out.scope;
  const box = $('choices');
  box.replaceChildren();
  for (const n of out.choices) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = String(n);
    b.dataset.choice = String(n);
    b.onclick = () => decide(device, short, 'approve', n);
    box.appendChild(b);
  }
  $('deny').onclick = () => decide(device, short, 'deny', 0);
  $('login').hidden = false;
  say(`Expires in ${out.expires_in} s.`);
  document.body.dataset.ready = 'login';
}

// The person removes this device: signed with its key (the server checks the signature before
// anything else), then the key is forgotten here. The server closes this device's socket.
async function removeDevice(device) {
  if (!confirm('Remove this device? It will no longer approve sign-ins.')) return;
  $('remove').disabled = true;
  const time = Math.floor(Date.now() / 1000);
  const msg = JSON.stringify({ action: 'revoke', device_id: device.device_id, time });
  try {
    await api('/authenticator/api/devices/revoke', { device_id: device.device_id, time, signature: await sign(device, msg) });
    await forget();
    $('login').hidden = true;
    $('remove').hidden = true;
    $('who').textContent = '';
    say('This device was removed. Open a new enrolment link to use it again.');
    document.body.dataset.ready = 'removed';
  } catch (e) {
    $('remove').disabled = false;
    say(`Could not remove this device: ${e.message}`);
  }
}

async function main() {
  const hash = new URLSearchParams(location.hash.slice(1));
  let device = await load();
  if (hash.get('e')) {
    await enroll(hash.get('e'));
    device = await load();
    document.body.dataset.ready = 'enrolled';
    return;
  }
  showWho(device);
  if (!device) { say('This device is not enrolled. Open the enrolment link you were given.'); return; }
  $('remove').hidden = false;
  $('remove').onclick = () => removeDevice(device);
  if (hash.get('t')) { await openLogin(device, hash.get('t')); return; }
  say('Waiting for sign-in requests. Scan a QR code or open a notification.');
  document.body.dataset.ready = 'idle';
  listen(device);
}

// While the page is open, sign-in requests pushed to this person also arrive over a web socket
// (protocol in /openapi.json): answer the server's challenge with a signature, then open each
// request as it comes. Reconnects after a drop.
function listen(device) {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/authenticator/ws`);
  ws.onmessage = async (ev) => {
    const f = JSON.parse(ev.data);
    if (f.type === 'challenge') {
      const msg = JSON.stringify({ action: 'listen', nonce: f.nonce });
      ws.send(JSON.stringify({ type: 'auth', device_id: device.device_id, signature: await sign(device, msg) }));
    } else if (f.type === 'ready') {
      document.body.dataset.socket = 'ready';
    } else if (f.type === 'login_request' && document.body.dataset.ready !== 'login') {
      await openLogin(device, f.short_token);
    }
  };
  ws.onclose = (ev) => {
    document.body.dataset.socket = 'closed';
    if (ev.code !== 4401) setTimeout(() => listen(device), 3000);
  };
}

main().catch((e) => { say(`Error: ${e.message}`); document.body.dataset.ready = 'error'; });
