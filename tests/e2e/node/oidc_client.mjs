// Drives a Tessera server with npm openid-client (v6), the way a Node.js application would.
//
//   node oidc_client.mjs [--rfc8414] ISSUER  < requests  > answers
//
// Discovers ISSUER once with discovery() (OpenID Connect Discovery, or RFC 8414 with
// --rfc8414; plain http allowed by allowInsecureRequests), then reads one JSON request a line
// on stdin and writes one JSON answer a line on stdout, until stdin ends. A request is
//   {"op": OP, "client_id": ID, "auth": AUTH, "client_secret": S, ...parameters}
// AUTH is client_secret_basic, client_secret_post or none; secrets travel on stdin, never on
// the command line. OP and its parameters:
//   discover                                   the server metadata openid-client took
//   client_credentials [scope]                 clientCredentialsGrant()
//   password username password [scope]        genericGrantRequest('password')
//   refresh refresh_token [scope]              refreshTokenGrant()
//   introspect token                           tokenIntrospection()
//   revoke token [token_type_hint]             tokenRevocation()
// The answer is {"ok": true, "result": …}, or {"ok": false, "error": {"name", "code",
// "error", "error_description", "status", "challenges"}} when openid-client reports an
// error, or {"ok": false, "usage": "…"} for a request this script does not understand.
// Exit 2 on a bad command line.
import { createInterface } from 'node:readline';
import * as client from 'openid-client';

const USAGE = 'usage: node oidc_client.mjs [--rfc8414] ISSUER  (JSON requests on stdin)';

const args = process.argv.slice(2);
const rfc8414 = args[0] === '--rfc8414';
if (rfc8414) args.shift();
if (args.length !== 1 || !URL.canParse(args[0])) {
  console.error(USAGE);
  process.exit(2);
}
const issuer = new URL(args[0]);

class UsageError extends Error {}

function need(request, name) {
  const value = request[name];
  if (typeof value !== 'string' || value === '') {
    throw new UsageError(`${request.op} needs ${name}`);
  }
  return value;
}

function clientAuth(request) {
  switch (request.auth) {
    case 'client_secret_basic': return client.ClientSecretBasic(need(request, 'client_secret'));
    case 'client_secret_post': return client.ClientSecretPost(need(request, 'client_secret'));
    case 'none': return client.None();
    default: throw new UsageError(`unknown auth ${request.auth}`);
  }
}

function withScope(parameters, request) {
  return request.scope ? { ...parameters, scope: request.scope } : parameters;
}

const operations = {
  discover: async (config) => config.serverMetadata(),
  client_credentials: async (config, r) => client.clientCredentialsGrant(config, withScope({}, r)),
  password: async (config, r) =>
    client.genericGrantRequest(config, 'password',
      withScope({ username: need(r, 'username'), password: need(r, 'password') }, r)),
  refresh: async (config, r) =>
    client.refreshTokenGrant(config, need(r, 'refresh_token'), withScope({}, r)),
  introspect: async (config, r) => client.tokenIntrospection(config, need(r, 'token')),
  revoke: async (config, r) => {
    const hint = r.token_type_hint ? { token_type_hint: r.token_type_hint } : {};
    await client.tokenRevocation(config, need(r, 'token'), hint);
    return { revoked: true };
  },
};

async function errorReport(err) {
  const report = {
    name: err.name,
    code: err.code,
    error: err.error,
    error_description: err.error_description,
    status: err.status ?? err.response?.status,
  };
  // A 401 with WWW-Authenticate is reported as a challenge; its body still says why.
  if (err.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE') {
    report.challenges = err.cause;
    try {
      const body = await err.response.json();
      report.error = body.error;
      report.error_description = body.error_description;
    } catch {
      // no JSON body: the challenge is all there is
    }
  }
  if (!report.code) report.message = String(err.message ?? err);
  return report;
}

// Discovered once, for the first request; every client then shares the metadata.
let server;

async function answer(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return { ok: false, usage: 'a request is one JSON object a line' };
  }
  const operation = operations[request.op];
  if (!operation) return { ok: false, usage: `unknown op ${request.op}` };
  try {
    const auth = clientAuth(request);
    const clientId = need(request, 'client_id');
    if (!server) {
      const discovered = await client.discovery(issuer, clientId, undefined, auth, {
        execute: [client.allowInsecureRequests],
        algorithm: rfc8414 ? 'oauth2' : 'oidc',
      });
      server = discovered.serverMetadata();
    }
    const config = new client.Configuration(server, clientId, undefined, auth);
    client.allowInsecureRequests(config);
    return { ok: true, result: await operation(config, request) };
  } catch (err) {
    if (err instanceof UsageError) return { ok: false, usage: err.message };
    return { ok: false, error: await errorReport(err) };
  }
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim() === '') continue;
  process.stdout.write(JSON.stringify(await answer(line)) + '\n');
}
