"""A person signs in through a real browser: Debian's chromium (headless, driven by npm
playwright-core) at an application that uses npm openid-client, code nobody here wrote. The
flow runs from discovery through the login page (a wrong password first), the consent page and
the code exchange (PKCE, state, nonce, RFC 9207 iss, the id_token's claims) to userinfo, then
signs out. Each page is saved as a screenshot, at a desktop's and a phone's size, under
$TESSERA_SCREENSHOTS (default: a temporary folder, kept when TESSERA_E2E_KEEP is set).
"""

import json
import os
import subprocess
import unittest

import finance_helpers
import harness
import node_helpers

SCRIPT = os.path.join(node_helpers.NODE_DIR, "sign_in_browser.mjs")
SAMPLE_APP_SCRIPT = os.path.join(node_helpers.NODE_DIR, "sample_app_browser.mjs")
REDIRECT_URI = "https://app.example.test/callback"
PASSWORD = "Dana-pass-1234"


def setUpModule():
    node_helpers.ensure_chromium("openid-client", "playwright-core")


class ChromiumSignsIn(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server.start()
        cls.addClassCleanup(cls.server.close)
        for args, stdin in (
                (("user", "add", "dana", "--password-stdin", "--name", "Dana Park",
                  "--email", "dana@example.test"), PASSWORD + "\n"),
                (("client", "add", "notes", "--public", "--redirect-uri", REDIRECT_URI,
                  "--name", "Notes"), None)):
            result = cls.server.cli(*args, input=stdin)
            if result.returncode != 0:
                raise AssertionError(result.stderr)
        cls.shots = os.environ.get("TESSERA_SCREENSHOTS") or os.path.join(
            cls.server.workdir, "screenshots")

    def test_sign_in_with_openid_client_in_chromium(self):
        result = subprocess.run(
            ["node", SCRIPT, self.server.base, "notes", REDIRECT_URI, "dana", self.shots],
            input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
        lines = result.stdout.strip().splitlines()
        self.assertTrue(lines, result.stderr)
        answer = json.loads(lines[-1])
        self.assertTrue(answer["ok"], answer.get("error", "") + result.stderr)
        self.assertEqual(answer["claims"]["sub"], "dana")
        self.assertEqual(answer["claims"]["aud"], "notes")
        self.assertEqual(answer["claims"]["name"], "Dana Park")
        self.assertEqual(answer["userinfo"]["email"], "dana@example.test")
        for shot in answer["shots"]:
            width, height = node_helpers.png_size(os.path.join(self.shots, shot))
            # The phone's page fits its width: no horizontal scrolling (375 CSS px at 2x).
            if shot.endswith("-phone.png"):
                self.assertEqual(width, 750, shot)
            self.assertGreater(height, 100, shot)
        self.assertEqual(len(answer["shots"]), 7)


class ChromiumUsesTheSampleApp(unittest.TestCase):
    """examples/python_web_app: a person signs in to it, sees their name, reads the finance
    API through it, and signs out, as the README's walk-through says."""

    def test_sign_in_read_finances_sign_out(self):
        tessera = harness.Server.start()
        self.addCleanup(tessera.close)
        finance = finance_helpers.FinanceApi.start(tessera.base)
        self.addCleanup(finance.close)
        app = finance_helpers.SampleWebApp.start(tessera.base, finance_url=finance.base)
        self.addCleanup(app.close)
        for args, stdin in (
                (("user", "add", "dana", "--password-stdin", "--name", "Dana Park",
                  "--scope", "finance:read"), PASSWORD + "\n"),
                (("client", "add", "notes", "--public", "--redirect-uri", app.base + "/callback",
                  "--post-logout-redirect-uri", app.base + "/", "--audience", "finance-api",
                  "--scope", "finance:read", "--name", "Notes"), None)):
            result = tessera.cli(*args, input=stdin)
            self.assertEqual(result.returncode, 0, result.stderr)
        shots = os.environ.get("TESSERA_SCREENSHOTS") or os.path.join(tessera.workdir,
                                                                      "screenshots")
        result = subprocess.run(["node", SAMPLE_APP_SCRIPT, app.base, "dana", shots],
                                input=PASSWORD + "\n", capture_output=True, text=True,
                                timeout=120)
        lines = result.stdout.strip().splitlines()
        self.assertTrue(lines, result.stderr + app.stderr())
        answer = json.loads(lines[-1])
        self.assertTrue(answer["ok"], answer.get("error", "") + "\n" + app.stderr()[-2000:])
        self.assertEqual(answer["greeting"], "Hello, Dana Park")
        self.assertIn("\"bizNum\": \"0001234567\"", answer["finance"])
        self.assertIn("new access token", answer["refreshed"])
        self.assertIn("You are not signed in", answer["after_logout"])
        for shot in answer["shots"]:
            node_helpers.png_size(os.path.join(shots, shot))


if __name__ == "__main__":
    unittest.main()
