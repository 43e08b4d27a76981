"""The seed's own clients, run unchanged against Tessera, get a token and read /users/me."""

import os
import shutil
import subprocess
import unittest

import harness

PYTHON = "/usr/bin/python3"


class SeedClients(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.clients = harness.seed_clients_dir()
        if cls.clients is None:
            raise unittest.SkipTest("the seed's clients are not here: set TESSERA_SEED_CLIENTS "
                                    "or put them at <source>/../shared/seed/clients")
        super().setUpClass()

    def test_python_client_gets_a_token_and_reads_users_me(self):
        script = os.path.join(self.clients, "seed_client.py")
        result = subprocess.run(
            [PYTHON, script, self.base, harness.ADMIN_USER, harness.ADMIN_PASSWORD],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("'sub': '%s'" % harness.ADMIN_USER, result.stdout)

    def test_java_client_gets_a_token_over_http_1_1_despite_its_h2c_upgrade(self):
        if shutil.which("javac") is None or shutil.which("java") is None:
            self.skipTest("javac/java 17 are not installed")
        build = harness.make_workdir()
        shutil.copy(os.path.join(self.clients, "Main.java"), build)
        compiled = subprocess.run(["javac", "Main.java"], cwd=build, capture_output=True,
                                  text=True, timeout=120)
        self.assertEqual(compiled.returncode, 0, compiled.stderr)
        result = subprocess.run(
            ["java", "-cp", build, "Main", self.base, harness.ADMIN_USER, harness.ADMIN_PASSWORD],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("Response status code: 200", result.stdout)
        self.assertIn('"access_token"', result.stdout)
