"""Helpers for the signing-key tests: the JWKS, `tessera key list`, PyJWT cross-checks and
waiting on a deadline.

Like harness.py, these only use what a user sees: HTTP, the command line and its output.
"""

import re
import time
import uuid

import jwt
import requests

import harness
from harness import HTTP_TIMEOUT

JWKS_PATH = "/.well-known/jwks.json"
RFC8414_PATH = "/.well-known/oauth-authorization-server"
OIDC_PATH = "/.well-known/openid-configuration"

# RFC 7518 section 6: the members that hold private or symmetric key material.
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")

# An RFC 7638 SHA-256 thumbprint is 43 base64url characters.
KID_PATTERN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")

# What one JWK of each family looks like (RFC 7518 section 6, RFC 8037 section 2).
EXPECTED_JWK = {
    "EdDSA": {"kty": "OKP", "crv": "Ed25519"},
    "ES256": {"kty": "EC", "crv": "P-256"},
    "RS256": {"kty": "RSA"},
    "PS256": {"kty": "RSA"},
}


def get_jwks(base):
    return requests.get(base + JWKS_PATH, timeout=HTTP_TIMEOUT)


def jwks_keys(base):
    r = get_jwks(base)
    if r.status_code != 200:
        raise AssertionError("GET %s: %s %s" % (JWKS_PATH, r.status_code, r.text))
    return r.json()["keys"]


def jwks_kids(base):
    return [k.get("kid") for k in jwks_keys(base)]


def jwk_by_kid(base, kid):
    for key in jwks_keys(base):
        if key.get("kid") == kid:
            return key
    raise AssertionError("kid %s is not in the JWKS" % kid)


def wait_for(predicate, timeout, what, interval=0.1):
    """Polls `predicate` until it returns a true value (returned) or `timeout` seconds pass
    (AssertionError naming `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("not within %.1fs: %s" % (timeout, what))
        time.sleep(interval)


def wait_for_kids(base, predicate, timeout, what):
    """Polls the JWKS until predicate(kids) holds; returns those kids."""
    found = []

    def check():
        found[:] = [jwks_kids(base)]
        return predicate(found[0])

    wait_for(check, timeout, what)
    return found[0]


def wait_for_token(testcase, base, predicate, timeout, what):
    """Logs in every 0.2 s until predicate(token) holds; returns that token."""
    found = []

    def check():
        found[:] = [new_token(testcase, base)]
        return predicate(found[0])

    wait_for(check, timeout, what, interval=0.2)
    return found[0]


def new_token(testcase, base):
    return harness.token_for(testcase, base, harness.ADMIN_USER, harness.ADMIN_PASSWORD)


def header_of(token):
    return jwt.get_unverified_header(token)


def kid_of(token):
    return header_of(token).get("kid")


def claims_of(token):
    return harness.unverified(token)[1]


def kid_printed(testcase, result):
    """The one kid that `tessera key rotate` / `key retire` printed on stdout."""
    kids = KID_PATTERN.findall(result.stdout)
    testcase.assertTrue(kids, "no kid in the output: %r" % result.stdout)
    return kids[-1]


def key_statuses(testcase, server):
    """`tessera key list` as {kid: status}, statuses lower-cased."""
    listed = server.cli("key", "list")
    testcase.assertEqual(listed.returncode, 0, listed.stderr)
    statuses = {}
    for line in listed.stdout.splitlines():
        words = line.split()
        if words and KID_PATTERN.fullmatch(words[0]):
            found = [w.lower() for w in words[1:]
                     if w.lower() in ("pending", "active", "retiring", "retired")]
            testcase.assertEqual(len(found), 1, "no single status in %r" % line)
            statuses[words[0]] = found[0]
    return statuses


def get_me(base, token):
    return requests.get(base + "/users/me", headers=harness.bearer(token), timeout=HTTP_TIMEOUT)


def assert_invalid_token(testcase, response, note=""):
    """RFC 6750 section 3.1: 401 with `WWW-Authenticate: Bearer error="invalid_token"`."""
    testcase.assertEqual(response.status_code, 401, "%s %s" % (note, response.text))
    challenge = response.headers.get("WWW-Authenticate", "")
    testcase.assertTrue(challenge.startswith("Bearer"), response.headers)
    testcase.assertIn('error="invalid_token"', challenge, note)


def verify_with_pyjwt(testcase, base, token, issuer=None):
    """Verifies `token` the way a resource server using PyJWT does: the key by kid from the
    JWKS (a fresh PyJWKClient, so nothing cached), algorithm from our header, iss and aud.
    Returns (PyJWK, claims)."""
    issuer = issuer or base
    client = jwt.PyJWKClient(base + JWKS_PATH, cache_keys=False, cache_jwk_set=False)
    signing_key = client.get_signing_key_from_jwt(token)
    alg = header_of(token)["alg"]
    testcase.assertIn(alg, EXPECTED_JWK)  # never HS256 or none through a JWKS
    claims = jwt.decode(token, signing_key.key, algorithms=[alg], audience=issuer,
                        issuer=issuer)
    return signing_key, claims


def fresh_claims(token):
    """The claims of a real token of ours with a new jti: acceptable in every respect but
    the signature of whatever token carries them."""
    claims = dict(claims_of(token))
    claims["jti"] = uuid.uuid4().hex
    return claims
