"""Token exchange (RFC 8693) made by npm openid-client (v6), a certified library nobody here
wrote, through tests/e2e/node/token_exchange.mjs: a user's access token from the password
grant is exchanged by the confidential client "finance-api" with genericGrantRequest() for
one to https://ledger.example, and the refusals (an audience outside the client's list,
scope widening, a revoked subject token) reach the library as OAuth errors.

The client secret and the tokens go to the script on stdin, never on its command line.
Node.js and npm are required: this suite fails, never skips, without them.
"""

import json
import os
import subprocess
import unittest

import harness
import node_helpers
from oauth_helpers import (add_client, add_user, me_status, password_grant, revoke,
                           wait_until_refused)

NODE_DIR = os.path.join(harness.HERE, "node")
SCRIPT = os.path.join(NODE_DIR, "token_exchange.mjs")
NODE_TIMEOUT = 30
GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
BOB, BOB_PASSWORD = "bob", "Bob-pass-12345"
LEDGER = "https://ledger.example"


def setUpModule():
    node_helpers.ensure_packages("openid-client")


def run_script(issuer, client, exchanges, auth="client_secret_basic"):
    """The answers of token_exchange.mjs to `exchanges` made as `client`."""
    request = {"client_id": client.id, "client_secret": client.secret, "auth": auth,
               "exchanges": exchanges}
    result = subprocess.run(["node", SCRIPT, issuer], cwd=NODE_DIR, input=json.dumps(request),
                            capture_output=True, text=True, timeout=NODE_TIMEOUT)
    if result.returncode != 0:
        raise AssertionError("token_exchange.mjs: exit %s\n%s"
                             % (result.returncode, result.stderr))
    answers = json.loads(result.stdout)
    if len(answers) != len(exchanges):
        raise AssertionError("%d answers to %d exchanges: %s"
                             % (len(answers), len(exchanges), result.stdout))
    return answers


class TokenExchangeWithOpenIDClient(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, BOB, BOB_PASSWORD, scope="read write")
        cls.app = add_client(cls.server, "app", public=True, scope="read write")
        cls.api = add_client(cls.server, "finance-api", grants=[GRANT], scope="read",
                             extra=["--exchange-audience", LEDGER])

    def login(self, **extra):
        r = password_grant(self.base, self.app, BOB, BOB_PASSWORD, **extra)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()

    def test_the_user_token_is_exchanged_for_one_to_the_ledger(self):
        user = self.login()
        for auth in ("client_secret_basic", "client_secret_post"):
            with self.subTest(auth=auth):
                answer, = run_script(self.base, self.api, [
                    {"subject_token": user["access_token"], "audience": LEDGER,
                     "scope": "read"}], auth)
                self.assertIs(answer["ok"], True, answer)
                self.assertEqual(answer["issued_token_type"], ACCESS)
                self.assertEqual(answer["token_type"], "bearer")  # openid-client lowercases it
                self.assertEqual(answer["scope"], "read")
                claims = answer["claims"]
                self.assertEqual(claims["sub"], BOB)
                self.assertEqual(claims["aud"], LEDGER)
                self.assertEqual(claims["act"], {"sub": "finance-api"})
                self.assertEqual(claims["scope"], "read")
                self.assertEqual(me_status(self.base, answer["access_token"]), 200)

    def test_refusals_reach_openid_client_as_oauth_errors(self):
        live = self.login(scope="read")["access_token"]
        revoked = self.login()
        r = revoke(self.base, self.app, revoked["refresh_token"])
        self.assertEqual(r.status_code, 200, r.text)
        wait_until_refused(self, self.base, [revoked["access_token"]], timeout=2.0)
        cases = [
            ("an audience outside the client's list",
             {"subject_token": live, "audience": "https://elsewhere.example", "scope": "read"},
             "invalid_target"),
            ("scope widened beyond the subject token's",
             {"subject_token": live, "audience": LEDGER, "scope": "read write"},
             "invalid_scope"),
            ("scope widened beyond anything granted",
             {"subject_token": live, "audience": LEDGER, "scope": "read admin"},
             "invalid_scope"),
            ("a revoked subject token",
             {"subject_token": revoked["access_token"], "audience": LEDGER, "scope": "read"},
             "invalid_grant"),
        ]
        answers = run_script(self.base, self.api, [exchange for _, exchange, _ in cases])
        for (what, _, error), answer in zip(cases, answers):
            with self.subTest(what):
                self.assertIs(answer["ok"], False, answer)
                self.assertNotIn("unexpected", answer)
                self.assertEqual((answer["error"], answer["status"]), (error, 400), answer)


class TokenExchangeScriptUsage(unittest.TestCase):
    def test_bad_command_line_or_request_exits_2(self):
        for args, stdin in (([], ""), (["not a url"], ""), (["http://127.0.0.1:1", "x"], ""),
                            (["http://127.0.0.1:1"], "not json"),
                            (["http://127.0.0.1:1"], '{"client_id": "x"}')):
            with self.subTest(args=args, stdin=stdin):
                result = subprocess.run(["node", SCRIPT] + args, cwd=NODE_DIR, input=stdin,
                                        capture_output=True, text=True, timeout=NODE_TIMEOUT)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn("usage", result.stderr)


if __name__ == "__main__":
    unittest.main()
