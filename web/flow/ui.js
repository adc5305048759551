// The flow page's DOM helpers and its message catalogue: every text the person reads comes
// from `t(key)`, the catalogue of the page's language (rendered by the server into #msgs).
'use strict';

const msgs = JSON.parse(document.getElementById('msgs').textContent);
export const root = document.getElementById('flow');

/** The message `key`, with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const m = msgs[key] ?? msgs['err.generic'];
  return m.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

/** Whether the catalogue has `key` (server codes without a message fall back to a generic one). */
export const has = (key) => Object.prototype.hasOwnProperty.call(msgs, key);

/** `h('p', {class: 'x'}, 'text', child)`: an element; `on*` attributes become listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c);
  return el;
}

/** Shows one screen: replaces the page's content and moves focus to its heading. */
export function screen(name, ...children) {
  const sec = h('section', { class: 'screen', 'data-screen': name }, ...children);
  root.replaceChildren(sec);
  root.dataset.screen = name;
  const head = sec.querySelector('h1, h2');
  if (head) { head.tabIndex = -1; head.focus({ preventScroll: false }); }
  return sec;
}

/** A primary (or, with `kind: 'secondary'`) button. */
export function button(label, onclick, attrs = {}) {
  return h('button', { type: 'button', class: attrs.kind === 'secondary' ? 'btn secondary' : 'btn', onclick, ...attrs, kind: null }, label);
}

/** The live region a screen's status messages go to (read out by screen readers). */
export function status(id = 'status') {
  return h('p', { id, class: 'status', role: 'status', 'aria-live': 'polite' });
}

/** An error line (announced at once). */
export function alertBox(id = 'error') {
  return h('p', { id, class: 'error', role: 'alert' });
}

/** Marks a button busy while `work` runs. */
export async function busy(btn, work) {
  btn.disabled = true; btn.setAttribute('aria-busy', 'true');
  try { return await work(); } finally { btn.disabled = false; btn.removeAttribute('aria-busy'); }
}
