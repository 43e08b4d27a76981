"""The Python client library (clients/python, issue 5) against the real server: the password
grant through "default" and through a public client that refreshes before expiry with
rotating refresh tokens, client_credentials with Basic and with the form, the retry on 401
after a revocation, the fallback when a refresh token is refused, and the server's errors;
with dpop (issue 15), DPoP-bound tokens of both grants and of a client that requires them,
sent with proofs that /users/me accepts, refused when the same token comes as Bearer.

Its unit tests against a fake server are clients/python/tests; this module runs them too,
so that `make test` covers both."""

import importlib.util
import os
import sys
import threading
import time
import unittest
import urllib.parse

import requests

import harness
from oauth_helpers import add_client, add_user, revoke

CLIENT_DIR = os.path.join(harness.SOURCE_DIR, "clients", "python")
sys.path.insert(0, CLIENT_DIR)
from tessera_client import DpopKey, TesseraClient, TesseraError  # noqa: E402

BOB, BOB_PASSWORD = "bob", "Bob-pass-12345"


def load_tests(loader, tests, pattern):
    """Adds the client's unit tests (loaded by path: their directory is no package)."""
    for name in ("test_client", "test_dpop_key", "test_device_flow"):
        spec = importlib.util.spec_from_file_location(
            "tessera_client_unit_" + name, os.path.join(CLIENT_DIR, "tests", name + ".py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        tests.addTests(loader.loadTestsFromModule(module))
    return tests


class RecordingSession(requests.Session):
    """A requests.Session that keeps (prepared request, response) of everything it sends."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        self.sent.append((request, response))
        return response

    def token_requests(self):
        """(form, Authorization header, response) of each token request."""
        return [(dict(urllib.parse.parse_qsl(req.body)), req.headers.get("Authorization"), r)
                for req, r in self.sent if req.method == "POST" and req.url.endswith("/token")]

    def grants(self):
        return [form["grant_type"] for form, _, _ in self.token_requests()]

    def statuses(self, path):
        return [r.status_code for req, r in self.sent
                if urllib.parse.urlsplit(req.url).path == path]


class _Setup(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, BOB, BOB_PASSWORD, scope="read write")
        cls.svc = add_client(cls.server, "svc", scope="read")
        cls.app = add_client(cls.server, "app", public=True, scope="read write")

    def client(self, url=None, **kwargs):
        """A TesseraClient for `url` (default: the issuer) and the session that records it."""
        session = RecordingSession()
        self.addCleanup(session.close)
        return TesseraClient(url or self.base, session=session, **kwargs), session

    def me(self, client):
        r = client.get(self.base + "/users/me")
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()


class PythonClient(_Setup):
    def test_password_grant_through_the_default_client_with_discovery(self):
        client, _ = self.client(username=harness.ADMIN_USER, password=harness.ADMIN_PASSWORD)
        claims = self.me(client)
        self.assertEqual((claims["sub"], claims["client_id"]), (harness.ADMIN_USER, "default"))
        self.assertEqual(client.token_url, self.base + "/token")

    def test_client_credentials_with_basic_and_with_the_form(self):
        for method in ("client_secret_basic", "client_secret_post"):
            with self.subTest(method):
                client, session = self.client(self.base + "/token", client_id=self.svc.id,
                                              client_secret=self.svc.secret, auth_method=method)
                claims = self.me(client)
                self.assertEqual((claims["sub"], claims["scope"]), (self.svc.id, "read"))
                (form, authorization, _), = session.token_requests()
                self.assertEqual(authorization is not None, method == "client_secret_basic")
                self.assertEqual("client_secret" in form, method == "client_secret_post")

    def test_a_revoked_access_token_is_replaced_on_the_first_401(self):
        client, session = self.client(client_id=self.svc.id, client_secret=self.svc.secret)
        revoked = client.access_token()
        self.assertEqual(revoke(self.base, self.svc, revoked).status_code, 200)
        self.assertEqual(self.me(client)["sub"], self.svc.id)
        self.assertEqual(session.statuses("/users/me"), [401, 200])
        self.assertNotEqual(client.access_token(), revoked)

    def test_a_revoked_refresh_token_falls_back_to_the_password_grant(self):
        client, session = self.client(client_id=self.app.id, username=BOB,
                                      password=BOB_PASSWORD)
        client.access_token()
        (_, _, answer), = session.token_requests()
        self.assertEqual(revoke(self.base, self.app, answer.json()["refresh_token"]).status_code,
                         200)
        client.invalidate()
        self.assertEqual(self.me(client)["sub"], BOB)
        self.assertEqual(session.grants(), ["password", "refresh_token", "password"])
        self.assertEqual(session.token_requests()[1][2].json()["error"], "invalid_grant")

    def test_threads_share_one_token(self):
        client, session = self.client(client_id=self.svc.id, client_secret=self.svc.secret)
        statuses = []
        threads = [threading.Thread(target=lambda: statuses.append(
            client.get(self.base + "/users/me").status_code)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(harness.HTTP_TIMEOUT)
        self.assertEqual(statuses, [200] * 8)
        self.assertEqual(session.grants(), ["client_credentials"])

    def test_the_servers_errors_arrive_as_tessera_errors(self):
        cases = [
            (dict(username=BOB, password="wrong"), "invalid_grant", 400),
            (dict(client_id=self.svc.id, client_secret="wrong"), "invalid_client", 401),
            (dict(client_id=self.svc.id, client_secret=self.svc.secret, scope="write"),
             "invalid_scope", 400),
        ]
        for kwargs, error, status in cases:
            with self.subTest(error):
                client, _ = self.client(**kwargs)
                with self.assertRaises(TesseraError) as caught:
                    client.access_token()
                self.assertEqual((caught.exception.error, caught.exception.status),
                                 (error, status))
                self.assertTrue(caught.exception.description)


class PythonClientRefresh(_Setup):
    SERVER_ENV = {"TESSERA_ACCESS_TOKEN_TTL": "2s"}

    def test_a_public_client_refreshes_before_expiry_with_rotating_refresh_tokens(self):
        client, session = self.client(self.base + "/token", client_id=self.app.id,
                                      username=BOB, password=BOB_PASSWORD, scope="read",
                                      refresh_margin=1)
        subjects = [self.me(client)["sub"]]
        for _ in range(2):
            time.sleep(1.2)  # past the margin, before the 2 s token expires
            subjects.append(self.me(client)["sub"])
        self.assertEqual(subjects, [BOB] * 3)
        self.assertEqual(session.grants(), ["password", "refresh_token", "refresh_token"])
        self.assertEqual(session.statuses("/users/me"), [200] * 3)  # renewed, not retried
        requests_ = session.token_requests()
        for (_, _, answer), (form, _, _) in zip(requests_, requests_[1:]):
            self.assertEqual(form["refresh_token"], answer.json()["refresh_token"])
            self.assertEqual(form["client_id"], self.app.id)


class PythonClientDpop(_Setup):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bound = add_client(cls.server, "bound", scope="read", require_dpop=True)

    def test_a_dpop_bound_client_credentials_token_works_at_users_me(self):
        key = DpopKey.generate()
        client, session = self.client(client_id=self.svc.id, client_secret=self.svc.secret,
                                      dpop=key)
        claims = self.me(client)
        self.assertEqual((claims["sub"], claims["cnf"]), (self.svc.id, {"jkt": key.thumbprint}))
        (_, _, answer), = session.token_requests()
        self.assertEqual(answer.json()["token_type"], "DPoP")
        self.assertEqual(client.token_type, "DPoP")
        me_request = [req for req, _ in session.sent if req.url.endswith("/users/me")][0]
        self.assertTrue(me_request.headers["Authorization"].startswith("DPoP "))
        self.assertIn("DPoP", me_request.headers)

    def test_the_same_token_sent_as_bearer_is_refused(self):
        client, _ = self.client(client_id=self.svc.id, client_secret=self.svc.secret, dpop=True)
        token = client.access_token()
        r = requests.get(self.base + "/users/me", headers={"Authorization": "Bearer " + token},
                         timeout=harness.HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 401, r.text)
        self.assertTrue(r.headers.get("WWW-Authenticate", "").startswith("DPoP "), r.headers)
        self.assertIn('error="invalid_token"', r.headers["WWW-Authenticate"])
        # and a proof cannot be sent twice: the client's next request makes a new one
        headers = client.auth_header("GET", self.base + "/users/me")
        statuses = [requests.get(self.base + "/users/me", headers=headers,
                                 timeout=harness.HTTP_TIMEOUT).status_code for _ in range(2)]
        self.assertEqual(statuses, [200, 401])
        self.assertEqual(self.me(client)["sub"], self.svc.id)

    def test_the_password_grant_with_an_eddsa_key(self):
        key = DpopKey.generate("EdDSA")
        client, _ = self.client(username=BOB, password=BOB_PASSWORD, dpop=key)
        claims = self.me(client)
        self.assertEqual((claims["sub"], claims["cnf"]["jkt"]), (BOB, key.thumbprint))

    def test_a_client_that_requires_dpop(self):
        bearer, _ = self.client(client_id=self.bound.id, client_secret=self.bound.secret)
        with self.assertRaises(TesseraError) as caught:
            bearer.access_token()
        self.assertEqual((caught.exception.error, caught.exception.status),
                         ("invalid_dpop_proof", 400))
        client, _ = self.client(client_id=self.bound.id, client_secret=self.bound.secret,
                                dpop=True)
        self.assertEqual(self.me(client)["sub"], self.bound.id)

    def test_a_public_client_refreshes_with_proofs_of_its_key(self):
        key = DpopKey.generate()
        client, session = self.client(client_id=self.app.id, username=BOB,
                                      password=BOB_PASSWORD, dpop=key,
                                      refresh_margin=86400)  # every token is due at once
        claims = [self.me(client) for _ in range(3)]
        self.assertEqual(session.grants(), ["password", "refresh_token", "refresh_token"])
        self.assertEqual({c["cnf"]["jkt"] for c in claims}, {key.thumbprint})
        self.assertEqual(len({c["sid"] for c in claims}), 1)  # one refresh family
        self.assertEqual(session.statuses("/users/me"), [200] * 3)

    def test_a_revoked_dpop_token_is_replaced_on_the_first_401(self):
        client, session = self.client(client_id=self.svc.id, client_secret=self.svc.secret,
                                      dpop=True)
        self.assertEqual(revoke(self.base, self.svc, client.access_token()).status_code, 200)
        self.assertEqual(self.me(client)["sub"], self.svc.id)
        self.assertEqual(session.statuses("/users/me"), [401, 200])

    def test_threads_each_send_their_own_proof(self):
        client, session = self.client(client_id=self.svc.id, client_secret=self.svc.secret,
                                      dpop=True)
        statuses = []
        threads = [threading.Thread(target=lambda: statuses.append(
            client.get(self.base + "/users/me").status_code)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(harness.HTTP_TIMEOUT)
        self.assertEqual(statuses, [200] * 8)
        self.assertEqual(session.grants(), ["client_credentials"])


if __name__ == "__main__":
    unittest.main()
