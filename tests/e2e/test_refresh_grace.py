"""Refresh rotation grace (issue 16): a replaced refresh token presented again by its own
client within TESSERA_REFRESH_REUSE_GRACE after its replacement gets the same successor again
and nothing is revoked (a lost answer retried, two tabs refreshing at once); after the window,
or from another client, it is reuse as before. The default window is 10 s; 0 disables it."""

import concurrent.futures
import threading
import time
import unittest

import requests

import harness
from harness import HTTP_TIMEOUT
from oauth_helpers import (add_client, add_user, assert_active, assert_inactive,
                           assert_oauth_error, assert_token_response, claims, me_status,
                           password_grant, refresh, wait_until_refused)

BOB, BOB_PASSWORD = "bob", "Bob-pass-12345"
SCOPE = "read write"
GRACE = 3  # seconds, for the class that waits it out


class Fixture:
    @classmethod
    def add_accounts(cls):
        add_user(cls.server, BOB, BOB_PASSWORD, scope=SCOPE)
        cls.app = add_client(cls.server, "app", public=True, scope=SCOPE)
        cls.other = add_client(cls.server, "other", public=True, scope=SCOPE)
        cls.conf = add_client(cls.server, "conf", grants=["password", "refresh_token"],
                              scope=SCOPE)
        cls.observer = add_client(cls.server, "observer")  # introspects

    def login(self, client=None):
        return assert_token_response(
            self, password_grant(self.base, client or self.app, BOB, BOB_PASSWORD),
            refresh_token=True)

    def use(self, token, client=None, **extra):
        return assert_token_response(self, refresh(self.base, client or self.app, token, **extra),
                                     refresh_token=True)


class WithinTheDefaultGrace(Fixture, harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_accounts()

    def test_a_lost_answer_retried_gets_the_same_successor_and_revokes_nothing(self):
        for client in (self.app, self.conf):
            with self.subTest(client=client.id):
                first = self.login(client)
                lost = self.use(first["refresh_token"], client)   # the answer never arrived
                retried = self.use(first["refresh_token"], client)
                self.assertEqual(retried["refresh_token"], lost["refresh_token"])
                # A new access token of the same family, and every token still works.
                self.assertNotEqual(retried["access_token"], lost["access_token"])
                self.assertEqual(claims(retried["access_token"])["sid"],
                                 claims(first["access_token"])["sid"])
                for token in (first["access_token"], lost["access_token"],
                              retried["access_token"]):
                    self.assertEqual(me_status(self.base, token), 200)
                assert_active(self, self.base, self.observer, lost["refresh_token"],
                              "refresh_token")
                # The successor is used once, as any refresh token.
                third = self.use(lost["refresh_token"], client)
                self.assertNotIn(third["refresh_token"],
                                 (first["refresh_token"], lost["refresh_token"]))

    def test_the_retry_may_narrow_the_scope_like_any_refresh(self):
        first = self.login()
        self.use(first["refresh_token"])
        retried = self.use(first["refresh_token"], scope="read")
        self.assertEqual(retried["scope"], "read")
        assert_oauth_error(self, refresh(self.base, self.app, first["refresh_token"],
                                         scope="read admin"), 400, "invalid_scope")

    def test_two_tabs_refreshing_at_once_both_stay_signed_in(self):
        first = self.login()
        barrier = threading.Barrier(8)

        def use(_):
            barrier.wait(10)
            return refresh(self.base, self.app, first["refresh_token"])

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(use, range(8)))
        bodies = [assert_token_response(self, r, refresh_token=True) for r in responses]
        self.assertEqual(len({b["refresh_token"] for b in bodies}), 1)
        self.assertEqual(len({b["access_token"] for b in bodies}), 8)
        self.use(bodies[0]["refresh_token"])

    def test_the_retry_by_another_client_is_refused_and_changes_nothing(self):
        first = self.login()
        second = self.use(first["refresh_token"])
        assert_oauth_error(self, refresh(self.base, self.other, first["refresh_token"]), 400,
                           "invalid_grant")
        # Still the owner's to retry, and the family lives.
        self.assertEqual(self.use(first["refresh_token"])["refresh_token"],
                         second["refresh_token"])
        self.assertEqual(me_status(self.base, second["access_token"]), 200)

    def test_a_token_two_generations_back_returns_its_own_successor(self):
        first = self.login()
        second = self.use(first["refresh_token"])
        third = self.use(second["refresh_token"])
        # first's successor is second, itself replaced: second may be retried in turn.
        self.assertEqual(self.use(first["refresh_token"])["refresh_token"],
                         second["refresh_token"])
        self.assertEqual(self.use(second["refresh_token"])["refresh_token"],
                         third["refresh_token"])

    def test_a_revoked_family_is_not_revived_by_a_retry(self):
        first = self.login(self.conf)
        second = self.use(first["refresh_token"], self.conf)
        revoked = requests.post(
            self.base + "/revoke", data={"token": second["refresh_token"]},
            auth=(self.conf.id, self.conf.secret), timeout=HTTP_TIMEOUT)
        self.assertEqual(revoked.status_code, 200, revoked.text)
        assert_oauth_error(self, refresh(self.base, self.conf, first["refresh_token"]), 400,
                           "invalid_grant")
        assert_inactive(self, self.base, self.observer, second["refresh_token"])


class AfterTheGrace(Fixture, harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_REFRESH_REUSE_GRACE": "%ds" % GRACE}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_accounts()

    def test_reuse_after_the_window_revokes_the_family(self):
        first = self.login()
        second = self.use(first["refresh_token"])
        self.assertEqual(self.use(first["refresh_token"])["refresh_token"],
                         second["refresh_token"])
        time.sleep(GRACE + 1.5)  # stored in whole seconds
        assert_oauth_error(self, refresh(self.base, self.app, first["refresh_token"]), 400,
                           "invalid_grant")
        assert_oauth_error(self, refresh(self.base, self.app, second["refresh_token"]), 400,
                           "invalid_grant")
        wait_until_refused(self, self.base, [first["access_token"], second["access_token"]],
                           timeout=2.0)


class GraceDisabled(Fixture, harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_REFRESH_REUSE_GRACE": "0"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_accounts()

    def test_immediate_reuse_revokes_the_family(self):
        first = self.login()
        second = self.use(first["refresh_token"])
        assert_oauth_error(self, refresh(self.base, self.app, first["refresh_token"]), 400,
                           "invalid_grant")
        assert_oauth_error(self, refresh(self.base, self.app, second["refresh_token"]), 400,
                           "invalid_grant")


if __name__ == "__main__":
    unittest.main()
