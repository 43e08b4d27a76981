// What the scripts a test drives over stdin and stdout have in common: JSON lines read from
// stdin, the sign-in handed to the caller ({"sign_in": URL, "flow": NAME} out,
// {"callback": URL} back; tests/e2e/node_helpers.py drive_script answers it), the last line
// ({"ok": true, "steps": {...}} or {"ok": false, "error": "...", "steps": {...}}), and the
// claims of a JWT, read without checking it.
import { createInterface } from 'node:readline';

let lines = null;

// The next line of stdin as JSON; `what` names it in the error if stdin has ended.
export async function readLine(what) {
  lines ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const { value, done } = await lines.next();
  if (done) throw new Error(`stdin ended before ${what}`);
  return JSON.parse(value);
}

// The browser, which the caller drives: the authorization URL out, the callback URL back.
export async function signIn(flow, url) {
  console.log(JSON.stringify({ sign_in: url.href, flow }));
  const answer = await readLine(`the ${flow} callback`);
  return new URL(answer.callback);
}

// One base64url part of a JWT (or a DPoP proof) as JSON.
export function decode(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

export function claimsOf(jwt) {
  return decode(jwt.split('.')[1]);
}

// An error as one line: whatever of its name, code, message, OAuth error, status and cause
// it has.
export function errorDetail(err) {
  return [err?.name, err?.code, err?.message, err?.error, err?.error_description,
          err?.status, err?.cause ? JSON.stringify(err.cause) : '']
    .filter((x) => x !== undefined && x !== '').join(' | ');
}

// Runs main and writes the last line with the steps seen, up to the failure if it threw.
export async function finish(main, steps) {
  try {
    await main();
    console.log(JSON.stringify({ ok: true, steps }));
  } catch (err) {
    console.log(JSON.stringify({ ok: false, error: errorDetail(err), steps }));
  }
  process.exit(0);  // stdin may still be open: the caller closes it only after this line
}
