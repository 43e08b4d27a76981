"""Pushed authorization requests (RFC 9126) against the real binary: POST /par with the
client's authentication, /authorize with only client_id and request_uri, the request_uri used
once and by its own client, --require-par, and discovery (docs/reference.md, PAR).
"""

import unittest
import urllib.parse

import requests

import harness
from browser_helpers import REDIRECT_URI, Browser, authorize_params, pkce_pair
from dpop_helpers import DpopKey
from harness import HTTP_TIMEOUT

PASSWORD = "Par-pass-1234"
SECRET = "conf-secret-0123456789"


class ParServer(unittest.TestCase):
    """A server with a user, two public clients and a --require-par confidential one."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server.start()
        cls.addClassCleanup(cls.server.close)
        cls.base = cls.server.base
        cls.cli_ok("user", "add", "pat", "--password-stdin", input=PASSWORD + "\n")
        cls.cli_ok("client", "add", "web", "--public", "--redirect-uri", REDIRECT_URI,
                   "--skip-consent")
        cls.cli_ok("client", "add", "other", "--public", "--redirect-uri", REDIRECT_URI,
                   "--skip-consent")
        cls.cli_ok("client", "add", "conf", "--secret-stdin", "--redirect-uri", REDIRECT_URI,
                   "--skip-consent", "--require-par", input=SECRET + "\n")

    @classmethod
    def cli_ok(cls, *args, input=None):
        result = cls.server.cli(*args, input=input)
        if result.returncode != 0:
            raise AssertionError("tessera %s: %s" % (" ".join(args), result.stderr))
        return result

    def push(self, params, auth=None):
        return requests.post(self.base + "/par", data=params, auth=auth, timeout=HTTP_TIMEOUT)

    def browser(self):
        browser = Browser(self.base)
        self.addCleanup(browser.session.close)
        return browser

    def sign_in_with(self, browser, client, request_uri):
        """/authorize with the request_uri alone; the login form; returns the last answer."""
        page = browser.get("/authorize", {"client_id": client, "request_uri": request_uri})
        if page.status_code == 200 and 'name="password"' in page.text:
            page = browser.submit(page, {"username": "pat", "password": PASSWORD})
        return page


class PushedRequests(ParServer):
    def test_a_pushed_request_signs_in_with_only_its_request_uri(self):
        verifier, challenge = pkce_pair()
        pushed = self.push(authorize_params("web", challenge, "openid", state="par-state"))
        self.assertEqual(pushed.status_code, 201, pushed.text)
        self.assertEqual(pushed.headers["Cache-Control"], "no-store")
        body = pushed.json()
        self.assertTrue(body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:"))
        self.assertTrue(0 < body["expires_in"] <= 600)
        browser = self.browser()
        # A browser that changes nothing but can add parameters: the pushed ones count alone.
        page = browser.get("/authorize", {"client_id": "web", "request_uri": body["request_uri"],
                                          "state": "injected", "scope": "openid profile"})
        self.assertIn('name="password"', page.text)
        page = browser.submit(page, {"username": "pat", "password": PASSWORD})
        self.assertEqual(page.status_code, 303, page.text[:300])
        _, params = Browser.redirect_params(page)
        self.assertEqual(params["state"], "par-state")
        token = requests.post(self.base + "/token", timeout=HTTP_TIMEOUT, data={
            "grant_type": "authorization_code", "code": params["code"],
            "redirect_uri": REDIRECT_URI, "code_verifier": verifier, "client_id": "web"})
        self.assertEqual(token.status_code, 200, token.text)
        self.assertEqual(token.json()["scope"], "openid")
        # Used once: the same request_uri again is a page, never a redirect.
        again = browser.get("/authorize", {"client_id": "web", "request_uri": body["request_uri"]})
        self.assertEqual(again.status_code, 400)
        self.assertNotIn("Location", again.headers)

    def test_a_request_uri_is_its_clients_only_and_must_be_ours(self):
        _, challenge = pkce_pair()
        uri = self.push(authorize_params("web", challenge)).json()["request_uri"]
        browser = self.browser()
        for client, request_uri in (("other", uri), ("web", uri + "x"),
                                    ("web", "urn:ietf:params:oauth:request_uri:nope"),
                                    ("web", "https://attacker.test/request.jwt")):
            page = browser.get("/authorize", {"client_id": client, "request_uri": request_uri})
            self.assertEqual(page.status_code, 400, (client, request_uri))
            self.assertNotIn("Location", page.headers)
        # Still usable by its own client after those attempts.
        page = self.sign_in_with(browser, "web", uri)
        self.assertEqual(page.status_code, 303, page.text[:300])

    def test_par_validates_the_request_and_answers_in_json(self):
        _, challenge = pkce_pair()
        bad = [
            (dict(authorize_params("web", challenge), redirect_uri="https://evil.test/cb"), None),
            ({k: v for k, v in authorize_params("web", challenge).items()
              if k != "code_challenge"}, None),
            (dict(authorize_params("web", challenge), request_uri="urn:x"), None),
            (authorize_params("nobody", challenge), None),
            (authorize_params("conf", challenge), ("conf", "wrong-secret-000000000")),
        ]
        for params, auth in bad:
            answer = self.push(params, auth)
            self.assertIn(answer.status_code, (400, 401), answer.text)
            self.assertIn("error", answer.json())
            self.assertNotIn("request_uri", answer.json())

    def test_require_par_is_refused_for_a_client_that_cannot_sign_users_in(self):
        result = self.server.cli("client", "add", "svc-par", "--require-par")
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("--require-par", result.stderr)

    def test_require_par_refuses_a_request_through_the_browser(self):
        verifier, challenge = pkce_pair()
        browser = self.browser()
        page = browser.get("/authorize", authorize_params("conf", challenge, state="s"))
        self.assertEqual(page.status_code, 302)
        _, params = Browser.redirect_params(page)
        self.assertEqual(params["error"], "invalid_request")
        self.assertEqual(params["state"], "s")
        # Pushed with its secret (Basic), the same request goes through.
        pushed = self.push(authorize_params("conf", challenge), auth=("conf", SECRET))
        self.assertEqual(pushed.status_code, 201, pushed.text)
        page = self.sign_in_with(browser, "conf", pushed.json()["request_uri"])
        self.assertEqual(page.status_code, 303, page.text[:300])
        _, params = Browser.redirect_params(page)
        token = requests.post(self.base + "/token", timeout=HTTP_TIMEOUT, auth=("conf", SECRET),
                              data={"grant_type": "authorization_code", "code": params["code"],
                                    "redirect_uri": REDIRECT_URI, "code_verifier": verifier})
        self.assertEqual(token.status_code, 200, token.text)

    def test_discovery_names_the_endpoint(self):
        for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
            doc = requests.get(self.base + path, timeout=HTTP_TIMEOUT).json()
            self.assertEqual(doc["pushed_authorization_request_endpoint"], self.base + "/par")
            self.assertIs(doc["require_pushed_authorization_requests"], False)


class CodesBoundToADpopKey(ParServer):
    """RFC 9449 section 10: a code asked for with dpop_jkt at /authorize, or pushed to /par with
    a DPoP proof, is redeemed only with a proof by that key; the tokens are bound to it."""

    def setUp(self):
        self.key = DpopKey("ES256")

    def code_for(self, params, request_uri=None):
        browser = self.browser()
        if request_uri:
            page = self.sign_in_with(browser, "web", request_uri)
        else:
            page = browser.get("/authorize", params)
            page = browser.submit(page, {"username": "pat", "password": PASSWORD})
        self.assertEqual(page.status_code, 303, page.text[:300])
        return Browser.redirect_params(page)[1]["code"]

    def redeem(self, code, verifier, key=None):
        headers = {"DPoP": key.proof("POST", self.base + "/token")} if key else {}
        return requests.post(self.base + "/token", headers=headers, timeout=HTTP_TIMEOUT, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier, "client_id": "web"})

    def test_dpop_jkt_at_authorize_binds_the_code(self):
        for key, expected in ((None, 400), (DpopKey("EdDSA"), 400), (self.key, 200)):
            verifier, challenge = pkce_pair()
            params = dict(authorize_params("web", challenge), dpop_jkt=self.key.jkt)
            answer = self.redeem(self.code_for(params), verifier, key)
            self.assertEqual(answer.status_code, expected, (key and key.alg, answer.text))
            if expected == 200:
                self.assertEqual(answer.json()["token_type"], "DPoP")
                self.assertEqual(harness.unverified(answer.json()["access_token"])[1]["cnf"],
                                 {"jkt": self.key.jkt})
            else:
                self.assertEqual(answer.json()["error"], "invalid_grant")

    def test_a_malformed_dpop_jkt_is_refused(self):
        _, challenge = pkce_pair()
        answer = self.push(dict(authorize_params("web", challenge), dpop_jkt="short"))
        self.assertEqual(answer.status_code, 400, answer.text)
        self.assertEqual(answer.json()["error"], "invalid_request")

    def test_a_proof_at_par_binds_the_code(self):
        verifier, challenge = pkce_pair()
        pushed = requests.post(self.base + "/par", data=authorize_params("web", challenge),
                               headers={"DPoP": self.key.proof("POST", self.base + "/par")},
                               timeout=HTTP_TIMEOUT)
        self.assertEqual(pushed.status_code, 201, pushed.text)
        code = self.code_for(None, pushed.json()["request_uri"])
        refused = self.redeem(code, verifier, DpopKey("ES256"))
        self.assertEqual(refused.status_code, 400, refused.text)
        self.assertEqual(refused.json()["error"], "invalid_grant")
        # The refused attempt used the code up (codes are single-use): a fresh one, by the key.
        verifier, challenge = pkce_pair()
        pushed = requests.post(self.base + "/par", data=authorize_params("web", challenge),
                               headers={"DPoP": self.key.proof("POST", self.base + "/par")},
                               timeout=HTTP_TIMEOUT)
        code = self.code_for(None, pushed.json()["request_uri"])
        answer = self.redeem(code, verifier, self.key)
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual(answer.json()["token_type"], "DPoP")

    def test_par_refuses_a_bad_proof_or_a_dpop_jkt_of_another_key(self):
        _, challenge = pkce_pair()
        cases = {
            "proof for /token": (authorize_params("web", challenge),
                                 self.key.proof("POST", self.base + "/token")),
            "another key's dpop_jkt": (dict(authorize_params("web", challenge),
                                            dpop_jkt=DpopKey("EdDSA").jkt),
                                       self.key.proof("POST", self.base + "/par")),
        }
        for note, (params, proof) in cases.items():
            answer = requests.post(self.base + "/par", data=params, headers={"DPoP": proof},
                                   timeout=HTTP_TIMEOUT)
            self.assertEqual(answer.status_code, 400, (note, answer.text))
            self.assertEqual(answer.json()["error"], "invalid_dpop_proof", note)


if __name__ == "__main__":
    unittest.main()
