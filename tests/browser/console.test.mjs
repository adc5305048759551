// The operator console in Debian's Chromium with a CDP virtual authenticator (a discoverable
// passkey with user verification): an operator invited by the CLI registers a passkey from the
// one-time link (used once), signs in with it, finds the session waiting in the queue, sees its
// document image (decrypted on view), approves it with a reason, and the integrator's webhook
// receives the outcome with the operator as reviewer; another tenant's reviewer gets 404 for
// that session; sign-out ends the sign-in, and so does the idle timeout (the server runs with
// an 8 s idle timeout; the test stays silent 9 s). Screenshots of the queue and the detail
// go to docs/screenshots/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startIdgate, browser, watchedPage, cleanup, until, testdata, root } from './flow_support.mjs';

const IDLE_SECS = 8;
const CPF = '529.982.247-25';

after(cleanup);

async function passkeyDevice(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  return { remove: () => cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId }) };
}

/** Opens the invite link, creates the passkey, then signs in with it: ends on the queue. */
async function joinConsole(page, inviteUrl) {
  await page.goto(inviteUrl);
  await page.click('#passkey-go');
  await page.waitForURL(/\/console\/login\?registered=1$/);
  await page.click('#passkey-go');
  await page.waitForURL(/\/console\/queue$/);
}

test('invite, passkey, queue, review with images, webhook, tenant isolation, sign-out and expiry', { timeout: 300_000 }, async () => {
  const hooks = [];
  const srv = await new Promise((r) => {
    const s = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { hooks.push(JSON.parse(body)); res.end('ok'); });
    }).listen(0, '127.0.0.1', () => r(s));
  });
  const idg = await startIdgate({ env: (port) => ({
    IDGATE_CONSOLE__ORIGIN: `http://localhost:${port}`, IDGATE_CONSOLE__IDLE_TIMEOUT_SECS: String(IDLE_SECS),
  }) });
  const ctx = await browser({ locale: 'en-US', viewport: { width: 1280, height: 860 } });
  try {
    idg.cli('webhook', 'add', '--tenant', 'sandbox', '--url', `http://127.0.0.1:${srv.address().port}/hook`, '--event', 'session.completed');
    idg.cli('tenant', 'create', 'beta');
    // a session the policy leaves in manual analysis: a document of template `others`
    const id = `console-${Date.now()}`;
    const created = await idg.api('POST', '/v1/verification-sessions', { id, document_number: CPF,
      settings: { steps: [{ step: 'personal_document', document_templates: ['others'] }] } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const doc = readFileSync(join(testdata, 'documents/br_synthetic/rg_synth_clean.png')).toString('base64');
    const stepRes = await fetch(`${created.json.auth_session_url}/steps/personal_document`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ document_template: 'others', documents: [{ document_b64: doc, file_type: 'jpeg' }] }),
    });
    assert.equal((await stepRes.json()).status, 'in_manual_analysis');

    const invite = idg.cli('operator', 'invite', '--tenant', 'sandbox', '--email', 'ana@example.com', '--role', 'reviewer');
    assert.match(invite.invite_url, new RegExp(`^http://localhost:${idg.port}/console/invite/[A-Za-z0-9_-]{43}$`));
    const { page, errors } = await watchedPage(ctx);
    const device = await passkeyDevice(page);
    await joinConsole(page, invite.invite_url);

    // the queue: the session, its reason in plain language, within the SLA; keyboard first stop is the skip link
    const row = page.locator('tr', { has: page.locator(`a[href="/console/sessions/${id}"]`) });
    await row.waitFor();
    assert.match(await row.innerText(), /cannot be validated automatically/);
    assert.match(await row.innerText(), /Within SLA/);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
    mkdirSync(join(root, 'docs/screenshots'), { recursive: true });
    await page.screenshot({ path: join(root, 'docs/screenshots/console-queue.png') });

    // the detail: the document image decrypted on view and shown
    await row.locator('a').click();
    await page.waitForURL(new RegExp(`/console/sessions/${id}$`));
    await until(page, () => [...document.images].length > 0
      && [...document.images].every((i) => i.complete && i.naturalWidth > 0));
    const widths = await page.evaluate(() => [...document.images].map((i) => i.naturalWidth));
    assert.ok(widths.length >= 1 && widths.every((w) => w > 0), `images: ${widths}`);
    await page.screenshot({ path: join(root, 'docs/screenshots/console-detail.png'), fullPage: true });

    // approve with a reason (keyboard-usable form: labels, radio, button)
    await page.getByLabel('Approve').check();
    await page.getByLabel('Reason (shown with the decision)').fill('document checked by hand');
    await page.getByRole('button', { name: 'Record decision' }).click();
    await page.waitForURL(new RegExp(`/console/sessions/${id}$`));
    assert.equal(await page.locator('dd[data-status]').getAttribute('data-status'), 'approved');

    // the integrator's webhook receives the outcome, reviewer and reason
    const end = Date.now() + 30_000;
    let hook;
    while (!hook && Date.now() < end) {
      hook = hooks.find((h) => h.data?.session?.id === id && h.data.session.status === 'approved');
      if (!hook) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(hook, `no approved session.completed webhook: ${JSON.stringify(hooks.map((h) => h.type))}`);
    assert.equal(hook.data.session.decision.review.reviewer, 'operator:ana@example.com');
    assert.equal(hook.data.session.decision.review.reason, 'document checked by hand');

    // the audit log shows the image view and the review
    await page.goto(`http://localhost:${idg.port}/console/audit`);
    const audit = await page.locator('main').innerText();
    assert.match(audit, /console\.image_viewed/);
    assert.match(audit, /session\.reviewed/);

    // the invite link worked once
    const again = await page.goto(invite.invite_url);
    assert.equal(again.status(), 410);

    // sign-out ends the sign-in
    await page.goto(`http://localhost:${idg.port}/console/queue`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/login$/);
    await page.goto(`http://localhost:${idg.port}/console/queue`);
    assert.match(page.url(), /\/console\/login$/);

    // a reviewer of another tenant: a new passkey device, the same browser
    await device.remove();
    const other = await passkeyDevice(page);
    const bob = idg.cli('operator', 'invite', '--tenant', 'beta', '--email', 'bob@example.com', '--role', 'reviewer');
    await joinConsole(page, bob.invite_url);
    assert.doesNotMatch(await page.locator('main').innerText(), new RegExp(id));
    const theirs = await page.goto(`http://localhost:${idg.port}/console/sessions/${id}`);
    assert.equal(theirs.status(), 404);
    const admin = await page.goto(`http://localhost:${idg.port}/console/admin`);
    assert.equal(admin.status(), 403, 'a reviewer cannot reach admin pages');

    // expiry: silence longer than the idle timeout ends the sign-in
    await new Promise((r) => setTimeout(r, (IDLE_SECS + 1) * 1000));
    await page.goto(`http://localhost:${idg.port}/console/queue`);
    assert.match(page.url(), /\/console\/login$/);
    await other.remove();
    assert.deepEqual(errors, []);
  } finally {
    await ctx.close();
    idg.stop();
    srv.close();
  }
});
