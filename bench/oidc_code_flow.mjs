// node-oidc-provider (../shared/peers/oidc's install) set up for the code flow, the peer of
// bench/sign_in.py: a public client `bench-web` with PKCE and one redirect URI, the dev login
// form (any password signs `alice` in), consent granted automatically, id_tokens RS256 (or ID_TOKEN_ALG). Its
// sessions and grants live in memory, as Tessera's would in a single-instance SQLite file.
//
//   node bench/oidc_code_flow.mjs PORT
import { createRequire } from 'node:module';
import { generateKeyPairSync } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const peers = process.env.PEERS_DIR ||
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'peers');
const require = createRequire(join(peers, 'oidc', 'package.json'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const port = Number(process.argv[2] || 18110);
// The id_tokens' algorithm: ID_TOKEN_ALG, RS256 (as Tessera's default) or EdDSA.
const alg = process.env.ID_TOKEN_ALG || 'RS256';
const key = (alg === 'EdDSA'
  ? generateKeyPairSync('ed25519')
  : generateKeyPairSync('rsa', { modulusLength: 2048 })).privateKey.export({ format: 'jwk' });
const provider = new Provider(`http://127.0.0.1:${port}`, {
  jwks: { keys: [{ ...key, kid: 'k1', use: 'sig', alg }] },
  clients: [{
    client_id: 'bench-web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: ['https://app.bench.test/cb'],
    id_token_signed_response_alg: alg,
  }],
  pkce: { required: () => true },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  features: { devInteractions: { enabled: true } },
  // Consent is given once for all: the benchmark measures a signed-in user's next sign-in.
  // The session's grant when it has one (as node-oidc-provider's default does), so that
  // flows running at once in one session do not replace each other's grants.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    const existing = grantId && await ctx.oidc.provider.Grant.find(grantId);
    if (existing) return existing;
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid');
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));
