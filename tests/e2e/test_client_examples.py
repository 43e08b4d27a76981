"""The client libraries' examples (issue 5) against the live pair: tessera and the seed's
finance API (finance_helpers: FINANCE_BIN, default finance-api beside tessera), with the client
a user would make for it:

    tessera client add finance-reader --scope finance:read --audience finance-api

clients/python/example_finance.py and the Java FinanceExample each fetch a token by
client_credentials and print the finance data of a business number from the API's dataset."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

import harness
from finance_helpers import AUDIENCE, KNOWN, SCOPE, FinanceApi, dataset_records
from oauth_helpers import GENERATED_SECRET_LINE

PYTHON_CLIENT = os.path.join(harness.SOURCE_DIR, "clients", "python")
JAVA_SOURCES = os.path.join(harness.SOURCE_DIR, "clients", "java", "src", "main", "java")
RUN_TIMEOUT = 60


class ClientExamples(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        added = cls.server.cli("client", "add", "finance-reader", "--scope", SCOPE,
                               "--audience", AUDIENCE)  # the secret is generated, shown once
        if added.returncode != 0:
            raise AssertionError("tessera client add: %s" % added.stderr)
        cls.secret = GENERATED_SECRET_LINE.search(added.stdout).group(1)
        cls.finance = FinanceApi.start(cls.server.base)
        cls.addClassCleanup(cls.finance.close)

        cls.java_classes = tempfile.mkdtemp(dir=harness.make_workdir())
        sources = [os.path.join(d, name) for d, _, names in os.walk(JAVA_SOURCES)
                   for name in names if name.endswith(".java")]
        subprocess.run(["javac", "--release", "17", "-d", cls.java_classes, *sources],
                       check=True, timeout=RUN_TIMEOUT)

    def assert_prints_the_finance_data(self, run):
        self.assertEqual(run.returncode, 0, "stdout:\n%s\nstderr:\n%s" % (run.stdout, run.stderr))
        self.assertEqual(json.loads(run.stdout), {"newCompanyFinance": dataset_records(KNOWN)})

    def run_python(self, *args, secret=None):
        env = harness.clean_environment({"TESSERA_CLIENT_SECRET": secret})
        return subprocess.run([sys.executable, "example_finance.py", *args], cwd=PYTHON_CLIENT,
                              env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)

    def run_java(self, *args):
        return subprocess.run(["java", "-cp", self.java_classes,
                               "io.tessera.client.FinanceExample", *args],
                              env=harness.clean_environment(), capture_output=True, text=True,
                              timeout=RUN_TIMEOUT)

    def test_python_example_with_the_secret_from_the_environment(self):
        self.assert_prints_the_finance_data(self.run_python(
            self.base, self.finance.base, "finance-reader", KNOWN, secret=self.secret))

    def test_java_example_with_the_secret_on_the_command_line(self):
        self.assert_prints_the_finance_data(self.run_java(
            self.base, self.finance.base, "finance-reader", self.secret, KNOWN))

    def test_examples_fail_clearly_on_a_wrong_secret(self):
        args = (self.base, self.finance.base, "finance-reader", "wrong", KNOWN)
        for name, run in (("python", self.run_python(*args)), ("java", self.run_java(*args))):
            with self.subTest(name):
                self.assertNotEqual(run.returncode, 0)
                self.assertIn("invalid_client", run.stderr)
                self.assertEqual(run.stdout, "")


if __name__ == "__main__":
    unittest.main()
