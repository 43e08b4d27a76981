"""TesseraClient against a fake Tessera in this process: an http.server thread that issues
numbered tokens (DPoP-bound when a proof comes), rotates refresh tokens and guards a
/resource. Time is a fake clock, so nothing sleeps to wait for expiry. The DPoP proofs are
checked with PyJWT (Debian's python3-jwt), which the library itself does not use.

    python3 -m unittest discover -s clients/python/tests
"""

import base64
import json
import os
import sys
import threading
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tessera_client import DpopKey, TesseraClient, TesseraError  # noqa: E402
from tessera_client.dpop import access_token_hash  # noqa: E402


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # the default 5 drops concurrent connects, costing a 1 s retry


class FakeTessera:
    """The fake server's state; tests set the knobs and read what was asked."""

    def __init__(self):
        self.expires_in = 60
        self.issue_refresh_tokens = True
        self.rotate_refresh_tokens = True  # False: a refresh answer has no new refresh token
        self.token_error = None       # (status, body) answered to every token request
        self.resource_401s = 0        # /resource refuses this many requests, valid or not
        self.token_delay = None       # an Event the token endpoint waits for, to make races
        self.token_requests = []      # (form, Authorization header) per token request
        self.token_proofs = []        # the DPoP header (or None) per token request
        self.bind_dpop = True         # False: a token request with a proof still gets bearer
        self.dpop_tokens = set()      # the tokens issued as DPoP-bound
        self.resource_requests = []   # (Authorization, DPoP) headers per resource request
        self.resource_hits = 0
        self.valid_tokens = set()
        self.refresh_tokens = set()   # the live ones: a used one is rotated away
        self.issued = 0
        self.lock = threading.Lock()
        self.httpd = _HTTPServer(("127.0.0.1", 0), _handler(self))
        self.base = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,),
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def grants(self):
        return [form["grant_type"] for form, _ in self.token_requests]

    def token(self, form, proof=None):
        """(status, body) for one token request; `proof` is its DPoP header."""
        if self.token_error:
            return self.token_error
        refreshing = form.get("grant_type") == "refresh_token"
        if refreshing:
            if form.get("refresh_token") not in self.refresh_tokens:
                return 400, {"error": "invalid_grant", "error_description": "unknown token"}
            if self.rotate_refresh_tokens:
                self.refresh_tokens.discard(form["refresh_token"])
        self.issued += 1
        bound = proof is not None and self.bind_dpop
        body = {"access_token": "at-%d" % self.issued, "token_type": "DPoP" if bound else "bearer",
                "scope": form.get("scope", "")}
        if bound:
            self.dpop_tokens.add(body["access_token"])
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        self.valid_tokens.add(body["access_token"])
        if self.issue_refresh_tokens and (self.rotate_refresh_tokens or not refreshing):
            body["refresh_token"] = "rt-%d" % self.issued
            self.refresh_tokens.add(body["refresh_token"])
        return 200, body


def _handler(fake):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body, content_type="application/json"):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Bearer error="invalid_token"')
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if self.path != "/oauth/token":
                return self.reply(404, {})
            if fake.token_delay is not None:
                fake.token_delay.wait(5)
            with fake.lock:
                fake.token_requests.append((form, self.headers.get("Authorization")))
                fake.token_proofs.append(self.headers.get("DPoP"))
                status, body = fake.token(form, self.headers.get("DPoP"))
            self.reply(status, body)

        def do_GET(self):
            if self.path == "/.well-known/oauth-authorization-server":
                return self.reply(200, {"issuer": fake.base,
                                        "token_endpoint": fake.base + "/oauth/token"})
            if self.path == "/.well-known/oauth-authorization-server/elsewhere":
                return self.reply(200, {"issuer": "http://elsewhere",
                                        "token_endpoint": fake.base + "/oauth/token"})
            scheme, _, token = self.headers.get("Authorization", "").partition(" ")
            proof = self.headers.get("DPoP")
            with fake.lock:
                fake.resource_hits += 1
                fake.resource_requests.append((self.headers.get("Authorization"), proof))
                # A DPoP-bound token only in the DPoP scheme with a proof, others as Bearer.
                bound = token in fake.dpop_tokens
                refused = (fake.resource_401s > 0 or token not in fake.valid_tokens
                           or scheme != ("DPoP" if bound else "Bearer")
                           or (bound and proof is None))
                fake.resource_401s = max(0, fake.resource_401s - 1)
            if urllib.parse.urlsplit(self.path).path == "/resource" and not refused:
                return self.reply(200, {"token": token})
            self.reply(401, {"detail": "no"})

    return Handler


class ClientTestCase(unittest.TestCase):
    def setUp(self):
        self.fake = FakeTessera()
        self.addCleanup(self.fake.close)
        self.clock = FakeClock()
        self.token_url = self.fake.base + "/oauth/token"

    def client(self, url=None, **kwargs):
        kwargs.setdefault("clock", self.clock)
        client = TesseraClient(url or self.token_url, **kwargs)
        self.addCleanup(client.close)
        return client

    def user(self, **kwargs):
        return self.client(username="alice", password="pw", **kwargs)

    def service(self, **kwargs):
        return self.client(client_id="svc", client_secret="s3cret", **kwargs)


class Grants(ClientTestCase):
    def test_client_credentials_authenticate_with_basic_by_default(self):
        self.assertEqual(self.service(scope="a b").access_token(), "at-1")
        form, authorization = self.fake.token_requests[0]
        self.assertEqual(form, {"grant_type": "client_credentials", "scope": "a b"})
        self.assertEqual(authorization, "Basic " + base64.b64encode(b"svc:s3cret").decode())

    def test_basic_credentials_are_form_urlencoded_first(self):
        self.client(client_id="a:b", client_secret="p&ss word").access_token()
        _, authorization = self.fake.token_requests[0]
        self.assertEqual(base64.b64decode(authorization.removeprefix("Basic ")),
                         b"a%3Ab:p%26ss+word")

    def test_client_secret_post_puts_the_credentials_in_the_form(self):
        self.service(auth_method="client_secret_post").access_token()
        form, authorization = self.fake.token_requests[0]
        self.assertEqual(form, {"grant_type": "client_credentials", "client_id": "svc",
                                "client_secret": "s3cret"})
        self.assertIsNone(authorization)

    def test_password_grant_without_a_client_uses_the_default_public_client(self):
        self.user().access_token()
        self.assertEqual(self.fake.token_requests[0],
                         ({"grant_type": "password", "username": "alice", "password": "pw",
                           "client_id": "default"}, None))

    def test_password_grant_with_a_confidential_client(self):
        self.user(client_id="web", client_secret="s").access_token()
        form, authorization = self.fake.token_requests[0]
        self.assertNotIn("client_id", form)
        self.assertTrue(authorization.startswith("Basic "))

    def test_discovery_finds_the_token_endpoint_from_the_issuer(self):
        client = self.service(url=self.fake.base + "/")
        self.assertEqual(client.access_token(), "at-1")
        self.assertEqual(client.token_url, self.token_url)

    def test_discovery_refuses_metadata_for_another_issuer(self):
        with self.assertRaises(TesseraError) as caught:
            self.service(url=self.fake.base + "/elsewhere").access_token()
        self.assertEqual(caught.exception.error, "invalid_response")
        self.assertIn("http://elsewhere", caught.exception.description)

    def test_incomplete_credentials_are_refused_at_once(self):
        for kwargs in ({}, {"username": "alice"}, {"client_id": "svc"},
                       {"client_id": "svc", "client_secret": "s", "auth_method": "basic"},
                       {"username": "alice", "password": "pw", "client_secret": "s"}):
            with self.subTest(kwargs=kwargs), self.assertRaises(ValueError):
                TesseraClient(self.token_url, **kwargs)


class Caching(ClientTestCase):
    def test_the_token_is_reused_until_the_margin_before_expiry(self):
        client = self.user(refresh_margin=30)
        self.assertEqual(client.access_token(), "at-1")
        self.clock.now += 29.9
        self.assertEqual(client.auth_header(), {"Authorization": "Bearer at-1"})
        self.assertEqual(self.fake.grants(), ["password"])
        self.clock.now += 0.1
        self.assertEqual(client.access_token(), "at-2")
        self.assertEqual(self.fake.grants(), ["password", "refresh_token"])

    def test_refresh_tokens_rotate_and_the_newest_is_used(self):
        client = self.user(refresh_margin=60)  # every token is due at once
        tokens = [client.access_token() for _ in range(4)]
        self.assertEqual(tokens, ["at-1", "at-2", "at-3", "at-4"])
        used = [form["refresh_token"] for form, _ in self.fake.token_requests[1:]]
        self.assertEqual(used, ["rt-1", "rt-2", "rt-3"])

    def test_a_refresh_answer_without_a_refresh_token_keeps_the_old_one(self):
        self.fake.rotate_refresh_tokens = False
        client = self.user(refresh_margin=60)
        for _ in range(3):
            client.access_token()
        used = [form.get("refresh_token") for form, _ in self.fake.token_requests]
        self.assertEqual(used, [None, "rt-1", "rt-1"])

    def test_without_refresh_tokens_the_original_grant_is_repeated(self):
        self.fake.issue_refresh_tokens = False
        client = self.service(refresh_margin=60)
        client.access_token()
        client.access_token()
        self.assertEqual(self.fake.grants(), ["client_credentials"] * 2)

    def test_a_refused_refresh_token_falls_back_to_the_original_grant(self):
        client = self.user(scope="read")
        client.access_token()
        self.fake.refresh_tokens.clear()  # revoked behind the client's back
        self.clock.now += 3600
        self.assertEqual(client.access_token(), "at-2")
        self.assertEqual(self.fake.grants(), ["password", "refresh_token", "password"])
        self.assertEqual(self.fake.token_requests[2][0]["scope"], "read")
        self.clock.now += 3600
        client.access_token()  # and the new refresh token is used again
        self.assertEqual(self.fake.token_requests[3][0],
                         {"grant_type": "refresh_token", "refresh_token": "rt-2",
                          "client_id": "default"})

    def test_other_refresh_errors_are_raised_not_papered_over(self):
        client = self.user()
        client.access_token()
        self.fake.token_error = (401, {"error": "invalid_client", "error_description": "gone"})
        self.clock.now += 3600
        with self.assertRaises(TesseraError) as caught:
            client.access_token()
        self.assertEqual(caught.exception.error, "invalid_client")
        self.assertEqual(self.fake.grants(), ["password", "refresh_token"])

    def test_a_token_without_expires_in_is_kept(self):
        self.fake.expires_in = None
        client = self.service()
        client.access_token()
        self.clock.now += 10 ** 9
        self.assertEqual(client.access_token(), "at-1")


class RetryOn401(ClientTestCase):
    def test_one_401_is_retried_with_a_renewed_token(self):
        client = self.user()
        self.fake.resource_401s = 1
        r = client.get(self.fake.base + "/resource")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json(), {"token": "at-2"})
        self.assertEqual(self.fake.resource_hits, 2)
        self.assertEqual(self.fake.grants(), ["password", "refresh_token"])

    def test_a_second_401_is_returned_not_retried(self):
        client = self.service()
        r = client.get(self.fake.base + "/always-401", headers={"X-Trace": "1"})
        self.assertEqual(r.status_code, 401)
        self.assertEqual(self.fake.resource_hits, 2)
        self.assertEqual(len(self.fake.token_requests), 2)

    def test_invalidating_a_stale_token_keeps_its_successor(self):
        client = self.user()
        client.invalidate(client.access_token())
        self.assertEqual(client.access_token(), "at-2")
        client.invalidate("at-1")  # a late caller that saw at-1 refused
        self.assertEqual(client.access_token(), "at-2")

    def test_the_callers_headers_are_kept(self):
        client = self.service()
        r = client.request("GET", self.fake.base + "/resource", headers={"Accept": "x/y"})
        self.assertEqual(r.json(), {"token": "at-1"})


class Errors(ClientTestCase):
    def test_an_oauth_error_carries_code_description_and_status(self):
        self.fake.token_error = (400, {"error": "invalid_grant",
                                       "error_description": "wrong user or password"})
        with self.assertRaises(TesseraError) as caught:
            self.user().access_token()
        e = caught.exception
        self.assertEqual((e.error, e.description, e.status),
                         ("invalid_grant", "wrong user or password", 400))
        self.assertIn("invalid_grant: wrong user or password", str(e))

    def test_a_body_that_is_not_oauth_json_is_invalid_response(self):
        for status, body in ((502, b"<html>bad gateway</html>"), (200, {"token": "x"}),
                             (200, {"access_token": "x", "expires_in": "soon"}),
                             (200, {"access_token": "x", "refresh_token": 7}),
                             (400, {"error": 42})):
            with self.subTest(status=status, body=body):
                self.fake.token_error = (status, body)
                with self.assertRaises(TesseraError) as caught:
                    self.service().access_token()
                self.assertEqual(caught.exception.error, "invalid_response")
                self.assertEqual(caught.exception.status, status)


class Threads(ClientTestCase):
    def run_threads(self, target, n=16):
        results, threads = [], []
        for _ in range(n):
            t = threading.Thread(target=lambda: results.append(target()))
            threads.append(t)
            t.start()
        return threads, results

    def test_concurrent_callers_share_one_token_request(self):
        client = self.user()
        self.fake.token_delay = threading.Event()
        threads, results = self.run_threads(client.access_token)
        self.fake.token_delay.set()
        for t in threads:
            t.join(10)
        self.assertEqual(results, ["at-1"] * 16)
        self.assertEqual(len(self.fake.token_requests), 1)

    def test_concurrent_401s_renew_the_token_once(self):
        client = self.user()
        client.access_token()
        self.fake.valid_tokens.clear()  # at-1 is refused from now on
        threads, results = self.run_threads(
            lambda: client.get(self.fake.base + "/resource").json())
        for t in threads:
            t.join(10)
        self.assertEqual(results, [{"token": "at-2"}] * 16)
        self.assertEqual(self.fake.grants(), ["password", "refresh_token"])


def verified_proof(testcase, proof):
    """(header, claims) of a DPoP proof after PyJWT checked its signature with its own jwk."""
    header = jwt.get_unverified_header(proof)
    testcase.assertEqual(header["typ"], "dpop+jwt")
    key = jwt.PyJWK(header["jwk"]).key
    claims = jwt.decode(proof, key, algorithms=[header["alg"]])
    return header, claims


class Dpop(ClientTestCase):
    def setUp(self):
        super().setUp()
        self.key = DpopKey.generate()

    def test_tokens_are_asked_with_a_proof_and_sent_in_the_dpop_scheme(self):
        client = self.service(dpop=self.key)
        r = client.get(self.fake.base + "/resource?page=2#top")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(client.token_type, "DPoP")
        (proof,) = self.fake.token_proofs
        header, claims = verified_proof(self, proof)
        self.assertEqual(header["jwk"], self.key.public_jwk)
        self.assertEqual((claims["htm"], claims["htu"]), ("POST", self.token_url))
        self.assertNotIn("ath", claims)
        ((authorization, proof),) = self.fake.resource_requests
        self.assertEqual(authorization, "DPoP at-1")
        _, claims = verified_proof(self, proof)
        self.assertEqual((claims["htm"], claims["htu"], claims["ath"]),
                         ("GET", self.fake.base + "/resource", access_token_hash("at-1")))

    def test_every_request_has_a_fresh_proof(self):
        client = self.service(dpop=self.key)
        for _ in range(3):
            self.assertEqual(client.get(self.fake.base + "/resource").status_code, 200)
        jtis = {verified_proof(self, proof)[1]["jti"] for _, proof in self.fake.resource_requests}
        self.assertEqual(len(jtis), 3)

    def test_refreshes_carry_proofs_of_the_same_key(self):
        client = self.user(dpop=self.key, refresh_margin=60)  # every token is due at once
        for _ in range(3):
            client.access_token()
        self.assertEqual(self.fake.grants(), ["password", "refresh_token", "refresh_token"])
        keys = [verified_proof(self, proof)[0]["jwk"] for proof in self.fake.token_proofs]
        self.assertEqual(keys, [self.key.public_jwk] * 3)

    def test_a_401_is_retried_with_a_new_token_and_a_new_proof(self):
        client = self.user(dpop=self.key)
        self.fake.resource_401s = 1
        r = client.get(self.fake.base + "/resource")
        self.assertEqual(r.json(), {"token": "at-2"})
        (_, first), (authorization, second) = self.fake.resource_requests
        self.assertEqual(authorization, "DPoP at-2")
        self.assertEqual(verified_proof(self, second)[1]["ath"], access_token_hash("at-2"))
        self.assertNotEqual(first, second)

    def test_a_token_the_server_did_not_bind_is_sent_as_bearer(self):
        self.fake.bind_dpop = False
        client = self.service(dpop=True)
        self.assertEqual(client.get(self.fake.base + "/resource").status_code, 200)
        self.assertEqual(client.token_type, "Bearer")
        self.assertEqual(self.fake.resource_requests, [("Bearer at-1", None)])
        self.assertIsNotNone(self.fake.token_proofs[0])

    def test_auth_header_of_a_dpop_token_needs_the_method_and_url(self):
        client = self.service(dpop=self.key)
        with self.assertRaises(ValueError):
            client.auth_header()
        headers = client.auth_header("get", self.fake.base + "/resource")
        self.assertEqual(headers["Authorization"], "DPoP at-1")
        _, claims = verified_proof(self, headers["DPoP"])
        self.assertEqual(claims["htm"], "GET")

    def test_without_dpop_nothing_changes(self):
        client = self.service()
        self.assertEqual(client.auth_header(), {"Authorization": "Bearer at-1"})
        self.assertEqual(client.token_type, "Bearer")
        self.assertIsNone(client.dpop_key)
        self.assertEqual(self.fake.token_proofs, [None])

    def test_dpop_true_makes_an_es256_key_and_other_values_are_refused(self):
        client = self.service(dpop=True)
        self.assertEqual(client.dpop_key.alg, "ES256")
        self.assertIsNot(client.dpop_key, self.service(dpop=True).dpop_key)
        self.assertIs(self.service(dpop=self.key).dpop_key, self.key)
        self.assertIsNone(self.service(dpop=False).dpop_key)
        with self.assertRaises(TypeError):
            self.service(dpop="ES256")


if __name__ == "__main__":
    unittest.main()
