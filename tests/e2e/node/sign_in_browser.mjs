// A person signing in through a real browser (Debian's chromium, headless, driven by npm
// playwright-core) to an application that uses npm openid-client: the authorization code
// flow with PKCE, state and nonce, from discovery to userinfo. Screenshots of each page go
// to SHOTS, at a desktop's and a phone's size, for a person to look at.
//
//   node sign_in_browser.mjs ISSUER CLIENT_ID REDIRECT_URI USERNAME SHOTS  < password
//
// The redirect URI is never served: the browser's request to it is read here, as the
// application's callback would read it. Prints one JSON object: {"ok": true,
// "claims": …, "userinfo": …, "shots": [...]} or {"ok": false, "error": "…"}.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import { chromium } from 'playwright-core';

const [issuerText, clientId, redirectUri, username, shots] = process.argv.slice(2);
if (!shots) {
  console.error('usage: node sign_in_browser.mjs ISSUER CLIENT_ID REDIRECT_URI USERNAME SHOTS');
  process.exit(2);
}
const password = readFileSync(0, 'utf8').trim();
mkdirSync(shots, { recursive: true });

const PHONE = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true };
const DESKTOP = { viewport: { width: 1280, height: 800 } };

async function main() {
  const config = await client.discovery(new URL(issuerText), clientId, undefined, client.None(),
                                        { execute: [client.allowInsecureRequests] });
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
                                          args: ['--no-sandbox'] });
  const taken = [];
  try {
    // The phone first: the login page as a phone shows it, then the whole flow on a desktop.
    const phone = await browser.newContext(PHONE);
    const small = await phone.newPage();
    await small.goto(url.href);
    await small.screenshot({ path: join(shots, 'login-phone.png'), fullPage: true });
    taken.push('login-phone.png');
    await phone.close();

    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    await page.goto(url.href);
    await page.screenshot({ path: join(shots, 'login.png'), fullPage: true });
    taken.push('login.png');
    await page.fill('input[name=password]', 'not-the-password');
    await page.fill('input[name=username]', username);
    await page.click('button[type=submit]');
    await page.screenshot({ path: join(shots, 'login-failed.png'), fullPage: true });
    taken.push('login-failed.png');
    await page.getByLabel('Password').fill(password);
    await page.click('button[type=submit]');
    await page.waitForSelector('button[value=allow]');
    await page.screenshot({ path: join(shots, 'consent.png'), fullPage: true });
    taken.push('consent.png');
    // The redirect's target is seen as a request (a route would not catch a redirect).
    const reached = page.waitForRequest((request) => request.url().startsWith(redirectUri));
    await page.click('button[value=allow]');
    const callback = (await reached).url();

    const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
      pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);

    // A new tab of the same browser (its cookies): the first is left at the unserved callback.
    const tab = await context.newPage();
    await tab.goto(new URL('/authorize?client_id=nobody', issuerText).href);
    await tab.screenshot({ path: join(shots, 'error.png'), fullPage: true });
    taken.push('error.png');
    await tab.goto(new URL('/logout', issuerText).href);
    await tab.screenshot({ path: join(shots, 'logout.png'), fullPage: true });
    taken.push('logout.png');
    await tab.click('button[value=yes]');
    await tab.screenshot({ path: join(shots, 'signed-out.png'), fullPage: true });
    taken.push('signed-out.png');
    return { ok: true, claims, userinfo, shots: taken };
  } finally {
    await browser.close();
  }
}

main().then(
  (answer) => console.log(JSON.stringify(answer)),
  (error) => {
    console.log(JSON.stringify({ ok: false, error: `${error.name}: ${error.message}` }));
    process.exitCode = 1;
  },
);
