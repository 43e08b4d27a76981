// Verifies one Tessera access token the way a Node resource server would, with npm `jose`.
//
//   node verify.mjs ISSUER JWKS_URL TOKEN [AUDIENCE]
//
// Exit 0 and the payload as JSON on stdout when jwtVerify accepts the token (the key fetched
// from JWKS_URL by kid, typ at+jwt per RFC 9068 section 4, iss equal to ISSUER, aud equal to
// AUDIENCE when given); exit 1 with jose's error code on stderr otherwise; exit 2 on usage.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [issuer, jwksUrl, token, audience] = process.argv.slice(2);
if (!issuer || !jwksUrl || !token) {
  console.error('usage: node verify.mjs ISSUER JWKS_URL TOKEN [AUDIENCE]');
  process.exit(2);
}

const options = {
  algorithms: ['EdDSA', 'ES256', 'RS256', 'PS256'],
  typ: 'at+jwt',
  issuer,
};
if (audience) options.audience = audience;

try {
  const jwks = createRemoteJWKSet(new URL(jwksUrl));
  const { payload } = await jwtVerify(token, jwks, options);
  console.log(JSON.stringify(payload));
} catch (err) {
  console.error(err.code || err.name || String(err));
  process.exit(1);
}
