"""The device authorization grant (RFC 8628) with a real browser and a real client library:
npm openid-client is the device and polls /token, while Debian's chromium (headless, driven
by npm playwright-core) is the person's phone: it opens verification_uri_complete, confirms
the code, signs in, sees the consent page showing the same code, allows the device and sees
that it is connected. A second class puts the project's own CLI on the device side:
clients/python/device_login.py prints the code and the link and polls, while chromium as the
phone (node/approve_device_browser.mjs) opens the link and allows the device. Each page is saved
as a screenshot under $TESSERA_SCREENSHOTS (default: a temporary folder, kept when
TESSERA_E2E_KEEP is set).
"""

import json
import os
import re
import subprocess
import sys
import unittest

import harness
import node_helpers

SCRIPT = os.path.join(node_helpers.NODE_DIR, "device_flow_browser.mjs")
APPROVE_SCRIPT = os.path.join(node_helpers.NODE_DIR, "approve_device_browser.mjs")
CLIENT_DIR = os.path.join(harness.SOURCE_DIR, "clients", "python")
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


class ChromiumApprovesTheCli(unittest.TestCase):
    """clients/python/device_login.py, run as a person would run it, signs in while chromium,
    as the person's phone, opens the link it printed and allows it."""

    CLI_SCOPE = "openid read"
    CLI_NAME = "Laptop terminal"
    PROMPT = re.compile(r"^Open (\S+) and enter (\S+)$")
    LINK = re.compile(r"^\(or open (\S+)\)$")
    SHOTS = ("cli-device-code-phone.png", "cli-device-login-phone.png",
             "cli-device-consent-phone.png", "cli-device-connected-phone.png")

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server.start(env={"TESSERA_DEVICE_POLL_INTERVAL": "1s"})
        cls.addClassCleanup(cls.server.close)
        for args, stdin in (
                (("user", "add", "dana", "--password-stdin", "--name", "Dana Park",
                  "--scope", "read write"), PASSWORD + "\n"),
                (("client", "add", "laptop-cli", "--public", "--grant", GRANT,
                  "--scope", cls.CLI_SCOPE, "--name", cls.CLI_NAME), None)):
            result = cls.server.cli(*args, input=stdin)
            if result.returncode != 0:
                raise AssertionError(result.stderr)
        cls.shots = os.environ.get("TESSERA_SCREENSHOTS") or os.path.join(
            cls.server.workdir, "screenshots")

    def start_cli(self):
        """The running CLI, with the first two lines of its stderr read."""
        proc = subprocess.Popen(
            [sys.executable, "device_login.py", "--issuer", self.server.base,
             "--client-id", "laptop-cli"],
            cwd=CLIENT_DIR, env=harness.clean_environment(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (proc.kill(), proc.wait(), proc.stdout.close(),
                                 proc.stderr.close()))
        return proc

    def test_the_cli_signs_in_while_chromium_on_a_phone_allows_it(self):
        proc = self.start_cli()
        prompt = proc.stderr.readline().rstrip("\n")
        match = self.PROMPT.match(prompt)
        if not match:
            proc.kill()
            raise AssertionError("no prompt but %r; then %r" % (prompt, proc.stderr.read()))
        uri, user_code = match.groups()
        self.assertEqual(uri, self.server.base + "/device")
        self.assertRegex(user_code, r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")
        link_line = proc.stderr.readline().rstrip("\n")
        link = self.LINK.match(link_line)
        self.assertIsNotNone(link, link_line)
        complete = link.group(1)
        self.assertTrue(complete.startswith(uri + "?"), complete)

        # The phone: the password goes to the script on stdin, never on its command line.
        browser = subprocess.run(["node", APPROVE_SCRIPT, complete, "dana", self.shots],
                                 input=PASSWORD + "\n", capture_output=True, text=True,
                                 timeout=120)
        lines = browser.stdout.strip().splitlines()
        self.assertTrue(lines, browser.stderr)
        answer = json.loads(lines[-1])
        self.assertTrue(answer["ok"], answer.get("error", "") + browser.stderr)
        self.assertEqual(re.sub(r"[\s-]", "", answer["prefilled"]).upper(),
                         user_code.replace("-", ""))
        # The consent page shows the code the CLI printed, and the client's name.
        self.assertEqual(answer["consent_code"], user_code)
        self.assertIn(user_code, answer["consent_text"])
        self.assertIn(self.CLI_NAME, answer["consent_text"])
        self.assertEqual(answer["heading"], "Device connected")
        self.assertNotRegex(answer["connected_text"], r"(?i)denied")

        # The CLI notices on its next poll, then prints who signed in.
        code = proc.wait(timeout=60)
        out, err = proc.stdout.read(), proc.stderr.read()
        self.assertEqual(code, 0, err)
        claims = json.loads(out)
        self.assertEqual(claims["sub"], "dana")
        self.assertEqual(claims["client_id"], "laptop-cli")
        self.assertEqual(set(claims["scope"].split()), set(self.CLI_SCOPE.split()))
        self.assertIn("Signed in as dana (client laptop-cli", err)

        self.assertEqual(answer["shots"], list(self.SHOTS))
        for shot in answer["shots"]:
            width, height = node_helpers.png_size(os.path.join(self.shots, shot))
            self.assertEqual(width, 750, shot)  # 375 CSS px at 2x: no horizontal scrolling
            self.assertGreater(height, 100, shot)


if __name__ == "__main__":
    unittest.main()
