"""private_key_jwt (RFC 7523 section 2.2, OpenID Connect Core section 9) against the real
binary: a client registered with its public keys authenticates at /token, /introspect,
/revoke and /par with an assertion it signs; every rule of the assertion refused when broken;
authlib's PrivateKeyJWT as a client nobody here wrote (docs/reference.md, private_key_jwt).
"""

import http.server
import json
import os
import tempfile
import threading
import time
import unittest
import uuid

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

import harness
from dpop_helpers import b64u, uint_b64u
from browser_helpers import REDIRECT_URI, authorize_params, pkce_pair
from harness import HTTP_TIMEOUT

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def public_jwk(key, kid):
    """The public JWK at full length (PyJWT 2.6's to_jwk drops a leading zero byte)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        numbers = key.public_key().public_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "x": uint_b64u(numbers.x, 32),
               "y": uint_b64u(numbers.y, 32), "alg": "ES256"}
    else:
        raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw), "alg": "EdDSA"}
    jwk["kid"] = kid
    return jwk


class PrivateKeyJwt(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server.start()
        cls.addClassCleanup(cls.server.close)
        cls.base = cls.server.base
        cls.ec_key = ec.generate_private_key(ec.SECP256R1())
        cls.ed_key = ed25519.Ed25519PrivateKey.generate()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.jwks_file = os.path.join(cls.tmp.name, "jwks.json")
        with open(cls.jwks_file, "w") as f:
            json.dump({"keys": [public_jwk(cls.ec_key, "ec-1"), public_jwk(cls.ed_key, "ed-1")]}, f)
        cls.added = cls.cli_ok("client", "add", "signer", "--auth-method", "private_key_jwt",
                               "--jwks", cls.jwks_file, "--grant", "client_credentials",
                               "--grant", "authorization_code", "--redirect-uri", REDIRECT_URI,
                               "--scope", "reports:read")

    @classmethod
    def cli_ok(cls, *args, input=None):
        result = cls.server.cli(*args, input=input)
        if result.returncode != 0:
            raise AssertionError("tessera %s: %s" % (" ".join(args), result.stderr))
        return result

    def assertion(self, key=None, alg="ES256", kid="ec-1", **claims):
        now = int(time.time())
        body = {"iss": "signer", "sub": "signer", "aud": self.base + "/token", "iat": now,
                "exp": now + 60, "jti": str(uuid.uuid4())}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key or self.ec_key, algorithm=alg, headers={"kid": kid})

    def token(self, assertion, **extra):
        data = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion}
        data.update(extra)
        return requests.post(self.base + "/token", data=data, timeout=HTTP_TIMEOUT)

    def assert_refused(self, answer, note):
        self.assertEqual(answer.status_code, 401, "%s: %s" % (note, answer.text))
        self.assertEqual(answer.json()["error"], "invalid_client", note)

    def test_registration_keeps_no_secret(self):
        self.assertIn("private_key_jwt", self.added.stdout)
        self.assertNotIn("client secret", self.added.stdout)
        listed = self.cli_ok("client", "list").stdout
        row = next(line for line in listed.splitlines() if line.startswith("signer "))
        self.assertIn("confidential", row)

    def test_a_signed_assertion_gets_a_token_with_either_key(self):
        for key, alg, kid in ((self.ec_key, "ES256", "ec-1"), (self.ed_key, "EdDSA", "ed-1")):
            answer = self.token(self.assertion(key, alg, kid))
            self.assertEqual(answer.status_code, 200, answer.text)
            claims = harness.unverified(answer.json()["access_token"])[1]
            self.assertEqual(claims["client_id"], "signer")
        # iat is optional (RFC 7523 section 3), as authlib and others leave it out.
        answer = self.token(self.assertion(iat=None))
        self.assertEqual(answer.status_code, 200, answer.text)
        # The issuer as audience, and client_id sent alongside, work too.
        answer = self.token(self.assertion(aud=self.base), client_id="signer")
        self.assertEqual(answer.status_code, 200, answer.text)

    def test_every_broken_rule_is_invalid_client(self):
        other = ec.generate_private_key(ec.SECP256R1())
        now = int(time.time())
        cases = {
            "another key": self.assertion(other),
            "another audience": self.assertion(aud="https://elsewhere.test/token"),
            "no audience": self.assertion(aud=None),
            "exp more than 5 minutes ahead": self.assertion(exp=now + 900),
            "expired": self.assertion(exp=now - 120, iat=now - 180),
            "no jti": self.assertion(jti=None),
            "iss is not the client": self.assertion(iss="someone"),
            "sub is not the client": self.assertion(sub="someone"),
            "client_secret_jwt (HS256)": jwt.encode(
                {"iss": "signer", "sub": "signer", "aud": self.base + "/token", "iat": now,
                 "exp": now + 60, "jti": str(uuid.uuid4())}, "a-shared-secret-0123456789abcdef",
                algorithm="HS256"),
        }
        for note, assertion in cases.items():
            self.assert_refused(self.token(assertion), note)
        self.assert_refused(self.token(self.assertion(), client_id="someone-else"),
                            "client_id of another client")
        # A replay: the same assertion twice.
        once = self.assertion()
        self.assertEqual(self.token(once).status_code, 200)
        self.assert_refused(self.token(once), "replayed")
        # A secret for a client that has none, and no authentication at all.
        self.assert_refused(requests.post(self.base + "/token", timeout=HTTP_TIMEOUT,
                                          data={"grant_type": "client_credentials"},
                                          auth=("signer", "guessed-secret-0123456789")),
                            "a secret")
        self.assert_refused(requests.post(self.base + "/token", timeout=HTTP_TIMEOUT,
                                          data={"grant_type": "client_credentials",
                                                "client_id": "signer"}),
                            "client_id alone")
        wrong_type = self.token(self.assertion(), client_assertion_type="urn:other")
        self.assertIn(wrong_type.status_code, (400, 401), wrong_type.text)

    def test_introspection_revocation_and_par_take_assertions(self):
        access = self.token(self.assertion()).json()["access_token"]
        seen = requests.post(self.base + "/introspect", timeout=HTTP_TIMEOUT, data={
            "token": access, "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(aud=self.base + "/introspect")})
        self.assertEqual(seen.status_code, 200, seen.text)
        self.assertTrue(seen.json()["active"])
        revoked = requests.post(self.base + "/revoke", timeout=HTTP_TIMEOUT, data={
            "token": access, "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(aud=self.base)})
        self.assertEqual(revoked.status_code, 200, revoked.text)
        _, challenge = pkce_pair()
        params = authorize_params("signer", challenge, scope="reports:read")
        params.update({"client_assertion_type": ASSERTION_TYPE,
                       "client_assertion": self.assertion(aud=self.base + "/par")})
        pushed = requests.post(self.base + "/par", data=params, timeout=HTTP_TIMEOUT)
        self.assertEqual(pushed.status_code, 201, pushed.text)

    def test_authlib_private_key_jwt(self):
        from authlib.integrations.requests_client import OAuth2Session
        from authlib.oauth2.rfc7523 import PrivateKeyJWT
        from cryptography.hazmat.primitives import serialization
        pem = self.ec_key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
        from authlib.integrations.base_client.errors import OAuthError
        # authlib 1.2 signs assertions valid for an hour by default: more than the 5 minutes
        # allowed, so refused.
        session = OAuth2Session("signer", pem, token_endpoint_auth_method=PrivateKeyJWT(
            self.base + "/token", alg="ES256"), scope="reports:read")
        self.addCleanup(session.close)
        with self.assertRaises(OAuthError) as refused:
            session.fetch_token(self.base + "/token", grant_type="client_credentials")
        self.assertEqual(refused.exception.error, "invalid_client")
        # With a short exp, as RFC 7523 section 3 advises, accepted.
        session = OAuth2Session("signer", pem, token_endpoint_auth_method=PrivateKeyJWT(
            self.base + "/token", alg="ES256", claims={"exp": int(time.time()) + 120}),
            scope="reports:read")
        self.addCleanup(session.close)
        token = session.fetch_token(self.base + "/token", grant_type="client_credentials")
        self.assertEqual(token["scope"], "reports:read")

    def test_discovery_lists_the_method_and_its_algorithms(self):
        doc = requests.get(self.base + "/.well-known/oauth-authorization-server",
                           timeout=HTTP_TIMEOUT).json()
        self.assertIn("private_key_jwt", doc["token_endpoint_auth_methods_supported"])
        self.assertIn("private_key_jwt", doc["introspection_endpoint_auth_methods_supported"])
        self.assertIn("ES256", doc["token_endpoint_auth_signing_alg_values_supported"])
        self.assertNotIn("HS256", doc["token_endpoint_auth_signing_alg_values_supported"])

    def test_registration_refuses_what_cannot_work(self):
        private = dict(public_jwk(self.ec_key, "p"))
        private["d"] = "AAAA"
        path = os.path.join(self.tmp.name, "private.json")
        with open(path, "w") as f:
            json.dump({"keys": [private]}, f)
        for args, input in (
                (["--auth-method", "private_key_jwt"], None),
                (["--auth-method", "private_key_jwt", "--jwks", path], None),
                (["--auth-method", "private_key_jwt", "--jwks", self.jwks_file,
                  "--secret-stdin"], "a-secret-0123456789\n"),
                (["--auth-method", "private_key_jwt", "--jwks", "/nonexistent.json"], None),
                (["--jwks", self.jwks_file], None),
                (["--auth-method", "client_secret_jwt"], None)):
            result = self.server.cli("client", "add", "refused-%d" % len(args), *args,
                                     input=input)
            self.assertEqual(result.returncode, 1, (args, result.stdout, result.stderr))
            self.assertTrue(result.stderr.strip(), args)

    def test_a_registered_method_is_the_only_one(self):
        self.cli_ok("client", "add", "basic-only", "--secret-stdin", "--auth-method",
                    "client_secret_basic", input="basic-secret-0123456789\n")
        ok = requests.post(self.base + "/token", timeout=HTTP_TIMEOUT,
                           data={"grant_type": "client_credentials"},
                           auth=("basic-only", "basic-secret-0123456789"))
        self.assertEqual(ok.status_code, 200, ok.text)
        post = requests.post(self.base + "/token", timeout=HTTP_TIMEOUT, data={
            "grant_type": "client_credentials", "client_id": "basic-only",
            "client_secret": "basic-secret-0123456789"})
        self.assert_refused(post, "client_secret_post for a client_secret_basic client")


class KeyServer:
    """The client's own key server: a JWKS at http://127.0.0.1:PORT/jwks.json, whose document
    the test changes, and a count of the GETs it answered."""

    def __init__(self):
        self.document = {"keys": []}
        self.gets = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.gets += 1
                if self.path != "/jwks.json":
                    self.send_error(404)
                    return
                body = json.dumps(owner.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "max-age=600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/jwks.json" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class JwksUri(unittest.TestCase):
    """A client registered with --jwks-uri: its keys are fetched from the URL it serves
    (RFC 7591 section 2), kept for the document's max-age, not fetched per request."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server.start()
        cls.addClassCleanup(cls.server.close)
        cls.base = cls.server.base
        cls.keys = KeyServer()
        cls.addClassCleanup(cls.keys.close)
        cls.ec_key = ec.generate_private_key(ec.SECP256R1())
        cls.ed_key = ed25519.Ed25519PrivateKey.generate()
        cls.keys.document = {"keys": [public_jwk(cls.ec_key, "ec-1"),
                                      public_jwk(cls.ed_key, "ed-1")]}
        added = cls.server.cli("client", "add", "fetcher", "--auth-method", "private_key_jwt",
                               "--jwks-uri", cls.keys.url, "--grant", "client_credentials")
        if added.returncode != 0:
            raise AssertionError(added.stderr)

    def token(self, client, key, alg, kid):
        now = int(time.time())
        assertion = jwt.encode({"iss": client, "sub": client, "aud": self.base, "iat": now,
                                "exp": now + 60, "jti": str(uuid.uuid4())},
                               key, algorithm=alg, headers={"kid": kid})
        return requests.post(self.base + "/token", timeout=HTTP_TIMEOUT, data={
            "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion})

    def test_keys_at_the_uri_authenticate_and_are_fetched_once(self):
        before = self.keys.gets
        for _ in range(3):
            for key, alg, kid in ((self.ec_key, "ES256", "ec-1"), (self.ed_key, "EdDSA", "ed-1")):
                answer = self.token("fetcher", key, alg, kid)
                self.assertEqual(answer.status_code, 200, answer.text)
                self.assertEqual(harness.unverified(answer.json()["access_token"])[1]["client_id"],
                                 "fetcher")
        self.assertLessEqual(self.keys.gets - before, 1, "the document is kept, not fetched per "
                             "request")
        stranger = ec.generate_private_key(ec.SECP256R1())
        refused = self.token("fetcher", stranger, "ES256", "ec-1")
        self.assertEqual(refused.status_code, 401, refused.text)
        self.assertEqual(refused.json()["error"], "invalid_client")

    def test_a_uri_nobody_answers_is_invalid_client(self):
        with socket_nobody_listens_on() as port:
            added = self.server.cli("client", "add", "unreachable", "--auth-method",
                                    "private_key_jwt", "--jwks-uri",
                                    "http://127.0.0.1:%d/jwks.json" % port,
                                    "--grant", "client_credentials")
            self.assertEqual(added.returncode, 0, added.stderr)
            answer = self.token("unreachable", self.ec_key, "ES256", "ec-1")
        self.assertEqual(answer.status_code, 401, answer.text)
        self.assertEqual(answer.json()["error"], "invalid_client")
        # The server stays up and serves others.
        self.assertEqual(self.token("fetcher", self.ec_key, "ES256", "ec-1").status_code, 200)

    def test_registration_takes_https_or_loopback_http_and_not_both_forms(self):
        path = os.path.join(tempfile.mkdtemp(), "jwks.json")
        with open(path, "w") as f:
            json.dump(self.keys.document, f)
        for args in (["--jwks-uri", "http://keys.example.com/jwks.json"],
                     ["--jwks-uri", "file:///etc/passwd"],
                     ["--jwks-uri", "not a url"],
                     ["--jwks-uri", self.keys.url, "--jwks", path]):
            result = self.server.cli("client", "add", "refused", "--auth-method",
                                     "private_key_jwt", *args)
            self.assertEqual(result.returncode, 1, (args, result.stdout, result.stderr))
            self.assertIn("jwks", result.stderr, args)
        result = self.server.cli("client", "add", "refused", "--jwks-uri", self.keys.url)
        self.assertEqual(result.returncode, 1, result.stderr)
        result = self.server.cli("client", "add", "remote", "--auth-method", "private_key_jwt",
                                 "--jwks-uri", "https://keys.example.com/jwks.json")
        self.assertEqual(result.returncode, 0, result.stderr)


class socket_nobody_listens_on:
    """A loopback port that was free a moment ago (bound, then closed)."""

    def __enter__(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    unittest.main()
