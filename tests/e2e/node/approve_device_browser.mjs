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
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [link, username, shots] = process.argv.slice(2);
if (!shots) {
  console.error('usage: node approve_device_browser.mjs VERIFICATION_URI_COMPLETE USERNAME '
                + 'SHOTS  < password');
  process.exit(2);
}
const password = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
mkdirSync(shots, { recursive: true });

// As in device_flow_browser.mjs: a phone 375 CSS px wide at 2x.
const PHONE = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true };

// The submit button of the page's <form action="device"> (not a consent decision).
function submitButton(page) {
  return page.locator('form[action="device"] button:not([name=decision]), '
                      + 'form[action="device"] input[type=submit]').first();
}

const taken = [];

async function main() {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
                                          args: ['--no-sandbox'] });
  const shoot = async (page, name) => {
    await page.screenshot({ path: join(shots, name), fullPage: true });
    taken.push(name);
  };
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
    return { ok: true, ...answer, shots: taken };
  } finally {
    await browser.close();
  }
}

main().then(
  (answer) => console.log(JSON.stringify(answer)),
  (error) => {
    console.log(JSON.stringify({ ok: false, error: `${error.name}: ${error.message}`,
                                 shots: taken }));
    process.exitCode = 1;
  },
);
