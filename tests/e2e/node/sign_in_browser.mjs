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
import * as client from 'openid-client';
import { DESKTOP, PHONE, camera, commandLine, launch, readPassword, report } from './browser.mjs';

const [issuerText, clientId, redirectUri, username, shots] = commandLine(
  5, 'node sign_in_browser.mjs ISSUER CLIENT_ID REDIRECT_URI USERNAME SHOTS');
const password = readPassword();
const shoot = camera(shots);

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

  const browser = await launch();
  try {
    // The phone first: the login page as a phone shows it, then the whole flow on a desktop.
    const phone = await browser.newContext(PHONE);
    const small = await phone.newPage();
    await small.goto(url.href);
    await shoot(small, 'login-phone.png');
    await phone.close();

    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    await page.goto(url.href);
    await shoot(page, 'login.png');
    await page.fill('input[name=password]', 'not-the-password');
    await page.fill('input[name=username]', username);
    await page.click('button[type=submit]');
    await shoot(page, 'login-failed.png');
    await page.getByLabel('Password').fill(password);
    await page.click('button[type=submit]');
    await page.waitForSelector('button[value=allow]');
    await shoot(page, 'consent.png');
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
    await shoot(tab, 'error.png');
    await tab.goto(new URL('/logout', issuerText).href);
    await shoot(tab, 'logout.png');
    await tab.click('button[value=yes]');
    await shoot(tab, 'signed-out.png');
    return { ok: true, claims, userinfo, shots: shoot.taken };
  } finally {
    await browser.close();
  }
}

report(main);
