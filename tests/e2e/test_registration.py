"""Dynamic client registration (RFC 7591) and its management (RFC 7592: read, update with PUT,
delete), issue 17: off by default; with TESSERA_REGISTRATION=token an initial access token from
`tessera registration token create` is needed; with open anyone may register, within the
policy (grants, redirect URIs, scopes). A registered client signs in and gets tokens like any,
and may ask for the resources of TESSERA_REGISTRATION_RESOURCES (RFC 8707)."""

import json
import os
import subprocess
import unittest

import requests

import harness
from harness import HTTP_TIMEOUT
from browser_helpers import REDIRECT_URI, Browser, authorize_params, pkce_pair
from oauth_helpers import (add_client, add_user, assert_oauth_error, claims, client_credentials,
                           Client)

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
        self.assertEqual(read.json()["registration_access_token"], token)  # RFC 7592 section 3
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


# RFC 7592 section 2.2: members the server assigns, which an update must not carry.
SERVER_MEMBERS = ("registration_access_token", "registration_client_uri",
                  "client_secret_expires_at", "client_id_issued_at")
CLIENT_METADATA = ("client_id", "redirect_uris", "grant_types", "response_types",
                   "token_endpoint_auth_method", "client_name", "scope")
NEW_REDIRECT_URI = "https://app.example.test/new-callback"
CONFIDENTIAL_WEB_APP = {"redirect_uris": [REDIRECT_URI], "client_name": "Ledger",
                        "grant_types": ["authorization_code", "client_credentials"],
                        "scope": "finance:read"}
SERVICE = {"grant_types": ["client_credentials"], "scope": "finance:read"}


def metadata_of(client, **changes):
    """The metadata a client sends in an update: what the server answered it, with `changes`
    (None leaves a member out)."""
    body = {k: client[k] for k in CLIENT_METADATA if k in client}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def update(client, metadata, token=None, raw=None, content_type="application/json"):
    """PUT at the client's registration_client_uri, with its own registration access token
    unless `token` is given ("" sends none)."""
    token = client["registration_access_token"] if token is None else token
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = "Bearer " + token
    return requests.put(client["registration_client_uri"], headers=headers, timeout=HTTP_TIMEOUT,
                        data=raw if raw is not None else json.dumps(metadata))


def read(client):
    return requests.get(client["registration_client_uri"], timeout=HTTP_TIMEOUT,
                        headers={"Authorization": "Bearer " + client["registration_access_token"]})


def assert_invalid_token(testcase, response):
    """RFC 6750 section 3.1: the registration access token is not good for this client."""
    assert_error(testcase, response, 401, "invalid_token")
    challenge = response.headers.get("WWW-Authenticate", "")
    testcase.assertTrue(challenge.startswith("Bearer"), challenge)
    testcase.assertIn('error="invalid_token"', challenge)


class UpdateRegistration(harness.ServerTestCase):
    """RFC 7592 section 2.2: PUT with the registration access token replaces the client's
    metadata under the registration policy; whatever is refused changes nothing."""

    SERVER_ENV = {"TESSERA_REGISTRATION": "open",
                  "TESSERA_REGISTRATION_SCOPES": "finance:read reports:read"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, "pat", PASSWORD, scope="finance:read reports:read")

    def registered(self, metadata=WEB_APP):
        r = register(self.base, metadata)
        self.assertEqual(r.status_code, 201, r.text)
        return r.json()

    def assert_unchanged(self, client):
        r = read(client)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(metadata_of(r.json()), metadata_of(client))

    def sign_in_page(self, client_id, **extra):
        browser = Browser(self.base)
        self.addCleanup(browser.session.close)
        verifier, challenge = pkce_pair()
        page = browser.get("/authorize", authorize_params(client_id, challenge,
                                                          scope="finance:read", **extra))
        return browser, page, verifier

    def test_new_redirect_uris_and_name_replace_the_old_ones(self):
        client = self.registered()
        r = update(client, metadata_of(client, redirect_uris=[NEW_REDIRECT_URI],
                                       client_name="Notes Reloaded"))
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"), r.headers)
        self.assertEqual(r.headers["Cache-Control"], "no-store")  # it carries a credential
        body = r.json()
        self.assertEqual(body["redirect_uris"], [NEW_REDIRECT_URI])
        self.assertEqual(body["client_name"], "Notes Reloaded")
        for member in ("client_id", "registration_client_uri", "registration_access_token",
                       "grant_types", "response_types", "token_endpoint_auth_method", "scope"):
            self.assertEqual(body[member], client[member], member)
        self.assertNotIn("client_secret", body)
        read_back = read(client).json()
        self.assertEqual(metadata_of(read_back), metadata_of(body))
        self.assertEqual(read_back["registration_access_token"],
                         client["registration_access_token"])

        # The new URI is the client's: the user signs in, sees the new name on the consent
        # page, and the code goes there.
        browser, page, verifier = self.sign_in_page(client["client_id"],
                                                    redirect_uri=NEW_REDIRECT_URI)
        self.assertEqual(page.status_code, 200, page.text[:300])
        page = browser.submit(page, {"username": "pat", "password": PASSWORD})
        self.assertEqual(page.status_code, 200, page.text[:300])
        self.assertIn("Notes Reloaded", page.text)
        page = browser.submit(page, {"decision": "allow"})
        location, params = Browser.redirect_params(page)
        self.assertTrue(location.startswith(NEW_REDIRECT_URI + "?"), location)
        token = requests.post(self.base + "/token", timeout=HTTP_TIMEOUT, data={
            "grant_type": "authorization_code", "code": params["code"],
            "redirect_uri": NEW_REDIRECT_URI, "code_verifier": verifier,
            "client_id": client["client_id"]})
        self.assertEqual(token.status_code, 200, token.text)
        # The old one is not: an error page, never a redirect to it.
        _, old, _ = self.sign_in_page(client["client_id"])
        self.assertEqual(old.status_code, 400, old.text[:300])
        self.assertTrue(old.headers["Content-Type"].startswith("text/html"), old.headers)
        self.assertNotIn("Location", old.headers)

    def test_what_the_policy_refuses_changes_nothing(self):
        client = self.registered()
        cases = [
            (dict(scope="finance:read admin"), "invalid_client_metadata"),
            (dict(grant_types=["authorization_code", "password"]), "invalid_client_metadata"),
            (dict(grant_types=["client_credentials"], redirect_uris=[], response_types=[]),
             "invalid_client_metadata"),  # client_credentials is for confidential clients
            (dict(response_types=["token"]), "invalid_client_metadata"),
            (dict(redirect_uris=["http://app.example/cb"]), "invalid_redirect_uri"),
            (dict(redirect_uris=[NEW_REDIRECT_URI + "#frag"]), "invalid_redirect_uri"),
            (dict(redirect_uris=[]), "invalid_redirect_uri"),
            (dict(software_statement="eyJ.x.y"), "invalid_software_statement"),
        ]
        for changes, error in cases:
            with self.subTest(changes=changes):
                # Each alongside a change the policy allows, which must not happen either.
                metadata = metadata_of(client, client_name="Changed", **changes)
                assert_error(self, update(client, metadata), 400, error)
                self.assert_unchanged(client)
        _, page, _ = self.sign_in_page(client["client_id"])
        self.assertEqual(page.status_code, 200, page.text[:300])
        self.assertIn('name="password"', page.text)

    def test_the_body_names_the_client_itself(self):
        client, other = self.registered(), self.registered()
        for client_id in (None, other["client_id"], ""):
            with self.subTest(client_id=client_id):
                metadata = metadata_of(client, client_id=client_id, client_name="Changed")
                assert_error(self, update(client, metadata), 400, "invalid_request")
                self.assert_unchanged(client)
        self.assert_unchanged(other)

    def test_members_the_server_assigns_are_refused(self):
        client = self.registered(CONFIDENTIAL_WEB_APP)
        for member in SERVER_MEMBERS:
            with self.subTest(member=member):
                # Sent back as the registration answered them, as a careless client would.
                metadata = dict(metadata_of(client, client_name="Changed"),
                                **{member: client[member]})
                assert_error(self, update(client, metadata), 400, "invalid_request")
                self.assert_unchanged(client)

    def test_a_confidential_client_may_repeat_its_secret_and_no_other(self):
        client = self.registered(SERVICE)
        credentials = Client(client["client_id"], client["client_secret"])
        r = update(client, metadata_of(client, scope="reports:read",
                                       client_secret=client["client_secret"]))
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["scope"], "reports:read")
        token = client_credentials(self.base, credentials)
        self.assertEqual(token.status_code, 200, token.text)
        self.assertEqual(token.json()["scope"], "reports:read")

        wrong = update(client, metadata_of(client, scope="finance:read",
                                           client_secret=client["client_secret"] + "x"))
        assert_error(self, wrong, 400, "invalid_request")
        self.assertEqual(read(client).json()["scope"], "reports:read")
        # Without a secret the update goes through, and the secret stays the one issued.
        r = update(client, metadata_of(client, scope="finance:read"))
        self.assertEqual(r.status_code, 200, r.text)
        token = client_credentials(self.base, credentials)
        self.assertEqual(token.status_code, 200, token.text)
        self.assertEqual(token.json()["scope"], "finance:read")
        # The grants are replaced too: without client_credentials, the client gets no token.
        r = update(client, metadata_of(client, grant_types=["authorization_code"],
                                       response_types=["code"], redirect_uris=[REDIRECT_URI]))
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["grant_types"], ["authorization_code"])
        assert_oauth_error(self, client_credentials(self.base, credentials), 400,
                           "unauthorized_client")

    def test_the_authentication_method_cannot_change(self):
        public, confidential = self.registered(), self.registered(SERVICE)
        for client, method in ((public, "client_secret_basic"), (confidential, "none"),
                               (confidential, "client_secret_post")):
            with self.subTest(client=client["token_endpoint_auth_method"], to=method):
                metadata = metadata_of(client, token_endpoint_auth_method=method)
                assert_error(self, update(client, metadata), 400, "invalid_client_metadata")
                self.assert_unchanged(client)
        # Left out, it stays what it was.
        for client in (public, confidential):
            r = update(client, metadata_of(client, token_endpoint_auth_method=None))
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["token_endpoint_auth_method"],
                             client["token_endpoint_auth_method"])

    def test_a_deleted_client_cannot_be_updated(self):
        client = self.registered()
        auth = {"Authorization": "Bearer " + client["registration_access_token"]}
        deleted = requests.delete(client["registration_client_uri"], headers=auth,
                                  timeout=HTTP_TIMEOUT)
        self.assertEqual(deleted.status_code, 204, deleted.text)
        assert_invalid_token(self, update(client, metadata_of(client)))
        self.assertNotIn(client["client_id"], self.server.cli("client", "list").stdout)

    def test_only_the_clients_own_token_updates_it(self):
        client, other = self.registered(), self.registered()
        metadata = metadata_of(client, client_name="Changed")
        for token in (other["registration_access_token"], "", "not-a-token"):
            with self.subTest(token=token[:8]):
                assert_invalid_token(self, update(client, metadata, token=token))
                self.assert_unchanged(client)

    def test_a_body_that_is_not_json_is_415(self):
        client = self.registered()
        metadata = metadata_of(client, client_name="Changed")
        for content_type, raw in (
                ("application/x-www-form-urlencoded",
                 "client_id=%s&client_name=Changed" % client["client_id"]),
                ("text/plain", json.dumps(metadata))):
            with self.subTest(content_type=content_type):
                r = update(client, None, raw=raw, content_type=content_type)
                self.assertEqual(r.status_code, 415, r.text)
                self.assert_unchanged(client)
        # A parameter on the JSON media type is still JSON.
        r = update(client, metadata, content_type="application/json; charset=utf-8")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(read(client).json()["client_name"], "Changed")


LEDGER = "https://ledger.example/api"
VAULT = "https://vault.example"


class RegisteredClientsResources(harness.ServerTestCase):
    """TESSERA_REGISTRATION_RESOURCES: the RFC 8707 resources every registered client may ask
    for; any other is invalid_target."""

    SERVER_ENV = {"TESSERA_REGISTRATION": "open", "TESSERA_REGISTRATION_SCOPES": "finance:read",
                  "TESSERA_REGISTRATION_RESOURCES": LEDGER + " " + VAULT}

    def test_a_registered_client_gets_a_token_for_each_resource_and_no_other(self):
        r = register(self.base, SERVICE)
        self.assertEqual(r.status_code, 201, r.text)
        client = Client(r.json()["client_id"], r.json()["client_secret"])
        for resource in (LEDGER, VAULT):
            with self.subTest(resource=resource):
                token = client_credentials(self.base, client, resource=resource)
                self.assertEqual(token.status_code, 200, token.text)
                self.assertEqual(claims(token.json()["access_token"])["aud"], resource)
        for resource in ("https://elsewhere.example", LEDGER + "/", "ledger"):
            with self.subTest(resource=resource):
                assert_oauth_error(self, client_credentials(self.base, client,
                                                            resource=resource),
                                   400, "invalid_target")

    def test_a_client_added_by_the_administrator_does_not_get_them(self):
        added = add_client(self.server, "svc", scope="finance:read")
        assert_oauth_error(self, client_credentials(self.base, added, resource=LEDGER), 400,
                           "invalid_target")


class BadRegistrationResources(unittest.TestCase):
    def test_a_resource_that_is_not_an_absolute_uri_stops_the_start(self):
        for value in ("ledger", "/api", LEDGER + "#frag", VAULT + " ledger"):
            with self.subTest(value=value):
                workdir = harness.make_workdir()
                env = harness.clean_environment({
                    "TESSERA_LISTEN": "127.0.0.1:0",
                    "TESSERA_DATABASE": os.path.join(workdir, "t.db"),
                    "TESSERA_ADMIN_USERNAME": harness.ADMIN_USER,
                    "TESSERA_ADMIN_PASSWORD": harness.ADMIN_PASSWORD,
                    "TESSERA_REGISTRATION": "open",
                    "TESSERA_REGISTRATION_RESOURCES": value})
                try:
                    result = harness.run_cli(["serve"], env, timeout=10)
                except subprocess.TimeoutExpired:
                    self.fail("tessera serve started with TESSERA_REGISTRATION_RESOURCES=%r"
                              % value)
                self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
                self.assertNotIn("listening on", result.stdout)
                lines = result.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, result.stderr)
                self.assertIn("TESSERA_REGISTRATION_RESOURCES", lines[0])


if __name__ == "__main__":
    unittest.main()
