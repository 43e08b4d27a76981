"""What an administrator's change ends, against the real binary: a new password ends every
session of the user (refresh tokens and earlier access tokens), disabling or deleting a user
ends their access tokens even without a refresh family, deleting a client ends the tokens
issued to it. The changes are made with the CLI, a separate process, so the server learns of
them from the database within a second; on PostgreSQL, two instances both do.
"""

import unittest

import harness
import pg_helpers
from oauth_helpers import (Client, add_client, add_user, assert_active, assert_inactive,
                           assert_oauth_error, client_credentials, password_grant, refresh,
                           wait_for, introspect, me_status)

DEFAULT = Client("default")  # the built-in public client: password and refresh_token
WITHIN = 4.0  # seconds: the once-a-second sync, on a loaded machine


class SessionsEnd:
    """The tests, run against each backend by the classes below. `servers` are the
    instances sharing one database; tokens are issued by the first, checked at every one."""

    servers = []

    @property
    def first(self):
        return self.servers[0]

    def cli(self, *args, input=None):
        result = self.first.cli(*args, input=input)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def refused_everywhere(self, token):
        for server in self.servers:
            if me_status(server.base, token) != 401:
                return False
            if introspect(server.base, self.resource_server, token).json() != {"active": False}:
                return False
        return True

    def assert_refused_everywhere(self, tokens, what):
        for token in tokens:
            wait_for(lambda: self.refused_everywhere(token), WITHIN, what)
        for server in self.servers:
            for token in tokens:
                assert_inactive(self, server.base, self.resource_server, token, what)
                r = harness.requests.get(server.base + "/userinfo",
                                         headers=harness.bearer(token), timeout=10)
                self.assertEqual(r.status_code, 401, what)
                self.assertIn('error="invalid_token"', r.headers.get("WWW-Authenticate", ""))

    def assert_accepted_everywhere(self, token):
        for server in self.servers:
            self.assertEqual(me_status(server.base, token), 200)
            assert_active(self, server.base, self.resource_server, token)

    def login(self, client, name, password):
        r = password_grant(self.first.base, client, name, password)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()

    # The audit's first finding: the old refresh token kept working for up to 30 days.
    def test_a_new_password_ends_the_refresh_tokens_and_access_tokens_of_the_user(self):
        add_user(self.first, "pat", "Pat-old-pass-1")
        add_user(self.first, "quinn", "Quinn-pass-1")
        stolen = self.login(DEFAULT, "pat", "Pat-old-pass-1")
        bystander = self.login(DEFAULT, "quinn", "Quinn-pass-1")
        self.assertIn("refresh_token", stolen)

        self.cli("user", "passwd", "pat", "--password-stdin", input="Pat-new-pass-1\n")

        self.assert_refused_everywhere([stolen["access_token"]], "pat's old access token")
        assert_oauth_error(self, refresh(self.first.base, DEFAULT, stolen["refresh_token"]),
                           400, "invalid_grant")
        # The old password is refused, the new one works at once, and another user's session
        # goes on.
        r = password_grant(self.first.base, DEFAULT, "pat", "Pat-old-pass-1")
        assert_oauth_error(self, r, 400, "invalid_grant")
        fresh = self.login(DEFAULT, "pat", "Pat-new-pass-1")
        self.assert_accepted_everywhere(fresh["access_token"])
        self.assertEqual(refresh(self.first.base, DEFAULT, fresh["refresh_token"]).status_code, 200)
        self.assertEqual(refresh(self.first.base, DEFAULT, bystander["refresh_token"]).status_code,
                         200)

    # The audit's third finding: a token from a client without the refresh grant has no family
    # to revoke, and stayed valid until it expired.
    def test_disabling_a_user_ends_access_tokens_without_a_refresh_family(self):
        add_user(self.first, "rob", "Rob-pass-12")
        token = self.login(self.password_only, "rob", "Rob-pass-12")
        self.assertNotIn("refresh_token", token)
        self.assert_accepted_everywhere(token["access_token"])

        self.cli("user", "disable", "rob")
        self.assert_refused_everywhere([token["access_token"]], "disabled rob's token")

        # Enabled again, rob signs in anew; the old token stays dead.
        self.cli("user", "enable", "rob")
        wait_for(lambda: password_grant(self.first.base, self.password_only, "rob",
                                        "Rob-pass-12").status_code == 200, WITHIN,
                 "rob signs in once enabled")
        fresh = self.login(self.password_only, "rob", "Rob-pass-12")
        self.assert_accepted_everywhere(fresh["access_token"])
        self.assertTrue(self.refused_everywhere(token["access_token"]))

    def test_deleting_a_user_ends_their_access_tokens(self):
        add_user(self.first, "sam", "Sam-pass-123")
        tokens = [self.login(self.password_only, "sam", "Sam-pass-123")["access_token"],
                  self.login(DEFAULT, "sam", "Sam-pass-123")["access_token"]]
        self.cli("user", "delete", "sam")
        self.assert_refused_everywhere(tokens, "deleted sam's tokens")

    def test_deleting_a_client_ends_the_tokens_issued_to_it(self):
        service = add_client(self.first, "nightly-job", grants=["client_credentials"])
        r = client_credentials(self.first.base, service)
        self.assertEqual(r.status_code, 200, r.text)
        token = r.json()["access_token"]
        self.assert_accepted_everywhere(token)

        self.cli("client", "delete", "nightly-job")
        self.assert_refused_everywhere([token], "the deleted client's token")
        # A client registered again under the same id gets tokens that work.
        again = add_client(self.first, "nightly-job", grants=["client_credentials"])
        wait_for(lambda: client_credentials(self.first.base, again).status_code == 200, WITHIN,
                 "the new client gets a token")
        self.assert_accepted_everywhere(client_credentials(self.first.base, again).json()
                                        ["access_token"])


def add_common_clients(cls):
    cls.resource_server = add_client(cls.servers[0], "resource-server",
                                     grants=["client_credentials"])
    cls.password_only = add_client(cls.servers[0], "password-only", grants=["password"])


class SessionsEndOnSqlite(SessionsEnd, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        server = harness.Server.start()
        cls.addClassCleanup(server.close)
        cls.servers = [server]
        add_common_clients(cls)


class SessionsEndOnPostgresqlWithTwoInstances(SessionsEnd, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = {"TESSERA_DATABASE": pg_helpers.shared().create_database(),
               "TESSERA_KEY_ENCRYPTION_KEY": "e2e-sessions-end-key-encryption-0123456789",
               "TESSERA_ISSUER": "http://tessera.sessions.test"}
        cls.servers = []
        for _ in range(2):
            server = harness.Server.spawn(env=env)
            cls.addClassCleanup(server.close)
            server.wait_listening(timeout=30)
            cls.servers.append(server)
        add_common_clients(cls)


if __name__ == "__main__":
    unittest.main()
