"""POST /introspect (RFC 7662) and POST /revoke (RFC 7009), issue 4: what a resource server
learns about live, expired, revoked, foreign and malformed tokens; who may ask; and what a
client may revoke."""

import time
import unittest
import uuid

import jwt
import requests

import harness
from harness import ADMIN_PASSWORD, ADMIN_USER, HTTP_TIMEOUT
from jwks_helpers import assert_invalid_token, get_me
from oauth_helpers import (INACTIVE, Client, add_client, add_user, assert_active,
                           assert_inactive, assert_oauth_error, assert_token_response, claims,
                           client_credentials, introspect, introspection, me_status, new_secret,
                           password_grant, post_form, refresh, revoke, wait_for,
                           wait_until_refused)

BOB, BOB_PASSWORD = "bob", "Bob-pass-12345"


def malformed_tokens(real_access_token):
    """Strings that are not live tokens of ours, each with a name."""
    head, payload, signature = real_access_token.split(".")
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
    token_claims = claims(real_access_token)
    unsigned = ".".join([harness.b64url({"alg": "none", "typ": "at+jwt"}),
                         harness.b64url(dict(token_claims, jti=uuid.uuid4().hex)), ""])
    hs256 = jwt.encode(dict(token_claims, jti=uuid.uuid4().hex), "k" * 32, algorithm="HS256",
                       headers={"typ": "at+jwt", "kid": jwt.get_unverified_header(
                           real_access_token)["kid"]})
    return [
        ("garbage", "garbage"),
        ("one character", "x"),
        ("a space", " "),
        ("dots", ".."),
        ("three empty parts", "a.b.c"),
        ("refresh-token shaped", "A" * 43),
        ("long", "x" * 5000),
        ("non-ASCII", "t\u00f6ken"),
        ("signature changed", ".".join([head, payload, flipped])),
        ("claims changed", ".".join([head, harness.b64url(dict(token_claims, sub="mallory")),
                                     signature])),
        ("alg none", unsigned),
        ("HS256 with our kid", hs256),
        ("access token with a trailing dot", real_access_token + "."),
    ]


class Introspection(harness.ServerTestCase):
    AUDIENCE = "https://api.example.test"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, BOB, BOB_PASSWORD, scope="read write")
        cls.rs = add_client(cls.server, "resource-server")
        cls.conf = add_client(cls.server, "conf", grants=["password", "refresh_token"],
                              scope="read write", audience=cls.AUDIENCE)
        cls.svc = add_client(cls.server, "svc", scope="read")
        cls.app = add_client(cls.server, "app", public=True)
        cls.other = harness.Server.start(env={"TESSERA_ISSUER": cls.server.base})
        cls.addClassCleanup(cls.other.close)

    def user_tokens(self, scope=None):
        return assert_token_response(
            self, password_grant(self.base, self.conf, BOB, BOB_PASSWORD, scope=scope),
            refresh_token=True)

    def test_live_access_token_of_a_user(self):
        body = self.user_tokens(scope="read")
        token_claims = claims(body["access_token"])
        for method in ("basic", "post"):
            with self.subTest(method=method):
                # Any confidential client may introspect any token (a resource server asks
                # about tokens issued to others).
                answer = introspection(self, self.base, self.rs, body["access_token"], method)
                self.assertIs(answer["active"], True)
                self.assertEqual(answer["token_type"], "bearer")
                for claim in ("scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti"):
                    self.assertEqual(answer[claim], token_claims[claim], claim)
                self.assertEqual(answer["scope"], "read")
                self.assertEqual(answer["client_id"], "conf")
                self.assertEqual(answer["sub"], BOB)
                self.assertEqual(answer["username"], BOB)
                self.assertEqual(answer["iss"], self.base)
                self.assertEqual(answer["aud"], self.AUDIENCE)
                self.assertGreater(answer["exp"], time.time())

    def test_live_client_credentials_token_has_no_username(self):
        body = assert_token_response(self, client_credentials(self.base, self.svc))
        answer = assert_active(self, self.base, self.rs, body["access_token"])
        self.assertEqual(answer["sub"], "svc")
        self.assertEqual(answer["client_id"], "svc")
        self.assertEqual(answer["scope"], "read")
        self.assertNotIn("username", answer)
        # The client may introspect its own token too.
        assert_active(self, self.base, self.svc, body["access_token"])

    def test_live_refresh_token(self):
        body = self.user_tokens()
        answer = assert_active(self, self.base, self.rs, body["refresh_token"], "refresh_token")
        self.assertEqual(answer["client_id"], "conf")
        self.assertEqual(answer["sub"], BOB)
        self.assertEqual(set(answer["scope"].split()), {"read", "write"})
        self.assertEqual(answer["iss"], self.base)
        self.assertGreater(answer["exp"], time.time() + 24 * 3600)  # default 30 days
        self.assertLessEqual(answer["iat"], time.time() + 1)
        # Introspection does not spend it.
        assert_token_response(self, refresh(self.base, self.conf, body["refresh_token"]),
                              refresh_token=True)

    def test_malformed_and_unknown_tokens_are_exactly_inactive(self):
        for what, token in malformed_tokens(self.user_tokens()["access_token"]):
            with self.subTest(what):
                assert_inactive(self, self.base, self.rs, token)

    def test_tokens_of_another_instance_are_inactive(self):
        # Same issuer name, another database and key: nothing of it is ours.
        other_body = assert_token_response(
            self, harness.login(self.other.base, ADMIN_USER, ADMIN_PASSWORD), refresh_token=True)
        self.assertEqual(claims(other_body["access_token"])["iss"], self.base)
        assert_inactive(self, self.base, self.rs, other_body["access_token"])
        assert_inactive(self, self.base, self.rs, other_body["refresh_token"])

    def test_rotated_refresh_token_is_inactive(self):
        body = self.user_tokens()
        assert_token_response(self, refresh(self.base, self.conf, body["refresh_token"]))
        assert_inactive(self, self.base, self.rs, body["refresh_token"])

    def test_public_and_unknown_callers_get_401(self):
        token = self.user_tokens()["access_token"]
        for what, client, method in (
                ("registered public client", self.app, "none"),
                ("built-in default client", Client("default"), "none"),
                ("no client at all", None, None),
                ("wrong secret, basic", Client("resource-server", new_secret()), "basic"),
                ("wrong secret, post", Client("resource-server", new_secret()), "post"),
                ("unknown client", Client("nobody", new_secret()), "basic"),
                ("confidential client without its secret", self.rs, "none")):
            with self.subTest(what):
                r = introspect(self.base, client, token, method)
                assert_oauth_error(self, r, 401, "invalid_client")
                self.assertNotIn("active", r.json())

    def test_missing_token_is_invalid_request(self):
        for form in ({"token_type_hint": "access_token"}, {"token": ""}):
            with self.subTest(form=form):
                r = post_form(self.base, "/introspect", self.rs, form)
                assert_oauth_error(self, r, 400, "invalid_request")

    def test_answers_are_json_and_not_cached(self):
        for token in (self.user_tokens()["access_token"], "garbage"):
            r = introspect(self.base, self.rs, token)
            self.assertEqual(r.status_code, 200, r.text)
            self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
            self.assertEqual(r.headers.get("Cache-Control"), "no-store")


class ExpiredAccessToken(harness.ServerTestCase):
    """The one test that waits for a clock: 1 s tokens, inactive once past exp and the
    verifier's leeway; and a revoked one that must not come back to life meanwhile."""

    SERVER_ENV = {"TESSERA_ACCESS_TOKEN_TTL": "1s"}
    LEEWAY = 10  # the most clock skew a verifier of ours tolerates; not part of the contract

    def test_expired_access_token_is_inactive_and_refused(self):
        rs = add_client(self.server, "resource-server")
        body = assert_token_response(self, harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD))
        self.assertEqual(body["expires_in"], 1)
        token = body["access_token"]
        revoked = harness.token_for(self, self.base, ADMIN_USER, ADMIN_PASSWORD)
        self.assertEqual(revoke(self.base, None, revoked).status_code, 200)
        assert_active(self, self.base, rs, token)
        assert_inactive(self, self.base, rs, revoked)
        exp = claims(token)["exp"]
        revoked_exp = claims(revoked)["exp"]
        revived = []  # seconds after its exp at which the revoked token was taken again

        def expired():
            if (introspection(self, self.base, rs, revoked) != INACTIVE
                    or me_status(self.base, revoked) != 401):
                revived.append(round(time.time() - revoked_exp, 1))
            return introspection(self, self.base, rs, token) == INACTIVE

        wait_for(expired, max(0.0, exp + self.LEEWAY - time.time()) + 2.0,
                 "the access token is inactive after exp %s plus leeway" % exp, interval=0.25)
        with self.subTest("expired"):
            self.assertGreaterEqual(time.time(), exp)
            assert_invalid_token(self, get_me(self.base, token))
            # Its refresh token outlives it and still works.
            fresh = assert_token_response(self, refresh(self.base, None, body["refresh_token"]),
                                          refresh_token=True)
            self.assertEqual(me_status(self.base, fresh["access_token"]), 200)
        with self.subTest("revoked before it expired"):
            # A revoked token stays refused for as long as the verifier would take it: until
            # exp plus leeway, not just until exp.
            if revived:
                self.fail("the revoked access token was accepted again (introspection active "
                          "or /users/me 200) from %s s to %s s after its exp"
                          % (revived[0], revived[-1]))


class Revocation(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, BOB, BOB_PASSWORD, scope="read")
        grants = ["password", "refresh_token", "client_credentials"]
        cls.a = add_client(cls.server, "client-a", grants=grants, scope="read")
        cls.b = add_client(cls.server, "client-b", grants=grants, scope="read")
        cls.pub = add_client(cls.server, "pub", public=True)
        cls.rs = add_client(cls.server, "resource-server")

    def login(self, client=None):
        return assert_token_response(
            self, password_grant(self.base, client or self.a, BOB, BOB_PASSWORD),
            refresh_token=True)

    def assert_revoked_ok(self, response):
        # RFC 7009 section 2.2: 200, and the content of the body is ignored; ours is empty.
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.content, b"")

    def test_revoking_an_access_token(self):
        for what, hint, method in (("no hint, basic", None, "basic"),
                                   ("access_token hint, post", "access_token", "post"),
                                   ("wrong hint", "refresh_token", "basic")):
            with self.subTest(what):
                body = self.login()
                self.assertEqual(me_status(self.base, body["access_token"]), 200)
                self.assert_revoked_ok(revoke(self.base, self.a, body["access_token"], method,
                                              token_type_hint=hint))
                assert_invalid_token(self, get_me(self.base, body["access_token"]))
                assert_inactive(self, self.base, self.rs, body["access_token"])

    def test_revoking_a_client_credentials_token(self):
        body = assert_token_response(self, client_credentials(self.base, self.a))
        self.assert_revoked_ok(revoke(self.base, self.a, body["access_token"]))
        assert_invalid_token(self, get_me(self.base, body["access_token"]))
        assert_inactive(self, self.base, self.rs, body["access_token"])

    def test_revoking_a_refresh_token_ends_its_family(self):
        for what, hint, method in (("refresh_token hint, basic", "refresh_token", "basic"),
                                   ("no hint, post", None, "post"),
                                   ("wrong hint", "access_token", "basic")):
            with self.subTest(what):
                first = self.login()
                second = assert_token_response(
                    self, refresh(self.base, self.a, first["refresh_token"]), refresh_token=True)
                self.assert_revoked_ok(revoke(self.base, self.a, second["refresh_token"], method,
                                              token_type_hint=hint))
                assert_oauth_error(self, refresh(self.base, self.a, second["refresh_token"]),
                                   400, "invalid_grant")
                family = [first["access_token"], second["access_token"]]
                wait_until_refused(self, self.base, family, timeout=1.5)
                for token in family + [second["refresh_token"]]:
                    assert_inactive(self, self.base, self.rs, token)

    def test_public_client_revokes_its_own_tokens_by_client_id(self):
        body = self.login(self.pub)
        self.assert_revoked_ok(revoke(self.base, self.pub, body["refresh_token"]))
        assert_oauth_error(self, refresh(self.base, self.pub, body["refresh_token"]), 400,
                           "invalid_grant")
        wait_until_refused(self, self.base, [body["access_token"]], timeout=1.5)

    def test_a_client_may_revoke_only_its_own_tokens(self):
        body = self.login(self.a)
        cc = assert_token_response(self, client_credentials(self.base, self.a))
        for what, client in (("another confidential client", self.b),
                             ("a public client", self.pub),
                             ("no client at all", None)):
            for name, token in (("access token", body["access_token"]),
                                ("refresh token", body["refresh_token"]),
                                ("client_credentials token", cc["access_token"])):
                with self.subTest(what, token=name):
                    self.assert_revoked_ok(revoke(self.base, client, token))
        # Nothing changed for client A.
        self.assertEqual(me_status(self.base, body["access_token"]), 200)
        self.assertEqual(me_status(self.base, cc["access_token"]), 200)
        assert_active(self, self.base, self.rs, body["access_token"])
        assert_active(self, self.base, self.rs, body["refresh_token"], "refresh_token")
        assert_token_response(self, refresh(self.base, self.a, body["refresh_token"]),
                              refresh_token=True)

    def test_unknown_and_malformed_tokens_get_200_and_change_nothing(self):
        body = self.login()
        for what, token in malformed_tokens(body["access_token"]):
            with self.subTest(what):
                self.assert_revoked_ok(revoke(self.base, self.a, token))
        self.assertEqual(me_status(self.base, body["access_token"]), 200)
        assert_active(self, self.base, self.rs, body["refresh_token"], "refresh_token")

    def test_revoking_twice_is_fine(self):
        body = self.login()
        for _ in range(2):
            self.assert_revoked_ok(revoke(self.base, self.a, body["refresh_token"]))
            self.assert_revoked_ok(revoke(self.base, self.a, body["access_token"]))
        assert_inactive(self, self.base, self.rs, body["access_token"])

    def test_missing_token_is_invalid_request(self):
        for form in ({"token_type_hint": "access_token"}, {"token": ""}):
            with self.subTest(form=form):
                assert_oauth_error(self, post_form(self.base, "/revoke", self.a, form), 400,
                                   "invalid_request")

    def test_bad_client_credentials_are_401_and_revoke_nothing(self):
        body = self.login()
        for what, client, method in (("wrong secret, basic", Client("client-a", new_secret()),
                                      "basic"),
                                     ("wrong secret, post", Client("client-a", new_secret()),
                                      "post"),
                                     ("confidential without its secret", self.a, "none"),
                                     ("unknown client", Client("nobody", new_secret()),
                                      "basic")):
            with self.subTest(what):
                assert_oauth_error(self, revoke(self.base, client, body["refresh_token"], method),
                                   401, "invalid_client")
        assert_active(self, self.base, self.rs, body["refresh_token"], "refresh_token")

    def test_revocation_needs_a_form_post(self):
        body = self.login()
        r = requests.post(self.base + "/revoke", json={"token": body["access_token"]},
                          auth=(self.a.id, self.a.secret), timeout=HTTP_TIMEOUT)
        assert_oauth_error(self, r, 400, "invalid_request")
        r = requests.get(self.base + "/revoke", timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 405, r.text)
        self.assertEqual(me_status(self.base, body["access_token"]), 200)


class SharedDatabase(unittest.TestCase):
    """Two servers on one database under one issuer name, as behind a load balancer: what
    one of them revokes, the other refuses within the database sync period."""

    ISSUER = "https://tessera.test"

    @classmethod
    def setUpClass(cls):
        # Reuse is proved at once: without the grace period (test_refresh_grace).
        env = {"TESSERA_ISSUER": cls.ISSUER, "TESSERA_REFRESH_REUSE_GRACE": "0"}
        cls.first = harness.Server.start(env=env)
        cls.addClassCleanup(cls.first.close)
        cls.second = harness.Server.start(env=env, workdir=cls.first.workdir)
        cls.addClassCleanup(cls.second.close)
        cls.app = add_client(cls.first, "app", public=True)
        cls.rs = add_client(cls.first, "resource-server")

    def login(self):
        return assert_token_response(
            self, password_grant(self.first.base, self.app, ADMIN_USER, ADMIN_PASSWORD),
            refresh_token=True)

    def test_a_revocation_on_one_server_holds_on_the_other(self):
        body = self.login()
        self.assertEqual(me_status(self.second.base, body["access_token"]), 200)
        self.assertEqual(revoke(self.first.base, self.app, body["access_token"]).status_code, 200)
        wait_until_refused(self, self.second.base, [body["access_token"]])
        assert_inactive(self, self.second.base, self.rs, body["access_token"])

    def test_reuse_detected_on_one_server_ends_the_family_on_the_other(self):
        first = self.login()
        second = assert_token_response(
            self, refresh(self.first.base, self.app, first["refresh_token"]), refresh_token=True)
        assert_oauth_error(self, refresh(self.second.base, self.app, first["refresh_token"]),
                           400, "invalid_grant")
        wait_until_refused(self, self.first.base, [first["access_token"],
                                                   second["access_token"]])
        assert_oauth_error(self, refresh(self.first.base, self.app, second["refresh_token"]),
                           400, "invalid_grant")


if __name__ == "__main__":
    unittest.main()
