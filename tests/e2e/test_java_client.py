"""The Java client library (clients/java, issue 5): clients/java/build.sh compiles it with
javac into a temporary directory and runs its whole JUnit suite, the fake-server tests and,
with TESSERA_BASE set, TesseraLiveTest against this live server with a user and clients
made here, one of them with --require-dpop for the DPoP tests (issue 15)."""

import os
import subprocess
import tempfile
import unittest

import harness
from oauth_helpers import add_client, add_user

BUILD_SCRIPT = os.path.join(harness.SOURCE_DIR, "clients", "java", "build.sh")
BOB, BOB_PASSWORD = "bob", "Bob-pass-12345"


class JavaClient(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, BOB, BOB_PASSWORD, scope="read")
        cls.svc = add_client(cls.server, "svc", scope="read")
        cls.app = add_client(cls.server, "app", public=True, scope="read")
        cls.bound = add_client(cls.server, "bound", scope="read", require_dpop=True)

    def test_the_junit_suite_passes_against_the_live_server(self):
        env = dict(os.environ, TESSERA_BASE=self.base, TESSERA_CLIENT_ID=self.svc.id,
                   TESSERA_CLIENT_SECRET=self.svc.secret, TESSERA_PUBLIC_CLIENT_ID=self.app.id,
                   TESSERA_USERNAME=BOB, TESSERA_PASSWORD=BOB_PASSWORD,
                   TESSERA_DPOP_CLIENT_ID=self.bound.id,
                   TESSERA_DPOP_CLIENT_SECRET=self.bound.secret)
        with tempfile.TemporaryDirectory(prefix="tessera-java-") as out:
            run = subprocess.run(["bash", BUILD_SCRIPT, out], env=env, capture_output=True,
                                 text=True, timeout=300)
        report = "exit %d\nstdout:\n%s\nstderr:\n%s\ntessera's log (end):\n%s" % (
            run.returncode, run.stdout, run.stderr, self.server.stderr()[-4000:])
        self.assertEqual(run.returncode, 0, report)
        self.assertRegex(run.stdout, r"\nOK \(\d+ tests\)", report)


if __name__ == "__main__":
    unittest.main()
