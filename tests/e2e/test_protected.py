"""Protected endpoints (/users/me, /userinfo) and RFC 6750 errors, cross-checked with PyJWT."""

import time
import uuid

import jwt
import requests

import harness
from harness import ADMIN_PASSWORD, ADMIN_USER, HTTP_TIMEOUT, bearer

SECRET = "e2e-hs256-secret-that-is-long-enough-0123456789"


def assert_invalid_token(testcase, r):
    testcase.assertEqual(r.status_code, 401, r.text)
    challenge = r.headers.get("WWW-Authenticate", "")
    testcase.assertTrue(challenge.startswith("Bearer"), r.headers)
    testcase.assertIn('error="invalid_token"', challenge)


class ProtectedEndpoints(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = harness.login(cls.server.base, ADMIN_USER, ADMIN_PASSWORD)
        assert r.status_code == 200, r.text
        cls.token = r.json()["access_token"]

    def get_me(self, headers=None):
        return requests.get(self.base + "/users/me", headers=headers or {}, timeout=HTTP_TIMEOUT)

    def test_users_me_returns_the_token_claims(self):
        r = self.get_me(bearer(self.token))
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), harness.unverified(self.token)[1])

    def test_no_authorization_is_401_with_a_bare_bearer_challenge(self):
        r = self.get_me()
        self.assertEqual(r.status_code, 401, r.text)
        self.assertEqual(r.headers.get("WWW-Authenticate"), "Bearer")
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")

    def test_garbage_token_is_invalid_token(self):
        for token in ("garbage", "a.b.c", "....", "eyJ" + "A" * 100):
            with self.subTest(token=token):
                assert_invalid_token(self, self.get_me(bearer(token)))

    def test_auth_scheme_is_case_insensitive(self):
        # RFC 9110 section 11.1: the authentication scheme is case-insensitive.
        for scheme in ("bearer", "BEARER"):
            with self.subTest(scheme=scheme):
                r = self.get_me({"Authorization": scheme + " " + self.token})
                self.assertEqual(r.status_code, 200, r.text)

    def test_other_auth_scheme_gets_the_bearer_challenge(self):
        r = self.get_me({"Authorization": "Basic YWxpY2U6QWxpY2UtcGFzcy0x"})
        self.assertEqual(r.status_code, 401, r.text)
        self.assertTrue(r.headers.get("WWW-Authenticate", "").startswith("Bearer"), r.headers)

    def test_token_with_a_changed_signature_is_invalid_token(self):
        head, payload, signature = self.token.split(".")
        flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
        assert_invalid_token(self, self.get_me(bearer(".".join([head, payload, flipped]))))

    def test_token_with_changed_claims_is_invalid_token(self):
        head, payload, signature = self.token.split(".")
        claims = harness.unverified(self.token)[1]
        claims["sub"] = "mallory"
        forged = ".".join([head, harness.b64url(claims), signature])
        assert_invalid_token(self, self.get_me(bearer(forged)))

    def test_userinfo_get_and_post_return_the_subject(self):
        for method in ("GET", "POST"):
            with self.subTest(method=method):
                r = requests.request(method, self.base + "/userinfo", headers=bearer(self.token),
                                     timeout=HTTP_TIMEOUT)
                self.assertEqual(r.status_code, 200, r.text)
                self.assertEqual(r.json().get("sub"), ADMIN_USER)

    def test_userinfo_without_token_is_401_bearer(self):
        r = requests.get(self.base + "/userinfo", timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 401, r.text)
        self.assertEqual(r.headers.get("WWW-Authenticate"), "Bearer")

    def test_userinfo_after_user_delete_is_invalid_token_while_users_me_stays_stateless(self):
        added = self.server.cli("user", "add", "erin", "--password-stdin", input="Erin-pass-1\n")
        self.assertEqual(added.returncode, 0, added.stderr)
        token = harness.token_for(self, self.base, "erin", "Erin-pass-1")
        r = requests.get(self.base + "/userinfo", headers=bearer(token), timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json().get("sub"), "erin")
        deleted = self.server.cli("user", "delete", "erin")
        self.assertEqual(deleted.returncode, 0, deleted.stderr)
        assert_invalid_token(self, requests.get(self.base + "/userinfo", headers=bearer(token),
                                                timeout=HTTP_TIMEOUT))
        me = self.get_me(bearer(token))
        self.assertEqual(me.status_code, 200, me.text)
        self.assertEqual(me.json().get("sub"), "erin")


class HS256TokensCrossCheckedWithPyJWT(harness.ServerTestCase):
    """The seed's mode: HS256 with TESSERA_SECRET_KEY; tokens minted by PyJWT, not by us."""

    SERVER_ENV = {"TESSERA_SIGNING_ALG": "HS256", "TESSERA_SECRET_KEY": SECRET}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = harness.login(cls.server.base, ADMIN_USER, ADMIN_PASSWORD)
        assert r.status_code == 200, r.text
        cls.token = r.json()["access_token"]
        cls.header, cls.claims = harness.unverified(cls.token)

    def mint(self, key=SECRET, header=None, **overrides):
        now = int(time.time())
        claims = {"iss": self.base, "sub": ADMIN_USER, "aud": self.base, "exp": now + 300,
                  "iat": now, "jti": uuid.uuid4().hex, "client_id": "default", "scope": ""}
        claims.update(overrides)
        headers = {"typ": "at+jwt", "kid": self.header["kid"]}
        headers.update(header or {})
        return jwt.encode(claims, key, algorithm="HS256", headers=headers), claims

    def get_me(self, token):
        return requests.get(self.base + "/users/me", headers=bearer(token), timeout=HTTP_TIMEOUT)

    def test_our_token_verifies_with_pyjwt(self):
        self.assertEqual(self.header.get("alg"), "HS256")
        self.assertEqual(self.header.get("typ"), "at+jwt")
        claims = jwt.decode(self.token, SECRET, algorithms=["HS256"], audience=self.base,
                            issuer=self.base)
        self.assertEqual(claims["sub"], ADMIN_USER)
        self.assertEqual(claims["client_id"], "default")

    def test_fresh_token_minted_by_pyjwt_is_accepted(self):
        token, claims = self.mint()
        r = self.get_me(token)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), claims)

    def test_expired_token_is_invalid_token(self):
        now = int(time.time())
        token, _ = self.mint(exp=now - 120, iat=now - 1020)
        assert_invalid_token(self, self.get_me(token))

    def test_token_signed_with_another_secret_is_invalid_token(self):
        token, _ = self.mint(key="another-secret-that-is-also-long-enough-987654")
        assert_invalid_token(self, self.get_me(token))

    def test_alg_none_token_is_invalid_token(self):
        now = int(time.time())
        header = {"alg": "none", "typ": "at+jwt", "kid": self.header["kid"]}
        claims = {"iss": self.base, "sub": ADMIN_USER, "aud": self.base, "exp": now + 300,
                  "iat": now, "jti": uuid.uuid4().hex, "client_id": "default", "scope": ""}
        for signature in ("", self.token.split(".")[2]):
            with self.subTest(signature=signature):
                token = harness.b64url(header) + "." + harness.b64url(claims) + "." + signature
                assert_invalid_token(self, self.get_me(token))

    def test_token_from_another_issuer_is_invalid_token(self):
        token, _ = self.mint(iss="http://evil.example")
        assert_invalid_token(self, self.get_me(token))

    def test_token_not_typed_at_jwt_is_invalid_token(self):
        # RFC 9068 section 4: resource servers MUST check typ "at+jwt" (PyJWT's default is "JWT").
        token, _ = self.mint(header={"typ": "JWT"})
        assert_invalid_token(self, self.get_me(token))

    def test_token_with_application_at_jwt_typ_is_accepted(self):
        # RFC 9068 section 4 allows both spellings.
        token, _ = self.mint(header={"typ": "application/at+jwt"})
        self.assertEqual(self.get_me(token).status_code, 200)

    def test_token_for_another_audience_is_accepted_by_our_own_endpoints(self):
        # docs/reference.md: /users/me and /userinfo accept any valid token, whatever its audience.
        token, _ = self.mint(aud="https://api.example")
        self.assertEqual(self.get_me(token).status_code, 200)

    def test_token_lacking_a_required_claim_is_invalid_token(self):
        # RFC 9068 section 2.2: iss, exp, aud, sub, client_id, iat and jti are REQUIRED.
        for claim in ("iss", "exp", "aud", "sub", "client_id", "iat", "jti"):
            with self.subTest(claim=claim):
                token, claims = self.mint()
                del claims[claim]
                token = jwt.encode(claims, SECRET, algorithm="HS256",
                                   headers={"typ": "at+jwt", "kid": self.header["kid"]})
                assert_invalid_token(self, self.get_me(token))

    def test_token_with_an_unknown_kid_is_invalid_token(self):
        token, _ = self.mint(header={"kid": "no-such-key"})
        assert_invalid_token(self, self.get_me(token))

    def test_token_with_unknown_critical_header_is_invalid_token(self):
        # RFC 7515 section 4.1.11: a recipient that does not understand "crit" must refuse.
        token, _ = self.mint(header={"crit": ["exp2"], "exp2": 1})
        assert_invalid_token(self, self.get_me(token))

    def test_token_with_a_malformed_claim_is_invalid_token(self):
        token, _ = self.mint(exp=str(int(time.time()) + 300))
        assert_invalid_token(self, self.get_me(token))

    def test_token_expiring_at_the_end_of_int64_is_accepted(self):
        token, _ = self.mint(exp=2**63 - 1)
        self.assertEqual(self.get_me(token).status_code, 200)

    def test_token_with_exp_beyond_int64_is_invalid_token(self):
        for exp in (2**63, 2**64, 1e300):
            with self.subTest(exp=exp):
                token, _ = self.mint(exp=exp)
                assert_invalid_token(self, self.get_me(token))

    def test_token_issued_in_the_future_is_invalid_token(self):
        token, _ = self.mint(iat=int(time.time()) + 3600)
        assert_invalid_token(self, self.get_me(token))

    def test_token_not_yet_valid_is_invalid_token(self):
        now = int(time.time())
        token, _ = self.mint(nbf=now + 600, iat=now)
        assert_invalid_token(self, self.get_me(token))

    def test_hs256_token_passes_userinfo(self):
        r = requests.post(self.base + "/userinfo", headers=bearer(self.token), timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json().get("sub"), ADMIN_USER)


