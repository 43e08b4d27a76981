"""Pushed authorization requests (RFC 9126), private_key_jwt (RFC 7523) and DPoP (RFC 9449)
from clients nobody here wrote (issue 15 item 5): npm oauth4webapi and openid-client, driven by
node/par_pkjwt_clients.mjs. The test makes the client's key pairs and registers their public
halves (--auth-method private_key_jwt --jwks); the private JWKs go to the script on stdin.

oauth4webapi authenticates with PrivateKeyJwt for client_credentials, introspection and
revocation; an Ed25519 key, whose assertions it labels alg "Ed25519", must be treated as the
server's metadata says. Then a FAPI 2.0-style client (--require-par --require-dpop) signs a
user in twice, once with each library: PAR with private_key_jwt, the login page (this file's
Browser, answering the script's sign-in request), the code with PKCE + DPoP + private_key_jwt,
the id_token validated (claims and signature), /userinfo with DPoP. Each request_uri is then
refused a second time. Skips only when Node.js is not installed.
"""

import base64
import json
import os
import shutil
import tempfile
import time
import unittest
import urllib.parse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

import harness
import node_helpers
from browser_helpers import REDIRECT_URI, Browser
from oauth_helpers import add_user

SCRIPT = os.path.join(node_helpers.NODE_DIR, "par_pkjwt_clients.mjs")
NODE_TIMEOUT = 60
USER = "fay"
PASSWORD = "Fay-pass-12345"
SERVICE = "pkjwt-svc"
FAPI = "fapi-app"
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def private_jwk(key, kid):
    """The key as a private JWK. Built here, not with PyJWT's to_jwk, which (2.6) writes an
    EC coordinate or d with a leading zero byte short, where RFC 7518 section 6.2.1.2 wants
    the full 32 bytes: about one P-256 key in a hundred would then be unusable."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        numbers = key.private_numbers()
        return {"kty": "EC", "crv": "P-256", "kid": kid,
                "x": b64u(numbers.public_numbers.x.to_bytes(32, "big")),
                "y": b64u(numbers.public_numbers.y.to_bytes(32, "big")),
                "d": b64u(numbers.private_value.to_bytes(32, "big"))}
    raw = serialization.Encoding.Raw
    return {"kty": "OKP", "crv": "Ed25519", "kid": kid,
            "x": b64u(key.public_key().public_bytes(raw, serialization.PublicFormat.Raw)),
            "d": b64u(key.private_bytes(raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption()))}


def public_jwk(key, kid, alg):
    jwk = {k: v for k, v in private_jwk(key, kid).items() if k != "d"}
    jwk["alg"] = alg
    return jwk


@unittest.skipIf(shutil.which("node") is None, "Node.js is not installed")
class ParPrivateKeyJwtDpopClients(unittest.TestCase):
    ENV = None

    @classmethod
    def setUpClass(cls):
        node_helpers.ensure_packages("oauth4webapi", "openid-client", "jose")
        cls.server = harness.Server.start(env=cls.ENV)
        cls.addClassCleanup(cls.server.close)
        cls.base = cls.server.base
        add_user(cls.server, USER, PASSWORD)
        ec_key = ec.generate_private_key(ec.SECP256R1())
        ed_key = ed25519.Ed25519PrivateKey.generate()
        cls.private_keys = {"ec": private_jwk(ec_key, "ec-1"), "ed": private_jwk(ed_key, "ed-1")}
        with tempfile.TemporaryDirectory() as tmp:
            jwks = os.path.join(tmp, "jwks.json")
            with open(jwks, "w") as f:
                json.dump({"keys": [public_jwk(ec_key, "ec-1", "ES256"),
                                    public_jwk(ed_key, "ed-1", "EdDSA")]}, f)
            cls.cli_ok("client", "add", SERVICE, "--auth-method", "private_key_jwt",
                       "--jwks", jwks, "--grant", "client_credentials")
            # As FAPI 2.0 wants it: pushed requests only, sender-constrained tokens.
            cls.cli_ok("client", "add", FAPI, "--auth-method", "private_key_jwt",
                       "--jwks", jwks, "--grant", "authorization_code",
                       "--grant", "refresh_token", "--redirect-uri", REDIRECT_URI,
                       "--skip-consent", "--require-par", "--require-dpop")

    @classmethod
    def cli_ok(cls, *args, input=None):
        result = cls.server.cli(*args, input=input)
        if result.returncode != 0:
            raise AssertionError("tessera %s: %s" % (" ".join(args), result.stderr))
        return result

    answer = None

    def run_script(self):
        """The script's answer, run once for the class; the sign-ins it asked for are kept
        in type(self).sign_ins."""
        if type(self).answer is None:
            started = time.monotonic()
            type(self).sign_ins = []
            type(self).answer = self._run_script()
            type(self).seconds = time.monotonic() - started
        return type(self).answer

    def _run_script(self):
        return node_helpers.drive_script(SCRIPT, [self.base, SERVICE, FAPI, REDIRECT_URI],
                                         self.private_keys, self.sign_in, NODE_TIMEOUT)

    def sign_in(self, message):
        """The user at the login page the script's authorization URL leads to; the redirect
        to the client, as the application's callback would receive it."""
        url = message["sign_in"]
        parsed = urllib.parse.urlsplit(url)
        params = dict(urllib.parse.parse_qsl(parsed.query))
        record = {"flow": message["flow"], "url": url, "params": params}
        type(self).sign_ins.append(record)
        browser = Browser(self.base)
        try:
            page = browser.get(parsed.path, params)
            record["authorize_status"] = page.status_code
            if page.status_code != 200 or 'name="password"' not in page.text:
                raise AssertionError("%s: no login page (%s): %s"
                                     % (url, page.status_code, page.text[:300]))
            page = browser.submit(page, {"username": USER, "password": PASSWORD})
            record["login_status"] = page.status_code
            if page.status_code != 303:
                raise AssertionError("login: %s %s" % (page.status_code, page.text[:300]))
            return page.headers["Location"]
        finally:
            browser.session.close()

    def answered(self):
        answer = self.run_script()
        self.assertTrue(answer["ok"], "%s\nsteps: %s" % (answer.get("error"),
                                                         json.dumps(answer["steps"], indent=1)))
        return answer["steps"]

    def assert_assertion(self, sent, client_id):
        """A client assertion as RFC 7523 section 3 and our rules want it."""
        self.assertEqual(sent["type"], ASSERTION_TYPE)
        claims = sent["claims"]
        self.assertEqual((claims["iss"], claims["sub"]), (client_id, client_id))
        self.assertEqual(claims["aud"], self.base)
        self.assertLessEqual(claims["exp"] - claims["iat"], 300)
        self.assertTrue(claims["jti"])
        self.assertEqual(sent["header"]["alg"], "ES256")
        self.assertEqual(sent["header"]["kid"], "ec-1")

    def test_discovery_offers_what_the_clients_use(self):
        discovery = self.answered()["discovery"]
        self.assertIn("private_key_jwt", discovery["token_endpoint_auth_methods_supported"])
        self.assertIn("ES256", discovery["token_endpoint_auth_signing_alg_values_supported"])
        self.assertEqual(discovery["pushed_authorization_request_endpoint"], self.base + "/par")
        self.assertIn("ES256", discovery["dpop_signing_alg_values_supported"])

    def test_oauth4webapi_private_key_jwt_client_credentials(self):
        step = self.answered()["client_credentials"]
        for token in step["tokens"]:
            self.assertEqual(token["status"], 200, token)
            self.assertEqual(token["token_type"], "bearer")
            self.assertEqual(token["claims"]["client_id"], SERVICE)
        self.assertEqual(step["introspection"], {"active": True, "client_id": SERVICE})
        self.assertEqual(step["revocation_status"], 200)
        self.assertEqual(step["introspection_after_revocation"], {"active": False})
        # Two tokens, an introspection, a revocation, an introspection: five assertions, each
        # with its own jti, sent to the endpoints with client_id alongside.
        sent = [s["assertion"] for s in step["sent"]]
        self.assertEqual(len(sent), 5, step["sent"])
        for assertion in sent:
            self.assert_assertion(assertion, SERVICE)
            self.assertEqual(assertion["client_id"], SERVICE)
        self.assertEqual(len({a["claims"]["jti"] for a in sent}), 5)
        self.assertEqual([urllib.parse.urlsplit(s["url"]).path for s in step["sent"]],
                         ["/token", "/token", "/introspect", "/revoke", "/introspect"])

    def test_an_ed25519_assertion_agrees_with_the_metadata(self):
        """oauth4webapi 3 signs an Ed25519 key's assertions with alg "Ed25519" (RFC 9864's
        fully-specified name). The server must be consistent with its
        token_endpoint_auth_signing_alg_values_supported: a token when it lists "Ed25519",
        invalid_client when it does not. Relabelled "EdDSA" (RFC 8037), it is accepted."""
        steps = self.answered()
        ed = steps["ed25519_assertion"]
        advertised = steps["discovery"]["token_endpoint_auth_signing_alg_values_supported"]
        labelled = ed["as_labelled"]
        self.assertEqual(labelled["assertion_alg"], "Ed25519", labelled)
        if "Ed25519" in advertised:
            self.assertEqual(labelled["status"], 200, labelled)
        else:
            self.assertEqual((labelled["status"], labelled.get("error")),
                             (401, "invalid_client"), labelled)
        relabelled = ed["relabelled_eddsa"]
        self.assertEqual(relabelled["assertion_alg"], "EdDSA")
        self.assertIn("EdDSA", advertised)
        self.assertEqual(relabelled["status"], 200, relabelled)

    def assert_fapi_flow(self, name, dpop_alg):
        """What both libraries' FAPI 2.0-style sign-ins must show; returns the flow."""
        flow = self.answered()[name]
        self.assertTrue(flow["par"]["request_uri"].startswith(REQUEST_URI_PREFIX), flow["par"])
        token = flow["token"]
        self.assertEqual(token["token_type"], "dpop")  # the libraries lower-case it
        self.assertEqual(token["cnf"], {"jkt": flow["jkt"]})
        self.assertEqual(token["scope"], "openid profile")
        id_token = token["id_token"]
        self.assertEqual(id_token["sub"], USER)
        self.assertEqual(id_token["iss"], self.base)
        self.assertIn(FAPI, [id_token["aud"]] if isinstance(id_token["aud"], str)
                      else id_token["aud"])
        self.assertTrue(id_token["nonce_matches"])
        # Every request to the server's endpoints: /par, /token, /userinfo.
        paths = [urllib.parse.urlsplit(s["url"]).path for s in flow["sent"]]
        for wanted in ("/par", "/token", "/userinfo"):
            self.assertIn(wanted, paths)
        for sent in flow["sent"]:
            path = urllib.parse.urlsplit(sent["url"]).path
            if path in ("/par", "/token"):
                self.assert_assertion(sent["assertion"], FAPI)
            if path in ("/par", "/token", "/userinfo"):
                self.assertEqual(sent["dpop"]["header"]["typ"], "dpop+jwt", path)
                self.assertEqual(sent["dpop"]["header"]["alg"], dpop_alg, path)
        # The browser saw only client_id and request_uri.
        record = next(r for r in self.sign_ins if r["flow"] == name)
        self.assertEqual(record["params"], {"client_id": FAPI,
                                            "request_uri": flow["par"]["request_uri"]})
        # Used once: the same request_uri again is refused with a page, never a redirect.
        browser = Browser(self.base)
        self.addCleanup(browser.session.close)
        again = browser.get("/authorize", record["params"])
        self.assertEqual(again.status_code, 400, again.text[:300])
        self.assertNotIn("Location", again.headers)
        return flow

    def test_oauth4webapi_par_private_key_jwt_dpop_sign_in(self):
        flow = self.assert_fapi_flow("oauth4webapi", "ES256")
        self.assertEqual(flow["par"]["status"], 201)
        self.assertEqual(flow["par"]["cache_control"], "no-store")
        self.assertTrue(0 < flow["par"]["expires_in"] <= 300, flow["par"])
        self.assertEqual(flow["callback"], {"iss": self.base, "state_matches": True})
        token = flow["token"]
        self.assertEqual((token["status"], token["raw_token_type"]), (200, "DPoP"))
        self.assertTrue(token["id_token"]["signature_verified"])
        self.assertEqual(flow["userinfo"]["status"], 200)
        self.assertEqual(flow["userinfo"]["body"]["sub"], USER)
        self.assertTrue(token["has_refresh_token"], token)
        self.assertEqual(flow["refresh"]["status"], 200)
        self.assertEqual(flow["refresh"]["token_type"], "dpop")
        self.assertEqual(flow["refresh"]["cnf"], {"jkt": flow["jkt"]})

    def test_openid_client_par_private_key_jwt_dpop_sign_in(self):
        # openid-client's Ed25519 DPoP key: proofs labelled "Ed25519" (RFC 9864).
        flow = self.assert_fapi_flow("openid_client", "Ed25519")
        self.assertEqual(flow["par"]["authorization_parameters"], ["client_id", "request_uri"])
        # enableNonRepudiationChecks: the id_token's signature checked against the JWKS.
        self.assertIn("/.well-known/jwks.json",
                      [urllib.parse.urlsplit(s["url"]).path for s in flow["sent"]])
        self.assertEqual(flow["userinfo"]["sub"], USER)

    def test_the_fapi_client_cannot_skip_par(self):
        """--require-par: the same client without a pushed request is sent back an error."""
        browser = Browser(self.base)
        self.addCleanup(browser.session.close)
        page = browser.get("/authorize", {
            "response_type": "code", "client_id": FAPI, "redirect_uri": REDIRECT_URI,
            "scope": "openid", "state": "s", "code_challenge": "x" * 43,
            "code_challenge_method": "S256"})
        self.assertEqual(page.status_code, 302, page.text[:300])
        _, params = Browser.redirect_params(page)
        self.assertEqual(params["error"], "invalid_request")


class WithServerNonces(ParPrivateKeyJwtDpopClients):
    """The same with TESSERA_DPOP_NONCE=1: both libraries take the nonce from the
    use_dpop_nonce answers at /par and /token (RFC 9449 section 8) and sign again with it."""

    ENV = {"TESSERA_DPOP_NONCE": "1"}
    answer = None  # its own run, not the parent class's


if __name__ == "__main__":
    unittest.main()
