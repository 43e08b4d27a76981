"""Token exchange (RFC 8693, issue 16): a service holding a user's access token gets a
narrower one for the next hop. The new token keeps the user as "sub", is for an audience the
client was registered for, carries only a subset of the scope, records the chain in "act",
and ends with its subject token's refresh family."""

import unittest

import requests

import harness
from harness import HTTP_TIMEOUT
from oauth_helpers import (add_client, add_user, assert_oauth_error, claims,
                           client_credentials, me_status, password_grant, post_form, refresh,
                           revoke, wait_until_refused)

GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
BOB, BOB_PASSWORD = "bob", "Bob-pass-12345"
LEDGER = "https://ledger.example"


class TokenExchange(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, BOB, BOB_PASSWORD, scope="read write")
        cls.app = add_client(cls.server, "app", public=True, scope="read write")
        cls.api = add_client(cls.server, "finance-api", grants=[GRANT], scope="read",
                             extra=["--exchange-audience", LEDGER,
                                    "--exchange-audience", "https://audit.example"])
        cls.next_hop = add_client(cls.server, "ledger", grants=[GRANT, "client_credentials"],
                                  scope="read",
                                  extra=["--exchange-audience", "https://archive.example"])
        cls.plain = add_client(cls.server, "plain", scope="read")

    def login(self):
        r = password_grant(self.base, self.app, BOB, BOB_PASSWORD)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()

    def exchange(self, client, subject_token, **extra):
        form = {"grant_type": GRANT, "subject_token": subject_token,
                "subject_token_type": ACCESS, "audience": LEDGER}
        form.update(extra)
        return post_form(self.base, "/token", client, {k: v for k, v in form.items()
                                                       if v is not None})

    def exchanged(self, client, subject_token, **extra):
        r = self.exchange(client, subject_token, **extra)
        self.assertEqual(r.status_code, 200, r.text)
        body = r.json()
        self.assertEqual(body["issued_token_type"], ACCESS)
        self.assertEqual(body["token_type"].lower(), "bearer")
        self.assertNotIn("refresh_token", body)
        return body

    def test_the_new_token_is_the_users_for_the_audience_with_the_actor_recorded(self):
        user = self.login()
        body = self.exchanged(self.api, user["access_token"], scope="read")
        before, after = claims(user["access_token"]), claims(body["access_token"])
        self.assertEqual(after["sub"], BOB)
        self.assertEqual(after["aud"], LEDGER)
        self.assertEqual(after["client_id"], "finance-api")
        self.assertEqual(after["scope"], "read")
        self.assertEqual(after["act"], {"sub": "finance-api"})
        self.assertEqual(after["sid"], before["sid"])
        self.assertLessEqual(after["exp"], before["exp"])
        self.assertEqual(body["scope"], "read")
        self.assertEqual(me_status(self.base, body["access_token"]), 200)

    def test_without_scope_the_subjects_scope_is_kept_and_act_nests_on_the_next_hop(self):
        user = self.login()
        first = self.exchanged(self.api, user["access_token"])
        self.assertEqual(claims(first["access_token"])["scope"], "read write")
        second = self.exchanged(self.next_hop, first["access_token"],
                                audience="https://archive.example", scope="read")
        self.assertEqual(claims(second["access_token"])["act"],
                         {"sub": "ledger", "act": {"sub": "finance-api"}})
        self.assertEqual(claims(second["access_token"])["sub"], BOB)

    def test_resource_names_the_target_too(self):
        user = self.login()
        body = self.exchanged(self.api, user["access_token"], audience=None,
                              resource="https://audit.example")
        self.assertEqual(claims(body["access_token"])["aud"], "https://audit.example")

    def test_refusals(self):
        user = self.login()
        token = user["access_token"]
        cases = [
            ("an audience the client may not reach", self.api,
             dict(audience="https://elsewhere.example"), 400, "invalid_target"),
            ("no audience", self.api, dict(audience=None), 400, "invalid_request"),
            ("scope widening", self.api, dict(scope="read admin"), 400, "invalid_scope"),
            ("no subject_token_type", self.api, dict(subject_token_type=None), 400,
             "invalid_request"),
            ("another token type", self.api,
             dict(subject_token_type="urn:ietf:params:oauth:token-type:id_token"), 400,
             "invalid_request"),
            ("a refresh token wanted", self.api,
             dict(requested_token_type="urn:ietf:params:oauth:token-type:refresh_token"), 400,
             "invalid_request"),
            ("a client without the grant", self.plain, {}, 400, "unauthorized_client"),
        ]
        for what, client, extra, status, error in cases:
            with self.subTest(what):
                assert_oauth_error(self, self.exchange(client, token, **extra), status, error)
        for what, subject in (("a forged token", token[:-4] + "AAAA"),
                              ("garbage", "not-a-token"),
                              ("a refresh token", user["refresh_token"])):
            with self.subTest(what):
                assert_oauth_error(self, self.exchange(self.api, subject), 400, "invalid_grant")

    def test_an_actor_token_must_be_the_clients_own(self):
        user = self.login()
        own = client_credentials(self.base, self.next_hop).json()["access_token"]
        body = self.exchanged(self.next_hop, user["access_token"],
                              audience="https://archive.example", actor_token=own,
                              actor_token_type=ACCESS)
        self.assertEqual(claims(body["access_token"])["act"], {"sub": "ledger"})
        assert_oauth_error(self, self.exchange(self.api, user["access_token"],
                                               actor_token=own, actor_token_type=ACCESS),
                           400, "invalid_grant")
        assert_oauth_error(self, self.exchange(self.api, user["access_token"], actor_token=own),
                           400, "invalid_request")

    def test_revoking_the_subjects_family_ends_the_exchanged_token(self):
        user = self.login()
        body = self.exchanged(self.api, user["access_token"])
        self.assertEqual(me_status(self.base, body["access_token"]), 200)
        r = revoke(self.base, self.app, user["refresh_token"])
        self.assertEqual(r.status_code, 200, r.text)
        wait_until_refused(self, self.base, [user["access_token"], body["access_token"]],
                           timeout=2.0)
        assert_oauth_error(self, self.exchange(self.api, user["access_token"]), 400,
                           "invalid_grant")

    def test_a_disabled_user_ends_the_exchanged_token(self):
        add_user(self.server, "carol", "Carol-pass-12345", scope="read")
        r = password_grant(self.base, self.app, "carol", "Carol-pass-12345")
        body = self.exchanged(self.api, r.json()["access_token"])
        self.assertEqual(self.server.cli("user", "disable", "carol").returncode, 0)
        wait_until_refused(self, self.base, [body["access_token"]], timeout=3.0)

    def test_discovery_lists_the_grant(self):
        meta = requests.get(self.base + "/.well-known/oauth-authorization-server",
                            timeout=HTTP_TIMEOUT).json()
        self.assertIn(GRANT, meta["grant_types_supported"])

    def test_client_add_checks_the_grant_and_its_audiences_together(self):
        for args, message in (
                (["--grant", GRANT], "--exchange-audience"),
                (["--exchange-audience", LEDGER], GRANT),
                (["--grant", GRANT, "--exchange-audience", "has space"], "exchange-audience")):
            with self.subTest(args=args):
                r = self.server.cli("client", "add", "x-" + str(abs(hash(str(args)))), "--public",
                                    *args)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn(message, r.stderr)


if __name__ == "__main__":
    unittest.main()
