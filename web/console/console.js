// The console's only script: runs the passkey ceremonies of the invite and sign-in pages
// (navigator.credentials.create / get) against the server's begin/finish calls. Every other
// screen is plain HTML forms and links.

const b64u = {
  decode(s) {
    const b = atob(s.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(s.length / 4) * 4, '='));
    return Uint8Array.from(b, (c) => c.charCodeAt(0)).buffer;
  },
  encode(buf) {
    let s = '';
    for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  },
};

async function call(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body || {}),
    credentials: 'same-origin',
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((json.error && json.error.message) || String(res.status));
  return json;
}

async function register(base) {
  const { ceremony, publicKey } = await call(`${base}/begin`);
  publicKey.challenge = b64u.decode(publicKey.challenge);
  publicKey.user.id = b64u.decode(publicKey.user.id);
  for (const c of publicKey.excludeCredentials || []) c.id = b64u.decode(c.id);
  const cred = await navigator.credentials.create({ publicKey });
  const credential = {
    id: cred.id,
    rawId: b64u.encode(cred.rawId),
    type: cred.type,
    response: {
      attestationObject: b64u.encode(cred.response.attestationObject),
      clientDataJSON: b64u.encode(cred.response.clientDataJSON),
    },
    extensions: cred.getClientExtensionResults(),
  };
  return call(`${base}/finish`, { ceremony, credential });
}

async function signIn(base) {
  const { ceremony, publicKey } = await call(`${base}/begin`);
  publicKey.challenge = b64u.decode(publicKey.challenge);
  for (const c of publicKey.allowCredentials || []) c.id = b64u.decode(c.id);
  const cred = await navigator.credentials.get({ publicKey });
  const r = cred.response;
  const credential = {
    id: cred.id,
    rawId: b64u.encode(cred.rawId),
    type: cred.type,
    response: {
      authenticatorData: b64u.encode(r.authenticatorData),
      clientDataJSON: b64u.encode(r.clientDataJSON),
      signature: b64u.encode(r.signature),
      userHandle: r.userHandle ? b64u.encode(r.userHandle) : null,
    },
    extensions: cred.getClientExtensionResults(),
  };
  return call(`${base}/finish`, { ceremony, credential });
}

function start() {
  const box = document.getElementById('passkey');
  if (!box) return;
  const button = document.getElementById('passkey-go');
  const status = document.getElementById('passkey-status');
  if (!window.PublicKeyCredential) {
    status.textContent = box.dataset.unsupported;
    button.disabled = true;
    return;
  }
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = box.dataset.working;
    try {
      const run = box.dataset.mode === 'register' ? register : signIn;
      const { redirect } = await run(box.dataset.base);
      window.location.assign(redirect);
    } catch (e) {
      status.textContent = `${box.dataset.failed} (${e.message})`;
      button.disabled = false;
      button.focus();
    }
  });
}

start();
