"""DPoP (RFC 9449) from a client nobody here wrote: npm oauth4webapi (node/dpop_oauth4webapi.mjs)
discovers the server, makes its own WebCrypto keys and proofs, gets DPoP-bound tokens with the
client_credentials, password and refresh_token grants, and reads /users/me and /userinfo with
them; an Ed25519 key, whose proofs oauth4webapi labels alg "Ed25519", must be treated as the
server's metadata says. Skips only when Node.js is not installed.
"""

import json
import os
import shutil
import subprocess
import unittest

import harness
import node_helpers
from oauth_helpers import add_client, add_user

SCRIPT = os.path.join(node_helpers.NODE_DIR, "dpop_oauth4webapi.mjs")
USER = "olga"
PASSWORD = "Olga-pass-12345"


@unittest.skipIf(shutil.which("node") is None, "Node.js is not installed")
class Oauth4webapiUsesDpop(unittest.TestCase):
    ENV = None

    @classmethod
    def setUpClass(cls):
        node_helpers.ensure_packages("oauth4webapi", "jose")
        cls.server = harness.Server.start(env=cls.ENV)
        cls.addClassCleanup(cls.server.close)
        add_user(cls.server, USER, PASSWORD)
        cls.client = add_client(cls.server, "o4w",
                                grants=("client_credentials", "password", "refresh_token"))

    answer = None

    def run_script(self):
        """The script's answer, run once for the class."""
        if type(self).answer is None:
            type(self).answer = self._run_script()
        return type(self).answer

    def _run_script(self):
        result = subprocess.run(
            ["node", SCRIPT, self.server.base, self.client.id, USER],
            input=json.dumps({"client_secret": self.client.secret, "password": PASSWORD}),
            capture_output=True, text=True, timeout=60)
        lines = result.stdout.strip().splitlines()
        self.assertTrue(lines, "no output (exit %s): %s" % (result.returncode, result.stderr))
        return json.loads(lines[-1])

    def assert_bound(self, step, name):
        self.assertEqual(step["status"], 200, name)
        self.assertEqual(step["raw_token_type"], "DPoP", name)
        self.assertEqual(step["token_type"], "dpop", name)  # oauth4webapi lower-cases it
        self.assertEqual(step["cnf"], {"jkt": step["jkt"]}, name)

    def test_discovery_tokens_and_resources_with_dpop(self):
        answer = self.run_script()
        steps = answer["steps"]
        self.assertTrue(answer["ok"], "%s\nsteps: %s" % (answer.get("error"), steps))
        self.assertIn("ES256", steps["discovery"]["dpop_signing_alg_values_supported"])
        self.assertIn("EdDSA", steps["discovery"]["dpop_signing_alg_values_supported"])

        self.assert_bound(steps["client_credentials"], "client_credentials")
        self.assertEqual(steps["users_me"]["status"], 200, steps["users_me"])
        self.assertEqual(steps["users_me"]["body"]["sub"], self.client.id)
        self.assertEqual(steps["users_me"]["body"]["cnf"],
                         {"jkt": steps["client_credentials"]["jkt"]})
        # The bound token sent as a Bearer token: 401 with a DPoP challenge.
        bearer = steps["users_me_as_bearer"]
        self.assertEqual(bearer["status"], 401, bearer)
        self.assertEqual([c["scheme"] for c in bearer.get("challenges", [])][:1], ["dpop"],
                         bearer)

        self.assert_bound(steps["password"], "password")
        self.assertEqual(steps["userinfo"]["status"], 200, steps["userinfo"])
        self.assertEqual(steps["userinfo"]["body"]["sub"], USER)
        self.assert_bound(steps["refresh"], "refresh")
        self.assertEqual(steps["refresh"]["jkt"], steps["password"]["jkt"])

    def test_an_ed25519_key_agrees_with_the_metadata(self):
        """oauth4webapi 3 signs an Ed25519 key's proofs with alg "Ed25519" (RFC 9864's
        fully-specified name) where RFC 8037 says "EdDSA". The server must be consistent
        with its dpop_signing_alg_values_supported: it binds the token when it lists
        "Ed25519", and refuses the proof with invalid_dpop_proof when it does not."""
        answer = self.run_script()
        steps = answer["steps"]
        self.assertTrue(answer["ok"], "%s\nsteps: %s" % (answer.get("error"), steps))
        ed = steps["ed25519"]
        advertised = steps["discovery"]["dpop_signing_alg_values_supported"]
        if ed.get("proof_alg") in advertised:
            self.assert_bound(ed, "Ed25519 (proof alg %s)" % ed.get("proof_alg"))
        else:
            self.assertEqual((ed["status"], ed.get("error")), (400, "invalid_dpop_proof"), ed)

class Oauth4webapiFollowsServerNonces(Oauth4webapiUsesDpop):
    """The same with TESSERA_DPOP_NONCE=1: oauth4webapi takes the nonce from the
    use_dpop_nonce answers (RFC 9449 section 8) and retries, as its documentation says."""

    ENV = {"TESSERA_DPOP_NONCE": "1"}
    answer = None  # its own run, not the parent class's


if __name__ == "__main__":
    unittest.main()
