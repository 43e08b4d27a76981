"""Refresh tokens (issue 4): issued only to clients allowed the grant, rotated on every use,
reuse of a rotated token revokes the whole family with its access tokens (RFC 9700 section
4.14), bound to their client, narrowed but never widened, ended with their user, limited by
TESSERA_REFRESH_TOKEN_TTL, and used exactly once under concurrency."""

import threading
import time
import unittest

import requests

import harness
from harness import HTTP_TIMEOUT
from oauth_helpers import (REFRESH_TOKEN, add_client, add_user, assert_active, assert_inactive,
                           assert_oauth_error, assert_token_response, claims, introspection,
                           me_status, password_grant, refresh, wait_for, wait_until_refused)

BOB, BOB_PASSWORD = "bob", "Bob-pass-12345"
EVERY_SCOPE = "read write profile"


class RefreshTokenIssuance(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, BOB, BOB_PASSWORD, scope=EVERY_SCOPE)
        cls.clients = {
            "public, default grants": (add_client(cls.server, "pub", public=True), True),
            "public, password only": (
                add_client(cls.server, "pub-pw", public=True, grants=["password"]), False),
            "confidential, password and refresh_token": (
                add_client(cls.server, "conf-rt", grants=["password", "refresh_token"]), True),
            "confidential, password only": (
                add_client(cls.server, "conf-pw", grants=["password"]), False),
        }

    def test_only_clients_allowed_the_refresh_grant_get_refresh_tokens(self):
        for what, (client, gets_one) in self.clients.items():
            with self.subTest(what):
                assert_token_response(self, password_grant(self.base, client, BOB, BOB_PASSWORD),
                                      refresh_token=gets_one)
        # The seed's clientless login is the built-in "default" client, which may refresh.
        assert_token_response(self, harness.login(self.base, BOB, BOB_PASSWORD),
                              refresh_token=True)

    def test_refresh_token_is_opaque(self):
        client, _ = self.clients["public, default grants"]
        body = assert_token_response(self, password_grant(self.base, client, BOB, BOB_PASSWORD),
                                     refresh_token=True)
        self.assertRegex(body["refresh_token"], REFRESH_TOKEN)
        self.assertNotIn(".", body["refresh_token"])  # not a JWT: nothing to read in it
        self.assertNotEqual(body["refresh_token"], body["access_token"])

    def test_client_without_the_refresh_grant_cannot_refresh(self):
        owner, _ = self.clients["public, default grants"]
        body = assert_token_response(self, password_grant(self.base, owner, BOB, BOB_PASSWORD))
        for what in ("public, password only", "confidential, password only"):
            with self.subTest(what):
                client, _ = self.clients[what]
                assert_oauth_error(self, refresh(self.base, client, body["refresh_token"]), 400,
                                   "unauthorized_client")
        assert_token_response(self, refresh(self.base, owner, body["refresh_token"]),
                              refresh_token=True)


class RotationAndReuse(harness.ServerTestCase):
    # Reuse is proved at once: without the grace period (test_refresh_grace), which would
    # answer a token presented again so soon with its successor.
    SERVER_ENV = {"TESSERA_REFRESH_REUSE_GRACE": "0"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, BOB, BOB_PASSWORD, scope=EVERY_SCOPE)
        add_user(cls.server, "dave", "Dave-pass-12345", scope="read")
        add_user(cls.server, "erin", "Erin-pass-12345", scope="read")
        cls.app = add_client(cls.server, "app", public=True, scope=EVERY_SCOPE)
        cls.other = add_client(cls.server, "other", public=True, scope=EVERY_SCOPE)
        cls.conf = add_client(cls.server, "conf", grants=["password", "refresh_token"],
                              scope=EVERY_SCOPE)
        cls.observer = add_client(cls.server, "observer")  # introspects

    def login(self, client=None, user=BOB, password=BOB_PASSWORD, **extra):
        return assert_token_response(
            self, password_grant(self.base, client or self.app, user, password, **extra),
            refresh_token=True)

    def use(self, refresh_token, client=None, **extra):
        return assert_token_response(self, refresh(self.base, client or self.app, refresh_token,
                                                   **extra),
                                     refresh_token=True)

    def test_each_use_rotates_the_refresh_token(self):
        for client, method in ((self.app, "none"), (self.conf, "basic"), (self.conf, "post")):
            with self.subTest(client=client.id, method=method):
                first = self.login(client)
                second = assert_token_response(
                    self, refresh(self.base, client, first["refresh_token"], method),
                    refresh_token=True, scope=EVERY_SCOPE)
                self.assertNotEqual(second["refresh_token"], first["refresh_token"])
                before, after = claims(first["access_token"]), claims(second["access_token"])
                for claim in ("sub", "client_id", "aud", "iss", "sid"):
                    self.assertEqual(after[claim], before[claim], claim)
                self.assertNotEqual(after["jti"], before["jti"])
                self.assertEqual(me_status(self.base, second["access_token"]), 200)
                # The used token is spent (introspection only looks; it does not count as a
                # use), the new one is live and works.
                assert_inactive(self, self.base, self.observer, first["refresh_token"])
                assert_active(self, self.base, self.observer, second["refresh_token"],
                              "refresh_token")
                third = assert_token_response(
                    self, refresh(self.base, client, second["refresh_token"], method),
                    refresh_token=True)
                self.assertNotIn(third["refresh_token"],
                                 (first["refresh_token"], second["refresh_token"]))

    def test_reuse_of_a_rotated_token_revokes_the_whole_family(self):
        first = self.login()                   # access token A0, refresh token T1
        second = self.use(first["refresh_token"])  # A1, T2
        bystander = self.login()               # another session of the same user
        assert_oauth_error(self, refresh(self.base, self.app, first["refresh_token"]), 400,
                           "invalid_grant")
        # T1 was stolen or T2 was: neither holder keeps the session.
        assert_oauth_error(self, refresh(self.base, self.app, second["refresh_token"]), 400,
                           "invalid_grant")
        family = [first["access_token"], second["access_token"]]
        wait_until_refused(self, self.base, family, timeout=2.0)
        for token in family + [first["refresh_token"], second["refresh_token"]]:
            assert_inactive(self, self.base, self.observer, token)
        # Only that family ends.
        self.assertEqual(me_status(self.base, bystander["access_token"]), 200)
        self.use(bystander["refresh_token"])

    def test_reuse_by_a_confidential_client_revokes_the_family_too(self):
        first = self.login(self.conf)
        second = self.use(first["refresh_token"], self.conf)
        assert_oauth_error(self, refresh(self.base, self.conf, first["refresh_token"], "post"),
                           400, "invalid_grant")
        assert_oauth_error(self, refresh(self.base, self.conf, second["refresh_token"]), 400,
                           "invalid_grant")
        wait_until_refused(self, self.base, [first["access_token"], second["access_token"]],
                           timeout=2.0)

    def test_refresh_token_is_bound_to_its_client(self):
        first = self.login()
        for client, method in ((self.other, "none"), (self.conf, "basic"), (self.conf, "post")):
            with self.subTest(client=client.id, method=method):
                assert_oauth_error(self, refresh(self.base, client, first["refresh_token"],
                                                 method),
                                   400, "invalid_grant")
        # Left alone (docs/reference.md): no rotation, no revocation.
        assert_active(self, self.base, self.observer, first["refresh_token"], "refresh_token")
        self.assertEqual(me_status(self.base, first["access_token"]), 200)
        second = self.use(first["refresh_token"])
        self.assertEqual(me_status(self.base, second["access_token"]), 200)
        self.assertEqual(me_status(self.base, first["access_token"]), 200)

    def test_scope_may_be_narrowed_and_the_next_refresh_has_the_original_scope(self):
        first = self.login(scope="read write profile")
        narrow = assert_token_response(
            self, refresh(self.base, self.app, first["refresh_token"], scope="read"),
            refresh_token=True, scope="read")
        two = assert_token_response(
            self, refresh(self.base, self.app, narrow["refresh_token"], scope="write read"),
            refresh_token=True, scope="read write")
        # RFC 6749 section 6: scope omitted is the scope originally granted.
        again = assert_token_response(self, refresh(self.base, self.app, two["refresh_token"]),
                                      refresh_token=True, scope=EVERY_SCOPE)
        answer = assert_active(self, self.base, self.observer, again["refresh_token"],
                               "refresh_token")
        self.assertEqual(set(answer["scope"].split()), set(EVERY_SCOPE.split()))

    def test_scope_is_never_widened(self):
        first = self.login(scope="read")
        for asked in ("read write", "profile", "admin"):
            with self.subTest(scope=asked):
                assert_oauth_error(self, refresh(self.base, self.app, first["refresh_token"],
                                                 scope=asked),
                                   400, "invalid_scope")
        # A refused request spends nothing: the token still refreshes, to its own scope.
        assert_token_response(self, refresh(self.base, self.app, first["refresh_token"]),
                              refresh_token=True, scope="read")

    def test_disabling_the_user_ends_the_family(self):
        first = self.login(user="dave", password="Dave-pass-12345")
        disabled = self.server.cli("user", "disable", "dave")
        self.assertEqual(disabled.returncode, 0, disabled.stderr)
        assert_oauth_error(self, refresh(self.base, self.app, first["refresh_token"]), 400,
                           "invalid_grant")
        wait_until_refused(self, self.base, [first["access_token"]])
        assert_inactive(self, self.base, self.observer, first["refresh_token"])
        # Enabling the account again does not bring the session back.
        enabled = self.server.cli("user", "enable", "dave")
        self.assertEqual(enabled.returncode, 0, enabled.stderr)
        assert_oauth_error(self, refresh(self.base, self.app, first["refresh_token"]), 400,
                           "invalid_grant")
        self.login(user="dave", password="Dave-pass-12345")

    def test_deleting_the_user_ends_the_family(self):
        first = self.login(user="erin", password="Erin-pass-12345")
        deleted = self.server.cli("user", "delete", "erin")
        self.assertEqual(deleted.returncode, 0, deleted.stderr)
        assert_oauth_error(self, refresh(self.base, self.app, first["refresh_token"]), 400,
                           "invalid_grant")
        wait_until_refused(self, self.base, [first["access_token"]])
        assert_inactive(self, self.base, self.observer, first["refresh_token"])

    def test_fifty_parallel_uses_of_one_token_succeed_exactly_once(self):
        token = self.login()["refresh_token"]
        parties = 50
        barrier = threading.Barrier(parties)
        results = [None] * parties

        def use(i):
            with requests.Session() as session:
                session.get(self.base + "/healthz", timeout=HTTP_TIMEOUT)  # connect first
                barrier.wait(timeout=30)
                try:
                    r = session.post(self.base + "/token",
                                     data={"grant_type": "refresh_token", "refresh_token": token,
                                           "client_id": self.app.id},
                                     timeout=30)
                    results[i] = (r.status_code, r.json())
                except Exception as e:  # recorded and failed below
                    results[i] = (None, repr(e))

        threads = [threading.Thread(target=use, args=(i,)) for i in range(parties)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        statuses = [status for status, _ in results]
        self.assertEqual(statuses.count(200), 1, results)
        self.assertEqual(statuses.count(400), parties - 1, results)
        for status, body in results:
            if status == 400:
                self.assertEqual(body.get("error"), "invalid_grant", body)


class RefreshTokenLifetime(harness.ServerTestCase):
    TTL = 3
    SERVER_ENV = {"TESSERA_REFRESH_TOKEN_TTL": "%ds" % TTL}

    def test_refresh_tokens_expire_with_the_family_absolute_lifetime(self):
        app = add_client(self.server, "app", public=True)
        observer = add_client(self.server, "observer")
        first = assert_token_response(
            self, password_grant(self.base, app, harness.ADMIN_USER, harness.ADMIN_PASSWORD),
            refresh_token=True)
        seen = assert_active(self, self.base, observer, first["refresh_token"], "refresh_token")
        self.assertLessEqual(seen["exp"] - seen["iat"], self.TTL)
        second = assert_token_response(self, refresh(self.base, app, first["refresh_token"]),
                                       refresh_token=True)
        # Rotation does not extend the family: the new token ends when the first one would.
        rotated = assert_active(self, self.base, observer, second["refresh_token"],
                                "refresh_token")
        self.assertEqual(rotated["exp"], seen["exp"])
        wait_for(lambda: introspection(self, self.base, observer, second["refresh_token"])
                 == {"active": False},
                 max(0.0, seen["exp"] - time.time()) + 1.5,
                 "the refresh token is inactive after its exp %s" % seen["exp"])
        self.assertGreaterEqual(time.time(), seen["exp"] - 1)  # not long before its time
        assert_oauth_error(self, refresh(self.base, app, second["refresh_token"]), 400,
                           "invalid_grant")


if __name__ == "__main__":
    unittest.main()
