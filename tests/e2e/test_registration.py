"""Dynamic client registration (RFC 7591) and its management (RFC 7592, read and delete),
issue 17: off by default; with TESSERA_REGISTRATION=token an initial access token from
`tessera registration token create` is needed; with open anyone may register, within the
policy (grants, redirect URIs, scopes). A registered client signs in and gets tokens like any."""

import json
import unittest

import requests

import harness
from harness import HTTP_TIMEOUT
from browser_helpers import REDIRECT_URI, Browser, authorize_params, pkce_pair
from oauth_helpers import add_user, claims

PASSWORD = "Pat-pass-12345"


def register(base, metadata, token=None, raw=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    return requests.post(base + "/register", headers=headers, timeout=HTTP_TIMEOUT,
                         data=raw if raw is not None else json.dumps(metadata))


def assert_error(testcase, response, status, error):
    testcase.assertEqual(response.status_code, status, response.text)
    testcase.assertEqual(response.json()["error"], error, response.text)


WEB_APP = {"redirect_uris": [REDIRECT_URI], "client_name": "Notes",
           "token_endpoint_auth_method": "none", "grant_types": ["authorization_code",
                                                                 "refresh_token"],
           "scope": "openid finance:read"}


class RegistrationOff(harness.ServerTestCase):
    def test_there_is_no_endpoint_and_discovery_names_none(self):
        self.assertEqual(register(self.base, WEB_APP).status_code, 404)
        doc = requests.get(self.base + "/.well-known/oauth-authorization-server",
                           timeout=HTTP_TIMEOUT).json()
        self.assertNotIn("registration_endpoint", doc)


class OpenRegistration(harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_REGISTRATION": "open",
                  "TESSERA_REGISTRATION_SCOPES": "finance:read"}

    def test_a_public_client_registers_and_signs_a_user_in(self):
        add_user(self.server, "pat", PASSWORD, scope="finance:read")
        r = register(self.base, WEB_APP)
        self.assertEqual(r.status_code, 201, r.text)
        self.assertEqual(r.headers["Cache-Control"], "no-store")
        client = r.json()
        self.assertNotIn("client_secret", client)
        self.assertEqual(client["redirect_uris"], [REDIRECT_URI])
        self.assertEqual(client["token_endpoint_auth_method"], "none")
        self.assertEqual(client["scope"], "finance:read")
        self.assertEqual(client["registration_client_uri"],
                         self.base + "/register/" + client["client_id"])
        listed = self.server.cli("client", "list").stdout
        self.assertIn(client["client_id"], listed)
        self.assertIn("public,registered", listed)

        verifier, challenge = pkce_pair()
        browser = Browser(self.base)
        self.addCleanup(browser.session.close)
        page = browser.get("/authorize", authorize_params(client["client_id"], challenge,
                                                          scope="openid finance:read"))
        page = browser.submit(page, {"username": "pat", "password": PASSWORD})
        page = browser.submit(page, {"decision": "allow"})
        code = Browser.redirect_params(page)[1]["code"]
        token = requests.post(self.base + "/token", timeout=HTTP_TIMEOUT, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier, "client_id": client["client_id"]})
        self.assertEqual(token.status_code, 200, token.text)
        self.assertEqual(claims(token.json()["access_token"])["client_id"], client["client_id"])

    def test_a_confidential_client_gets_a_secret_that_works(self):
        r = register(self.base, {"grant_types": ["client_credentials"],
                                 "scope": "finance:read"})
        self.assertEqual(r.status_code, 201, r.text)
        client = r.json()
        self.assertEqual(client["token_endpoint_auth_method"], "client_secret_basic")
        self.assertEqual(client["client_secret_expires_at"], 0)
        token = requests.post(self.base + "/token", timeout=HTTP_TIMEOUT,
                              auth=(client["client_id"], client["client_secret"]),
                              data={"grant_type": "client_credentials"})
        self.assertEqual(token.status_code, 200, token.text)
        self.assertEqual(token.json()["scope"], "finance:read")

    def test_the_policy_refuses_what_it_does_not_allow(self):
        cases = [
            (dict(WEB_APP, redirect_uris=["https://app.example/cb#frag"]), "invalid_redirect_uri"),
            (dict(WEB_APP, redirect_uris=["http://app.example/cb"]), "invalid_redirect_uri"),
            (dict(WEB_APP, redirect_uris=[]), "invalid_redirect_uri"),
            (dict(WEB_APP, scope="openid admin"), "invalid_client_metadata"),
            (dict(WEB_APP, grant_types=["password"]), "invalid_client_metadata"),
            (dict(WEB_APP, grant_types=["client_credentials"], redirect_uris=[]),
             "invalid_client_metadata"),
            (dict(WEB_APP, token_endpoint_auth_method="private_key_jwt"),
             "invalid_client_metadata"),
            (dict(WEB_APP, response_types=["token"]), "invalid_client_metadata"),
            (dict(WEB_APP, software_statement="eyJ.x.y"), "invalid_software_statement"),
            (dict(WEB_APP, redirect_uris="https://app.example/cb"), "invalid_client_metadata"),
        ]
        for metadata, error in cases:
            with self.subTest(error=error, metadata=metadata):
                assert_error(self, register(self.base, metadata), 400, error)
        assert_error(self, register(self.base, None, raw="[1,2]"), 400,
                     "invalid_client_metadata")
        # Loopback redirect URIs of native apps, any port (RFC 8252 section 7.3), and
        # private-use schemes with a dot (section 7.1) are fine.
        for uri in ("http://127.0.0.1:53117/cb", "http://[::1]:9/cb", "com.example.notes:/cb"):
            with self.subTest(uri=uri):
                self.assertEqual(register(self.base, dict(WEB_APP, redirect_uris=[uri]))
                                 .status_code, 201)

    def test_the_registration_access_token_reads_and_deletes_and_then_is_dead(self):
        client = register(self.base, WEB_APP).json()
        uri, token = client["registration_client_uri"], client["registration_access_token"]
        auth = {"Authorization": "Bearer " + token}
        read = requests.get(uri, headers=auth, timeout=HTTP_TIMEOUT)
        self.assertEqual(read.status_code, 200, read.text)
        self.assertEqual(read.json()["client_id"], client["client_id"])
        self.assertNotIn("registration_access_token", read.json())
        other = register(self.base, WEB_APP).json()
        wrong = requests.get(other["registration_client_uri"], headers=auth, timeout=HTTP_TIMEOUT)
        self.assertEqual(wrong.status_code, 401)
        self.assertIn('error="invalid_token"', wrong.headers["WWW-Authenticate"])
        self.assertEqual(requests.delete(uri, headers=auth, timeout=HTTP_TIMEOUT).status_code, 204)
        for method in (requests.get, requests.delete):
            gone = method(uri, headers=auth, timeout=HTTP_TIMEOUT)
            self.assertEqual(gone.status_code, 401, gone.text)
        self.assertNotIn(client["client_id"], self.server.cli("client", "list").stdout)

    def test_discovery_names_the_endpoint(self):
        doc = requests.get(self.base + "/.well-known/openid-configuration",
                           timeout=HTTP_TIMEOUT).json()
        self.assertEqual(doc["registration_endpoint"], self.base + "/register")


class TokenRegistration(harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_REGISTRATION": "token"}

    def create_token(self, *extra):
        result = self.server.cli("registration", "token", "create", *extra)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.split("initial access token: ", 1)[1].split()[0]

    def test_without_or_with_a_wrong_token_registration_is_refused(self):
        for token in (None, "not-a-token"):
            with self.subTest(token=token):
                r = register(self.base, WEB_APP, token)
                assert_error(self, r, 401, "invalid_token")
                self.assertTrue(r.headers["WWW-Authenticate"].startswith("Bearer"))

    def test_a_token_with_max_uses_works_that_many_times(self):
        app = dict(WEB_APP, scope="openid")
        token = self.create_token("--max-uses", "2", "--expires", "1h")
        for _ in range(2):
            self.assertEqual(register(self.base, app, token).status_code, 201)
        assert_error(self, register(self.base, app, token), 401, "invalid_token")

    def test_bad_options_are_refused(self):
        for args in (("--max-uses", "0"), ("--expires", "soon"), ("--expires", "400d")):
            with self.subTest(args=args):
                result = self.server.cli("registration", "token", "create", *args)
                self.assertEqual(result.returncode, 1, result.stdout)


class RegistrationThrottle(harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_REGISTRATION": "open"}

    def test_one_address_registers_at_most_twenty_clients_an_hour(self):
        app = dict(WEB_APP, scope="openid")
        for i in range(20):
            self.assertEqual(register(self.base, app).status_code, 201, i)
        r = register(self.base, app)
        self.assertEqual(r.status_code, 429, r.text)
        self.assertIn("Retry-After", r.headers)


if __name__ == "__main__":
    unittest.main()
