// What the scripts that drive Debian's chromium (headless, through npm playwright-core) have in
// common: the command line with SHOTS last, the password on stdin, the browser's launch, the
// screen sizes, a full-page screenshot of each page into SHOTS, and the one JSON line printed
// at the end.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

// A phone 375 CSS px wide at 2x, and a desktop.
export const PHONE = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2,
                       isMobile: true };
export const DESKTOP = { viewport: { width: 1280, height: 800 } };

// The command line's arguments, SHOTS the last of `count`; without it, `usage` on stderr and
// exit status 2.
export function commandLine(count, usage) {
  const given = process.argv.slice(2);
  if (!given[count - 1]) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return given;
}

// The password: all of stdin, white space trimmed.
export function readPassword() {
  return readFileSync(0, 'utf8').trim();
}

// Makes SHOTS and returns shoot(page, name): a full-page screenshot of page to SHOTS/name,
// whose name is then added to shoot.taken.
export function camera(shots) {
  mkdirSync(shots, { recursive: true });
  const taken = [];
  const shoot = async (page, name) => {
    await page.screenshot({ path: join(shots, name), fullPage: true });
    taken.push(name);
  };
  shoot.taken = taken;
  return shoot;
}

// The submit button of the page's <form action="device"> (not a consent decision).
export function submitButton(page) {
  return page.locator('form[action="device"] button:not([name=decision]), '
                      + 'form[action="device"] input[type=submit]').first();
}

// Debian's chromium, headless; --no-sandbox, as the tests may run as root or in a container.
export function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'],
                           headless: true });
}

// Runs main and prints what it returns as one JSON line; if it throws, {"ok": false, "error":
// "NAME: MESSAGE (OAUTH ERROR: DESCRIPTION)", ...more} and exit status 1.
export function report(main, more = {}) {
  main().then(
    (answer) => console.log(JSON.stringify(answer)),
    (error) => {
      const detail = error.error ? ` (${error.error}: ${error.error_description ?? ''})` : '';
      console.log(JSON.stringify({ ok: false, error: `${error.name}: ${error.message}${detail}`,
                                   ...more }));
      process.exitCode = 1;
    },
  );
}
