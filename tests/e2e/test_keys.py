"""Signing keys from the outside (issue 3): the JWKS, discovery, tokens cross-checked with
Debian's PyJWT, forgeries made with our published key material, keys that survive a
restart, and the key-encryption key that seals them at rest."""

import base64
import hashlib
import hmac
import json
import os
import select
import socket
import stat
import subprocess
import unittest

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

import harness
from harness import ADMIN_PASSWORD, ADMIN_USER, HTTP_TIMEOUT
from jwks_helpers import (EXPECTED_JWK, JWKS_PATH, OIDC_PATH, PRIVATE_MEMBERS, RFC8414_PATH,
                          assert_invalid_token, fresh_claims, get_jwks, get_me, header_of,
                          jwks_keys, jwks_kids, key_statuses, kid_of, new_token,
                          verify_with_pyjwt)

HS256_SECRET = "e2e-hs256-secret-never-published-0123456789"
KEK_A = "e2e-key-encryption-key-A-0123456789abcdef"
KEK_B = "e2e-key-encryption-key-B-0123456789abcdef"
FIXED_ISSUER = "https://tessera.e2e.test"  # so a token outlives the port of one run

# RFC 7638 section 3.2: the required members of each key type, in lexicographic order.
THUMBPRINT_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y"),
                      "RSA": ("e", "kty", "n")}


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rfc7638_thumbprint(jwk):
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return harness.b64url(hashlib.sha256(canonical).digest())


def one_line(text):
    return len(text.strip().splitlines()) == 1


def max_age(response):
    for directive in response.headers.get("Cache-Control", "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age":
            return int(value)
    return None


def server_env(workdir, extra=None):
    """The environment Server.spawn would give a server on `workdir`, for running
    `tessera serve` as a command that is expected to stop at once."""
    full = {"TESSERA_LISTEN": "127.0.0.1:0", "TESSERA_DATABASE": os.path.join(workdir, "t.db"),
            "TESSERA_ADMIN_USERNAME": ADMIN_USER, "TESSERA_ADMIN_PASSWORD": ADMIN_PASSWORD}
    full.update(extra or {})
    return harness.clean_environment(full)


def failed_start(testcase, workdir, extra=None):
    """Runs `tessera serve` that must refuse to start; returns the CompletedProcess after
    checking exit status 1 and exactly one stderr line."""
    try:
        result = harness.run_cli(["serve"], server_env(workdir, extra), timeout=10)
    except subprocess.TimeoutExpired:
        testcase.fail("tessera serve started with %r instead of stopping" % (extra,))
    testcase.assertEqual(result.returncode, 1, result.stdout + result.stderr)
    testcase.assertNotIn("listening on", result.stdout)
    testcase.assertTrue(one_line(result.stderr), repr(result.stderr))
    return result


# --- The JWKS document ---------------------------------------------------------------------

class DefaultJwks(harness.ServerTestCase):
    """A server with every setting at its default publishes one Ed25519 key (RFC 8037)."""

    def test_exactly_one_public_ed25519_key_with_kid_alg_and_use(self):
        r = get_jwks(self.base)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"),
                        r.headers)
        keys = r.json()["keys"]
        self.assertEqual(len(keys), 1, keys)
        key = keys[0]
        self.assertEqual(key.get("kty"), "OKP")
        self.assertEqual(key.get("crv"), "Ed25519")
        self.assertEqual(key.get("alg"), "EdDSA")
        self.assertEqual(key.get("use"), "sig")
        self.assertTrue(key.get("kid"), key)
        self.assertEqual(len(b64url_decode(key["x"])), 32)
        for member in PRIVATE_MEMBERS:
            self.assertNotIn(member, key)

    def test_kid_is_the_rfc7638_thumbprint(self):
        key = jwks_keys(self.base)[0]
        self.assertEqual(key["kid"], rfc7638_thumbprint(key))

    def test_default_publish_delay_gives_max_age_300(self):
        r = get_jwks(self.base)
        self.assertIn("public", r.headers.get("Cache-Control", ""))
        self.assertEqual(max_age(r), 300, r.headers)

    def test_token_is_signed_by_the_published_key(self):
        token = new_token(self, self.base)
        header = header_of(token)
        self.assertEqual(header.get("alg"), "EdDSA")
        self.assertEqual(header.get("typ"), "at+jwt")
        self.assertIn(header.get("kid"), jwks_kids(self.base))


class JwksMaxAge(unittest.TestCase):
    def test_max_age_is_half_the_publish_delay_between_1s_and_300s(self):
        for delay, expected in (("4s", 2), ("1s", 1), ("2h", 300)):
            with self.subTest(publish_delay=delay):
                server = harness.Server.start(env={"TESSERA_KEY_PUBLISH_DELAY": delay})
                try:
                    r = get_jwks(server.base)
                    self.assertEqual(r.status_code, 200, r.text)
                    self.assertEqual(max_age(r), expected, r.headers)
                finally:
                    self.assertEqual(server.stop(), 0, server.stderr())


class Hs256ModePublishesNoKey(harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_SIGNING_ALG": "HS256", "TESSERA_SECRET_KEY": HS256_SECRET}

    def test_jwks_is_an_empty_key_set(self):
        r = get_jwks(self.base)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"keys": []})

    def test_the_secret_appears_in_no_published_document(self):
        secret = HS256_SECRET.encode()
        forms = (secret, harness.b64url(secret).encode(), secret.hex().encode(),
                 base64.b64encode(secret))
        for path in (JWKS_PATH, RFC8414_PATH, OIDC_PATH):
            r = requests.get(self.base + path, timeout=HTTP_TIMEOUT)
            self.assertEqual(r.status_code, 200, path)
            for form in forms:
                with self.subTest(path=path, form=form[:12]):
                    self.assertNotIn(form, r.content)
                    self.assertNotIn(form[:16], r.content)

    def test_users_me_keeps_working(self):
        token = new_token(self, self.base)
        self.assertEqual(header_of(token)["alg"], "HS256")
        self.assertEqual(get_me(self.base, token).status_code, 200)


# --- Cross-checks with PyJWT, and forgeries with our published key material -----------------

class _AsymmetricTokens:
    """Mixed into one test class per algorithm (ALG), each with its own server."""

    ALG = None

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server.start(env={"TESSERA_SIGNING_ALG": cls.ALG})
        cls.addClassCleanup(cls.server.close)
        cls.base = cls.server.base
        r = harness.login(cls.base, ADMIN_USER, ADMIN_PASSWORD)
        assert r.status_code == 200, r.text
        cls.token = r.json()["access_token"]
        cls.kid = kid_of(cls.token)
        cls.jwks_body = get_jwks(cls.base).content
        cls.jwk = next(k for k in json.loads(cls.jwks_body)["keys"] if k.get("kid") == cls.kid)
        cls.public_key = jwt.PyJWK(cls.jwk).key
        cls.attacker = cls.generate_attacker_key()
        cls.attacker_jwk = json.loads(
            jwt.algorithms.get_default_algorithms()[cls.ALG].to_jwk(cls.attacker.public_key()))
        cls.attacker_kid = rfc7638_thumbprint(cls.attacker_jwk)

    @classmethod
    def generate_attacker_key(cls):
        if cls.ALG == "EdDSA":
            return ed25519.Ed25519PrivateKey.generate()
        if cls.ALG == "ES256":
            return ec.generate_private_key(ec.SECP256R1())
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def header(self, **members):
        header = {"typ": "at+jwt", "kid": self.kid}
        header.update(members)
        return {k: v for k, v in header.items() if v is not None}

    def assert_refused(self, token, note):
        assert_invalid_token(self, get_me(self.base, token), note)

    # What a resource server using PyJWT does.
    def test_token_verifies_with_pyjwk_client(self):
        header = header_of(self.token)
        self.assertEqual(header.get("alg"), self.ALG)
        self.assertEqual(header.get("typ"), "at+jwt")
        signing_key, claims = verify_with_pyjwt(self, self.base, self.token)
        self.assertEqual(signing_key.key_id, self.kid)
        self.assertEqual(claims["sub"], ADMIN_USER)
        self.assertEqual(claims["iss"], self.base)
        self.assertEqual(get_me(self.base, self.token).json(), claims)

    def test_published_key_is_the_public_half_of_the_right_family(self):
        for name, value in EXPECTED_JWK[self.ALG].items():
            self.assertEqual(self.jwk.get(name), value, self.jwk)
        self.assertEqual(self.jwk.get("alg"), self.ALG)
        self.assertEqual(self.jwk.get("use"), "sig")
        self.assertEqual(self.jwk["kid"], rfc7638_thumbprint(self.jwk))
        for member in PRIVATE_MEMBERS:
            self.assertNotIn(member, self.jwk)
        if self.jwk["kty"] == "RSA":
            self.assertGreaterEqual(self.public_key.key_size, 2048)

    def confusion_keys(self):
        """Everything a client can learn about our public key, as HMAC keys."""
        keys = {
            "served JWK": json.dumps(self.jwk, separators=(",", ":")).encode(),
            "JWK with spaces": json.dumps(self.jwk).encode(),
            "JWKS document": self.jwks_body,
            "SPKI DER": self.public_key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
            "SPKI PEM": self.public_key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        }
        for member in ("x", "y", "n"):
            if member in self.jwk:
                keys["raw " + member] = b64url_decode(self.jwk[member])
                keys["base64url " + member] = self.jwk[member].encode()
        if self.jwk["kty"] == "EC":
            keys["raw x||y"] = b64url_decode(self.jwk["x"]) + b64url_decode(self.jwk["y"])
            keys["SEC1 point"] = self.public_key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return keys

    @staticmethod
    def hs256(claims, key, header):
        """HS256 by PyJWT; by hand for the PEM text PyJWT itself refuses as an HMAC key."""
        try:
            return jwt.encode(claims, key, algorithm="HS256", headers=header)
        except jwt.exceptions.InvalidKeyError:
            signing_input = (harness.b64url(dict(header, alg="HS256")) + "."
                             + harness.b64url(claims))
            mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
            return signing_input + "." + harness.b64url(mac)

    def test_hs256_keyed_with_our_public_key_material_is_refused(self):
        # Algorithm confusion (RFC 8725 section 2.1): the verifier must not let the token's
        # alg choose HMAC and then key it with the public key it publishes.
        claims = fresh_claims(self.token)
        for name, key in self.confusion_keys().items():
            for header in (self.header(), self.header(kid=None)):
                with self.subTest(key=name, kid="kid" in header):
                    self.assert_refused(self.hs256(claims, key, header), name)

    def test_token_signed_by_another_key_carrying_our_kid_is_refused(self):
        token = jwt.encode(fresh_claims(self.token), self.attacker, algorithm=self.ALG,
                           headers=self.header())
        self.assert_refused(token, "attacker key, our kid")

    def test_embedded_jwk_header_is_not_trusted(self):
        # RFC 8725 section 3.10 / issue 3: keys named in the token itself are never used.
        claims = fresh_claims(self.token)
        for kid in (self.kid, self.attacker_kid, None):
            with self.subTest(kid=kid):
                token = jwt.encode(claims, self.attacker, algorithm=self.ALG,
                                   headers=self.header(kid=kid, jwk=self.attacker_jwk))
                self.assert_refused(token, "embedded jwk")

    def test_jku_and_x5u_headers_are_refused_and_never_fetched(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = "http://127.0.0.1:%d/jwks.json" % listener.getsockname()[1]
        claims = fresh_claims(self.token)
        for member in ("jku", "x5u"):
            for kid in (self.kid, self.attacker_kid, None):
                with self.subTest(header=member, kid=kid):
                    token = jwt.encode(claims, self.attacker, algorithm=self.ALG,
                                       headers=self.header(kid=kid, **{member: url}))
                    self.assert_refused(token, member)
        readable, _, _ = select.select([listener], [], [], 0.5)
        self.assertFalse(readable, "the server connected to the URL in a jku/x5u header")

    def test_alg_none_is_refused(self):
        claims = fresh_claims(self.token)
        for alg in ("none", "None", "NONE"):
            with self.subTest(alg=alg):
                token = (harness.b64url(self.header(alg=alg)) + "." + harness.b64url(claims)
                         + ".")
                self.assert_refused(token, alg)

    def test_our_signature_under_another_alg_is_refused(self):
        head, payload, signature = self.token.split(".")
        for alg in sorted(set(EXPECTED_JWK) - {self.ALG}) + ["HS256"]:
            with self.subTest(alg=alg):
                forged = harness.b64url(dict(header_of(self.token), alg=alg))
                self.assert_refused(".".join([forged, payload, signature]), alg)


class EdDSATokens(_AsymmetricTokens, unittest.TestCase):
    ALG = "EdDSA"


class ES256Tokens(_AsymmetricTokens, unittest.TestCase):
    ALG = "ES256"


class RS256Tokens(_AsymmetricTokens, unittest.TestCase):
    ALG = "RS256"


# --- Discovery (RFC 8414, OpenID Connect Discovery 1.0) --------------------------------------

class Discovery(harness.ServerTestCase):
    USERS = {"bob": "read write", "carol": "admin read:reports"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name, scope in cls.USERS.items():
            added = cls.server.cli("user", "add", name, "--scope", scope, "--password-stdin",
                                   input="%s-pass-123\n" % name.capitalize())
            assert added.returncode == 0, added.stderr

    def documents(self):
        docs = {}
        for path in (RFC8414_PATH, OIDC_PATH):
            r = requests.get(self.base + path, timeout=HTTP_TIMEOUT)
            self.assertEqual(r.status_code, 200, r.text)
            self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"),
                            r.headers)
            docs[path] = r.json()
            self.assertIsInstance(docs[path], dict)
        return docs

    def test_issuer_is_the_base_url(self):
        for path, doc in self.documents().items():
            with self.subTest(path=path):
                self.assertEqual(doc.get("issuer"), self.base)

    def test_endpoints_are_absolute_urls_under_the_issuer(self):
        for path, doc in self.documents().items():
            for member in ("jwks_uri", "token_endpoint", "userinfo_endpoint"):
                with self.subTest(path=path, member=member):
                    self.assertIsInstance(doc.get(member), str, doc)
                    self.assertTrue(doc[member].startswith(self.base + "/"), doc[member])

    def test_jwks_uri_serves_the_jwks(self):
        for path, doc in self.documents().items():
            with self.subTest(path=path):
                r = requests.get(doc["jwks_uri"], timeout=HTTP_TIMEOUT)
                self.assertEqual(r.status_code, 200, r.text)
                self.assertEqual(r.json(), get_jwks(self.base).json())
                self.assertTrue(r.json()["keys"])

    def test_token_and_userinfo_endpoints_work_as_advertised(self):
        doc = self.documents()[OIDC_PATH]
        r = requests.post(doc["token_endpoint"], timeout=HTTP_TIMEOUT, data={
            "grant_type": "password", "username": ADMIN_USER, "password": ADMIN_PASSWORD})
        self.assertEqual(r.status_code, 200, r.text)
        token = r.json()["access_token"]
        self.assertEqual(harness.unverified(token)[1]["iss"], doc["issuer"])
        info = requests.get(doc["userinfo_endpoint"], headers=harness.bearer(token),
                            timeout=HTTP_TIMEOUT)
        self.assertEqual(info.status_code, 200, info.text)

    def test_password_grant_is_advertised(self):
        for path, doc in self.documents().items():
            with self.subTest(path=path):
                self.assertIn("password", doc.get("grant_types_supported", []))
                self.assertIsInstance(doc.get("token_endpoint_auth_methods_supported"), list)

    def test_scopes_supported_lists_the_scopes_of_users(self):
        wanted = {s for scopes in self.USERS.values() for s in scopes.split()}
        for path, doc in self.documents().items():
            with self.subTest(path=path):
                scopes = doc.get("scopes_supported")
                self.assertIsInstance(scopes, list, doc)
                self.assertEqual(len(scopes), len(set(scopes)), scopes)
                self.assertLessEqual(wanted, set(scopes))

    def test_scopes_of_a_user_added_later_appear(self):
        added = self.server.cli("user", "add", "dina", "--scope", "billing", "--password-stdin",
                                input="Dina-pass-123\n")
        self.assertEqual(added.returncode, 0, added.stderr)
        for path, doc in self.documents().items():
            with self.subTest(path=path):
                self.assertIn("billing", doc["scopes_supported"])

    def test_response_types_supported_is_an_array(self):
        for path, doc in self.documents().items():
            with self.subTest(path=path):
                self.assertIsInstance(doc.get("response_types_supported"), list, doc)

    def test_openid_configuration_has_the_oidc_members(self):
        doc = self.documents()[OIDC_PATH]
        self.assertIsInstance(doc.get("subject_types_supported"), list, doc)
        self.assertTrue(doc["subject_types_supported"])
        # OpenID Connect Discovery 1.0 section 3: RS256 MUST be included.
        self.assertIn("RS256", doc.get("id_token_signing_alg_values_supported", []))


class DiscoveryWithConfiguredIssuer(harness.ServerTestCase):
    ISSUER = "https://issuer.example"
    SERVER_ENV = {"TESSERA_ISSUER": ISSUER}

    def test_configured_issuer_is_the_discovery_issuer_and_the_endpoints_base(self):
        token = new_token(self, self.base)
        for path in (RFC8414_PATH, OIDC_PATH):
            with self.subTest(path=path):
                doc = requests.get(self.base + path, timeout=HTTP_TIMEOUT).json()
                self.assertEqual(doc["issuer"], self.ISSUER)
                self.assertEqual(harness.unverified(token)[1]["iss"], doc["issuer"])
                for member in ("jwks_uri", "token_endpoint", "userinfo_endpoint"):
                    self.assertTrue(doc[member].startswith(self.ISSUER + "/"), doc[member])


# --- Keys persist across restarts ------------------------------------------------------------

class KeysSurviveARestart(unittest.TestCase):
    def test_token_from_before_a_restart_still_verifies(self):
        env = {"TESSERA_ISSUER": FIXED_ISSUER}
        first = harness.Server.start(env=env)
        try:
            token = new_token(self, first.base)
            kids = jwks_kids(first.base)
        finally:
            self.assertEqual(first.stop(), 0, first.stderr())
        self.assertEqual(kids, [kid_of(token)])

        second = harness.Server.start(env=env, workdir=first.workdir)
        self.addCleanup(second.close)
        self.assertEqual(jwks_kids(second.base), kids)
        r = get_me(second.base, token)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), harness.unverified(token)[1])
        verify_with_pyjwt(self, second.base, token, issuer=FIXED_ISSUER)
        self.assertEqual(kid_of(new_token(self, second.base)), kids[0])


# --- The key-encryption key ------------------------------------------------------------------

# Byte strings that only a private key in clear would put into the database: PEM armour, the
# PKCS#8 prefixes of RFC 8410 (Ed25519) and RFC 5208/5915 (P-256, RSA) and the PKCS#1 /
# SEC1 private key structures.
CLEAR_PRIVATE_KEY_MARKERS = {
    "PEM armour": b"-----BEGIN",
    "PRIVATE KEY label": b"PRIVATE KEY",
    "PKCS#8 Ed25519": bytes.fromhex("302e020100300506032b657004220420"),
    "PKCS#8 P-256": bytes.fromhex("020100301306072a8648ce3d020106082a8648ce3d030107"),
    "SEC1 P-256": bytes.fromhex("30770201010420"),
    "PKCS#8 RSA": bytes.fromhex("020100300d06092a864886f70d0101010500"),
    "PKCS#1 RSA": bytes.fromhex("0201000282010100"),
}


class KeyEncryptionKey(unittest.TestCase):
    def kek_path(self, server):
        return os.path.join(server.workdir, "tessera.kek")

    def database_bytes(self, workdir):
        """The SQLite database and its -wal/-shm files, as they are on disk now."""
        files = {}
        for name in os.listdir(workdir):
            if name.startswith("t.db"):
                with open(os.path.join(workdir, name), "rb") as f:
                    files[name] = f.read()
        self.assertIn("t.db", files)
        return files

    def assert_nothing_private_in_clear(self, workdir, also=()):
        for name, data in self.database_bytes(workdir).items():
            for marker_name, marker in list(CLEAR_PRIVATE_KEY_MARKERS.items()) + list(also):
                with self.subTest(file=name, marker=marker_name):
                    self.assertNotIn(marker, data)

    def test_kek_file_is_created_0600_and_a_readable_one_stops_the_start(self):
        env = {"TESSERA_ISSUER": FIXED_ISSUER}
        server = harness.Server.start(env=env)
        try:
            token = new_token(self, server.base)
        finally:
            self.assertEqual(server.stop(), 0, server.stderr())
        path = self.kek_path(server)
        self.assertTrue(os.path.isfile(path), os.listdir(server.workdir))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)

        for mode in (0o644, 0o640, 0o604):
            with self.subTest(mode=oct(mode)):
                os.chmod(path, mode)
                result = failed_start(self, server.workdir, env)
                self.assertIn("tessera.kek", result.stderr)
                rotate = harness.run_cli(["key", "rotate"], server_env(server.workdir, env))
                self.assertEqual(rotate.returncode, 1, rotate.stdout + rotate.stderr)
                self.assertIn("tessera.kek", rotate.stderr)

        os.chmod(path, 0o600)
        again = harness.Server.start(env=env, workdir=server.workdir)
        self.addCleanup(again.close)
        self.assertEqual(get_me(again.base, token).status_code, 200)
        self.assertEqual(len(jwks_kids(again.base)), 1, "a refused key rotate added a key")

    def test_kek_from_the_environment_writes_no_file_and_another_one_cannot_start(self):
        env = {"TESSERA_ISSUER": FIXED_ISSUER, "TESSERA_KEY_ENCRYPTION_KEY": KEK_A}
        server = harness.Server.start(env=env)
        try:
            token = new_token(self, server.base)
            self.assertFalse(os.path.exists(self.kek_path(server)))
        finally:
            self.assertEqual(server.stop(), 0, server.stderr())
        self.assertFalse(os.path.exists(self.kek_path(server)), os.listdir(server.workdir))

        failed_start(self, server.workdir, dict(env, TESSERA_KEY_ENCRYPTION_KEY=KEK_B))

        again = harness.Server.start(env=env, workdir=server.workdir)
        self.addCleanup(again.close)
        self.assertEqual(get_me(again.base, token).status_code, 200)

    def test_short_kek_stops_the_start_naming_the_variable(self):
        for value in ("x" * 31, "short"):
            with self.subTest(length=len(value)):
                env = server_env(harness.make_workdir(), {"TESSERA_KEY_ENCRYPTION_KEY": value})
                result = harness.run_cli(["serve"], env, timeout=10)
                self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
                self.assertNotIn("listening on", result.stdout)
                last = result.stderr.strip().splitlines()[-1]
                self.assertIn("TESSERA_KEY_ENCRYPTION_KEY", last)
                self.assertNotIn(value, result.stderr)

    def test_short_kek_is_refused_before_the_database_is_touched(self):
        # docs/reference.md, Settings: like every other bad value, one line and nothing done.
        workdir = harness.make_workdir()
        failed_start(self, workdir, {"TESSERA_KEY_ENCRYPTION_KEY": "x" * 31})
        self.assertEqual(os.listdir(workdir), [], "made before the refusal")

    def test_key_rotate_with_another_kek_is_refused_and_adds_nothing(self):
        # A key sealed under a KEK the server does not hold can never sign, and the next
        # start of the server fails on it: the admin command must refuse instead.
        env = {"TESSERA_KEY_ENCRYPTION_KEY": KEK_A, "TESSERA_KEY_PUBLISH_DELAY": "1s"}
        server = harness.Server.start(env=env)
        self.addCleanup(server.close)
        before = key_statuses(self, server)
        wrong = dict(server.env, TESSERA_KEY_ENCRYPTION_KEY=KEK_B)
        rotate = harness.run_cli(["key", "rotate"], wrong)
        self.assertEqual(rotate.returncode, 1, rotate.stdout + rotate.stderr)
        self.assertTrue(one_line(rotate.stderr), repr(rotate.stderr))
        self.assertEqual(key_statuses(self, server), before)

    def test_no_private_key_in_clear_in_the_database(self):
        cases = (
            ("EdDSA", {}, ()),
            ("ES256", {"TESSERA_KEY_ENCRYPTION_KEY": KEK_A},
             (("the KEK itself", KEK_A.encode()),)),
            ("RS256", {}, ()),
        )
        for alg, extra, also in cases:
            with self.subTest(alg=alg):
                server = harness.Server.start(env=dict(extra, TESSERA_SIGNING_ALG=alg))
                try:
                    if alg == "RS256":
                        rotated = server.cli("key", "rotate", "--alg", "PS256")
                        self.assertEqual(rotated.returncode, 0, rotated.stderr)
                    new_token(self, server.base)
                    markers = list(also)
                    if os.path.exists(self.kek_path(server)):
                        with open(self.kek_path(server), "rb") as f:
                            markers.append(("the KEK file's bytes", f.read()))
                    self.assert_nothing_private_in_clear(server.workdir, markers)  # WAL too
                finally:
                    self.assertEqual(server.stop(), 0, server.stderr())
                self.assert_nothing_private_in_clear(server.workdir, markers)  # checkpointed


if __name__ == "__main__":
    unittest.main()
