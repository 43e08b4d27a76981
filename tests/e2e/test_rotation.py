"""Signing-key rotation end to end on the live binary (issue 3): `tessera key rotate`,
`key retire` and the automatic schedule, seen through the JWKS, the tokens, /users/me,
PyJWT and `tessera key list`.

Times are short so the whole file runs in well under a minute: keys are published 1-2 s
before they sign, tokens live a few seconds, and the server re-reads its keys every second
(POLL). Every wait polls with a deadline; nothing sleeps for a fixed time to be safe.
"""

import os
import time
import unittest

import harness
from jwks_helpers import (EXPECTED_JWK, assert_invalid_token, claims_of, get_jwks, get_me,
                          header_of, jwk_by_kid, jwks_kids, key_statuses, kid_of, kid_printed,
                          new_token, verify_with_pyjwt, wait_for, wait_for_kids,
                          wait_for_token)

POLL = 1.0      # the server re-reads the key table this often
LEEWAY = 10     # a retiring key stays published this long past its tokens' expiry
SLACK = 1.5     # scheduling, a slow machine

PUBLISH_DELAY = 2
ROUNDING = 1    # activation times are whole seconds, rounded up: up to 1 s past the delay
TOKEN_TTL = 8   # long enough that T1 is still valid a poll after the new key activates


def one_line(text):
    return len(text.strip().splitlines()) == 1


class RotateEndToEnd(unittest.TestCase):
    ENV = {"TESSERA_KEY_PUBLISH_DELAY": "%ds" % PUBLISH_DELAY,
           "TESSERA_ACCESS_TOKEN_TTL": "%ds" % TOKEN_TTL,
           "TESSERA_KEY_ROTATION": "30d"}

    def setUp(self):
        self.server = harness.Server.start(env=self.ENV)
        self.addCleanup(self.server.close)
        self.base = self.server.base

    def token(self):
        return new_token(self, self.base)

    def test_old_tokens_stay_valid_new_tokens_carry_the_new_kid_and_the_old_key_retires(self):
        t1 = self.token()
        k1 = kid_of(t1)
        self.assertEqual(jwks_kids(self.base), [k1])

        rotate_wall, rotate_clock = time.time(), time.monotonic()
        rotated = self.server.cli("key", "rotate")
        self.assertEqual(rotated.returncode, 0, rotated.stderr)
        k2 = kid_printed(self, rotated)
        self.assertNotEqual(k2, k1)
        self.assertEqual(key_statuses(self, self.server).get(k2), "pending")

        # Not before its publish delay: a token issued now is still K1's.
        k1_tokens = [t1, self.token()]
        self.assertEqual(kid_of(k1_tokens[-1]), k1)

        # In the JWKS within a poll, beside K1.
        kids = wait_for_kids(self.base, lambda kids: k2 in kids, POLL + SLACK,
                             "the new key %s in the JWKS" % k2)
        self.assertIn(k1, kids)

        # Signing with K2 after the publish delay, never before.
        deadline = rotate_clock + PUBLISH_DELAY + ROUNDING + POLL + SLACK
        while True:
            token = self.token()
            if kid_of(token) == k2:
                t2 = token
                break
            self.assertEqual(kid_of(token), k1)
            k1_tokens.append(token)
            self.assertLess(time.monotonic(), deadline, "K2 never signed")
            time.sleep(0.1)
        self.assertGreaterEqual(claims_of(t2)["iat"], int(rotate_wall) + PUBLISH_DELAY,
                                "K2 signed before its publish delay was over")
        self.assertIn(k2, jwks_kids(self.base))

        # T1 (still valid) and T2 both verify, here and by PyJWT through the JWKS.
        self.assertGreater(claims_of(t1)["exp"], time.time(), "test too slow: T1 expired")
        for name, token in (("T1", t1), ("T2", t2)):
            with self.subTest(token=name):
                r = get_me(self.base, token)
                self.assertEqual(r.status_code, 200, r.text)
                signing_key, claims = verify_with_pyjwt(self, self.base, token)
                self.assertEqual(signing_key.key_id, kid_of(token))
                self.assertEqual(claims, r.json())
        statuses = key_statuses(self, self.server)
        self.assertEqual((statuses.get(k1), statuses.get(k2)), ("retiring", "active"), statuses)

        # K1 stays published while any token it signed is valid, then leaves the JWKS.
        last_k1_expiry = max(claims_of(t)["exp"] for t in k1_tokens)
        while time.time() < last_k1_expiry:
            self.assertIn(k1, jwks_kids(self.base), "K1 left before its tokens expired")
            time.sleep(0.25)
        activated = claims_of(t2)["iat"]
        retire_by = activated + 1 + TOKEN_TTL + LEEWAY + POLL + SLACK
        wait_for(lambda: k1 not in jwks_kids(self.base), max(retire_by - time.time(), 0.1),
                 "K1 out of the JWKS after its tokens expired")
        self.assertEqual(jwks_kids(self.base), [k2])
        statuses = key_statuses(self, self.server)
        self.assertEqual((statuses.get(k1), statuses.get(k2)), ("retired", "active"), statuses)
        assert_invalid_token(self, get_me(self.base, t1))
        self.assertEqual(kid_of(self.token()), k2)


class RotateToAnotherAlgorithm(harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_KEY_PUBLISH_DELAY": "1s"}

    def test_rotate_alg_switches_the_token_algorithm_after_activation(self):
        first = new_token(self, self.base)
        self.assertEqual(header_of(first)["alg"], "EdDSA")
        for alg in ("ES256", "RS256", "PS256"):
            with self.subTest(alg=alg):
                rotated = self.server.cli("key", "rotate", "--alg", alg)
                self.assertEqual(rotated.returncode, 0, rotated.stderr)
                kid = kid_printed(self, rotated)
                token = wait_for_token(self, self.base, lambda t: kid_of(t) == kid,
                                       1 + POLL + SLACK, "an %s token from %s" % (alg, kid))
                self.assertEqual(header_of(token)["alg"], alg)
                jwk = jwk_by_kid(self.base, kid)
                self.assertEqual(jwk.get("alg"), alg)
                for name, value in EXPECTED_JWK[alg].items():
                    self.assertEqual(jwk.get(name), value, jwk)
                signing_key, claims = verify_with_pyjwt(self, self.base, token)
                self.assertEqual(signing_key.key_id, kid)
                self.assertEqual(get_me(self.base, token).status_code, 200)
        # The EdDSA token is still valid and its key still published.
        self.assertEqual(get_me(self.base, first).status_code, 200)
        verify_with_pyjwt(self, self.base, first)


class Retire(unittest.TestCase):
    # Longer than a poll: a retirement made right after the rotation is seen by a poll before
    # the key's activation, whenever the server's polls fall.
    RETIRE_PUBLISH_DELAY = 3
    ENV = {"TESSERA_KEY_PUBLISH_DELAY": "%ds" % RETIRE_PUBLISH_DELAY}

    def setUp(self):
        self.server = harness.Server.start(env=self.ENV)
        self.addCleanup(self.server.close)
        self.base = self.server.base

    def test_retiring_the_signing_key_unpublishes_it_and_a_replacement_signs_at_once(self):
        old_token = new_token(self, self.base)
        old = kid_of(old_token)
        retired = self.server.cli("key", "retire", old)
        self.assertEqual(retired.returncode, 0, retired.stderr)
        wait_for(lambda: old not in jwks_kids(self.base), POLL + SLACK,
                 "the retired key out of the JWKS")
        # From the moment it is unpublished, nothing it signed is accepted and it signs no more.
        assert_invalid_token(self, get_me(self.base, old_token))
        token = new_token(self, self.base)
        replacement = kid_of(token)
        self.assertNotEqual(replacement, old)
        self.assertEqual(jwks_kids(self.base), [replacement])
        self.assertEqual(get_me(self.base, token).status_code, 200)
        verify_with_pyjwt(self, self.base, token)
        statuses = key_statuses(self, self.server)
        self.assertEqual((statuses.get(old), statuses.get(replacement)), ("retired", "active"),
                         statuses)

    def test_retiring_a_pending_key_unpublishes_it_before_it_ever_signs(self):
        current = kid_of(new_token(self, self.base))
        start = time.monotonic()
        rotated = self.server.cli("key", "rotate")
        self.assertEqual(rotated.returncode, 0, rotated.stderr)
        pending = kid_printed(self, rotated)
        retired = self.server.cli("key", "retire", pending)
        self.assertEqual(retired.returncode, 0, retired.stderr)
        # Past the moment it would have started signing, plus a poll.
        while time.monotonic() < start + self.RETIRE_PUBLISH_DELAY + POLL + 0.5:
            self.assertEqual(kid_of(new_token(self, self.base)), current)
            time.sleep(0.2)
        self.assertEqual(jwks_kids(self.base), [current])
        self.assertEqual(key_statuses(self, self.server).get(pending), "retired")


class AutomaticRotation(harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_KEY_ROTATION": "3s", "TESSERA_KEY_PUBLISH_DELAY": "1s"}

    def test_a_new_key_is_published_then_signs_without_any_command(self):
        started = time.monotonic()
        first = jwks_kids(self.base)
        self.assertEqual(len(first), 1, first)
        kids = wait_for_kids(self.base, lambda kids: len(kids) > 1,
                             max(started + 3 + POLL + SLACK - time.monotonic(), 0.1),
                             "a second key in the JWKS")
        self.assertIn(first[0], kids)
        second = [k for k in kids if k != first[0]][0]
        token = wait_for_token(self, self.base, lambda t: kid_of(t) != first[0],
                               1 + ROUNDING + POLL + SLACK, "a token from the rotated key")
        self.assertIn(kid_of(token), jwks_kids(self.base))
        self.assertEqual(kid_of(token), second)
        verify_with_pyjwt(self, self.base, token)


class RotationConfiguration(unittest.TestCase):
    def serve(self, extra):
        workdir = harness.make_workdir()
        env = harness.clean_environment({
            "TESSERA_LISTEN": "127.0.0.1:0",
            "TESSERA_DATABASE": os.path.join(workdir, "t.db"),
            **extra})
        return harness.run_cli(["serve"], env, timeout=10)

    def test_bad_rotation_settings_stop_the_start_naming_the_variable(self):
        cases = [
            ({"TESSERA_KEY_PUBLISH_DELAY": "0s"}, "TESSERA_KEY_PUBLISH_DELAY"),
            ({"TESSERA_KEY_PUBLISH_DELAY": "10x"}, "TESSERA_KEY_PUBLISH_DELAY"),
            ({"TESSERA_KEY_ROTATION": "0s"}, "TESSERA_KEY_ROTATION"),
            ({"TESSERA_KEY_ROTATION": "soon"}, "TESSERA_KEY_ROTATION"),
            ({"TESSERA_KEY_ROTATION": "1s", "TESSERA_KEY_PUBLISH_DELAY": "2s"},
             "TESSERA_KEY_ROTATION"),
            ({"TESSERA_KEY_ROTATION": "2s", "TESSERA_KEY_PUBLISH_DELAY": "2s"},
             "TESSERA_KEY_ROTATION"),
        ]
        for extra, variable in cases:
            with self.subTest(env=extra):
                result = self.serve(extra)
                self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
                self.assertNotIn("listening on", result.stdout)
                self.assertTrue(one_line(result.stderr), repr(result.stderr))
                self.assertIn(variable, result.stderr)


class KeyCommandErrors(harness.ServerTestCase):
    def test_usage_errors_exit_2_and_add_nothing(self):
        before = key_statuses(self, self.server)
        for args in (("key",), ("key", "frobnicate"), ("key", "rotate", "--alg", "XX"),
                     ("key", "rotate", "--alg", "HS256"), ("key", "rotate", "--alg", "none"),
                     ("key", "rotate", "--alg", "eddsa"), ("key", "rotate", "--alg"),
                     ("key", "rotate", "extra"), ("key", "retire"),
                     ("key", "retire", "a", "b")):
            with self.subTest(args=args):
                r = self.server.cli(*args)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertTrue(r.stderr.strip(), "usage errors explain themselves on stderr")
        self.assertEqual(key_statuses(self, self.server), before)
        self.assertEqual(sorted(jwks_kids(self.base)), sorted(before))

    def test_retiring_an_unknown_kid_fails_with_one_line(self):
        r = self.server.cli("key", "retire", "nope")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertTrue(one_line(r.stderr), repr(r.stderr))

    def test_key_list_shows_the_signing_key_active(self):
        kid = kid_of(new_token(self, self.base))
        self.assertEqual(key_statuses(self, self.server), {kid: "active"})


class KeyCommandsInHs256Mode(harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_SIGNING_ALG": "HS256",
                  "TESSERA_SECRET_KEY": "e2e-hs256-secret-that-is-long-enough-0123456789"}

    def test_rotate_without_alg_fails_with_one_line(self):
        r = self.server.cli("key", "rotate")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertTrue(one_line(r.stderr), repr(r.stderr))
        self.assertEqual(get_jwks(self.base).json(), {"keys": []})


if __name__ == "__main__":
    unittest.main()
