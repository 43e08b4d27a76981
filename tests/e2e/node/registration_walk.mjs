// An app Tessera has never seen, from nothing to a signed-in call of a protected API, with npm
// oauth4webapi (code nobody here wrote); the app knows only the API's URL:
//   unauthenticated       the API without a token: 401, its WWW-Authenticate parsed by
//                         oauth4webapi (resource_metadata, RFC 9728 section 5.1)
//   resource_discovery    resourceDiscoveryRequest for the API's origin and
//                         processResourceDiscoveryResponse, which checks that the document's
//                         "resource" is that URL
//   discovery             the first authorization server it names, RFC 8414
//   registration_without_token / registration
//                         dynamicClientRegistrationRequest (RFC 7591) for a public client with a
//                         loopback redirect URI and the API's scopes, first without the initial
//                         access token, then with it
//   code                  the authorization URL (PKCE S256, state, resource = the API's
//                         resource), the sign-in (done by the caller), validateAuthResponse,
//                         authorizationCodeGrantRequest with the resource
//   call                  protectedResourceRequest to the API with that token
//   refresh               a refresh (its aud kept), the API called with it, then a refresh for
//                         another resource
//   other_resource        an authorization request for a resource the server does not offer
//   no_resource           a sign-in without resource: the token's aud, the API's answer to it,
//                         and a refresh of that family narrowed to the API's resource
//
//   node registration_walk.mjs API_URL REDIRECT_URI
//
// stdin, first line: {"initial_access_token": "..."} (kept off the command line). For each
// sign-in the script writes {"sign_in": AUTHORIZATION_URL, "flow": NAME} and reads back
// {"callback": THE_REDIRECT_URL}. The last line is {"ok": true, "steps": {...}} or
// {"ok": false, "error": "...", "steps": {...}} with what was seen up to the failure. Exit 2 on
// a bad command line.
import * as oauth from 'oauth4webapi';
import { claimsOf, finish, readLine, signIn } from './stdio.mjs';

const USAGE = 'usage: node registration_walk.mjs API_URL REDIRECT_URI'
  + '  (initial access token on stdin)';
const args = process.argv.slice(2);
if (args.length !== 2 || !URL.canParse(args[0]) || !URL.canParse(args[1])) {
  console.error(USAGE);
  process.exit(2);
}
const api = new URL(args[0]);
const redirectUri = args[1];
const insecure = { [oauth.allowInsecureRequests]: true };  // the test servers are plain http
const ELSEWHERE = 'https://elsewhere.example';
const steps = {};

// What a refused request looked like, for the test to judge. oauth4webapi reports a
// WWW-Authenticate challenge before it reads the body; the body is read here.
async function refusal(err) {
  if (err instanceof oauth.ResponseBodyError) {
    return { kind: err.name, status: err.status, error: err.error };
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return { kind: err.name, error: err.error, iss: err.cause.get('iss') };
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const body = await err.response.json().catch(() => ({}));
    return { kind: err.name, status: err.status, challenges: err.cause, error: body.error };
  }
  throw err;
}

// The API called as oauth4webapi calls a protected resource; its 401 rejects with the parsed
// challenges.
async function callApi(accessToken, options = {}) {
  try {
    const response = await oauth.protectedResourceRequest(
      accessToken, 'GET', api, undefined, undefined, { ...insecure, ...options });
    return { status: response.status, body: await response.json() };
  } catch (err) {
    return refusal(err);
  }
}

// oauth4webapi 3 no longer exports parseWwwAuthenticateChallenges; its parser runs inside
// protectedResourceRequest. An app without a token sends none: this fetch drops the
// Authorization header that protectedResourceRequest adds, and notes that it did.
function withoutToken(seen) {
  return (url, init) => {
    const headers = { ...init.headers };
    seen.authorization_sent = false;
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === 'authorization') delete headers[name];
    }
    return fetch(url, { ...init, headers });
  };
}

function tokenSummary(tokens) {
  const claims = claimsOf(tokens.access_token);
  return { token_type: tokens.token_type, scope: tokens.scope, aud: claims.aud,
           client_id: claims.client_id, sub: claims.sub,
           has_refresh_token: typeof tokens.refresh_token === 'string' };
}

async function authorizationCode(as, client, flow, resource) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', client.scope);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (resource) url.searchParams.set('resource', resource);
  const callback = await signIn(flow, url);
  const parameters = oauth.validateAuthResponse(as, client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as, client, oauth.None(), parameters, redirectUri, verifier,
    { ...insecure, ...(resource ? { additionalParameters: { resource } } : {}) });
  return oauth.processAuthorizationCodeResponse(as, client, response);
}

async function refresh(as, client, refreshToken, resource) {
  const response = await oauth.refreshTokenGrantRequest(
    as, client, oauth.None(), refreshToken,
    { ...insecure, ...(resource ? { additionalParameters: { resource } } : {}) });
  return oauth.processRefreshTokenResponse(as, client, response);
}

const main = async () => {
  const { initial_access_token: initialAccessToken } = await readLine('the initial access token');

  const seen = { authorization_sent: true };
  const unauthenticated = await callApi('none-yet', { [oauth.customFetch]: withoutToken(seen) });
  steps.unauthenticated = { ...unauthenticated, ...seen };
  const challenge = steps.unauthenticated.challenges?.find((c) => c.scheme === 'bearer');
  if (!challenge?.parameters.resource_metadata) throw new Error('no resource_metadata in the 401');

  const resourceId = new URL(api.origin);
  const described = await oauth.resourceDiscoveryRequest(resourceId, insecure);
  steps.resource_discovery = { url: described.url, status: described.status };
  const rs = await oauth.processResourceDiscoveryResponse(resourceId, described);
  Object.assign(steps.resource_discovery, {
    resource: rs.resource, authorization_servers: rs.authorization_servers,
    scopes_supported: rs.scopes_supported,
  });

  const issuer = new URL(rs.authorization_servers[0]);
  const as = await oauth.processDiscoveryResponse(
    issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  steps.discovery = { issuer: as.issuer, registration_endpoint: as.registration_endpoint };

  const metadata = {
    redirect_uris: [redirectUri], token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    client_name: 'Registration walk', scope: rs.scopes_supported.join(' '),
  };
  try {
    await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(as, metadata, insecure));
    steps.registration_without_token = { registered: true };
  } catch (err) {
    steps.registration_without_token = await refusal(err);
  }
  const registered = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(as, metadata,
                                                 { initialAccessToken, ...insecure }));
  steps.registration = {
    client_id: registered.client_id, has_client_secret: 'client_secret' in registered,
    token_endpoint_auth_method: registered.token_endpoint_auth_method,
    redirect_uris: registered.redirect_uris, grant_types: registered.grant_types,
    scope: registered.scope, registration_client_uri: registered.registration_client_uri,
    has_registration_access_token: typeof registered.registration_access_token === 'string',
  };
  const client = { client_id: registered.client_id, scope: registered.scope,
                   token_endpoint_auth_method: 'none' };

  const tokens = await authorizationCode(as, client, 'code', rs.resource);
  steps.code = tokenSummary(tokens);
  steps.call = await callApi(tokens.access_token);

  const renewed = await refresh(as, client, tokens.refresh_token);
  steps.refresh = { ...tokenSummary(renewed), call: await callApi(renewed.access_token) };
  try {
    await refresh(as, client, renewed.refresh_token, ELSEWHERE);
    steps.refresh.elsewhere = { refreshed: true };
  } catch (err) {
    steps.refresh.elsewhere = await refusal(err);
  }

  try {
    await authorizationCode(as, client, 'other_resource', ELSEWHERE);
    steps.other_resource = { granted: true };
  } catch (err) {
    steps.other_resource = await refusal(err);
  }

  const plain = await authorizationCode(as, client, 'no_resource', undefined);
  steps.no_resource = { ...tokenSummary(plain), call: await callApi(plain.access_token) };
  const narrowed = await refresh(as, client, plain.refresh_token, rs.resource);
  steps.no_resource.narrowed = { ...tokenSummary(narrowed),
                                 call: await callApi(narrowed.access_token) };
};

await finish(main, steps);
