"""RFC 9728 at the finance API (issue 17): GET /.well-known/oauth-protected-resource names the
API's resource URL and Tessera as its authorization server, every 401 points at that document
(resource_metadata in WWW-Authenticate), and a token whose "aud" is the resource URL is as good
as one for the configured audience (RFC 8707)."""

import unittest

import requests

import harness
from harness import HTTP_TIMEOUT
from finance_helpers import KNOWN, FinanceApi, add_finance_clients, assert_challenge, token_of
from oauth_helpers import add_client

METADATA_PATH = "/.well-known/oauth-protected-resource"


class FinanceResourceMetadata(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tessera = harness.Server.start()
        cls.addClassCleanup(cls.tessera.close)
        cls.clients = add_finance_clients(cls.tessera)
        cls.api = FinanceApi.start(cls.tessera.base)
        cls.addClassCleanup(cls.api.close)

    def metadata_url(self, response):
        challenge = response.headers.get("WWW-Authenticate", "")
        marker = 'resource_metadata="'
        self.assertIn(marker, challenge)
        return challenge.split(marker, 1)[1].split('"', 1)[0]

    def test_the_document_names_the_resource_tessera_and_the_scope(self):
        r = requests.get(self.api.base + METADATA_PATH, timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        doc = r.json()
        self.assertEqual(doc["resource"], self.api.base)
        self.assertEqual(doc["authorization_servers"], [self.tessera.base])
        self.assertEqual(doc["scopes_supported"], ["finance:read"])
        self.assertEqual(doc["bearer_methods_supported"], ["header"])
        self.assertIn("ES256", doc["dpop_signing_alg_values_supported"])
        # The authorization server it names answers with its own metadata (RFC 8414).
        server = requests.get(doc["authorization_servers"][0]
                              + "/.well-known/oauth-authorization-server", timeout=HTTP_TIMEOUT)
        self.assertEqual(server.json()["issuer"], self.tessera.base)

    def test_every_401_points_at_the_document_and_a_403_does_not(self):
        without = self.api.get_company(KNOWN)
        self.assertEqual(without.status_code, 401)
        self.assertTrue(without.headers["WWW-Authenticate"].startswith("Bearer "))
        self.assertEqual(self.metadata_url(without), self.api.base + METADATA_PATH)
        bad = self.api.get_company(KNOWN, "garbage")
        assert_challenge(self, bad, 401, "invalid_token")
        self.assertEqual(self.metadata_url(bad), self.api.base + METADATA_PATH)
        followed = requests.get(self.metadata_url(bad), timeout=HTTP_TIMEOUT)
        self.assertEqual(followed.json()["resource"], self.api.base)
        forbidden = self.api.get_company(KNOWN, token_of(self, self.tessera,
                                                         self.clients.other_scope))
        assert_challenge(self, forbidden, 403, "insufficient_scope")
        self.assertNotIn("resource_metadata", forbidden.headers["WWW-Authenticate"])

    def test_a_token_for_the_resource_url_is_accepted_and_one_for_another_refused(self):
        for_url = add_client(self.tessera, "url-reader", scope="finance:read",
                             audience=self.api.base)
        r = self.api.get_company(KNOWN, token_of(self, self.tessera, for_url))
        self.assertEqual(r.status_code, 200, r.text)
        elsewhere = add_client(self.tessera, "elsewhere-reader", scope="finance:read",
                               audience=self.api.base + "/other")
        assert_challenge(self, self.api.get_company(KNOWN, token_of(self, self.tessera,
                                                                    elsewhere)),
                         401, "invalid_token")


class FinanceResourceSetting(unittest.TestCase):
    def test_finance_resource_names_the_resource_and_its_document(self):
        tessera = harness.Server.start()
        self.addCleanup(tessera.close)
        api = FinanceApi.start(tessera.base, FINANCE_RESOURCE="https://finance.example.com/")
        self.addCleanup(api.close)
        doc = requests.get(api.base + METADATA_PATH, timeout=HTTP_TIMEOUT).json()
        self.assertEqual(doc["resource"], "https://finance.example.com")
        challenge = api.get_company(KNOWN).headers["WWW-Authenticate"]
        self.assertIn('resource_metadata="https://finance.example.com' + METADATA_PATH + '"',
                      challenge)
        rc, _, err = FinanceApi.spawn(tessera.base, FINANCE_RESOURCE="finance.example.com") \
            .run_to_exit()
        self.assertEqual(rc, 1)
        self.assertIn("FINANCE_RESOURCE: expected http(s)://HOST[:PORT]", err)


if __name__ == "__main__":
    unittest.main()
