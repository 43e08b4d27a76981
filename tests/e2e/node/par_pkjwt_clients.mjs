// Pushed authorization requests (RFC 9126), private_key_jwt (RFC 7523) and DPoP (RFC 9449) at
// a Tessera server from npm oauth4webapi and openid-client, code nobody here wrote:
//   client_credentials   oauth4webapi's PrivateKeyJwt with an ES256 key at /token (twice),
//                        /introspect and /revoke; the assertions it sent are recorded
//   ed25519_assertion    PrivateKeyJwt with an Ed25519 key: oauth4webapi 3 labels the
//                        assertion alg "Ed25519"; recorded whatever the server answers, then
//                        again with the header relabelled "EdDSA" (modifyAssertion)
//   oauth4webapi         a FAPI 2.0-style sign-in: PAR with private_key_jwt and a DPoP proof,
//                        the browser (done by the caller), validateAuthResponse (state, iss),
//                        the code with PKCE + DPoP + private_key_jwt, the id_token's claims
//                        and signature (validateApplicationLevelSignature), /userinfo with
//                        DPoP, a DPoP refresh
//   openid_client        the same with openid-client: discovery with PrivateKeyJwt,
//                        buildAuthorizationUrlWithPAR, authorizationCodeGrant and
//                        fetchUserInfo with an Ed25519 DPoP key, enableNonRepudiationChecks
//
//   node par_pkjwt_clients.mjs ISSUER SERVICE_CLIENT FAPI_CLIENT REDIRECT_URI
//
// stdin, first line: {"ec": private JWK (kid set), "ed": private JWK (kid set)}, the private
// keys whose public halves the clients were registered with. Private keys travel on stdin,
// never on the command line or in a file. SERVICE_CLIENT has the client_credentials grant;
// FAPI_CLIENT the authorization_code and refresh_token grants, REDIRECT_URI, and a user who
// signs in without consent. For each sign-in the script writes a line
//   {"sign_in": AUTHORIZATION_URL, "flow": NAME}
// and reads one line back: {"callback": THE_REDIRECT_URL_WITH_CODE}. The last line is
// {"ok": true, "steps": {...}} or {"ok": false, "error": "...", "steps": {...}} with what was
// seen up to the failure. Exit 2 on a bad command line.
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { calculateJwkThumbprint, exportJWK, importJWK } from 'jose';
import { claimsOf, decode, finish, readLine, signIn } from './stdio.mjs';

const USAGE = 'usage: node par_pkjwt_clients.mjs ISSUER SERVICE_CLIENT FAPI_CLIENT REDIRECT_URI'
  + '  (private JWKs on stdin)';
const args = process.argv.slice(2);
if (args.length !== 4 || !URL.canParse(args[0]) || !URL.canParse(args[3])) {
  console.error(USAGE);
  process.exit(2);
}
const [issuerArg, serviceId, fapiId, redirectUri] = args;
const issuer = new URL(issuerArg);
const insecure = { [oauth.allowInsecureRequests]: true };  // the test server is plain http
const SCOPE = 'openid profile';
const steps = {};

// A request and the processing of its answer, both done again once if the server asks for a
// DPoP nonce (RFC 9449 section 8): oauth4webapi reports use_dpop_nonce when it processes the
// answer, and its DPoP handle has kept the nonce from the DPoP-Nonce header by then.
async function withNonceRetry(send, process = async (response) => response) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const response = await send();
      return { response, result: await process(response) };
    } catch (err) {
      if (attempt > 0 || !oauth.isDPoPNonceError(err)) throw err;
    }
  }
}

// A fetch that keeps the client assertion and the DPoP proof of each request it sends.
function recordingFetch(sent) {
  return (url, init) => {
    const entry = { url: String(url) };
    const body = init?.body instanceof URLSearchParams ? init.body
      : typeof init?.body === 'string' ? new URLSearchParams(init.body) : null;
    const assertion = body?.get('client_assertion');
    if (assertion) {
      const [header, payload] = assertion.split('.');
      entry.assertion = { header: decode(header), claims: decode(payload),
                          type: body.get('client_assertion_type'),
                          client_id: body.get('client_id') };
    }
    const proof = new Headers(init?.headers).get('dpop');
    if (proof) entry.dpop = { header: decode(proof.split('.')[0]), claims: claimsOf(proof) };
    sent.push(entry);
    return fetch(url, init);
  };
}

async function jktOf(publicKey) {
  return calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
}

// What a refused request looked like, for the test to judge. A 401 with a WWW-Authenticate
// challenge is reported by oauth4webapi before it reads the body; the body is read here.
async function refusal(err) {
  if (err instanceof oauth.ResponseBodyError) {
    return { status: err.status, error: err.error, error_description: err.error_description };
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const body = await err.response.json().catch(() => ({}));
    return { status: err.status, challenges: err.cause, error: body.error,
             error_description: body.error_description };
  }
  throw err;
}

async function clientCredentials(as, keys) {
  const service = { client_id: serviceId };
  const sent = [];
  const options = { [oauth.customFetch]: recordingFetch(sent), ...insecure };
  const auth = oauth.PrivateKeyJwt({ key: keys.ec, kid: keys.ecKid });
  const tokens = [];
  for (let i = 0; i < 2; i++) {
    const response = await oauth.clientCredentialsGrantRequest(
      as, service, auth, new URLSearchParams(), options);
    const status = response.status;
    const result = await oauth.processClientCredentialsResponse(as, service, response);
    tokens.push({ status, token_type: result.token_type, scope: result.scope,
                  claims: claimsOf(result.access_token), access_token: result.access_token });
  }
  const token = tokens[0].access_token;
  const introspected = await oauth.processIntrospectionResponse(
    as, service, await oauth.introspectionRequest(as, service, auth, token, options));
  const revoked = await oauth.revocationRequest(as, service, auth, token, options);
  const revokedStatus = revoked.status;
  await oauth.processRevocationResponse(revoked);
  const after = await oauth.processIntrospectionResponse(
    as, service, await oauth.introspectionRequest(as, service, auth, token, options));
  return {
    tokens: tokens.map((t) => ({ ...t, access_token: undefined })),
    introspection: { active: introspected.active, client_id: introspected.client_id },
    revocation_status: revokedStatus,
    introspection_after_revocation: after,
    sent,
  };
}

async function ed25519Assertion(as, keys) {
  const service = { client_id: serviceId };
  const attempt = async (options) => {
    const sent = [];
    try {
      const response = await oauth.clientCredentialsGrantRequest(
        as, service, oauth.PrivateKeyJwt({ key: keys.ed, kid: keys.edKid }, options),
        new URLSearchParams(), { [oauth.customFetch]: recordingFetch(sent), ...insecure });
      const result = await oauth.processClientCredentialsResponse(as, service, response);
      return { status: 200, token_type: result.token_type,
               assertion_alg: sent[0]?.assertion?.header.alg };
    } catch (err) {
      return { ...(await refusal(err)), assertion_alg: sent[0]?.assertion?.header.alg };
    }
  };
  return {
    as_labelled: await attempt(undefined),
    relabelled_eddsa: await attempt({
      [oauth.modifyAssertion]: (header) => { header.alg = 'EdDSA'; },
    }),
  };
}

// The step's object is filled as the flow goes, so that a failure shows how far it got.
async function oauth4webapiFlow(as, keys, step) {
  const fapi = { client_id: fapiId };
  const sent = [];
  step.sent = sent;
  const auth = oauth.PrivateKeyJwt({ key: keys.ec, kid: keys.ecKid });
  const dpopKeys = await oauth.generateKeyPair('ES256');
  const DPoP = oauth.DPoP(fapi, dpopKeys);
  const options = { DPoP, [oauth.customFetch]: recordingFetch(sent), ...insecure };
  step.jkt = await jktOf(dpopKeys.publicKey);

  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const parameters = new URLSearchParams({
    response_type: 'code', redirect_uri: redirectUri, scope: SCOPE, state, nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const { response: pushedResponse, result: pushed } = await withNonceRetry(
    () => oauth.pushedAuthorizationRequest(as, fapi, auth, parameters, options),
    (r) => oauth.processPushedAuthorizationResponse(as, fapi, r));
  step.par = { status: pushedResponse.status,
               cache_control: pushedResponse.headers.get('cache-control'),
               request_uri: pushed.request_uri, expires_in: pushed.expires_in };

  const authorize = new URL(as.authorization_endpoint);
  authorize.searchParams.set('client_id', fapiId);
  authorize.searchParams.set('request_uri', pushed.request_uri);
  const callback = await signIn('oauth4webapi', authorize);
  const callbackParameters = oauth.validateAuthResponse(as, fapi, callback, state);
  step.callback = { iss: callback.searchParams.get('iss'),
                    state_matches: callback.searchParams.get('state') === state };

  const { response: tokenResponse, result: { raw, tokens } } = await withNonceRetry(
    () => oauth.authorizationCodeGrantRequest(
      as, fapi, auth, callbackParameters, redirectUri, verifier, options),
    async (r) => ({ raw: await r.clone().json(),
                    tokens: await oauth.processAuthorizationCodeResponse(
                      as, fapi, r, { expectedNonce: nonce, requireIdToken: true }) }));
  const idClaims = oauth.getValidatedIdTokenClaims(tokens);
  step.token = {
    status: tokenResponse.status, raw_token_type: raw.token_type, token_type: tokens.token_type,
    scope: tokens.scope, cnf: claimsOf(tokens.access_token).cnf ?? null,
    has_refresh_token: typeof tokens.refresh_token === 'string',
    id_token: { sub: idClaims.sub, aud: idClaims.aud, iss: idClaims.iss,
                nonce_matches: idClaims.nonce === nonce,
                alg: decode(tokens.id_token.split('.')[0]).alg },
  };
  // oauth4webapi checks the id_token's claims; its signature, against the issuer's JWKS, on
  // request.
  await oauth.validateApplicationLevelSignature(as, tokenResponse, insecure);
  step.token.id_token.signature_verified = true;

  const { response: info, result: body } = await withNonceRetry(
    () => oauth.userInfoRequest(as, fapi, tokens.access_token, options),
    (r) => oauth.processUserInfoResponse(as, fapi, idClaims.sub, r));
  step.userinfo = { status: info.status, body };

  if (tokens.refresh_token) {
    const { response: refreshed, result } = await withNonceRetry(
      () => oauth.refreshTokenGrantRequest(as, fapi, auth, tokens.refresh_token, options),
      (r) => oauth.processRefreshTokenResponse(as, fapi, r));
    step.refresh = { status: refreshed.status, token_type: result.token_type,
                     cnf: claimsOf(result.access_token).cnf ?? null };
  }
}

async function openidClientFlow(keys, step) {
  const sent = [];
  step.sent = sent;
  const config = await client.discovery(
    issuer, fapiId, undefined, client.PrivateKeyJwt({ key: keys.ec, kid: keys.ecKid }),
    { execute: [client.allowInsecureRequests] });
  config[client.customFetch] = recordingFetch(sent);
  client.enableNonRepudiationChecks(config);  // the id_token's signature, from the JWKS
  // An Ed25519 DPoP key this time: oauth4webapi labels its proofs alg "Ed25519".
  const dpopKeys = await client.randomDPoPKeyPair('EdDSA');
  const DPoP = client.getDPoPHandle(config, dpopKeys);
  step.jkt = await jktOf(dpopKeys.publicKey);

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: redirectUri, scope: SCOPE, state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }, { DPoP });
  step.par = { request_uri: url.searchParams.get('request_uri'),
               authorization_parameters: [...url.searchParams.keys()].sort() };

  const callback = await signIn('openid_client', url);
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
    idTokenExpected: true,
  }, undefined, { DPoP });
  const claims = tokens.claims();
  step.token = {
    token_type: tokens.token_type, scope: tokens.scope,
    cnf: claimsOf(tokens.access_token).cnf ?? null,
    id_token: { sub: claims.sub, aud: claims.aud, iss: claims.iss,
                nonce_matches: claims.nonce === nonce,
                alg: decode(tokens.id_token.split('.')[0]).alg },
  };
  step.userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub, { DPoP });
}

const main = async () => {
  const keysIn = await readLine('the private keys');
  const keys = {
    ec: await importJWK(keysIn.ec, 'ES256'), ecKid: keysIn.ec.kid,
    ed: await importJWK(keysIn.ed, 'EdDSA'), edKid: keysIn.ed.kid,
  };
  const as = await oauth.processDiscoveryResponse(
    issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
  steps.discovery = Object.fromEntries([
    'token_endpoint_auth_methods_supported', 'token_endpoint_auth_signing_alg_values_supported',
    'pushed_authorization_request_endpoint', 'require_pushed_authorization_requests',
    'dpop_signing_alg_values_supported', 'authorization_response_iss_parameter_supported',
  ].map((name) => [name, as[name]]));
  steps.client_credentials = await clientCredentials(as, keys);
  steps.ed25519_assertion = await ed25519Assertion(as, keys);
  steps.oauth4webapi = {};
  await oauth4webapiFlow(as, keys, steps.oauth4webapi);
  steps.openid_client = {};
  await openidClientFlow(keys, steps.openid_client);
};

await finish(main, steps);
