"""clients/python/device_login.py against the real server: the CLI prints the code, a
requests session (the phone) approves or denies it at /device, the CLI prints the claims or
exits 1 with the reason."""

import json
import os
import re
import subprocess
import sys
import unittest

import harness
from oauth_helpers import add_client
from test_device_flow import GRANT, DeviceCase

CLIENT_DIR = os.path.join(harness.SOURCE_DIR, "clients", "python")
PROMPT = re.compile(r"^Open (\S+) and enter (\S+)$")


class CliCase(DeviceCase):
    def start_cli(self, client_id="tv", scope="openid read", secret=None):
        """The running CLI and the user code it printed."""
        args = [sys.executable, "device_login.py", "--issuer", self.issuer,
                "--client-id", client_id, "--scope", scope]
        proc = subprocess.Popen(args + (["--secret-stdin"] if secret else []), cwd=CLIENT_DIR,
                                env=harness.clean_environment(), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (proc.kill(), proc.wait(), proc.stdout.close(),
                                 proc.stderr.close()))
        if secret:
            proc.stdin.write(secret + "\n")
        proc.stdin.close()
        line = proc.stderr.readline().rstrip("\n")
        match = PROMPT.match(line)
        if not match:
            raise AssertionError("no prompt but %r; then %r" % (line, self.finish(proc)))
        self.assertEqual(match.group(1), self.issuer + "/device")
        return proc, match.group(2)

    def finish(self, proc):
        """(exit status, stdout, the rest of stderr) once the CLI has ended."""
        code = proc.wait(timeout=60)
        return code, proc.stdout.read(), proc.stderr.read()


class DeviceLoginCli(CliCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.console = add_client(cls.server, "console", grants=[GRANT], scope="read",
                                 extra=["--name", "Game console"])

    def test_allowed_the_cli_prints_who_signed_in(self):
        proc, user_code = self.start_cli()
        self.approve(user_code)
        code, out, err = self.finish(proc)
        self.assertEqual(code, 0, err)
        claims = json.loads(out)
        self.assertEqual((claims["sub"], claims["client_id"]), ("bob", "tv"))
        self.assertEqual(set(claims["scope"].split()), {"openid", "read"})
        self.assertIn("Signed in as bob", err)

    def test_denied_the_cli_exits_1_with_access_denied(self):
        proc, user_code = self.start_cli()
        self.approve(user_code, decision="deny")
        code, out, err = self.finish(proc)
        self.assertEqual((code, out), (1, ""))
        self.assertIn("denied (access_denied)", err)

    def test_a_confidential_client_with_its_secret_on_stdin(self):
        proc, user_code = self.start_cli("console", "read", secret=self.console.secret)
        self.approve(user_code, client_name="Game console")
        code, out, err = self.finish(proc)
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["client_id"], "console")


class DeviceLoginCliExpiry(CliCase):
    SERVER_ENV = {"TESSERA_DEVICE_POLL_INTERVAL": "1s", "TESSERA_DEVICE_CODE_TTL": "5s"}

    def test_unanswered_the_cli_exits_1_with_expired_token(self):
        proc, _ = self.start_cli()
        code, out, err = self.finish(proc)
        self.assertEqual((code, out), (1, ""))
        self.assertIn("expired_token", err)


if __name__ == "__main__":
    unittest.main()
