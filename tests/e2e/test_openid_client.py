"""npm openid-client (v6) against the live server (issue 4): discovery, client credentials
with client_secret_basic and client_secret_post, the password and refresh grants,
introspection and revocation, each through tests/e2e/node/oidc_client.mjs.

tests/e2e/node/ pins openid-client in package.json and package-lock.json; the first run
installs it with `npm ci` (the npm registry must be reachable). Node.js and npm are
required: this suite fails, never skips, without them.
"""

import json
import os
import select
import subprocess
import tempfile
import unittest

import harness
import node_helpers
from oauth_helpers import (INACTIVE, REFRESH_TOKEN, Client, add_client, add_user, claims,
                           me_status, new_secret)

NODE_DIR = os.path.join(harness.HERE, "node")
OIDC_CLIENT = os.path.join(NODE_DIR, "oidc_client.mjs")
NODE_TIMEOUT = 30
BOB, BOB_PASSWORD = "bob", "Bob-pass-12345"
AUDIENCE = "https://api.example.test"


def setUpModule():
    node_helpers.ensure_packages("openid-client", "oauth4webapi", "jose")


class OidcClient:
    """One oidc_client.mjs process for one issuer: a JSON request a line in, a JSON answer a
    line out (see the script). Node.js starts and discovers once, not for every request."""

    def __init__(self, issuer, rfc8414=False):
        self._stderr = tempfile.TemporaryFile(mode="w+")
        command = ["node", OIDC_CLIENT] + (["--rfc8414"] if rfc8414 else []) + [issuer]
        self.proc = subprocess.Popen(command, cwd=NODE_DIR, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._stderr, text=True)

    def request(self, op, client, auth=None, **params):
        """The answer to one request made as `client` (auth: client_secret_basic for a
        confidential client, none for a public one, unless given)."""
        request = dict(params, op=op, client_id=client.id,
                       auth=auth or ("none" if client.public else "client_secret_basic"))
        if client.secret is not None:
            request["client_secret"] = client.secret
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], NODE_TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            raise AssertionError("oidc_client.mjs gave no answer to %s within %ss:\n%s"
                                 % (op, NODE_TIMEOUT, self.stderr()))
        return json.loads(line)

    def stderr(self):
        self._stderr.seek(0)
        return self._stderr.read()

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(NODE_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc.stdout.close()
        self._stderr.close()


class OpenIDClient(harness.ServerTestCase):
    # Reuse is proved at once: without the grace period (test_refresh_grace), which would
    # answer a token presented again so soon with its successor.
    SERVER_ENV = {"TESSERA_REFRESH_REUSE_GRACE": "0"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, BOB, BOB_PASSWORD, scope="read write")
        cls.svc = add_client(cls.server, "svc", scope="read write", audience=AUDIENCE)
        cls.web = add_client(cls.server, "web", grants=["password", "refresh_token"],
                             scope="read write")
        cls.app = add_client(cls.server, "app", public=True)
        cls.rs = add_client(cls.server, "resource-server")
        cls.node = OidcClient(cls.server.base)
        cls.addClassCleanup(cls.node.close)

    def ok(self, op, client, auth=None, **params):
        answer = self.node.request(op, client, auth, **params)
        self.assertIs(answer.get("ok"), True, answer)
        return answer["result"]

    def fails(self, op, client, auth=None, **params):
        """openid-client's error report for a request that must fail."""
        answer = self.node.request(op, client, auth, **params)
        self.assertIs(answer.get("ok"), False, answer)
        self.assertIn("error", answer)
        return answer["error"]

    def test_discovery(self):
        for rfc8414 in (False, True):
            with self.subTest(rfc8414=rfc8414):
                node = OidcClient(self.base, rfc8414)
                self.addCleanup(node.close)
                answer = node.request("discover", self.svc)
                self.assertIs(answer.get("ok"), True, answer)
                metadata = answer["result"]
                self.assertEqual(metadata["issuer"], self.base)
                self.assertEqual(metadata["token_endpoint"], self.base + "/token")
                self.assertEqual(metadata["introspection_endpoint"], self.base + "/introspect")
                self.assertEqual(metadata["revocation_endpoint"], self.base + "/revoke")
                self.assertIn("client_credentials", metadata["grant_types_supported"])

    def test_client_credentials_with_basic_and_post(self):
        for auth in ("client_secret_basic", "client_secret_post"):
            with self.subTest(auth=auth):
                tokens = self.ok("client_credentials", self.svc, auth)
                self.assertEqual(tokens["token_type"].lower(), "bearer")
                self.assertEqual(set(tokens["scope"].split()), {"read", "write"})
                self.assertNotIn("refresh_token", tokens)
                token_claims = claims(tokens["access_token"])
                self.assertEqual(token_claims["sub"], "svc")
                self.assertEqual(token_claims["aud"], AUDIENCE)
                self.assertEqual(me_status(self.base, tokens["access_token"]), 200)

    def test_client_credentials_scope_and_errors(self):
        self.assertEqual(self.ok("client_credentials", self.svc, scope="read")["scope"], "read")
        refused = self.fails("client_credentials", self.svc, scope="admin")
        self.assertEqual((refused["status"], refused["error"]), (400, "invalid_scope"))
        for auth in ("client_secret_basic", "client_secret_post"):
            with self.subTest(auth=auth):
                wrong = self.fails("client_credentials", Client("svc", new_secret()), auth)
                self.assertEqual((wrong["status"], wrong["error"]), (401, "invalid_client"))
                self.assertEqual([c["scheme"].lower() for c in wrong["challenges"]], ["basic"])

    def test_introspection(self):
        tokens = self.ok("client_credentials", self.svc)
        for auth in ("client_secret_basic", "client_secret_post"):
            with self.subTest(auth=auth):
                answer = self.ok("introspect", self.rs, auth, token=tokens["access_token"])
                self.assertIs(answer["active"], True)
                self.assertEqual(answer["sub"], "svc")
                self.assertEqual(answer["client_id"], "svc")
                self.assertEqual(answer["aud"], AUDIENCE)
                self.assertEqual(answer["token_type"], "bearer")
                self.assertEqual(self.ok("introspect", self.rs, auth, token="garbage"), INACTIVE)
        refused = self.fails("introspect", self.app, token=tokens["access_token"])
        self.assertEqual((refused["status"], refused["error"]), (401, "invalid_client"))

    def test_revocation_of_an_access_token(self):
        for auth in ("client_secret_basic", "client_secret_post"):
            with self.subTest(auth=auth):
                tokens = self.ok("client_credentials", self.svc, auth)
                self.assertEqual(self.ok("revoke", self.svc, auth, token=tokens["access_token"],
                                         token_type_hint="access_token"),
                                 {"revoked": True})
                self.assertEqual(self.ok("introspect", self.rs, token=tokens["access_token"]),
                                 INACTIVE)
                self.assertEqual(me_status(self.base, tokens["access_token"]), 401)

    def test_password_grant_refresh_rotation_and_reuse(self):
        first = self.ok("password", self.web, "client_secret_post", username=BOB,
                        password=BOB_PASSWORD)
        self.assertRegex(first["refresh_token"], REFRESH_TOKEN)
        second = self.ok("refresh", self.web, refresh_token=first["refresh_token"])
        self.assertRegex(second["refresh_token"], REFRESH_TOKEN)
        self.assertNotEqual(second["refresh_token"], first["refresh_token"])
        self.assertEqual(claims(second["access_token"])["sub"], BOB)
        narrowed = self.ok("refresh", self.web, "client_secret_post",
                           refresh_token=second["refresh_token"], scope="read")
        self.assertEqual(narrowed["scope"], "read")
        reused = self.fails("refresh", self.web, refresh_token=first["refresh_token"])
        self.assertEqual((reused["status"], reused["error"]), (400, "invalid_grant"))
        for token in (narrowed["refresh_token"], narrowed["access_token"]):
            self.assertEqual(self.ok("introspect", self.rs, token=token), INACTIVE)

    def test_revocation_of_a_refresh_token(self):
        tokens = self.ok("password", self.web, username=BOB, password=BOB_PASSWORD)
        self.ok("revoke", self.web, token=tokens["refresh_token"],
                token_type_hint="refresh_token")
        refused = self.fails("refresh", self.web, refresh_token=tokens["refresh_token"])
        self.assertEqual((refused["status"], refused["error"]), (400, "invalid_grant"))
        self.assertEqual(me_status(self.base, tokens["access_token"]), 401)

    def test_public_client(self):
        tokens = self.ok("password", self.app, username=BOB, password=BOB_PASSWORD)
        self.assertEqual(claims(tokens["access_token"])["client_id"], "app")
        renewed = self.ok("refresh", self.app, refresh_token=tokens["refresh_token"])
        self.assertEqual(self.ok("revoke", self.app, token=renewed["refresh_token"]),
                         {"revoked": True})
        refused = self.fails("refresh", self.app, refresh_token=renewed["refresh_token"])
        self.assertEqual((refused["status"], refused["error"]), (400, "invalid_grant"))

    def test_requests_the_script_does_not_understand_are_answered_not_fatal(self):
        for op, auth, params in (("fly", None, {}), ("introspect", None, {}),
                                 ("client_credentials", "client_secret_jwt", {})):
            with self.subTest(op=op, auth=auth):
                answer = self.node.request(op, self.svc, auth, **params)
                self.assertIs(answer.get("ok"), False, answer)
                self.assertIn("usage", answer)
        self.assertIn("access_token", self.ok("client_credentials", self.svc))


class OidcClientScriptUsage(unittest.TestCase):
    def test_bad_command_line_exits_2(self):
        for args in ([], ["not a url"], ["--rfc8414"], ["http://127.0.0.1:1", "extra"]):
            with self.subTest(args=args):
                result = subprocess.run(["node", OIDC_CLIENT] + args, cwd=NODE_DIR, input="",
                                        capture_output=True, text=True, timeout=NODE_TIMEOUT)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn("usage", result.stderr)


if __name__ == "__main__":
    unittest.main()
