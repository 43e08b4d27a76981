"""DPoP-bound tokens (RFC 9449 section 7, issue 15) at the Python resource-server example
(examples/python_resource_server/app.py): accepted with a proof for this request by their key,
refused as bearer tokens, and answered as build/finance-api answers (test_finance_api.py
FinanceApiDpop). The bound tokens come from a live Tessera: client_credentials with a proof."""

import http.client
import os
import subprocess
import sys
import time
import unittest
import urllib.parse

import jwt
import requests

import harness
from dpop_helpers import DpopKey, b64u
from finance_helpers import (KNOWN, PYTHON_APP_DIR, FinanceApi, PythonResourceServer,
                             add_finance_clients, dataset_records, finance_environment,
                             token_of)
from oauth_helpers import basic_authorization

sys.path.insert(0, os.path.join(harness.SOURCE_DIR, "clients", "python"))
import tessera_client  # noqa: E402

PATH = "/dart/finance/business/" + KNOWN


def bound_token(testcase, tessera, client, key):
    """A token bound to `key` (cnf.jkt), by client_credentials with a proof at /token."""
    r = requests.post(tessera.base + "/token", timeout=harness.HTTP_TIMEOUT,
                      data={"grant_type": "client_credentials"},
                      headers={"DPoP": key.proof("POST", tessera.base + "/token"),
                               "Authorization": basic_authorization(client.id, client.secret)})
    testcase.assertEqual(r.status_code, 200, r.text)
    testcase.assertEqual(r.json()["token_type"], "DPoP")
    token = r.json()["access_token"]
    testcase.assertEqual(harness.unverified(token)[1]["cnf"], {"jkt": key.jkt})
    return token


def named_alg(key, alg, claims):
    """A proof signed by `key` with its own algorithm whose header names `alg` instead."""
    signing_input = "%s.%s" % (harness.b64url({"typ": "dpop+jwt", "alg": alg, "jwk": key.jwk}),
                               harness.b64url(claims))
    signature = jwt.algorithms.get_default_algorithms()[key.alg].sign(signing_input.encode(),
                                                                       key.private)
    return signing_input + "." + b64u(signature)


def call(server, token, *proofs, path=PATH):
    """GET with `Authorization: DPoP <token>` and one DPoP header per proof: the response, or
    for two proofs and more (which requests cannot send) its status, challenge and body."""
    if len(proofs) <= 1:
        headers = {"Authorization": "DPoP " + token}
        headers.update({"DPoP": proof for proof in proofs})
        return requests.get(server.base + path, headers=headers, timeout=harness.HTTP_TIMEOUT)
    url = urllib.parse.urlsplit(server.base)  # requests cannot repeat a header
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=harness.HTTP_TIMEOUT)
    try:
        connection.putrequest("GET", path)
        connection.putheader("Authorization", "DPoP " + token)
        for proof in proofs:
            connection.putheader("DPoP", proof)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("WWW-Authenticate"), response.read()
    finally:
        connection.close()


class PythonResourceServerDpop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tessera = harness.Server.start()
        cls.addClassCleanup(cls.tessera.close)
        cls.clients = add_finance_clients(cls.tessera)
        cls.app = PythonResourceServer.start(cls.tessera.base)
        cls.addClassCleanup(cls.app.close)
        cls.key = DpopKey("ES256")
        cls.url = cls.app.base + PATH

    def setUp(self):
        self.token = bound_token(self, self.tessera, self.clients.reader, self.key)

    def assert_refused(self, r, error, note=""):
        """401, a DPoP challenge with this error, the proof algorithms and the resource's
        metadata (RFC 9728 section 5.1), a JSON error."""
        self.assertEqual(r.status_code, 401, "%s: %s" % (note, r.text))
        challenge = r.headers["WWW-Authenticate"]
        self.assertTrue(challenge.startswith('DPoP error="%s", ' % error), (note, challenge))
        self.assertTrue(challenge.endswith(
            ', algs="EdDSA Ed25519 ES256 RS256 PS256", resource_metadata="%s'
            '/.well-known/oauth-protected-resource"' % self.app.base), challenge)
        self.assertEqual(r.json()["error"], error, note)
        return r.json()["error_description"]

    def test_a_bound_token_with_its_proof_reads_the_records(self):
        for alg in ("ES256", "EdDSA", "RS256", "PS256"):
            with self.subTest(alg=alg):
                key = DpopKey(alg)
                token = bound_token(self, self.tessera, self.clients.reader, key)
                r = call(self.app, token, key.proof("GET", self.url, token))
                self.assertEqual(r.status_code, 200, r.text)
                self.assertEqual(r.json(), {"newCompanyFinance": dataset_records(KNOWN)})

    def test_what_the_proof_may_vary(self):
        token, key = self.token, self.key
        host = self.app.base[len("http://"):]
        ed25519 = DpopKey("EdDSA")
        ed_token = bound_token(self, self.tessera, self.clients.reader, ed25519)
        for token, proof, note in (
                # The htu's query and fragment are not compared; scheme and host are
                # compared in lower case; the request's query is not part of it either.
                (token, key.proof("GET", "HTTP://%s%s?x=1#f" % (host.upper(), PATH), token),
                 "htu with query, fragment and capitals"),
                (token, key.proof("GET", self.url, token, header={"typ": "application/dpop+jwt"}),
                 "typ application/dpop+jwt"),
                (token, key.proof("GET", self.url, token, iat=int(time.time()) - 50), "50 s old"),
                (ed_token, named_alg(ed25519, "Ed25519", ed25519.claims("GET", self.url, ed_token)),
                 "alg Ed25519 (RFC 9864)")):
            with self.subTest(note=note):
                r = call(self.app, token, proof)
                self.assertEqual(r.status_code, 200, r.text)
        r = call(self.app, self.token, key.proof("GET", self.url, self.token), path=PATH + "?a=b")
        self.assertEqual(r.status_code, 200, r.text)

    def test_a_bound_token_as_a_bearer_token_is_refused(self):
        r = self.app.get_company(KNOWN, self.token)
        self.assertIn("DPoP-bound", self.assert_refused(r, "invalid_token"))

    def test_a_stolen_bound_token_is_useless_without_its_key(self):
        token, key, url = self.token, self.key, self.url
        thief = DpopKey("ES256")
        now = int(time.time())
        for proof, note in (
                (thief.proof("GET", url, token), "another key"),
                (key.proof("GET", url, token, signer=thief), "signed by another key"),
                (key.proof("GET", url + "0", token), "another URL"),
                (key.proof("GET", url.replace("127.0.0.1", "localhost"), token), "another host"),
                (key.proof("GET", url.replace("http:", "https:"), token), "another scheme"),
                (key.proof("POST", url, token), "another method"),
                (key.proof("get", url, token), "the method in lower case"),
                (key.proof("GET", url, token + "x"), "another token"),
                (key.proof("GET", url), "no ath"),
                (key.proof("GET", url, token, iat=now - 120), "too old"),
                (key.proof("GET", url, token, iat=now + 60), "from the future"),
                (key.proof("GET", url, token, drop=("jti",)), "no jti"),
                (key.proof("GET", url, token, drop=("htu",)), "no htu"),
                (key.proof("GET", url, token, drop=("iat",)), "no iat"),
                (key.proof("GET", url, token, header={"typ": None}), "no typ"),
                (key.proof("GET", url, token, header={"typ": "JWT"}), "typ JWT"),
                (key.proof("GET", url, token, header={"jwk": key.private_jwk}), "a private jwk"),
                (key.proof("GET", url, token, header={"jwk": None}), "no jwk"),
                (key.proof("GET", url, token, header={"jku": "https://x.example/jwks"}), "jku"),
                (named_alg(key, "ES384", key.claims("GET", url, token)), "alg ES384"),
                (named_alg(key, "HS256", key.claims("GET", url, token)), "alg HS256"),
                (named_alg(key, "none", key.claims("GET", url, token)), "alg none"),
                (named_alg(key, "EdDSA", key.claims("GET", url, token)), "EdDSA, a P-256 jwk"),
                (key.proof("GET", url, token).rsplit(".", 1)[0] + ".", "no signature"),
                ("garbage", "not a JWS")):
            with self.subTest(note=note):
                self.assertEqual(
                    self.assert_refused(call(self.app, token, proof), "invalid_dpop_proof", note),
                    "the DPoP proof is not valid for this request")
        # An unsigned proof: alg none, with no signature at all.
        unsigned = harness.b64url({"typ": "dpop+jwt", "alg": "none", "jwk": key.jwk}) + "." + \
            harness.b64url(key.claims("GET", url, token)) + "."
        self.assert_refused(call(self.app, token, unsigned), "invalid_dpop_proof")
        # The token was never refused for itself: with a good proof it still works.
        self.assertEqual(call(self.app, token, key.proof("GET", url, token)).status_code, 200)

    def test_the_host_header_does_not_move_the_origin(self):
        # Without FINANCE_PUBLIC_URL the origin is the address uvicorn took the request on.
        headers = {"Authorization": "DPoP " + self.token, "Host": "elsewhere.example",
                   "DPoP": self.key.proof("GET", "http://elsewhere.example" + PATH, self.token)}
        self.assert_refused(requests.get(self.url, headers=headers, timeout=harness.HTTP_TIMEOUT),
                            "invalid_dpop_proof")

    def test_exactly_one_proof_is_required(self):
        self.assertIn("one DPoP proof", self.assert_refused(call(self.app, self.token),
                                                            "invalid_dpop_proof"))
        proof = self.key.proof("GET", self.url, self.token)
        status, challenge, _ = call(self.app, self.token, proof,
                                    self.key.proof("GET", self.url, self.token))
        self.assertEqual(status, 401)
        self.assertTrue(challenge.startswith('DPoP error="invalid_dpop_proof"'), challenge)
        self.assertEqual(call(self.app, self.token, proof).status_code, 200)

    def test_a_replayed_proof_is_refused(self):
        once = self.key.proof("GET", self.url, self.token)
        self.assertEqual(call(self.app, self.token, once).status_code, 200)
        self.assertEqual(self.assert_refused(call(self.app, self.token, once),
                                             "invalid_dpop_proof"),
                         "the DPoP proof was used before")
        # The jti is the key's: another key's proof may reuse it.
        other = DpopKey("EdDSA")
        token = bound_token(self, self.tessera, self.clients.reader, other)
        jti = harness.unverified(once)[1]["jti"]
        r = call(self.app, token, other.proof("GET", self.url, token, jti=jti))
        self.assertEqual(r.status_code, 200, r.text)

    def test_a_refused_proof_is_not_remembered(self):
        jti = "not-yet-used-%d" % time.monotonic_ns()
        self.assert_refused(call(self.app, self.token,
                                 self.key.proof("POST", self.url, self.token, jti=jti)),
                            "invalid_dpop_proof")
        r = call(self.app, self.token, self.key.proof("GET", self.url, self.token, jti=jti))
        self.assertEqual(r.status_code, 200, r.text)

    def test_an_unbound_token_with_the_dpop_scheme_is_refused(self):
        bearer = token_of(self, self.tessera, self.clients.reader)
        r = call(self.app, bearer, self.key.proof("GET", self.url, bearer))
        self.assertEqual(self.assert_refused(r, "invalid_token"), "the token is not DPoP-bound")
        # ... and it is still a good bearer token.
        self.assertEqual(self.app.get_company(KNOWN, bearer).status_code, 200)

    def test_a_bad_token_with_the_dpop_scheme_is_invalid_token(self):
        for token in ("garbage", self.token[:-4] + ("AAAA" if not self.token.endswith("AAAA")
                                                    else "BBBB")):
            with self.subTest(token=token[-8:]):
                r = call(self.app, token, self.key.proof("GET", self.url, token))
                self.assert_refused(r, "invalid_token")

    def test_a_bound_token_without_finance_read_is_403_in_dpop_terms(self):
        token = bound_token(self, self.tessera, self.clients.other_scope, self.key)
        r = call(self.app, token, self.key.proof("GET", self.url, token))
        self.assertEqual(r.status_code, 403, r.text)
        self.assertEqual(r.headers["WWW-Authenticate"],
                         'DPoP error="insufficient_scope", error_description="the token lacks '
                         'the scope this needs", scope="finance:read", '
                         'algs="EdDSA Ed25519 ES256 RS256 PS256"')

    def test_the_python_client_library_calls_it_with_dpop(self):
        client = tessera_client.TesseraClient(
            self.tessera.base, client_id=self.clients.reader.id,
            client_secret=self.clients.reader.secret, scope="finance:read",
            dpop=tessera_client.DpopKey.generate("EdDSA"))
        self.addCleanup(client.close)
        for _ in range(2):  # a fresh proof each time
            r = client.get(self.url)
            self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(client.token_type, "DPoP")

    def test_answers_as_the_cpp_finance_api_does(self):
        api = FinanceApi.start(self.tessera.base)
        self.addCleanup(api.close)
        key, token = self.key, self.token
        bearer = token_of(self, self.tessera, self.clients.reader)
        other_scope = bound_token(self, self.tessera, self.clients.other_scope, key)
        cases = (  # (token, proof for a URL, scheme) for each server
            ("good proof", token, lambda url: key.proof("GET", url, token), "DPoP"),
            ("as bearer", token, None, "Bearer"),
            ("no proof", token, None, "DPoP"),
            ("another method", token, lambda url: key.proof("POST", url, token), "DPoP"),
            ("another key", token, lambda url: DpopKey("ES256").proof("GET", url, token), "DPoP"),
            ("no ath", token, lambda url: key.proof("GET", url), "DPoP"),
            ("unbound token", bearer, lambda url: key.proof("GET", url, bearer), "DPoP"),
            ("no scope", other_scope, lambda url: key.proof("GET", url, other_scope), "DPoP"),
            ("replayed", token, lambda url: key.proof("GET", url, token, jti="once"), "DPoP"))
        for note, tok, proof_for, scheme in cases:
            with self.subTest(note=note):
                answers = []
                for server in (api, self.app):
                    headers = {"Authorization": "%s %s" % (scheme, tok)}
                    if proof_for:
                        headers["DPoP"] = proof_for(server.base + PATH)
                    if note == "replayed":
                        requests.get(server.base + PATH, headers=headers,
                                     timeout=harness.HTTP_TIMEOUT)
                    r = requests.get(server.base + PATH, headers=headers,
                                     timeout=harness.HTTP_TIMEOUT)
                    # Each names its own resource metadata: its own base URL.
                    answers.append((r.status_code, r.json(), r.headers.get(
                        "WWW-Authenticate", "").replace(server.base, "BASE")))
                self.assertEqual(answers[1], answers[0])


class PublicUrl(unittest.TestCase):
    """FINANCE_PUBLIC_URL: the origin proofs must name when clients reach the service by
    another address (a proxy, a name) than the one uvicorn listens on."""

    @classmethod
    def setUpClass(cls):
        cls.tessera = harness.Server.start()
        cls.addClassCleanup(cls.tessera.close)
        cls.reader = add_finance_clients(cls.tessera).reader

    def test_proofs_name_the_public_url_not_the_address_bound(self):
        app = PythonResourceServer.start(self.tessera.base,
                                         FINANCE_PUBLIC_URL="https://Finance.example.com/")
        self.addCleanup(app.close)
        key = DpopKey("ES256")
        token = bound_token(self, self.tessera, self.reader, key)
        for htu in ("https://finance.example.com" + PATH,
                    "https://FINANCE.example.com:443%s?x=1" % PATH):
            with self.subTest(htu=htu):
                r = call(app, token, key.proof("GET", htu, token))
                self.assertEqual(r.status_code, 200, r.text)
        for htu in (app.base + PATH, "http://finance.example.com" + PATH,
                    "https://finance.example.com:8443" + PATH):
            with self.subTest(htu=htu):
                r = call(app, token, key.proof("GET", htu, token))
                self.assertEqual(r.status_code, 401, r.text)
                self.assertEqual(r.json()["error"], "invalid_dpop_proof")

    def test_a_public_url_that_is_not_http_stops_the_start(self):
        r = subprocess.run(["/usr/bin/python3", "-m", "uvicorn", "app:app", "--port", "0"],
                           env=finance_environment({"FINANCE_ISSUER": self.tessera.base,
                                                    "FINANCE_PUBLIC_URL": "finance.example.com"}),
                           cwd=PYTHON_APP_DIR, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr.strip().splitlines()[-1],
                         "FINANCE_PUBLIC_URL: expected http(s)://HOST[:PORT], not "
                         "'finance.example.com'")


if __name__ == "__main__":
    unittest.main()
