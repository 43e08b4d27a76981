"""Admin commands against the database of a running server, and users imported with the
bcrypt hashes the seed's passlib wrote."""

import sqlite3
import time

import bcrypt
from passlib.context import CryptContext
from passlib.hash import bcrypt as passlib_bcrypt

import harness
from harness import assert_json_error


def one_line(text):
    return len(text.strip().splitlines()) == 1


class AdminCommandsWhileServing(harness.ServerTestCase):
    def login_status(self, name, password):
        return harness.login(self.base, name, password).status_code

    def test_user_lifecycle_while_the_server_runs(self):
        added = self.server.cli("user", "add", "carol", "--password-stdin", input="Carol-pass-1\n")
        self.assertEqual(added.returncode, 0, added.stderr)
        self.assertNotIn("Carol-pass-1", added.stdout + added.stderr)
        self.assertEqual(self.login_status("carol", "Carol-pass-1"), 200)

        disabled = self.server.cli("user", "disable", "carol")
        self.assertEqual(disabled.returncode, 0, disabled.stderr)
        assert_json_error(self, harness.login(self.base, "carol", "Carol-pass-1"), 400,
                          "invalid_grant")

        enabled = self.server.cli("user", "enable", "carol")
        self.assertEqual(enabled.returncode, 0, enabled.stderr)
        self.assertEqual(self.login_status("carol", "Carol-pass-1"), 200)

        changed = self.server.cli("user", "passwd", "carol", "--password-stdin",
                                  input="Carol-pass-2\n")
        self.assertEqual(changed.returncode, 0, changed.stderr)
        assert_json_error(self, harness.login(self.base, "carol", "Carol-pass-1"), 400,
                          "invalid_grant")
        self.assertEqual(self.login_status("carol", "Carol-pass-2"), 200)

        listed = self.server.cli("user", "list")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn("carol", listed.stdout)
        self.assertIn(harness.ADMIN_USER, listed.stdout)
        self.assertNotIn("$argon2", listed.stdout)

    def test_adding_an_existing_user_fails_with_one_line(self):
        first = self.server.cli("user", "add", "oscar", "--password-stdin", input="Oscar-pass-1\n")
        self.assertEqual(first.returncode, 0, first.stderr)
        again = self.server.cli("user", "add", "oscar", "--password-stdin", input="Other-pass-1\n")
        self.assertEqual(again.returncode, 1, again.stderr)
        self.assertTrue(one_line(again.stderr), repr(again.stderr))
        self.assertEqual(self.login_status("oscar", "Oscar-pass-1"), 200)  # unchanged

    def test_too_short_password_fails_with_one_line(self):
        r = self.server.cli("user", "add", "shorty", "--password-stdin", input="abc\n")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertTrue(one_line(r.stderr), repr(r.stderr))
        self.assertNotIn("shorty", self.server.cli("user", "list").stdout)

    def test_commands_on_an_unknown_user_fail_with_one_line(self):
        for args in (("user", "disable", "ghost"), ("user", "enable", "ghost"),
                     ("user", "delete", "ghost")):
            with self.subTest(args=args):
                r = self.server.cli(*args)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertTrue(one_line(r.stderr), repr(r.stderr))

    def test_usage_errors_exit_2(self):
        for args in (("user",), ("bogus",), ("user", "frobnicate"), ("user", "add"),
                     ("user", "add", "x", "--no-such-flag")):
            with self.subTest(args=args):
                r = self.server.cli(*args)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertTrue(r.stderr.strip(), "usage errors explain themselves on stderr")

    def test_passwords_cannot_be_given_on_argv(self):
        r = self.server.cli("user", "add", "argvuser", "--password", "Argv-pass-1")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertNotEqual(self.login_status("argvuser", "Argv-pass-1"), 200)

    def test_version(self):
        r = self.server.cli("version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("tessera "), r.stdout)


class BcryptImportFromTheSeed(harness.ServerTestCase):
    PASSWORD = "Seed-pass-1"

    def stored_hash(self, name):
        path = self.server.env["TESSERA_DATABASE"]
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            row = db.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        finally:
            db.close()
        self.assertIsNotNone(row, "user %s is not in the database" % name)
        return row[0]

    def wait_for_rehash(self, name, timeout=3.0):
        deadline = time.monotonic() + timeout
        while True:
            stored = self.stored_hash(name)
            if stored.startswith("$argon2id$") or time.monotonic() > deadline:
                return stored
            time.sleep(0.05)

    def check_import(self, name, hashed):
        added = self.server.cli("user", "add", name, "--password-hash", hashed)
        self.assertEqual(added.returncode, 0, added.stderr)
        self.assertEqual(self.stored_hash(name), hashed)  # imported as it is
        assert_json_error(self, harness.login(self.base, name, "Not-the-pass-1"), 400,
                          "invalid_grant")
        self.assertEqual(self.stored_hash(name), hashed)  # a failed login changes nothing
        r = harness.login(self.base, name, self.PASSWORD)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(harness.unverified(r.json()["access_token"])[1]["sub"], name)
        self.assertTrue(self.wait_for_rehash(name).startswith("$argon2id$"),
                        "not rehashed after a successful login")
        again = harness.login(self.base, name, self.PASSWORD)
        self.assertEqual(again.status_code, 200, again.text)
        assert_json_error(self, harness.login(self.base, name, "Not-the-pass-1"), 400,
                          "invalid_grant")

    def test_seed_cryptcontext_hash_logs_in_and_is_upgraded(self):
        # The seed's own line: CryptContext(schemes=["bcrypt"], deprecated="auto").
        hashed = CryptContext(schemes=["bcrypt"], deprecated="auto").hash(self.PASSWORD)
        self.assertTrue(hashed.startswith("$2b$12$"), hashed)
        self.check_import("dave", hashed)

    def test_passlib_cost_12_2a_hash(self):
        hashed = passlib_bcrypt.using(rounds=12, ident="2a").hash(self.PASSWORD)
        self.assertTrue(hashed.startswith("$2a$12$"), hashed)
        self.check_import("dora", hashed)

    def test_passlib_2y_hash(self):
        hashed = passlib_bcrypt.using(rounds=5, ident="2y").hash(self.PASSWORD)
        self.assertTrue(hashed.startswith("$2y$05$"), hashed)
        self.check_import("dan", hashed)

    def test_python_bcrypt_hash(self):
        hashed = bcrypt.hashpw(self.PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
        self.check_import("deb", hashed)

    def test_malformed_hash_is_refused_with_one_line(self):
        for bad in ("plaintext", "$2b$12$tooshort", "$md5$abc", "$argon2id$v=19$garbage"):
            with self.subTest(hash=bad):
                r = self.server.cli("user", "add", "mallory", "--password-hash", bad)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertTrue(one_line(r.stderr), repr(r.stderr))
        self.assertNotIn("mallory", self.server.cli("user", "list").stdout)
