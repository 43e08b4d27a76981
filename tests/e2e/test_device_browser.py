"""The device authorization grant (RFC 8628) with a real browser and a real client library:
npm openid-client is the device and polls /token, while Debian's chromium (headless, driven
by npm playwright-core) is the person's phone: it opens verification_uri_complete, confirms
the code, signs in, sees the consent page showing the same code, allows the device and sees
that it is connected. Each page is saved as a screenshot under $TESSERA_SCREENSHOTS (default:
a temporary folder, kept when TESSERA_E2E_KEEP is set).
"""

import json
import os
import re
import subprocess
import unittest

import harness
import node_helpers

SCRIPT = os.path.join(node_helpers.NODE_DIR, "device_flow_browser.mjs")
GRANT = "urn:ietf:params:oauth:grant-type:device_code"
PASSWORD = "Dana-pass-1234"
SCOPE = "openid profile read"
SHOTS = ("device-code.png", "device-code-wrong.png", "device-code-phone.png",
         "device-login-phone.png", "device-consent-phone.png", "device-connected-phone.png")


def setUpModule():
    node_helpers.ensure_chromium("openid-client", "playwright-core")


class ChromiumAllowsADevice(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server.start(env={"TESSERA_DEVICE_POLL_INTERVAL": "1s"})
        cls.addClassCleanup(cls.server.close)
        for args, stdin in (
                (("user", "add", "dana", "--password-stdin", "--name", "Dana Park",
                  "--scope", "read write"), PASSWORD + "\n"),
                (("client", "add", "tv", "--public", "--grant", GRANT, "--grant",
                  "refresh_token", "--scope", SCOPE, "--name", "Living-room TV"), None)):
            result = cls.server.cli(*args, input=stdin)
            if result.returncode != 0:
                raise AssertionError(result.stderr)
        cls.shots = os.environ.get("TESSERA_SCREENSHOTS") or os.path.join(
            cls.server.workdir, "screenshots")

    def test_openid_client_polls_while_chromium_allows_the_device(self):
        result = subprocess.run(
            ["node", SCRIPT, self.server.base, "tv", SCOPE, "dana", self.shots],
            input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
        lines = result.stdout.strip().splitlines()
        self.assertTrue(lines, result.stderr)
        answer = json.loads(lines[-1])
        self.assertTrue(answer["ok"], answer.get("error", "") + result.stderr)

        code = answer["user_code"]
        self.assertRegex(code, r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")
        self.assertEqual(re.sub(r"[\s-]", "", answer["prefilled"]).upper(),
                         code.replace("-", ""))
        # The person confirms which device: the consent page shows its code and name.
        self.assertIn(code, answer["consent_text"])
        self.assertIn("Living-room TV", answer["consent_text"])
        self.assertRegex(answer["connected_text"], r"(?i)connected|go back to your device")
        self.assertNotRegex(answer["connected_text"], r"(?i)denied")

        access = answer["access_claims"]
        self.assertEqual(access["sub"], "dana")
        self.assertEqual(access["client_id"], "tv")
        self.assertEqual(set(access["scope"].split()), set(SCOPE.split()))
        self.assertEqual(set(answer["scope"].split()), set(SCOPE.split()))
        self.assertEqual(answer["token_type"].lower(), "bearer")
        self.assertTrue(answer["refresh_token"])
        ident = answer["id_claims"]
        self.assertEqual(ident["sub"], "dana")
        self.assertIn(ident["aud"], ("tv", ["tv"]))
        self.assertEqual(ident["iss"], self.server.base)
        self.assertEqual(ident["name"], "Dana Park")
        self.assertEqual(answer["userinfo"]["sub"], "dana")

        self.assertEqual(answer["shots"], list(SHOTS))
        for shot in answer["shots"]:
            width, height = node_helpers.png_size(os.path.join(self.shots, shot))
            # The phone's pages fit its width: no horizontal scrolling (375 CSS px at 2x).
            if shot.endswith("-phone.png"):
                self.assertEqual(width, 750, shot)
            self.assertGreater(height, 100, shot)


if __name__ == "__main__":
    unittest.main()
