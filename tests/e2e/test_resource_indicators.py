"""Resource indicators (RFC 8707, issue 17): `resource` at /token and /authorize selects the
access token's "aud", among the resources the client was registered for (client add
--resource); anything else is invalid_target. A refresh keeps the resource its family was
granted for. The walk a client makes from a protected API's 401 (RFC 9728) to a successful
call ends with a token for that API's resource URL."""

import urllib.parse
import unittest

import requests

import harness
from harness import HTTP_TIMEOUT
from browser_helpers import REDIRECT_URI, Browser, authorize_params, pkce_pair
from finance_helpers import KNOWN, FinanceApi
from oauth_helpers import (add_client, add_user, assert_oauth_error, claims, client_credentials,
                           password_grant, refresh)

LEDGER = "https://ledger.example/api"
VAULT = "https://vault.example"
PASSWORD = "Pat-pass-12345"


class ResourceAtTheTokenEndpoint(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, "pat", PASSWORD, scope="read")
        cls.service = add_client(cls.server, "svc", scope="read", audience="svc-default",
                                 extra=["--resource", LEDGER, "--resource", VAULT])
        cls.app = add_client(cls.server, "app", public=True, scope="read",
                             extra=["--resource", LEDGER, "--resource", VAULT])

    def test_the_resource_named_is_the_audience_and_none_keeps_the_clients(self):
        r = client_credentials(self.base, self.service, resource=LEDGER)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(claims(r.json()["access_token"])["aud"], LEDGER)
        r = client_credentials(self.base, self.service)
        self.assertEqual(claims(r.json()["access_token"])["aud"], "svc-default")

    def test_a_resource_the_client_was_not_registered_for_is_invalid_target(self):
        for resource in ("https://elsewhere.example", LEDGER + "/", "ledger"):
            with self.subTest(resource=resource):
                assert_oauth_error(self, client_credentials(self.base, self.service,
                                                            resource=resource),
                                   400, "invalid_target")
        r = password_grant(self.base, self.app, "pat", PASSWORD, resource="https://x.example")
        assert_oauth_error(self, r, 400, "invalid_target")

    def test_a_refresh_keeps_its_resource_and_refuses_another(self):
        r = password_grant(self.base, self.app, "pat", PASSWORD, resource=LEDGER)
        self.assertEqual(r.status_code, 200, r.text)
        first = r.json()
        self.assertEqual(claims(first["access_token"])["aud"], LEDGER)
        again = refresh(self.base, self.app, first["refresh_token"])
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(claims(again.json()["access_token"])["aud"], LEDGER)
        assert_oauth_error(self, refresh(self.base, self.app, again.json()["refresh_token"],
                                         resource=VAULT), 400, "invalid_target")

    def test_a_family_granted_for_no_resource_may_be_narrowed_to_one(self):
        first = password_grant(self.base, self.app, "pat", PASSWORD).json()
        self.assertEqual(claims(first["access_token"])["aud"], self.base)
        narrowed = refresh(self.base, self.app, first["refresh_token"], resource=VAULT)
        self.assertEqual(narrowed.status_code, 200, narrowed.text)
        self.assertEqual(claims(narrowed.json()["access_token"])["aud"], VAULT)

    def test_the_cli_refuses_a_resource_that_is_not_an_absolute_uri(self):
        for bad in ("ledger", "https://ledger.example/#frag"):
            with self.subTest(resource=bad):
                result = self.server.cli("client", "add", "bad-" + str(len(bad)), "--public",
                                         "--resource", bad)
                self.assertEqual(result.returncode, 1, result.stdout)
                self.assertIn("--resource", result.stderr)


class ResourceAtTheAuthorizationEndpoint(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, "pat", PASSWORD, scope="read")
        result = cls.server.cli("client", "add", "web", "--public", "--redirect-uri",
                                REDIRECT_URI, "--skip-consent", "--scope", "read",
                                "--resource", LEDGER, "--resource", VAULT)
        if result.returncode != 0:
            raise AssertionError(result.stderr)

    def code_for(self, **extra):
        verifier, challenge = pkce_pair()
        browser = Browser(self.base)
        self.addCleanup(browser.session.close)
        page = browser.get("/authorize", authorize_params("web", challenge, scope="read",
                                                          **extra))
        if page.status_code != 200:
            return page, None, verifier
        page = browser.submit(page, {"username": "pat", "password": PASSWORD})
        return page, Browser.redirect_params(page)[1].get("code"), verifier

    def redeem(self, code, verifier, **extra):
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier, "client_id": "web"}
        form.update(extra)
        return requests.post(self.base + "/token", data=form, timeout=HTTP_TIMEOUT)

    def test_the_code_carries_the_resource_into_the_token_and_its_refresh(self):
        page, code, verifier = self.code_for(resource=LEDGER)
        self.assertEqual(page.status_code, 303, page.text[:300])
        r = self.redeem(code, verifier)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(claims(r.json()["access_token"])["aud"], LEDGER)
        again = requests.post(self.base + "/token", timeout=HTTP_TIMEOUT, data={
            "grant_type": "refresh_token", "refresh_token": r.json()["refresh_token"],
            "client_id": "web"})
        self.assertEqual(claims(again.json()["access_token"])["aud"], LEDGER)

    def test_another_resource_at_the_token_request_is_invalid_target(self):
        _, code, verifier = self.code_for(resource=LEDGER)
        assert_oauth_error(self, self.redeem(code, verifier, resource=VAULT), 400,
                           "invalid_target")

    def test_a_resource_the_client_may_not_have_is_redirected_as_invalid_target(self):
        page, code, _ = self.code_for(resource="https://elsewhere.example")
        self.assertIsNone(code)
        self.assertEqual(page.status_code, 302, page.text[:300])
        _, params = Browser.redirect_params(page)
        self.assertEqual(params["error"], "invalid_target")
        self.assertEqual(params["iss"], self.base)


class FromA401ToACall(unittest.TestCase):
    """A client that knows only the finance API's URL: its 401 names the resource metadata,
    which names Tessera; the client asks Tessera for a token for the API's resource URL."""

    def test_the_walk(self):
        tessera = harness.Server.start()
        self.addCleanup(tessera.close)
        api = FinanceApi.start(tessera.base, FINANCE_AUDIENCE="finance-api")
        self.addCleanup(api.close)
        client = add_client(tessera, "agent", scope="finance:read",
                            extra=["--resource", api.base])

        first = requests.get(api.base + "/dart/finance/business/" + KNOWN, timeout=HTTP_TIMEOUT)
        self.assertEqual(first.status_code, 401)
        challenge = first.headers["WWW-Authenticate"]
        metadata_url = challenge.split('resource_metadata="', 1)[1].split('"', 1)[0]
        resource = requests.get(metadata_url, timeout=HTTP_TIMEOUT).json()
        server = requests.get(resource["authorization_servers"][0]
                              + "/.well-known/oauth-authorization-server",
                              timeout=HTTP_TIMEOUT).json()
        self.assertEqual(urllib.parse.urlsplit(server["token_endpoint"]).path, "/token")
        token = requests.post(server["token_endpoint"], timeout=HTTP_TIMEOUT,
                              auth=(client.id, client.secret),
                              data={"grant_type": "client_credentials",
                                    "scope": " ".join(resource["scopes_supported"]),
                                    "resource": resource["resource"]})
        self.assertEqual(token.status_code, 200, token.text)
        self.assertEqual(claims(token.json()["access_token"])["aud"], api.base)
        call = requests.get(api.base + "/dart/finance/business/" + KNOWN, timeout=HTTP_TIMEOUT,
                            headers={"Authorization": "Bearer " + token.json()["access_token"]})
        self.assertEqual(call.status_code, 200, call.text)


if __name__ == "__main__":
    unittest.main()
