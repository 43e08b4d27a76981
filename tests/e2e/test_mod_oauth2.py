"""Debian's Apache mod_oauth2 (libapache2-mod-oauth2: liboauth2 with cjose) as a resource
server in front of Tessera: code nobody here wrote, checking our tokens the three ways it can,
with the directives README shows ("Which algorithm to choose"):

    OAuth2TokenVerify jwks_uri   URL-of-the-JWKS
    OAuth2TokenVerify introspect URL-of-/introspect introspect.auth=client_secret_basic&...
    OAuth2TokenVerify metadata   URL-of-/.well-known/oauth-authorization-server (RFC 8414)

One throwaway Apache (`apache2 -X`, its own configuration in a temporary directory) guards
locations in front of three servers: ES256 (the algorithm README advises here), EdDSA (the
default, which cjose cannot check) and RS256. Skips only when apache2 or mod_oauth2.so is
missing; deps/debian-packages.txt lists both.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import requests

import harness
from harness import ADMIN_PASSWORD, ADMIN_USER, HTTP_TIMEOUT
from oauth_helpers import add_client, client_credentials, revoke

APACHE = "/usr/sbin/apache2"
MODULES = "/usr/lib/apache2/modules"
MOD_OAUTH2 = os.path.join(MODULES, "mod_oauth2.so")
# What the configuration below loads: an MPM, authentication and authorization (Require
# valid-user is mod_authz_user's), index.html for a directory, and mod_oauth2.
NEEDED_MODULES = (("mpm_event_module", "mod_mpm_event.so"),
                  ("authn_core_module", "mod_authn_core.so"),
                  ("authz_core_module", "mod_authz_core.so"),
                  ("authz_user_module", "mod_authz_user.so"),
                  ("dir_module", "mod_dir.so"),
                  ("oauth2_module", "mod_oauth2.so"))
START_TIMEOUT = 10
API_AUDIENCE = "https://api.example.test"
MISSING = [path for path in (APACHE, MOD_OAUTH2) if not os.path.exists(path)]


class Apache:
    """`apache2 -X` with a generated configuration, on a free port of 127.0.0.1."""

    def __init__(self, directory, locations):
        self.dir = directory
        self.locations = locations  # {path: [directives]}
        self.proc = None
        self.base = None
        for name in locations:
            page = os.path.join(directory, "htdocs", name.strip("/"))
            os.makedirs(page)
            with open(os.path.join(page, "index.html"), "w") as f:
                f.write("ok %s\n" % name)
        # When run as root, Apache serves as nobody: everything here must be readable.
        for root, _, files in os.walk(directory):
            os.chmod(root, 0o755)
            for name in files:
                os.chmod(os.path.join(root, name), 0o644)

    def config(self, port):
        lines = ["ServerRoot " + self.dir,
                 "DefaultRuntimeDir " + self.dir,
                 "PidFile " + os.path.join(self.dir, "apache.pid"),
                 "ErrorLog " + self.error_log_path,
                 "LogLevel warn",
                 "Listen 127.0.0.1:%d" % port,
                 "ServerName 127.0.0.1"]
        if os.geteuid() == 0:
            lines += ["User nobody", "Group nogroup"]
        lines += ["LoadModule %s %s" % (name, os.path.join(MODULES, so))
                  for name, so in NEEDED_MODULES]
        lines += ["DocumentRoot " + os.path.join(self.dir, "htdocs"),
                  "DirectoryIndex index.html"]
        for path, directives in self.locations.items():
            lines += ["<Location %s>" % path] + ["  " + d for d in directives] + ["</Location>"]
        return "\n".join(lines) + "\n"

    @property
    def error_log_path(self):
        return os.path.join(self.dir, "error.log")

    def error_log(self):
        try:
            with open(self.error_log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start(self, attempts=3):
        """Starts Apache; another port if the free one was taken meanwhile."""
        for _ in range(attempts):
            port = free_port()
            conf = os.path.join(self.dir, "apache2.conf")
            with open(conf, "w") as f:
                f.write(self.config(port))
            with open(os.path.join(self.dir, "stderr.log"), "wb") as stderr:
                self.proc = subprocess.Popen([APACHE, "-X", "-d", self.dir, "-f", conf],
                                             stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL, stderr=stderr)
            if self.wait_listening(port):
                self.base = "http://127.0.0.1:%d" % port
                return
            if "Address already in use" not in self.output():
                break
        raise AssertionError("apache2 did not start (exit status %s):\n%s"
                             % (self.proc.poll(), self.output()))

    def wait_listening(self, port):
        deadline = time.monotonic() + START_TIMEOUT
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.02)
        self.close()
        return False

    def output(self):
        with open(os.path.join(self.dir, "stderr.log"), errors="replace") as f:
            return f.read() + self.error_log()

    def get(self, path, token=None):
        headers = harness.bearer(token) if token is not None else {}
        return requests.get(self.base + path + "/", headers=headers, timeout=HTTP_TIMEOUT)

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def verify_options(client=None, **more):
    """OAuth2TokenVerify's options, one query-encoded word: `expiry` (how long mod_oauth2
    remembers a token it accepted; 0 for never) and, given a confidential client, the
    client_secret_basic credentials for /introspect."""
    options = {}
    if client is not None:
        options.update({"introspect.auth": "client_secret_basic", "client_id": client.id,
                        "client_secret": client.secret})
    options.update(more)
    return urllib.parse.urlencode(options)


def location(method, url, options, require="Require valid-user"):
    return ["AuthType oauth2", "OAuth2TokenVerify %s %s %s" % (method, url, options), require]


def jwks_location(server, require="Require valid-user"):
    return location("jwks_uri", server.base + "/.well-known/jwks.json", verify_options(expiry=0),
                    require)


def introspect_location(server, client, **more):
    return location("introspect", server.base + "/introspect", verify_options(client, **more))


def metadata_location(server, client, **more):
    return location("metadata", server.base + "/.well-known/oauth-authorization-server",
                    verify_options(client, **more))


def tampered(token):
    """The token with its signature changed, and with its claims changed under the old one."""
    head, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    claims = harness.unverified(token)[1]
    return {"signature changed": ".".join([head, payload, flipped]),
            "claims changed": ".".join([head, harness.b64url(dict(claims, sub="mallory")),
                                        signature])}


@unittest.skipIf(MISSING, "%s missing: install the Debian packages apache2 and "
                 "libapache2-mod-oauth2 (deps/debian-packages.txt; `make deps`)"
                 % " and ".join(MISSING))
class ModOauth2(unittest.TestCase):
    """ES256 tokens pass every way; EdDSA ones only through Tessera's own introspection."""

    @classmethod
    def setUpClass(cls):
        cls.es = cls.tessera("ES256")
        cls.ed = cls.tessera(None)  # the default, EdDSA
        cls.rs = cls.tessera("RS256")
        # The resource server's own client: it may call /introspect.
        cls.es_gate = add_client(cls.es, "apache")
        cls.ed_gate = add_client(cls.ed, "apache")
        # Clients calling the API, with the client_credentials grant.
        cls.reader = add_client(cls.es, "reader", grants=["client_credentials"],
                                audience=API_AUDIENCE)
        cls.other = add_client(cls.es, "other", grants=["client_credentials"])
        cls.ed_reader = add_client(cls.ed, "reader", grants=["client_credentials"])
        cls.rs_reader = add_client(cls.rs, "reader", grants=["client_credentials"])

        directory = tempfile.mkdtemp(prefix="tessera-e2e-apache-")
        if not os.environ.get("TESSERA_E2E_KEEP"):
            cls.addClassCleanup(shutil.rmtree, directory, True)
        # Every location but the *-cached ones says expiry=0: mod_oauth2 remembers a token it
        # accepted for 300 s by default, in one cache for all locations.
        cls.apache = Apache(directory, {
            "/es/jwks": jwks_location(cls.es, "Require oauth2_claim aud:" + API_AUDIENCE),
            "/es/jwks-any": jwks_location(cls.es),
            "/es/introspect": introspect_location(cls.es, cls.es_gate, expiry=0),
            "/es/metadata": metadata_location(cls.es, cls.es_gate, expiry=0),
            "/es/introspect-cached": introspect_location(cls.es, cls.es_gate),
            "/ed/jwks": jwks_location(cls.ed),
            "/ed/introspect": introspect_location(cls.ed, cls.ed_gate, expiry=0),
            "/ed/metadata": metadata_location(cls.ed, cls.ed_gate, expiry=0),
            "/ed/metadata-cached": metadata_location(cls.ed, cls.ed_gate),
            "/ed/metadata-no-client": metadata_location(cls.ed, None, expiry=0),
            "/rs/jwks": jwks_location(cls.rs),
        })
        cls.addClassCleanup(cls.apache.close)
        cls.apache.start()

    @classmethod
    def tessera(cls, alg):
        server = harness.Server.start(env={"TESSERA_SIGNING_ALG": alg})
        cls.addClassCleanup(server.close)
        return server

    def token(self, server, client):
        """A fresh token: mod_oauth2 remembers the ones it accepted (see the cache tests)."""
        r = client_credentials(server.base, client)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()["access_token"]

    def assert_passes(self, path, token):
        r = self.apache.get(path, token)
        self.assertEqual((r.status_code, r.text), (200, "ok %s\n" % path),
                         "%s refused the token\n%s" % (path, self.apache.error_log()[-3000:]))

    def assert_refused(self, path, token, error="invalid_token", note=""):
        """401; with a Bearer challenge naming `error` unless it is None (mod_oauth2 sends none
        when the token is good but a Require line fails)."""
        r = self.apache.get(path, token)
        self.assertEqual(r.status_code, 401,
                         "%s: %s %s %s" % (path, r.status_code, r.text[:200], note))
        challenge = r.headers.get("WWW-Authenticate")
        if error is None:
            self.assertIsNone(challenge)
        else:
            self.assertIsNotNone(challenge)
            self.assertTrue(challenge.startswith("Bearer "), challenge)
            self.assertIn('error="%s"' % error, challenge)

    def test_es256_tokens_pass_through_the_jwks_introspection_and_metadata(self):
        token = self.token(self.es, self.reader)
        self.assertEqual(harness.unverified(token)[0]["alg"], "ES256")
        for path in ("/es/jwks", "/es/jwks-any", "/es/introspect", "/es/metadata"):
            with self.subTest(path=path):
                self.assert_passes(path, token)
        # A user's token too (the password grant of the default client).
        user_token = harness.token_for(self, self.es.base, ADMIN_USER, ADMIN_PASSWORD)
        for path in ("/es/jwks-any", "/es/introspect", "/es/metadata"):
            with self.subTest(path=path, token="user"):
                self.assert_passes(path, user_token)

    def test_no_token_is_401_with_a_bearer_challenge(self):
        for path in self.apache.locations:
            with self.subTest(path=path):
                self.assert_refused(path, None, error="invalid_request")

    def test_tampered_tokens_are_refused(self):
        for name, token in tampered(self.token(self.es, self.reader)).items():
            for path in ("/es/jwks", "/es/jwks-any", "/es/introspect", "/es/metadata"):
                with self.subTest(path=path, token=name):
                    self.assert_refused(path, token)

    def test_the_audience_is_checked_by_require_oauth2_claim_only(self):
        # OAuth2TokenVerify has no audience setting: a token for another audience passes
        # `Require valid-user` and fails `Require oauth2_claim aud:...`.
        token = self.token(self.es, self.other)
        self.assertNotEqual(harness.unverified(token)[1]["aud"], API_AUDIENCE)
        self.assert_passes("/es/jwks-any", token)
        self.assert_refused("/es/jwks", token, error=None)

    def test_a_revoked_token_is_refused_through_introspection_with_expiry_0(self):
        token = self.token(self.es, self.reader)
        for path in ("/es/introspect", "/es/jwks", "/es/metadata"):
            self.assert_passes(path, token)
        r = revoke(self.es.base, self.reader, token)
        self.assertEqual(r.status_code, 200, r.text)
        self.assert_refused("/es/introspect", token)
        # The JWKS (and metadata, which tries the JWKS first) check the signature only.
        self.assert_passes("/es/jwks", token)
        self.assert_passes("/es/metadata", token)

    def test_a_never_seen_revoked_token_is_refused_through_introspection(self):
        token = self.token(self.es, self.reader)
        self.assertEqual(revoke(self.es.base, self.reader, token).status_code, 200)
        self.assert_refused("/es/introspect", token)
        self.assert_refused("/es/introspect-cached", token)

    def test_without_expiry_0_a_revoked_token_is_remembered_at_every_location(self):
        # mod_oauth2 keeps a token it accepted for `expiry` seconds (300 by default), keyed by
        # the token alone: a location with expiry=0 takes it from the cache too.
        token = self.token(self.es, self.reader)
        self.assert_passes("/es/introspect-cached", token)
        self.assertEqual(revoke(self.es.base, self.reader, token).status_code, 200)
        self.assert_passes("/es/introspect-cached", token)
        self.assert_passes("/es/introspect", token)

    def test_eddsa_tokens_are_refused_through_the_jwks(self):
        token = self.token(self.ed, self.ed_reader)
        header = harness.unverified(token)[0]
        self.assertEqual(header["alg"], "EdDSA")
        jwks = requests.get(self.ed.base + "/.well-known/jwks.json", timeout=HTTP_TIMEOUT)
        self.assertIn(header["kid"], [k.get("kid") for k in jwks.json()["keys"]])
        log_before = len(self.apache.error_log())
        self.assert_refused("/ed/jwks", token, note="(mod_oauth2 took an EdDSA token through "
                            "jwks_uri: README's 'Which algorithm to choose' says it cannot)")
        # cjose cannot read the JWS at all, before any key is tried.
        self.assertIn("cjose_jws_import failed", self.apache.error_log()[log_before:])
        # Metadata without a client: the JWKS it names, then /introspect, which refuses.
        self.assert_refused("/ed/metadata-no-client", token)

    def test_eddsa_tokens_pass_through_introspection_and_metadata(self):
        # Tessera checks the token at /introspect; metadata falls back to introspection
        # (when given the client) when the JWKS check fails.
        self.assert_passes("/ed/introspect", self.token(self.ed, self.ed_reader))
        self.assert_passes("/ed/metadata", self.token(self.ed, self.ed_reader))
        for name, token in tampered(self.token(self.ed, self.ed_reader)).items():
            for path in ("/ed/introspect", "/ed/metadata"):
                with self.subTest(path=path, token=name):
                    self.assert_refused(path, token)

    def test_an_eddsa_token_accepted_once_passes_the_jwks_location_from_the_cache(self):
        token = self.token(self.ed, self.ed_reader)
        self.assert_refused("/ed/jwks", token)
        self.assert_passes("/ed/metadata-cached", token)  # through introspection
        self.assert_passes("/ed/jwks", token)

    def test_rs256_tokens_pass_through_the_jwks(self):
        token = self.token(self.rs, self.rs_reader)
        self.assertEqual(harness.unverified(token)[0]["alg"], "RS256")
        self.assert_passes("/rs/jwks", token)
        for name, bad in tampered(token).items():
            with self.subTest(token=name):
                self.assert_refused("/rs/jwks", bad)


if __name__ == "__main__":
    unittest.main()
