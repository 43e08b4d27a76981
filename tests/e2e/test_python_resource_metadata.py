"""RFC 9728 at the Python resource-server example (examples/python_resource_server/app.py), as
test_finance_resource_metadata.py checks it at build/finance-api: GET
/.well-known/oauth-protected-resource names the API's resource URL and Tessera as its
authorization server, every 401 (Bearer or DPoP) points at that document with
resource_metadata in WWW-Authenticate (section 5.1), and a token whose "aud" is the resource URL
is as good as one for FINANCE_AUDIENCE (RFC 8707). Tessera cannot issue for resource=<URL>
yet, so those tokens come from clients added with --audience <URL>."""

import subprocess
import unittest

import requests

import harness
from harness import HTTP_TIMEOUT
from dpop_helpers import DpopKey
from finance_helpers import (KNOWN, PYTHON_APP_DIR, FinanceApi, PythonResourceServer,
                             add_finance_clients, assert_challenge, dataset_records,
                             finance_environment, token_of)
from oauth_helpers import add_client
from test_python_resource_server_dpop import bound_token, call

METADATA_PATH = "/.well-known/oauth-protected-resource"
PATH = "/dart/finance/business/" + KNOWN
DPOP_ALGS = ["EdDSA", "Ed25519", "ES256", "RS256", "PS256"]


def named_metadata(testcase, response):
    """The URL a 401's challenge names as resource_metadata, its last parameter."""
    challenge = response.headers.get("WWW-Authenticate", "")
    head, marker, rest = challenge.partition('resource_metadata="')
    testcase.assertTrue(marker, challenge)
    testcase.assertTrue(rest.endswith('"') and '"' not in rest[:-1], challenge)
    testcase.assertTrue(head.endswith(", ") or head in ("Bearer ", "DPoP "), challenge)
    return rest[:-1]


def metadata(base, suffix="", **headers):
    return requests.get(base + METADATA_PATH + suffix, headers=headers, timeout=HTTP_TIMEOUT)


class PythonResourceMetadata(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tessera = harness.Server.start()
        cls.addClassCleanup(cls.tessera.close)
        cls.clients = add_finance_clients(cls.tessera)
        cls.app = PythonResourceServer.start(cls.tessera.base)
        cls.addClassCleanup(cls.app.close)
        cls.metadata_url = cls.app.base + METADATA_PATH

    def token(self, client):
        return token_of(self, self.tessera, client)

    def test_the_document_names_the_resource_tessera_and_the_scope(self):
        r = metadata(self.app.base)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        self.assertEqual(r.headers["Cache-Control"], "max-age=300")
        self.assertEqual(r.json(), {"resource": self.app.base,
                                    "authorization_servers": [self.tessera.base],
                                    "scopes_supported": ["finance:read"],
                                    "bearer_methods_supported": ["header"],
                                    "dpop_signing_alg_values_supported": DPOP_ALGS})
        # The authorization server it names is Tessera, by its own metadata (RFC 8414).
        issuer = r.json()["authorization_servers"][0]
        server = requests.get(issuer + "/.well-known/oauth-authorization-server",
                              timeout=HTTP_TIMEOUT)
        self.assertEqual(server.status_code, 200, server.text)
        self.assertEqual(server.json()["issuer"], self.tessera.base)
        self.assertEqual(server.json()["token_endpoint"], self.tessera.base + "/token")
        self.assertIn("client_credentials", server.json()["grant_types_supported"])
        keys = requests.get(server.json()["jwks_uri"], timeout=HTTP_TIMEOUT).json()["keys"]
        self.assertTrue(keys)

    def test_the_document_is_the_cpp_finance_apis_but_for_the_resource(self):
        api = FinanceApi.start(self.tessera.base)
        self.addCleanup(api.close)
        theirs, ours = metadata(api.base).json(), metadata(self.app.base).json()
        self.assertEqual(theirs.pop("resource"), api.base)
        self.assertEqual(ours.pop("resource"), self.app.base)
        self.assertEqual(ours, theirs)

    def test_only_the_well_known_path_answers(self):
        for suffix in ("/", "/dart", "x"):
            with self.subTest(suffix=suffix):
                self.assertEqual(metadata(self.app.base, suffix).status_code, 404)

    def test_every_401_points_at_the_document_which_names_this_api(self):
        key = DpopKey("ES256")
        bound = bound_token(self, self.tessera, self.clients.reader, key)
        url = self.app.base + PATH
        refusals = (
            ("no token", self.app.get_company(KNOWN), "Bearer", None),
            ("Basic", self.app.get(PATH, headers={"Authorization": "Basic eDp5"}), "Bearer",
             None),
            ("garbage", self.app.get_company(KNOWN, "garbage"), "Bearer", "invalid_token"),
            ("another audience", self.app.get_company(KNOWN, self.token(
                self.clients.other_audience)), "Bearer", "invalid_token"),
            ("bound as bearer", self.app.get_company(KNOWN, bound), "DPoP", "invalid_token"),
            ("no proof", call(self.app, bound), "DPoP", "invalid_dpop_proof"),
            ("another method", call(self.app, bound, key.proof("POST", url, bound)), "DPoP",
             "invalid_dpop_proof"))
        for note, r, scheme, error in refusals:
            with self.subTest(note=note):
                self.assertEqual(r.status_code, 401, r.text)
                challenge = r.headers["WWW-Authenticate"]
                if error is None:
                    self.assertEqual(challenge, 'Bearer resource_metadata="%s"'
                                     % self.metadata_url)
                    assert_challenge(self, r, 401, None)
                else:
                    self.assertTrue(challenge.startswith('%s error="%s", error_description="'
                                                         % (scheme, error)), challenge)
                    self.assertEqual(r.json()["error"], error)
                self.assertEqual(named_metadata(self, r), self.metadata_url)
        followed = requests.get(named_metadata(self, refusals[0][1]), timeout=HTTP_TIMEOUT)
        self.assertEqual(followed.status_code, 200, followed.text)
        self.assertEqual(followed.json()["resource"], self.app.base)

    def test_a_403_does_not_point_at_the_document(self):
        r = self.app.get_company(KNOWN, self.token(self.clients.other_scope))
        challenge = assert_challenge(self, r, 403, "insufficient_scope")
        self.assertNotIn("resource_metadata", challenge)

    def test_a_token_for_the_resource_url_is_accepted(self):
        for_url = add_client(self.tessera, "url-reader", scope="finance:read",
                             audience=self.app.base)
        token = self.token(for_url)
        self.assertEqual(harness.unverified(token)[1]["aud"], self.app.base)
        r = self.app.get_company(KNOWN, token)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"newCompanyFinance": dataset_records(KNOWN)})
        # ... DPoP-bound too.
        key = DpopKey("EdDSA")
        bound = bound_token(self, self.tessera, for_url, key)
        r = call(self.app, bound, key.proof("GET", self.app.base + PATH, bound))
        self.assertEqual(r.status_code, 200, r.text)
        # The configured audience is still taken.
        self.assertEqual(self.app.get_company(KNOWN, self.token(self.clients.reader))
                         .status_code, 200)

    def test_a_token_for_another_audience_is_still_invalid_token(self):
        port = self.app.base.rsplit(":", 1)[1]
        for number, audience in enumerate((
                "other-api", self.app.base + "/", self.app.base + "/other",
                "http://localhost:" + port, "https://127.0.0.1:" + port,
                self.tessera.base)):
            with self.subTest(audience=audience):
                client = add_client(self.tessera, "elsewhere-%d" % number, scope="finance:read",
                                    audience=audience)
                r = self.app.get_company(KNOWN, self.token(client))
                assert_challenge(self, r, 401, "invalid_token")
                self.assertEqual(r.json()["error_description"],
                                 "the token is not meant for this service")

    def test_the_host_header_moves_neither_the_resource_nor_the_audience(self):
        r = metadata(self.app.base, Host="elsewhere.example")
        self.assertEqual(r.json()["resource"], self.app.base)
        claimed = add_client(self.tessera, "host-reader", scope="finance:read",
                             audience="http://elsewhere.example")
        r = self.app.get(PATH, headers={"Authorization": "Bearer " + self.token(claimed),
                                        "Host": "elsewhere.example"})
        assert_challenge(self, r, 401, "invalid_token")
        self.assertEqual(named_metadata(self, r), self.metadata_url)


class ResourceSetting(unittest.TestCase):
    """FINANCE_RESOURCE, and FINANCE_PUBLIC_URL as its default."""

    @classmethod
    def setUpClass(cls):
        cls.tessera = harness.Server.start()
        cls.addClassCleanup(cls.tessera.close)
        cls.clients = add_finance_clients(cls.tessera)

    def start(self, **env):
        app = PythonResourceServer.start(self.tessera.base, **env)
        self.addCleanup(app.close)
        return app

    def status_for(self, app, audience):
        client = add_client(self.tessera, "for-%d" % abs(hash((app.base, audience))),
                            scope="finance:read", audience=audience)
        return app.get_company(KNOWN, token_of(self, self.tessera, client)).status_code

    def test_finance_resource_names_the_resource_and_takes_its_tokens(self):
        app = self.start(FINANCE_RESOURCE="https://finance.example.com/")
        doc = metadata(app.base).json()
        self.assertEqual(doc["resource"], "https://finance.example.com")
        self.assertEqual(doc["authorization_servers"], [self.tessera.base])
        self.assertEqual(named_metadata(self, app.get_company(KNOWN)),
                         "https://finance.example.com" + METADATA_PATH)
        self.assertEqual(self.status_for(app, "https://finance.example.com"), 200)
        self.assertEqual(self.status_for(app, "finance-api"), 200)
        # The address it listens on is no longer its resource URL.
        self.assertEqual(self.status_for(app, app.base), 401)

    def test_a_resource_url_with_a_path_puts_the_well_known_path_first(self):
        app = self.start(FINANCE_RESOURCE="https://api.example.com/finance")
        self.assertEqual(named_metadata(self, app.get_company(KNOWN)),
                         "https://api.example.com/.well-known/oauth-protected-resource/finance")
        for suffix in ("/finance", ""):
            with self.subTest(suffix=suffix):
                r = metadata(app.base, suffix)
                self.assertEqual(r.status_code, 200, r.text)
                self.assertEqual(r.json()["resource"], "https://api.example.com/finance")
        self.assertEqual(metadata(app.base, "/other").status_code, 404)
        self.assertEqual(self.status_for(app, "https://api.example.com/finance"), 200)
        self.assertEqual(self.status_for(app, "https://api.example.com"), 401)

    def test_the_public_url_is_the_default_resource(self):
        app = self.start(FINANCE_PUBLIC_URL="https://public.example.com")
        self.assertEqual(metadata(app.base).json()["resource"], "https://public.example.com")
        self.assertEqual(named_metadata(self, app.get_company(KNOWN)),
                         "https://public.example.com" + METADATA_PATH)
        self.assertEqual(self.status_for(app, "https://public.example.com"), 200)

    def test_a_resource_that_is_no_http_url_stops_the_start(self):
        for value in ("finance.example.com", 'https://x.example/a"b', "https://x.example/#top",
                      "https://x.example/?q=1",
                      "https:// x.example", "https://"):
            with self.subTest(value=value):
                r = subprocess.run(
                    ["/usr/bin/python3", "-m", "uvicorn", "app:app", "--port", "0"],
                    env=finance_environment({"FINANCE_ISSUER": self.tessera.base,
                                             "FINANCE_RESOURCE": value}),
                    cwd=PYTHON_APP_DIR, capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertTrue(r.stderr.strip().splitlines()[-1].startswith(
                    "FINANCE_RESOURCE: expected http(s)://HOST[:PORT], not '"), r.stderr)


if __name__ == "__main__":
    unittest.main()
