// A person uses the sample web app (examples/python_web_app) in a real browser: Debian's
// chromium, headless, driven by npm playwright-core. Signs in through Tessera's login and
// consent pages, reads the greeting, opens the finance page (the app calls the finance API
// with the access token), has the app refresh its token, and signs out through Tessera's
// logout page back to the app. A screenshot of each page goes to SHOTS.
//
//   node sample_app_browser.mjs APP_URL USERNAME SHOTS  < password
//
// Prints one JSON object: {"ok": true, "greeting": …, "finance": …, "after_logout": …,
// "shots": [...]} or {"ok": false, "error": "…"}.
import { camera, commandLine, launch, readPassword, report } from './browser.mjs';

const [appUrl, username, shots] = commandLine(
  3, 'node sample_app_browser.mjs APP_URL USERNAME SHOTS  < password');
const password = readPassword();
const shot = camera(shots);

async function main() {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1024, height: 720 } });
    const page = await context.newPage();
    await page.goto(appUrl);
    await shot(page, 'app-signed-out.png');
    await page.click('text=Sign in');
    await page.waitForSelector('input[name=password]');
    await shot(page, 'app-login.png');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.click('button[type=submit]');
    await page.waitForSelector('button[value=allow]');
    await shot(page, 'app-consent.png');
    await page.click('button[value=allow]');
    await page.waitForSelector('#greeting');
    await shot(page, 'app-signed-in.png');
    const greeting = await page.textContent('#greeting');
    await page.click('text=Your company');
    await page.waitForSelector('#finance');
    await shot(page, 'app-finance.png');
    const finance = await page.textContent('#finance');
    await page.goto(new URL('/refresh', appUrl).href);
    const refreshed = await page.textContent('#refreshed');
    await page.goto(appUrl);
    await page.click('text=Sign out');
    await page.waitForSelector('button[value=yes]');
    await shot(page, 'app-logout.png');
    await page.click('button[value=yes]');
    await page.waitForURL(`${appUrl}/**`);
    await shot(page, 'app-after-logout.png');
    const afterLogout = await page.textContent('body');
    return { ok: true, greeting, finance, refreshed, after_logout: afterLogout,
             shots: shot.taken };
  } finally {
    await browser.close();
  }
}

report(main);
