// The device authorization grant (RFC 8628) with code nobody here wrote on both sides: npm
// openid-client is the device (a TV) that asks for a user code and polls for its tokens, while
// Debian's chromium (headless, driven by npm playwright-core) is the person's phone that opens
// verification_uri_complete, confirms the code, signs in and allows the device. Screenshots of
// each page go to SHOTS for a person to look at.
//
//   node device_flow_browser.mjs ISSUER CLIENT_ID SCOPE USERNAME SHOTS  < password
//
// Prints one JSON object: {"ok": true, "user_code": …, "prefilled": …, "consent_text": …,
// "connected_text": …, "access_claims": …, "id_claims": …, "scope": …,
// "refresh_token": bool, "userinfo": …, "shots": [...]} or {"ok": false, "error": "…"}.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import { chromium } from 'playwright-core';
import { claimsOf } from './stdio.mjs';

const [issuerText, clientId, scope, username, shots] = process.argv.slice(2);
if (!shots) {
  console.error('usage: node device_flow_browser.mjs ISSUER CLIENT_ID SCOPE USERNAME SHOTS');
  process.exit(2);
}
const password = readFileSync(0, 'utf8').trim();
mkdirSync(shots, { recursive: true });

const PHONE = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true };
const DESKTOP = { viewport: { width: 1280, height: 800 } };
const POLL_LIMIT_MS = 60_000;

// The submit button of the page's <form action="device"> (not a consent decision).
function submitButton(page) {
  return page.locator('form[action="device"] button:not([name=decision]), '
                      + 'form[action="device"] input[type=submit]').first();
}

async function main() {
  const config = await client.discovery(new URL(issuerText), clientId, undefined, client.None(),
                                        { execute: [client.allowInsecureRequests] });
  const device = await client.initiateDeviceAuthorization(config, { scope });

  // The device polls from now on, while the person uses the phone.
  const stop = new AbortController();
  const polling = client.pollDeviceAuthorizationGrant(config, device, undefined, {
    signal: AbortSignal.any([stop.signal, AbortSignal.timeout(POLL_LIMIT_MS)]),
  }).then((tokens) => ({ tokens }), (error) => ({ error }));

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
                                          args: ['--no-sandbox'] });
  const taken = [];
  const shoot = async (page, name) => {
    await page.screenshot({ path: join(shots, name), fullPage: true });
    taken.push(name);
  };
  const answer = { user_code: device.user_code };
  try {
    // On a desktop first: the empty form, and a mistyped code refused with an alert.
    const desk = await browser.newContext(DESKTOP);
    const deskPage = await desk.newPage();
    await deskPage.goto(device.verification_uri);
    await shoot(deskPage, 'device-code.png');
    await deskPage.fill('input[name=user_code]', 'BBBB-BBBB');
    await submitButton(deskPage).click();
    await deskPage.waitForSelector('[role=alert]');
    await shoot(deskPage, 'device-code-wrong.png');
    await desk.close();

    // The phone opens the link (as from a QR code) with the code filled in.
    const phone = await browser.newContext(PHONE);
    const page = await phone.newPage();
    await page.goto(device.verification_uri_complete);
    answer.prefilled = await page.inputValue('input[name=user_code]');
    await shoot(page, 'device-code-phone.png');
    await submitButton(page).click();
    await page.waitForSelector('input[name=password]');
    await shoot(page, 'device-login-phone.png');
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await submitButton(page).click();
    await page.waitForSelector('button[value=allow]');
    answer.consent_text = await page.locator('body').innerText();
    await shoot(page, 'device-consent-phone.png');
    await page.click('button[value=allow]');
    await page.waitForLoadState('load');
    answer.connected_text = await page.locator('body').innerText();
    await shoot(page, 'device-connected-phone.png');

    const outcome = await polling;
    if (outcome.error) throw outcome.error;
    const tokens = outcome.tokens;
    answer.access_claims = claimsOf(tokens.access_token);
    answer.id_claims = tokens.claims() ?? null;
    answer.scope = tokens.scope;
    answer.token_type = tokens.token_type;
    answer.refresh_token = typeof tokens.refresh_token === 'string';
    answer.userinfo = await client.fetchUserInfo(config, tokens.access_token,
                                                 answer.id_claims?.sub ?? client.skipSubjectCheck);
    return { ok: true, ...answer, shots: taken };
  } finally {
    stop.abort();
    await browser.close();
  }
}

main().then(
  (answer) => console.log(JSON.stringify(answer)),
  (error) => {
    const detail = error.error ? ` (${error.error}: ${error.error_description ?? ''})` : '';
    console.log(JSON.stringify({ ok: false, error: `${error.name}: ${error.message}${detail}` }));
    process.exitCode = 1;
  },
);
