// The person's phone in the device authorization grant (RFC 8628), and nothing else: Debian's
// chromium (headless, driven by npm playwright-core) opens the verification_uri_complete a
// device printed, continues with the code filled in, signs in, reads the code on the consent
// page and allows the device. Whatever polls /token (here the Python CLI
// clients/python/device_login.py) runs elsewhere. Screenshots of each page go to SHOTS.
//
//   node approve_device_browser.mjs VERIFICATION_URI_COMPLETE USERNAME SHOTS  < password
//
// Prints one JSON object: {"ok": true, "prefilled": …, "consent_code": …, "consent_text": …,
// "heading": …, "connected_text": …, "shots": [...]} or {"ok": false, "error": "…",
// "shots": [...]}.
import { readFileSync } from 'node:fs';
import { PHONE, camera, commandLine, launch, report, submitButton } from './browser.mjs';

const [link, username, shots] = commandLine(
  3, 'node approve_device_browser.mjs VERIFICATION_URI_COMPLETE USERNAME SHOTS  < password');
// Only the last line break is taken off: the password is otherwise as given.
const password = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
const shoot = camera(shots);

async function main() {
  const browser = await launch();
  const answer = {};
  try {
    const phone = await browser.newContext(PHONE);
    const page = await phone.newPage();
    // The link the CLI printed (as a QR code would carry it): the code is filled in.
    await page.goto(link);
    answer.prefilled = await page.inputValue('input[name=user_code]');
    await shoot(page, 'cli-device-code-phone.png');
    await submitButton(page).click();
    await page.waitForSelector('input[name=password]');
    await shoot(page, 'cli-device-login-phone.png');
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await submitButton(page).click();
    await page.waitForSelector('button[name=decision][value=allow]');
    answer.consent_code = (await page.locator('.user-code').innerText()).trim();
    answer.consent_text = await page.locator('body').innerText();
    await shoot(page, 'cli-device-consent-phone.png');
    await page.click('button[name=decision][value=allow]');
    await page.waitForLoadState('load');
    answer.heading = (await page.locator('h1').first().innerText()).trim();
    answer.connected_text = await page.locator('body').innerText();
    await shoot(page, 'cli-device-connected-phone.png');
    return { ok: true, ...answer, shots: shoot.taken };
  } finally {
    await browser.close();
  }
}

report(main, { shots: shoot.taken });
