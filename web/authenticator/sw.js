// idgate authenticator service worker: shows login pushes and opens the approval page.
const SHELL = ['/authenticator', '/authenticator/app.js', '/authenticator/manifest.webmanifest', '/authenticator/icon.svg'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open('idgate-authenticator-v1').then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.pathname.startsWith('/authenticator/api/')) return;
  e.respondWith(fetch(e.request).catch(() => caches.match(url.pathname)));
});

self.addEventListener('push', (e) => {
  let data = {};
  try { data = e.data ? e.data.json() : {}; } catch (_) { /* not JSON */ }
  if (data.type !== 'login_request') return;
  e.waitUntil(self.registration.showNotification('Sign-in request', {
    body: `${data.client_name} (${data.scope}) — open to match the number`,
    tag: data.short_token,
    requireInteraction: true,
    data: { url: data.url },
  }));
});

self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const url = (e.notification.data && e.notification.data.url) || '/authenticator';
  e.waitUntil(self.clients.openWindow(url));
});
