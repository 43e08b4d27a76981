"""Two tessera instances on one PostgreSQL database (issue 8), as a load balancer would see
them: whatever one instance learns, the other serves, within the second the contract allows
for what it caches (keys and the revocation log are read from the database every second).

A throwaway PostgreSQL server runs for the whole test process (pg_helpers); each class has
its own database. Times are short: keys are published 2 s before they sign, and every wait
polls with a deadline.
"""

import concurrent.futures
import os
import secrets
import threading
import time
import unittest

import requests

import harness
import pg_helpers
from harness import ADMIN_PASSWORD, ADMIN_USER, HTTP_TIMEOUT
from jwks_helpers import (jwks_kids, kid_of, kid_printed, verify_with_pyjwt, wait_for_kids,
                          wait_for_token)
from oauth_helpers import (Client, INACTIVE, add_client, add_user, assert_active,
                           assert_inactive, assert_oauth_error, assert_token_response,
                           cli_error_lines, introspect, introspection, me_status, refresh, revoke, wait_for,
                           wait_until_refused)

KEY_ENCRYPTION_KEY = "e2e-multi-instance-key-encryption-0123456789"
ISSUER = "https://tessera.multi.test"
PUBLISH_DELAY = 2
POLL = 1.0   # each instance re-reads keys and revocations this often
SLACK = 1.5  # scheduling, a loaded machine
DEFAULT = Client("default")  # the built-in public client (password and refresh_token)


def pg_env(url, **extra):
    env = {"TESSERA_DATABASE": url,
           "TESSERA_KEY_ENCRYPTION_KEY": KEY_ENCRYPTION_KEY,
           "TESSERA_ISSUER": ISSUER,
           "TESSERA_KEY_PUBLISH_DELAY": "%ds" % PUBLISH_DELAY}
    env.update(extra)
    return env


def start_pair(testcase, env):
    """Starts A, then B, on one database and registers their cleanup, which insists on exit
    status 0. (Starting them at the same moment is StartedTogether's test.)"""
    servers = []
    for _ in range(2):
        server = harness.Server.spawn(env=env)
        testcase.addClassCleanup(server.close)
        server.wait_listening(timeout=30)
        servers.append(server)
    return servers


def login_status(base, username, password):
    return harness.login(base, username, password).status_code


class StartedTogether(unittest.TestCase):
    """Two instances started at the same moment on an empty database, as two machines
    brought up with one configuration are: both run the migrations and the bootstrap at
    once, and both must come up, agree on one first signing key and log only JSON."""

    def test_two_instances_started_at_once_on_an_empty_database_both_come_up(self):
        env = pg_env(pg_helpers.shared().create_database())
        pair = [harness.Server.spawn(env=env) for _ in range(2)]
        for server in pair:
            self.addCleanup(server.close)
        failed = []
        for name, server in zip("AB", pair):
            try:
                server.wait_listening(timeout=30)
            except AssertionError:
                failed.append("%s exited %s: %s" % (name, server.proc.poll(),
                                                    server.stderr().strip()[-600:]))
        self.assertEqual(failed, [], "an instance did not start")
        a, b = pair
        kids = wait_for_kids(b.base, lambda kids: kids == jwks_kids(a.base), POLL + SLACK,
                             "the same JWKS at A and B")
        self.assertEqual(len(kids), 1, kids)
        for name, server in zip("AB", pair):
            with self.subTest(instance=name):
                token = harness.token_for(self, server.base, ADMIN_USER, ADMIN_PASSWORD)
                self.assertEqual(kid_of(token), kids[0])


class GraceAcrossInstances(unittest.TestCase):
    """The refresh grace (default 10 s) on PostgreSQL: fifty parallel uses of one refresh token
    at A and B all get the same successor, which exists once and is itself used once; the
    family lives."""

    @classmethod
    def setUpClass(cls):
        cls.pg = pg_helpers.shared()
        cls.a, cls.b = start_pair(cls, pg_env(cls.pg.create_database()))
        cls.rs = add_client(cls.a, "resource-server")

    def test_fifty_parallel_uses_across_a_and_b_get_one_successor(self):
        body = assert_token_response(self, harness.login(self.a.base, ADMIN_USER, ADMIN_PASSWORD),
                                     refresh_token=True)
        bases = [self.a.base, self.b.base]
        barrier = threading.Barrier(50)

        def use(i):
            barrier.wait(30)
            return refresh(bases[i % 2], DEFAULT, body["refresh_token"])

        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            responses = list(pool.map(use, range(50)))
        won = [assert_token_response(self, r, refresh_token=True) for r in responses]
        self.assertEqual(len({w["refresh_token"] for w in won}), 1)
        successor = won[0]["refresh_token"]
        for server in (self.a, self.b):
            self.assertEqual(me_status(server.base, won[0]["access_token"]), 200)
            assert_active(self, server.base, self.rs, successor, "refresh_token")
        nxt = assert_token_response(self, refresh(self.b.base, DEFAULT, successor),
                                    refresh_token=True)
        self.assertNotEqual(nxt["refresh_token"], successor)
        self.assertEqual(me_status(self.a.base, body["access_token"]), 200)


class TwoInstancesOnOneDatabase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.pg = pg_helpers.shared()
        cls.password = "pw-" + secrets.token_hex(8)  # trust auth ignores it; logs must too
        url = cls.pg.create_database()
        cls.url_with_password = url.replace("postgres@", "postgres:%s@" % cls.password)
        # Reuse is proved at once: without the grace period, which GraceAcrossInstances tries.
        cls.a, cls.b = start_pair(cls, pg_env(cls.url_with_password,
                                              TESSERA_REFRESH_REUSE_GRACE="0"))
        cls.servers = {"A": cls.a, "B": cls.b}
        cls.rs = add_client(cls.a, "resource-server")  # confidential: introspects

    def both(self):
        return self.servers.items()

    def test_both_instances_serve_the_same_keys(self):
        kids = wait_for_kids(self.b.base, lambda kids: kids == jwks_kids(self.a.base),
                             POLL + SLACK, "the same JWKS at A and B")
        self.assertEqual(len(kids), 1, kids)
        for name, server in self.both():
            with self.subTest(instance=name):
                self.assertEqual(kid_of(harness.token_for(self, server.base, ADMIN_USER,
                                                          ADMIN_PASSWORD)), kids[0])

    def test_user_added_with_the_cli_at_a_logs_in_at_b(self):
        add_user(self.a, "bob", "Bob-pass-123", scope="read")
        r = harness.login(self.b.base, "bob", "Bob-pass-123")
        body = assert_token_response(self, r, scope="read")
        self.assertEqual(harness.unverified(body["access_token"])[1]["sub"], "bob")
        # Disabled through A's configuration: refused by B at once (users are not cached).
        disabled = self.a.cli("user", "disable", "bob")
        self.assertEqual(disabled.returncode, 0, disabled.stderr)
        assert_oauth_error(self, harness.login(self.b.base, "bob", "Bob-pass-123"), 400,
                           "invalid_grant")

    def test_token_from_a_verifies_and_introspects_at_b(self):
        token = harness.token_for(self, self.a.base, ADMIN_USER, ADMIN_PASSWORD)
        r = requests.get(self.b.base + "/users/me", headers=harness.bearer(token),
                         timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["sub"], ADMIN_USER)
        self.assertEqual(r.json()["iss"], ISSUER)
        answer = assert_active(self, self.b.base, self.rs, token)
        self.assertEqual(answer.get("sub"), ADMIN_USER)
        self.assertEqual(answer.get("iss"), ISSUER)
        verify_with_pyjwt(self, self.b.base, token, issuer=ISSUER)
        # And the other way round.
        token_b = harness.token_for(self, self.b.base, ADMIN_USER, ADMIN_PASSWORD)
        self.assertEqual(me_status(self.a.base, token_b), 200)
        assert_active(self, self.a.base, self.rs, token_b)

    def test_revocation_at_a_is_refused_at_b_within_two_seconds(self):
        body = assert_token_response(self, harness.login(self.a.base, ADMIN_USER, ADMIN_PASSWORD),
                                     refresh_token=True)
        access, refresh_token = body["access_token"], body["refresh_token"]
        self.assertEqual(me_status(self.b.base, access), 200)
        self.assertEqual(revoke(self.a.base, DEFAULT, access).status_code, 200)
        self.assertEqual(me_status(self.a.base, access), 401)  # at once where it was revoked
        started = time.monotonic()
        wait_until_refused(self, self.b.base, [access], timeout=POLL + SLACK)
        took = time.monotonic() - started
        assert_inactive(self, self.b.base, self.rs, access)
        # A revoked refresh token: the database answers, so B refuses it at once.
        self.assertEqual(revoke(self.a.base, DEFAULT, refresh_token).status_code, 200)
        assert_oauth_error(self, refresh(self.b.base, DEFAULT, refresh_token), 400,
                           "invalid_grant")
        self.assertLess(took, POLL + SLACK)

    def test_key_rotated_with_the_cli_is_served_by_b_and_then_signs_at_both(self):
        before = jwks_kids(self.b.base)
        rotated = self.a.cli("key", "rotate")
        self.assertEqual(rotated.returncode, 0, rotated.stderr)
        new_kid = kid_printed(self, rotated)
        self.assertNotIn(new_kid, before)
        rotated_at = time.monotonic()
        for name, server in self.both():
            with self.subTest(instance=name):
                kids = wait_for_kids(server.base, lambda kids: new_kid in kids,
                                     rotated_at + POLL + SLACK - time.monotonic(),
                                     "%s serves the new key %s in its JWKS" % (name, new_kid))
                self.assertTrue(set(before) <= set(kids), (before, kids))
        tokens = {}
        for name, server in self.both():
            with self.subTest(instance=name):
                tokens[name] = wait_for_token(
                    self, server.base, lambda t: kid_of(t) == new_kid,
                    # The activation is rounded up to a whole second: up to 1 s more.
                    rotated_at + PUBLISH_DELAY + 1 + POLL + SLACK - time.monotonic(),
                    "%s signs with the new key %s" % (name, new_kid))
        # Each verifies the other's tokens with the new key.
        self.assertEqual(me_status(self.b.base, tokens["A"]), 200)
        self.assertEqual(me_status(self.a.base, tokens["B"]), 200)
        verify_with_pyjwt(self, self.b.base, tokens["A"], issuer=ISSUER)

    def test_fifty_parallel_uses_of_one_refresh_token_across_a_and_b_succeed_once(self):
        body = assert_token_response(self, harness.login(self.a.base, ADMIN_USER, ADMIN_PASSWORD),
                                     refresh_token=True)
        first_access, refresh_token = body["access_token"], body["refresh_token"]
        bases = [self.a.base, self.b.base]
        barrier = threading.Barrier(50)

        def use(i):
            barrier.wait(30)
            return refresh(bases[i % 2], DEFAULT, refresh_token)

        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            responses = list(pool.map(use, range(50)))
        statuses = sorted(r.status_code for r in responses)
        winners = [r for r in responses if r.status_code == 200]
        self.assertEqual(len(winners), 1, "statuses: %s" % statuses)
        for r in responses:
            if r.status_code != 200:
                assert_oauth_error(self, r, 400, "invalid_grant")
        won = assert_token_response(self, winners[0], refresh_token=True)
        # The reuse revoked the whole family: the rotated refresh token and every access
        # token issued from it, at both instances.
        for name, server in self.both():
            with self.subTest(instance=name):
                assert_oauth_error(self, refresh(server.base, DEFAULT, won["refresh_token"]),
                                   400, "invalid_grant")
                wait_until_refused(self, server.base, [first_access, won["access_token"]],
                                   timeout=POLL + SLACK)
                assert_inactive(self, server.base, self.rs, won["access_token"])
                assert_inactive(self, server.base, self.rs, won["refresh_token"])

    def test_throttling_is_shared_failures_at_a_and_b_lock_the_account_at_both(self):
        add_user(self.a, "tara", "Tara-pass-123")
        statuses = []
        for i in range(10):  # five at each instance: neither alone reaches the threshold
            server = self.a if i < 5 else self.b
            statuses.append(login_status(server.base, "tara", "wrong-%d" % i))
        self.assertEqual(statuses[:9], [400] * 9, statuses)
        self.assertIn(statuses[9], (400, 429), statuses)
        for name, server in self.both():
            with self.subTest(instance=name):
                r = harness.login(server.base, "tara", "Tara-pass-123")
                self.assertEqual(r.status_code, 429, r.text)
                self.assertGreater(int(r.headers.get("Retry-After", "0")), 0, r.headers)
                # Another account behind the same address is not locked out.
                self.assertEqual(login_status(server.base, ADMIN_USER, ADMIN_PASSWORD), 200)

    def test_every_line_on_stderr_is_a_json_log_record(self):
        # B started on a database A had already migrated.
        harness.token_for(self, self.b.base, ADMIN_USER, ADMIN_PASSWORD)
        for name, server in self.both():
            with self.subTest(instance=name):
                stray = [line for line in server.stderr().splitlines()
                         if line.strip() and not line.startswith("{")]
                self.assertEqual(stray, [], "lines on stderr that are not JSON log records")
                server.log_records()

    def test_the_database_password_is_never_logged(self):
        harness.token_for(self, self.a.base, ADMIN_USER, ADMIN_PASSWORD)
        for name, server in self.both():
            with self.subTest(instance=name):
                output = server.stdout() + "\n" + server.stderr()
                self.assertIn('"event":"started"', output)
                leaks = [line for line in output.splitlines() if self.password in line]
                self.assertEqual(leaks, [], "the database password is in the output")
        listed = self.a.cli("user", "list")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertNotIn(self.password, listed.stdout + listed.stderr)


class BothRecoverFromADatabaseRestart(unittest.TestCase):
    """PostgreSQL stopped and started again (same port) under two running instances: they
    answer 503 while it is away and serve normally soon after it is back, without a restart
    of their own; then both stop cleanly on SIGTERM."""

    @classmethod
    def setUpClass(cls):
        cls.pg = pg_helpers.shared()
        cls.a, cls.b = start_pair(cls, pg_env(cls.pg.create_database()))
        cls.rs = add_client(cls.a, "resource-server")

    def setUp(self):
        self.addCleanup(lambda: self.pg.running or self.pg.start())

    def burst(self, server, token, count=120):
        """`count` requests that each use the database (introspection on the credential
        threads; userinfo, healthz and discovery on the blocking ones), 32 at a time, so that
        every pooled connection is used; {status: how many}."""
        def one(i):
            if i % 4 == 0:
                return introspect(server.base, self.rs, token).status_code
            path = ("/userinfo", "/healthz", "/.well-known/openid-configuration")[i % 4 - 1]
            return requests.get(server.base + path, headers=harness.bearer(token),
                                timeout=HTTP_TIMEOUT).status_code
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            statuses = list(pool.map(one, range(count)))
        return {status: statuses.count(status) for status in sorted(set(statuses))}

    def test_both_instances_recover_after_postgresql_restarts_and_exit_0_on_sigterm(self):
        servers = {"A": self.a, "B": self.b}
        before = harness.token_for(self, self.a.base, ADMIN_USER, ADMIN_PASSWORD)
        for server in servers.values():  # every pooled connection has been used
            self.assertEqual(self.burst(server, before), {200: 120})

        self.pg.stop()
        for name, server in servers.items():
            with self.subTest(instance=name, database="down"):
                wait_for(lambda: requests.get(server.base + "/healthz",
                                              timeout=HTTP_TIMEOUT).status_code == 503,
                         5, "%s /healthz is 503 while PostgreSQL is down" % name)
                r = harness.login(server.base, ADMIN_USER, ADMIN_PASSWORD)
                self.assertEqual(r.status_code, 503, r.text)
                self.assertEqual(r.json().get("error"), "temporarily_unavailable", r.text)

        self.pg.start()
        back = time.monotonic()
        for name, server in servers.items():
            wait_for(lambda: login_status(server.base, ADMIN_USER, ADMIN_PASSWORD) == 200,
                     back + 10 - time.monotonic(),
                     "%s logs in again after PostgreSQL is back" % name)
        # Recovered means recovered: no request fails later on a connection that the
        # restart left dead in the pool.
        for name, server in servers.items():
            with self.subTest(instance=name, database="back, every pooled connection"):
                self.assertEqual(self.burst(server, before), {200: 120},
                                 "requests after PostgreSQL was back (status: count)")
        for name, server in servers.items():
            with self.subTest(instance=name, database="back"):
                harness.healthz_ok(self, server.base)
                token = harness.token_for(self, server.base, ADMIN_USER, ADMIN_PASSWORD)
                other = self.b if server is self.a else self.a
                self.assertEqual(me_status(other.base, token), 200)
                assert_active(self, other.base, self.rs, token)
                assert_active(self, server.base, self.rs, before)
        self.assertLess(time.monotonic() - back, 10)

        for name, server in servers.items():
            with self.subTest(instance=name, signal="SIGTERM"):
                self.assertEqual(server.stop(), 0, server.stderr()[-3000:])


class StartRefused(unittest.TestCase):
    """Bad PostgreSQL settings stop the start with one line on stderr, exit status 1."""

    def run_serve(self, extra, timeout=30):
        env = harness.clean_environment({"TESSERA_LISTEN": "127.0.0.1:0",
                                         "TESSERA_ADMIN_USERNAME": ADMIN_USER,
                                         "TESSERA_ADMIN_PASSWORD": ADMIN_PASSWORD, **extra})
        started = time.monotonic()
        result = harness.run_cli(["serve"], env, timeout=timeout)
        return result, time.monotonic() - started

    def assert_one_line(self, result):
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertNotIn("listening on", result.stdout)
        lines = cli_error_lines(result)
        self.assertEqual(len(lines), 1, result.stderr)
        return lines[0]

    def test_unreachable_postgresql_names_the_database_without_its_password(self):
        port = pg_helpers.free_port()  # nothing listens there
        password = "pw-" + secrets.token_hex(8)
        url = "postgresql://tessera:%s@127.0.0.1:%d/tessera" % (password, port)
        result, took = self.run_serve(pg_env(url))
        line = self.assert_one_line(result)
        self.assertIn("127.0.0.1:%d/tessera" % port, line)
        self.assertNotIn(password, result.stdout + result.stderr)
        self.assertLess(took, 15)

    def test_postgresql_without_a_key_encryption_key_names_the_variable(self):
        url = "postgresql://postgres@127.0.0.1:%d/tessera" % pg_helpers.free_port()
        result, _ = self.run_serve(pg_env(url, TESSERA_KEY_ENCRYPTION_KEY=None))
        line = self.assert_one_line(result)
        self.assertIn("TESSERA_KEY_ENCRYPTION_KEY", line)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)


if __name__ == "__main__":
    unittest.main()
