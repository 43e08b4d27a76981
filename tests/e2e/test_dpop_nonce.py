"""DPoP server nonces (RFC 9449 section 8) against the real binary with TESSERA_DPOP_NONCE=1:
a proof without the server's nonce, or with one it did not make, is use_dpop_nonce with a
fresh nonce in the DPoP-Nonce header, at /token (400) and at /users/me (401); the retry with
that nonce succeeds; a second instance over the same database accepts the first one's nonce;
tokens without DPoP are unaffected (docs/reference.md, DPoP).
"""

import unittest

import requests

import harness
from dpop_helpers import DpopKey
from harness import HTTP_TIMEOUT
from oauth_helpers import add_client, add_user

USER = "nina"
PASSWORD = "Nina-pass-12345"


class DpopNonces(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server.start(env={"TESSERA_DPOP_NONCE": "1"})
        cls.addClassCleanup(cls.server.close)
        cls.base = cls.server.base
        add_user(cls.server, USER, PASSWORD)
        cls.app = add_client(cls.server, "app", public=True)
        cls.key = DpopKey("ES256")

    def password_grant(self, proof=None, base=None):
        headers = {"DPoP": proof} if proof else {}
        return requests.post((base or self.base) + "/token", headers=headers, timeout=HTTP_TIMEOUT,
                             data={"grant_type": "password", "username": USER,
                                   "password": PASSWORD, "client_id": "app"})

    def bound_token(self):
        refused = self.password_grant(self.key.proof("POST", self.base + "/token"))
        nonce = refused.headers["DPoP-Nonce"]
        answer = self.password_grant(self.key.proof("POST", self.base + "/token",
                                                    extra={"nonce": nonce}))
        self.assertEqual(answer.status_code, 200, answer.text)
        return answer

    def test_token_endpoint_asks_for_the_nonce_then_binds(self):
        refused = self.password_grant(self.key.proof("POST", self.base + "/token"))
        self.assertEqual(refused.status_code, 400, refused.text)
        self.assertEqual(refused.json()["error"], "use_dpop_nonce")
        nonce = refused.headers.get("DPoP-Nonce")
        self.assertTrue(nonce, refused.headers)
        answer = self.password_grant(self.key.proof("POST", self.base + "/token",
                                                    extra={"nonce": nonce}))
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual(answer.json()["token_type"], "DPoP")
        self.assertEqual(harness.unverified(answer.json()["access_token"])[1]["cnf"]["jkt"],
                         self.key.jkt)
        self.assertTrue(answer.headers.get("DPoP-Nonce"), "the next nonce comes with the answer")

    def test_a_nonce_the_server_did_not_make_is_refused(self):
        for forged in ("made-up", "A" * 50, ""):
            refused = self.password_grant(self.key.proof("POST", self.base + "/token",
                                                         extra={"nonce": forged}))
            self.assertEqual(refused.status_code, 400, (forged, refused.text))
            self.assertEqual(refused.json()["error"], "use_dpop_nonce", forged)
            self.assertTrue(refused.headers.get("DPoP-Nonce"))

    def test_the_resource_asks_for_the_nonce_too(self):
        token = self.bound_token().json()["access_token"]
        url = self.base + "/users/me"

        def get(proof):
            return requests.get(url, timeout=HTTP_TIMEOUT,
                                headers={"Authorization": "DPoP " + token, "DPoP": proof})

        refused = get(self.key.proof("GET", url, access_token=token))
        self.assertEqual(refused.status_code, 401, refused.text)
        self.assertIn('error="use_dpop_nonce"', refused.headers["WWW-Authenticate"])
        self.assertTrue(refused.headers["WWW-Authenticate"].startswith("DPoP "))
        nonce = refused.headers["DPoP-Nonce"]
        answer = get(self.key.proof("GET", url, access_token=token, extra={"nonce": nonce}))
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual(answer.json()["sub"], USER)

    def test_bearer_tokens_need_no_nonce(self):
        answer = self.password_grant()
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual(answer.json()["token_type"], "bearer")
        self.assertNotIn("DPoP-Nonce", answer.headers)

    def test_another_instance_over_the_same_database_accepts_the_nonce(self):
        other = harness.Server.start(env={"TESSERA_DPOP_NONCE": "1"}, workdir=self.server.workdir)
        self.addCleanup(other.close)
        nonce = self.password_grant(self.key.proof("POST", self.base + "/token")).headers[
            "DPoP-Nonce"]
        # The other instance has its own issuer (its own port): the proof names its URL.
        answer = self.password_grant(self.key.proof("POST", other.base + "/token",
                                                    extra={"nonce": nonce}), base=other.base)
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual(answer.json()["token_type"], "DPoP")


class NoncesOff(unittest.TestCase):
    """By default a proof needs no nonce, and one sent is ignored (the server made none)."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server.start()
        cls.addClassCleanup(cls.server.close)
        add_user(cls.server, USER, PASSWORD)
        add_client(cls.server, "app", public=True)

    def test_proofs_need_no_nonce(self):
        key = DpopKey("EdDSA")
        base = self.server.base
        for extra in ({}, {"nonce": "anything"}):
            answer = requests.post(base + "/token", timeout=HTTP_TIMEOUT,
                                   headers={"DPoP": key.proof("POST", base + "/token",
                                                              extra=extra)},
                                   data={"grant_type": "password", "username": USER,
                                         "password": PASSWORD, "client_id": "app"})
            self.assertEqual(answer.status_code, 200, (extra, answer.text))
            self.assertEqual(answer.json()["token_type"], "DPoP")
            self.assertNotIn("DPoP-Nonce", answer.headers)


if __name__ == "__main__":
    unittest.main()
