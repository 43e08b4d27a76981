"""Configuration from the environment and a TOML file, and the bootstrap admin."""

import os
import re
import subprocess

import requests

import harness
from harness import ADMIN_PASSWORD, ADMIN_USER


class BadConfigurationStopsTheStart(harness.ServerTestCase):
    """Runs `tessera serve` with one bad value at a time; the shared server is only there for
    the port-in-use case."""

    def run_serve(self, extra, args=("serve",)):
        workdir = harness.make_workdir()
        env = harness.clean_environment({
            "TESSERA_LISTEN": "127.0.0.1:0",
            "TESSERA_DATABASE": os.path.join(workdir, "t.db"),
            "TESSERA_ADMIN_USERNAME": ADMIN_USER,
            "TESSERA_ADMIN_PASSWORD": ADMIN_PASSWORD,
            **extra,
        })
        try:
            return harness.run_cli(list(args), env, timeout=10)
        except subprocess.TimeoutExpired:
            self.fail("tessera serve started with %r instead of stopping" % (extra,))

    def assert_refused(self, result, variable):
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertNotIn("listening on", result.stdout)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn(variable, lines[0])

    def test_each_bad_value_stops_the_start_with_one_line_naming_it(self):
        cases = [
            ({"TESSERA_ACCESS_TOKEN_TTL": "15x"}, "TESSERA_ACCESS_TOKEN_TTL"),
            ({"TESSERA_ACCESS_TOKEN_TTL": "0s"}, "TESSERA_ACCESS_TOKEN_TTL"),
            ({"TESSERA_REFRESH_TOKEN_TTL": "-1d"}, "TESSERA_REFRESH_TOKEN_TTL"),
            ({"TESSERA_REFRESH_REUSE_GRACE": "6m"}, "TESSERA_REFRESH_REUSE_GRACE"),
            ({"TESSERA_REFRESH_REUSE_GRACE": "soon"}, "TESSERA_REFRESH_REUSE_GRACE"),
            ({"TESSERA_LISTEN": "nonsense"}, "TESSERA_LISTEN"),
            ({"TESSERA_LISTEN": "127.0.0.1:99999"}, "TESSERA_LISTEN"),
            ({"TESSERA_SIGNING_ALG": "HS256"}, "TESSERA_SECRET_KEY"),
            ({"TESSERA_SIGNING_ALG": "HS256", "TESSERA_SECRET_KEY": "too-short"},
             "TESSERA_SECRET_KEY"),
            ({"TESSERA_SIGNING_ALG": "HS512"}, "TESSERA_SIGNING_ALG"),
            ({"TESSERA_THREADS": "0"}, "TESSERA_THREADS"),
            ({"TESSERA_LOG": "loud"}, "TESSERA_LOG"),
            ({"TESSERA_ISSUER": "not a url"}, "TESSERA_ISSUER"),
        ]
        for extra, variable in cases:
            with self.subTest(env=extra):
                self.assert_refused(self.run_serve(extra), variable)

    def test_bad_value_in_the_config_file_names_the_key(self):
        path = os.path.join(harness.make_workdir(), "tessera.toml")
        with open(path, "w") as f:
            f.write('access_token_ttl = "forever"\n')
        result = self.run_serve({}, args=("--config", path, "serve"))
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("access_token_ttl", result.stderr)

    def test_missing_or_broken_config_file_stops_the_start(self):
        directory = harness.make_workdir()
        broken = os.path.join(directory, "broken.toml")
        with open(broken, "w") as f:
            f.write('listen = "127.0.0.1:0\n')  # unterminated string
        for path in (os.path.join(directory, "missing.toml"), broken):
            with self.subTest(path=path):
                result = self.run_serve({}, args=("--config", path, "serve"))
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)

    def test_port_in_use_stops_the_start_naming_tessera_listen(self):
        result = self.run_serve({"TESSERA_LISTEN": "127.0.0.1:%d" % self.server.port})
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertNotIn("listening on", result.stdout)
        self.assertIn("TESSERA_LISTEN", result.stderr.strip().splitlines()[-1])
        harness.healthz_ok(self, self.base)  # the running server is unaffected


class ConfigurationValues(harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_ACCESS_TOKEN_TTL": "1m", "TESSERA_ISSUER": "https://issuer.example/"}

    def test_access_token_ttl_of_1m_gives_expires_in_60(self):
        r = harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["expires_in"], 60)
        claims = harness.unverified(r.json()["access_token"])[1]
        self.assertEqual(claims["exp"] - claims["iat"], 60)

    def test_configured_issuer_is_the_iss_claim(self):
        token = harness.token_for(self, self.base, ADMIN_USER, ADMIN_PASSWORD)
        claims = harness.unverified(token)[1]
        self.assertEqual(claims["iss"], "https://issuer.example/")
        me = requests.get(self.base + "/users/me", headers=harness.bearer(token),
                          timeout=harness.HTTP_TIMEOUT)
        self.assertEqual(me.status_code, 200, me.text)


class ConfigFile(harness.ServerTestCase):
    """A TOML file gives the values; the environment wins over it."""

    @classmethod
    def setUpClass(cls):
        cls.workdir = harness.make_workdir()
        cls.config = os.path.join(cls.workdir, "tessera.toml")
        with open(cls.config, "w") as f:
            f.write('# e2e\nlisten = "127.0.0.1:0"\naccess_token_ttl = "2m"\n')
        cls.server = harness.Server.start(env={"TESSERA_LISTEN": None}, workdir=cls.workdir,
                                          args=("--config", cls.config, "serve"))
        cls.addClassCleanup(cls.server.close)

    def test_file_values_apply(self):
        r = harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["expires_in"], 120)

    def test_environment_wins_over_the_file(self):
        server = harness.Server.start(env={"TESSERA_ACCESS_TOKEN_TTL": "1m"},
                                      args=("serve", "--config", self.config))
        try:
            r = harness.login(server.base, ADMIN_USER, ADMIN_PASSWORD)
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["expires_in"], 60)
        finally:
            self.assertEqual(server.stop(), 0, server.stderr())

    def test_admin_commands_read_the_same_file(self):
        added = self.server.cli("--config", self.config, "user", "add", "tina", "--password-stdin",
                                input="Tina-pass-1\n")
        self.assertEqual(added.returncode, 0, added.stderr)
        r = harness.login(self.base, "tina", "Tina-pass-1")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["expires_in"], 120)


class BootstrapAdmin(harness.ServerTestCase):
    # The password is base64url and may begin with "-": taken whole, up to the next space.
    PRINTED = re.compile(r"\bcreated user admin with password (\S+)")

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server.start(admin=None)
        cls.addClassCleanup(cls.server.close)

    def generated_password(self):
        lines = [l for l in self.server.stdout().splitlines() if self.PRINTED.search(l)]
        self.assertEqual(len(lines), 1, self.server.stdout())
        return self.PRINTED.search(lines[0]).group(1)

    def test_fresh_database_prints_a_generated_admin_password_once(self):
        password = self.generated_password()
        self.assertGreaterEqual(len(password), 12)
        self.assertEqual(self.server.stdout().count(password), 1)
        self.assertNotIn(password, self.server.stderr())
        r = harness.login(self.base, "admin", password)
        self.assertEqual(r.status_code, 200, r.text)

    def test_second_start_on_the_same_database_prints_no_password(self):
        password = self.generated_password()
        for env, admin in (({}, None), ({}, ("admin", "Another-pass-1"))):
            with self.subTest(admin=admin):
                again = harness.Server.start(env=env, admin=admin, workdir=self.server.workdir)
                try:
                    self.assertNotIn("password", again.stdout())
                    r = harness.login(again.base, "admin", password)
                    self.assertEqual(r.status_code, 200, r.text)
                    if admin:  # an existing user keeps its password
                        self.assertEqual(
                            harness.login(again.base, "admin", admin[1]).status_code, 400)
                finally:
                    self.assertEqual(again.stop(), 0, again.stderr())
