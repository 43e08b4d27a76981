"""Tokens cross-checked by npm `jose` (createRemoteJWKSet + jwtVerify), code nobody here
wrote, the way a Node.js resource server would verify them (issue 3).

tests/e2e/node/ pins jose in package.json and package-lock.json; the first run installs it
with `npm ci` (the npm registry must be reachable). Node.js and npm are required: this suite
fails, never skips, without them.
"""

import json
import os
import shutil
import subprocess
import unittest

import harness
from jwks_helpers import JWKS_PATH, claims_of, kid_of, kid_printed, new_token, wait_for_token

NODE_DIR = os.path.join(harness.HERE, "node")
VERIFY = os.path.join(NODE_DIR, "verify.mjs")
NPM_TIMEOUT = 300
NODE_TIMEOUT = 30


def locked_jose_version():
    with open(os.path.join(NODE_DIR, "package-lock.json")) as f:
        return json.load(f)["packages"]["node_modules/jose"]["version"]


def installed_jose_version():
    try:
        with open(os.path.join(NODE_DIR, "node_modules", "jose", "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


def setUpModule():
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise AssertionError(
                "%s is not on PATH: the npm jose cross-check needs Node.js 20+ with npm "
                "(deps/debian-packages.txt lists nodejs; run `make deps`)" % tool)
    if installed_jose_version() != locked_jose_version():
        result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR,
                                capture_output=True, text=True, timeout=NPM_TIMEOUT)
        if result.returncode != 0:
            raise AssertionError("`npm ci` in %s failed (exit %s):\n%s%s"
                                 % (NODE_DIR, result.returncode, result.stdout, result.stderr))
        if installed_jose_version() != locked_jose_version():
            raise AssertionError("`npm ci` did not install jose %s" % locked_jose_version())


def node_verify(issuer, jwks_url, token, audience=None):
    """(exit status, stdout, stderr) of verify.mjs."""
    args = ["node", VERIFY, issuer, jwks_url, token] + ([audience] if audience else [])
    result = subprocess.run(args, cwd=NODE_DIR, capture_output=True, text=True,
                            timeout=NODE_TIMEOUT)
    return result.returncode, result.stdout, result.stderr.strip()


class _JoseVerifies:
    """Mixed into one test class per algorithm: server A, and server B on another database
    that claims A's issuer, so its tokens differ from A's only in the key that signed them."""

    ALG = None

    @classmethod
    def setUpClass(cls):
        env = {"TESSERA_SIGNING_ALG": cls.ALG}
        cls.server = harness.Server.start(env=env)
        cls.addClassCleanup(cls.server.close)
        cls.base = cls.server.base
        cls.jwks_url = cls.base + JWKS_PATH
        cls.other = harness.Server.start(env=dict(env, TESSERA_ISSUER=cls.base))
        cls.addClassCleanup(cls.other.close)

    def assert_verified(self, token, issuer=None, jwks_url=None):
        status, out, err = node_verify(issuer or self.base, jwks_url or self.jwks_url, token,
                                       self.base)
        self.assertEqual(status, 0, err)
        self.assertEqual(json.loads(out), claims_of(token))

    def assert_refused(self, token, codes):
        status, out, err = node_verify(self.base, self.jwks_url, token, self.base)
        self.assertEqual(status, 1, out + err)
        self.assertIn(err, codes)

    def test_fresh_token_verifies(self):
        self.assert_verified(new_token(self, self.base))

    def test_tampered_token_fails(self):
        token = new_token(self, self.base)
        head, payload, signature = token.split(".")
        flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
        claims = dict(claims_of(token), sub="mallory")
        for name, forged in (("signature", ".".join([head, payload, flipped])),
                             ("payload", ".".join([head, harness.b64url(claims), signature]))):
            with self.subTest(changed=name):
                self.assert_refused(forged, ("ERR_JWS_SIGNATURE_VERIFICATION_FAILED",))

    def test_token_from_another_instance_fails(self):
        token = new_token(self, self.other.base)
        self.assertEqual(claims_of(token)["iss"], self.base)
        self.assertNotEqual(kid_of(token), kid_of(new_token(self, self.base)))
        # It is a good token where it comes from, so only the key makes the difference.
        self.assert_verified(token, jwks_url=self.other.base + JWKS_PATH)
        self.assert_refused(token, ("ERR_JWKS_NO_MATCHING_KEY",))

    def test_token_for_another_issuer_fails(self):
        status, _, err = node_verify("https://someone.else", self.jwks_url,
                                     new_token(self, self.base))
        self.assertEqual(status, 1)
        self.assertEqual(err, "ERR_JWT_CLAIM_VALIDATION_FAILED")


class EdDSAWithJose(_JoseVerifies, unittest.TestCase):
    ALG = "EdDSA"


class ES256WithJose(_JoseVerifies, unittest.TestCase):
    ALG = "ES256"


class RS256WithJose(_JoseVerifies, unittest.TestCase):
    ALG = "RS256"


class RotationWithJose(harness.ServerTestCase):
    """A remote JWKS with several keys of different families: jose picks each by kid."""

    SERVER_ENV = {"TESSERA_KEY_PUBLISH_DELAY": "1s"}

    def test_tokens_before_and_after_a_rotation_to_ps256_verify(self):
        before = new_token(self, self.base)
        rotated = self.server.cli("key", "rotate", "--alg", "PS256")
        self.assertEqual(rotated.returncode, 0, rotated.stderr)
        kid = kid_printed(self, rotated)
        # The publish delay (1 s, rounded up to a whole second), a poll, and slack.
        after = wait_for_token(self, self.base, lambda t: kid_of(t) == kid, 1 + 1 + 1 + 1.5,
                               "a PS256 token from %s" % kid)
        for name, token in (("before", before), ("after", after)):
            with self.subTest(token=name):
                status, out, err = node_verify(self.base, self.base + JWKS_PATH, token,
                                               self.base)
                self.assertEqual(status, 0, err)
                self.assertEqual(json.loads(out), claims_of(token))


class VerifyScriptUsage(unittest.TestCase):
    def test_missing_arguments_exit_2(self):
        result = subprocess.run(["node", VERIFY], cwd=NODE_DIR, capture_output=True, text=True,
                                timeout=NODE_TIMEOUT)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("usage", result.stderr)


if __name__ == "__main__":
    unittest.main()
