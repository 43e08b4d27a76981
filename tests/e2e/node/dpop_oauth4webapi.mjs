// DPoP (RFC 9449) at a Tessera server from npm oauth4webapi, the way a Node.js application
// would use it: discovery, a DPoP handle over a non-extractable WebCrypto ES256 key pair, the
// client_credentials grant, /users/me (and the same token as Bearer), the password grant
// (genericTokenEndpointRequest), /userinfo and a refresh, all with DPoP; then the
// client_credentials grant with an Ed25519 key, whose outcome is only recorded.
//
//   node dpop_oauth4webapi.mjs ISSUER CLIENT_ID USERNAME  < {"client_secret": S, "password": P}
//
// Secrets travel on stdin, never on the command line. The client must be confidential with
// the client_credentials, password and refresh_token grants. Prints one JSON line:
// {"ok": true, "steps": {...}} or {"ok": false, "error": "...", "steps": {...}} with what was
// seen up to the failure; exit 2 on a bad command line.
import { text } from 'node:stream/consumers';
import * as oauth from 'oauth4webapi';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { claimsOf, errorDetail } from './stdio.mjs';

const USAGE = 'usage: node dpop_oauth4webapi.mjs ISSUER CLIENT_ID USERNAME  (secrets on stdin)';
const args = process.argv.slice(2);
if (args.length !== 3 || !URL.canParse(args[0])) {
  console.error(USAGE);
  process.exit(2);
}
const [issuerArg, clientId, username] = args;
const issuer = new URL(issuerArg);
const secrets = JSON.parse(await text(process.stdin));
const insecure = { [oauth.allowInsecureRequests]: true };  // the test server is plain http
const steps = {};

// A request, retried once if the server asks for a DPoP nonce (RFC 9449 section 8).
async function withNonceRetry(send) {
  try {
    return await send();
  } catch (err) {
    if (oauth.isDPoPNonceError(err)) return send();
    throw err;
  }
}

// A token request and the processing of its answer, done again once if the server asks for a
// DPoP nonce: oauth4webapi reports use_dpop_nonce when it processes the answer, and its DPoP
// handle has kept the nonce from the DPoP-Nonce header by then.
async function tokenStepWithRetry(send, process, publicKey) {
  try {
    return await tokenStep(await send(), process, publicKey);
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    return tokenStep(await send(), process, publicKey);
  }
}

// What a token response looked like on the wire and after oauth4webapi processed it.
async function tokenStep(response, process, publicKey) {
  const raw = await response.clone().json();
  const result = await process(response);
  return {
    status: response.status,
    raw_token_type: raw.token_type,
    token_type: result.token_type,
    cnf: claimsOf(result.access_token).cnf ?? null,
    jkt: await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256'),
    result,
  };
}

async function resourceStep(accessToken, url, options) {
  const response = await withNonceRetry(() => oauth.protectedResourceRequest(
    accessToken, 'GET', url, new Headers({ accept: 'application/json' }), null,
    { ...insecure, ...options }));
  return { status: response.status, body: await response.json() };
}

try {
  const as = await oauth.processDiscoveryResponse(
    issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
  steps.discovery = { dpop_signing_alg_values_supported: as.dpop_signing_alg_values_supported };
  const client = { client_id: clientId };
  const clientAuth = oauth.ClientSecretBasic(secrets.client_secret);

  // client_credentials with an ES256 key, then /users/me (a client's token has no userinfo).
  const esKeys = await oauth.generateKeyPair('ES256');
  const esDPoP = oauth.DPoP(client, esKeys);
  const cc = await tokenStepWithRetry(
    () => oauth.clientCredentialsGrantRequest(
      as, client, clientAuth, new URLSearchParams(), { DPoP: esDPoP, ...insecure }),
    (r) => oauth.processClientCredentialsResponse(as, client, r), esKeys.publicKey);
  steps.client_credentials = { ...cc, result: undefined };
  const me = new URL('/users/me', as.issuer.endsWith('/') ? as.issuer : as.issuer + '/');
  steps.users_me = await resourceStep(cc.result.access_token, me, { DPoP: esDPoP });

  // The same token without DPoP, as a Bearer token: refused with a DPoP challenge.
  try {
    const r = await oauth.protectedResourceRequest(cc.result.access_token, 'GET', me,
                                                   new Headers(), null, insecure);
    steps.users_me_as_bearer = { status: r.status };
  } catch (err) {
    if (!(err instanceof oauth.WWWAuthenticateChallengeError)) throw err;
    steps.users_me_as_bearer = { status: err.status, challenges: err.cause };
  }

  // The password grant with the same key, /userinfo, then a refresh with the same handle.
  const pw = await tokenStepWithRetry(
    () => oauth.genericTokenEndpointRequest(
      as, client, clientAuth, 'password',
      new URLSearchParams({ username, password: secrets.password }),
      { DPoP: esDPoP, ...insecure }),
    (r) => oauth.processGenericTokenEndpointResponse(as, client, r), esKeys.publicKey);
  steps.password = { ...pw, result: undefined };
  const info = await withNonceRetry(() => oauth.userInfoRequest(
    as, client, pw.result.access_token, { DPoP: esDPoP, ...insecure }));
  steps.userinfo = {
    status: info.status,
    body: await oauth.processUserInfoResponse(as, client, oauth.skipSubjectCheck, info),
  };
  const refreshed = await tokenStepWithRetry(
    () => oauth.refreshTokenGrantRequest(
      as, client, clientAuth, pw.result.refresh_token, { DPoP: esDPoP, ...insecure }),
    (r) => oauth.processRefreshTokenResponse(as, client, r), esKeys.publicKey);
  steps.refresh = { ...refreshed, result: undefined };

  // An Ed25519 key: oauth4webapi 3 names its proofs' alg "Ed25519" (RFC 9864's fully-specified
  // name), not "EdDSA". Recorded whatever the server answers; the test decides.
  const edKeys = await oauth.generateKeyPair('EdDSA');
  const edDPoP = oauth.DPoP(client, edKeys);
  const sent = {};
  const recordingFetch = (url, init) => {
    const proof = new Headers(init?.headers).get('dpop');
    if (proof) sent.alg = JSON.parse(Buffer.from(proof.split('.')[0], 'base64url')).alg;
    return fetch(url, init);
  };
  try {
    const ed = await tokenStepWithRetry(
      () => oauth.clientCredentialsGrantRequest(
        as, client, clientAuth, new URLSearchParams(),
        { DPoP: edDPoP, [oauth.customFetch]: recordingFetch, ...insecure }),
      (r) => oauth.processClientCredentialsResponse(as, client, r), edKeys.publicKey);
    steps.ed25519 = { ...ed, result: undefined, proof_alg: sent.alg };
  } catch (err) {
    if (!(err instanceof oauth.ResponseBodyError)) throw err;
    steps.ed25519 = { status: err.status, error: err.error,
                      error_description: err.error_description, proof_alg: sent.alg };
  }

  console.log(JSON.stringify({ ok: true, steps }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: errorDetail(err), steps }));
}
