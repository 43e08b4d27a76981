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
import * as client from 'openid-client';
import {
  DESKTOP, PHONE, camera, commandLine, launch, readPassword, report, submitButton,
} from './browser.mjs';
import { claimsOf } from './stdio.mjs';

const [issuerText, clientId, scope, username, shots] = commandLine(
  5, 'node device_flow_browser.mjs ISSUER CLIENT_ID SCOPE USERNAME SHOTS');
const password = readPassword();
const shoot = camera(shots);
const POLL_LIMIT_MS = 60_000;

async function main() {
  const config = await client.discovery(new URL(issuerText), clientId, undefined, client.None(),
                                        { execute: [client.allowInsecureRequests] });
  const device = await client.initiateDeviceAuthorization(config, { scope });

  // The device polls from now on, while the person uses the phone.
  const stop = new AbortController();
  const polling = client.pollDeviceAuthorizationGrant(config, device, undefined, {
    signal: AbortSignal.any([stop.signal, AbortSignal.timeout(POLL_LIMIT_MS)]),
  }).then((tokens) => ({ tokens }), (error) => ({ error }));

  const browser = await launch();
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
    return { ok: true, ...answer, shots: shoot.taken };
  } finally {
    stop.abort();
    await browser.close();
  }
}

report(main);
