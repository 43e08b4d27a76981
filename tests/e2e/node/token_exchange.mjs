// Token exchange (RFC 8693) made by npm openid-client (v6) against a Tessera server, the way
// a Node.js service holding a user's access token would get one for the next hop.
//
//   node token_exchange.mjs ISSUER  < request  > answers
//
// Discovers ISSUER (RFC 8414 metadata; plain http allowed by allowInsecureRequests), then
// makes each exchange of the request with genericGrantRequest() and the grant type
// urn:ietf:params:oauth:grant-type:token-exchange. The request is one JSON document on stdin,
// so that the secret and the subject tokens never appear on the command line:
//   {"client_id": ID, "client_secret": S, "auth": "client_secret_basic" | "client_secret_post",
//    "exchanges": [{"subject_token": T, "audience": A, "scope": SCOPE}, ...]}
// (audience and scope are left out of the token request when absent). stdout is one JSON
// array, an answer per exchange in order:
//   {"ok": true, "issued_token_type", "token_type", "scope", "access_token", "claims"}
//     claims: the new access token's payload, decoded (not verified)
//   {"ok": false, "error", "error_description", "status"}
//     when openid-client raises a ResponseBodyError (an OAuth error answer)
//   {"ok": false, "unexpected": {"name", "code", "message"}}   for any other failure
// Exit 2 on a bad command line or request.
import * as client from 'openid-client';
import { claimsOf } from './stdio.mjs';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const USAGE = 'usage: node token_exchange.mjs ISSUER  (one JSON request on stdin)';

function usage(message) {
  console.error(message ? `${message}\n${USAGE}` : USAGE);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length !== 1 || !URL.canParse(args[0])) usage();
const issuer = new URL(args[0]);

let input = '';
for await (const chunk of process.stdin) input += chunk;
let request;
try {
  request = JSON.parse(input);
} catch {
  usage('the request on stdin is not JSON');
}
if (typeof request?.client_id !== 'string' || typeof request.client_secret !== 'string'
    || !Array.isArray(request.exchanges)) {
  usage('the request needs client_id, client_secret and exchanges');
}

const auths = {
  client_secret_basic: client.ClientSecretBasic,
  client_secret_post: client.ClientSecretPost,
};
const auth = auths[request.auth ?? 'client_secret_basic'];
if (!auth) usage(`unknown auth ${request.auth}`);

async function exchange(config, { subject_token, audience, scope }) {
  const parameters = { subject_token, subject_token_type: ACCESS_TOKEN };
  if (audience !== undefined) parameters.audience = audience;
  if (scope !== undefined) parameters.scope = scope;
  try {
    const tokens = await client.genericGrantRequest(config, GRANT, parameters);
    return {
      ok: true,
      issued_token_type: tokens.issued_token_type,
      token_type: tokens.token_type,
      scope: tokens.scope,
      access_token: tokens.access_token,
      claims: claimsOf(tokens.access_token),
    };
  } catch (e) {
    if (e instanceof client.ResponseBodyError) {
      return {
        ok: false, error: e.error, error_description: e.error_description, status: e.status,
      };
    }
    const unexpected = { name: e.name, code: e.code, message: String(e.message ?? e) };
    return { ok: false, unexpected };
  }
}

const config = await client.discovery(issuer, request.client_id, undefined,
  auth(request.client_secret), { execute: [client.allowInsecureRequests], algorithm: 'oauth2' });
const answers = [];
for (const e of request.exchanges) answers.push(await exchange(config, e));
process.stdout.write(JSON.stringify(answers) + '\n');
