"""POST /token, the password grant: what a client sees on success and on every error."""

import socket
import statistics
import time

import requests

import harness
from harness import ADMIN_PASSWORD, ADMIN_USER, HTTP_TIMEOUT, assert_json_error


class PasswordGrantSuccess(harness.ServerTestCase):
    def assert_token_response(self, r):
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        body = r.json()
        self.assertIsInstance(body.get("access_token"), str)
        self.assertEqual(body.get("token_type"), "bearer")
        self.assertEqual(body.get("expires_in"), 900)  # default TESSERA_ACCESS_TOKEN_TTL 15m
        self.assertIsInstance(body.get("scope"), str)
        return body

    def assert_access_token(self, body):
        header, claims = harness.unverified(body["access_token"])
        self.assertEqual(header.get("typ"), "at+jwt")
        self.assertEqual(header.get("alg"), "EdDSA")
        self.assertIsInstance(header.get("kid"), str)
        self.assertTrue(header["kid"])
        for claim in ("iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"):
            self.assertIn(claim, claims)
        self.assertEqual(claims["iss"], self.base)  # TESSERA_ISSUER unset: the bound URL
        self.assertEqual(claims["sub"], ADMIN_USER)
        self.assertEqual(claims["aud"], self.base)  # the default client has no audience
        self.assertEqual(claims["client_id"], "default")
        self.assertEqual(claims["scope"], body["scope"])
        self.assertEqual(claims["exp"] - claims["iat"], 900)
        self.assertLess(abs(claims["iat"] - time.time()), 60)
        return claims

    def test_password_grant_returns_a_bearer_jwt_per_rfc_9068(self):
        body = self.assert_token_response(harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD))
        self.assert_access_token(body)

    def test_seed_form_without_grant_type_is_the_password_grant(self):
        r = requests.post(self.base + "/token",
                          data={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
                          timeout=HTTP_TIMEOUT)
        self.assert_access_token(self.assert_token_response(r))

    def test_public_client_default_may_name_itself(self):
        r = harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD, client_id="default")
        self.assert_access_token(self.assert_token_response(r))

    def test_form_content_type_with_charset_or_other_case_is_accepted(self):
        for content_type in ("application/x-www-form-urlencoded; charset=UTF-8",
                             "Application/X-WWW-Form-URLEncoded"):
            with self.subTest(content_type=content_type):
                r = requests.post(self.base + "/token",
                                  data="grant_type=password&username=alice&password=" +
                                  ADMIN_PASSWORD,
                                  headers={"Content-Type": content_type}, timeout=HTTP_TIMEOUT)
                self.assert_token_response(r)

    def test_chunked_request_body_is_accepted(self):
        def body():
            yield b"grant_type=password&username=alice&"
            yield b"password=" + ADMIN_PASSWORD.encode()
        r = requests.post(self.base + "/token", data=body(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"},
                          timeout=HTTP_TIMEOUT)
        self.assert_token_response(r)

    def test_expect_100_continue_gets_continue_then_the_answer(self):
        body = ("grant_type=password&username=alice&password=" + ADMIN_PASSWORD).encode()
        conn = harness.RawConnection(self.server.port)
        try:
            conn.send(b"POST /token HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body))
            interim = conn.read_response()
            self.assertEqual(interim.status, 100, interim)
            conn.send(body)
            final = conn.read_response()
            self.assertEqual(final.status, 200, final)
            self.assertIn("access_token", final.json())
        finally:
            conn.close()

    def test_expect_100_continue_from_http_1_0_is_ignored(self):
        # RFC 9110 section 10.1.1: a server ignores it in an HTTP/1.0 request, whose client
        # may not understand an interim answer.
        body = ("grant_type=password&username=alice&password=" + ADMIN_PASSWORD).encode()
        conn = harness.RawConnection(self.server.port)
        try:
            conn.send(b"POST /token HTTP/1.0\r\nHost: t\r\nExpect: 100-continue\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body))
            # Nothing comes while the body is awaited (an HTTP/1.1 client would get 100 here).
            conn.sock.settimeout(1.0)
            with self.assertRaises(socket.timeout):
                conn.sock.recv(1)
            conn.sock.settimeout(HTTP_TIMEOUT)
            conn.send(body)
            first = conn.read_response()
            self.assertIsNotNone(first)
            self.assertEqual(first.status, 200, first)
            self.assertIn("access_token", first.json())
        finally:
            conn.close()

    def test_unicode_user_name_and_password(self):
        added = self.server.cli("user", "add", "김철수", "--password-stdin", input="비밀번호-1\n")
        self.assertEqual(added.returncode, 0, added.stderr)
        r = harness.login(self.base, "김철수", "비밀번호-1")
        body = self.assert_token_response(r)
        self.assertEqual(harness.unverified(body["access_token"])[1]["sub"], "김철수")

    def test_every_token_has_its_own_jti(self):
        first = self.assert_token_response(harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD))
        second = self.assert_token_response(harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD))
        self.assertNotEqual(harness.unverified(first["access_token"])[1]["jti"],
                            harness.unverified(second["access_token"])[1]["jti"])


class PasswordGrantErrors(harness.ServerTestCase):
    """Each user here fails fewer than 10 times, below the contract's account throttle."""

    def post_raw(self, body, content_type="application/x-www-form-urlencoded", **kwargs):
        headers = {"Content-Type": content_type} if content_type else {}
        headers.update(kwargs.pop("headers", {}))
        return requests.post(self.base + "/token", data=body, headers=headers,
                             timeout=HTTP_TIMEOUT, **kwargs)

    def test_wrong_password_and_unknown_user_get_the_identical_answer(self):
        wrong = harness.login(self.base, ADMIN_USER, "not-the-password")
        unknown = harness.login(self.base, "nobody-here", "not-the-password")
        assert_json_error(self, wrong, 400, "invalid_grant")
        assert_json_error(self, unknown, 400, "invalid_grant")
        self.assertEqual(wrong.content, unknown.content)
        self.assertEqual(wrong.headers.get("Cache-Control"), "no-store")
        self.assertNotIn("WWW-Authenticate", wrong.headers)

    def test_disabled_user_gets_the_same_invalid_grant(self):
        added = self.server.cli("user", "add", "frank", "--password-stdin", input="Frank-pass-1\n")
        self.assertEqual(added.returncode, 0, added.stderr)
        self.assertEqual(harness.login(self.base, "frank", "Frank-pass-1").status_code, 200)
        disabled = self.server.cli("user", "disable", "frank")
        self.assertEqual(disabled.returncode, 0, disabled.stderr)
        refused = harness.login(self.base, "frank", "Frank-pass-1")
        assert_json_error(self, refused, 400, "invalid_grant")
        unknown = harness.login(self.base, "nobody-at-all", "Frank-pass-1")
        self.assertEqual(refused.content, unknown.content)

    def test_missing_password_is_invalid_request(self):
        r = self.post_raw("grant_type=password&username=alice")
        assert_json_error(self, r, 400, "invalid_request")

    def test_empty_body_is_invalid_request(self):
        assert_json_error(self, self.post_raw(""), 400, "invalid_request")

    def test_unsupported_grant_type(self):
        r = self.post_raw("grant_type=urn%3Aexample%3Anope&username=alice&password=x")
        assert_json_error(self, r, 400, "unsupported_grant_type")

    def test_repeated_parameter_is_invalid_request(self):
        r = self.post_raw("grant_type=password&username=alice&username=alice&password="
                          + ADMIN_PASSWORD)
        assert_json_error(self, r, 400, "invalid_request")

    def test_json_body_is_invalid_request(self):
        r = requests.post(self.base + "/token",
                          json={"grant_type": "password", "username": ADMIN_USER,
                                "password": ADMIN_PASSWORD},
                          timeout=HTTP_TIMEOUT)
        assert_json_error(self, r, 400, "invalid_request")

    def test_missing_content_type_is_invalid_request(self):
        r = self.post_raw("grant_type=password&username=alice&password=" + ADMIN_PASSWORD,
                          content_type=None)
        assert_json_error(self, r, 400, "invalid_request")

    def test_bad_percent_escapes_are_invalid_request(self):
        for body in ("grant_type=password&username=alice&password=%zz",
                     "grant_type=password&username=alice&password=abc%4"):
            with self.subTest(body=body):
                assert_json_error(self, self.post_raw(body), 400, "invalid_request")

    def test_plus_and_percent_escapes_decode_in_the_password(self):
        added = self.server.cli("user", "add", "grace", "--password-stdin",
                                input="Grace pass&=%+1\n")
        self.assertEqual(added.returncode, 0, added.stderr)
        r = self.post_raw("grant_type=password&username=grace&password=Grace+pass%26%3D%25%2B1")
        self.assertEqual(r.status_code, 200, r.text)

    def test_unknown_client_id_is_invalid_client_with_basic_challenge(self):
        r = harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD, client_id="nobody")
        assert_json_error(self, r, 401, "invalid_client")
        self.assertTrue(r.headers.get("WWW-Authenticate", "").startswith("Basic"), r.headers)

    def test_basic_auth_for_an_unknown_client_is_invalid_client(self):
        r = requests.post(self.base + "/token",
                          data={"grant_type": "password", "username": ADMIN_USER,
                                "password": ADMIN_PASSWORD},
                          auth=("nobody", "some-secret"), timeout=HTTP_TIMEOUT)
        assert_json_error(self, r, 401, "invalid_client")
        self.assertTrue(r.headers.get("WWW-Authenticate", "").startswith("Basic"), r.headers)

    def test_wrong_password_and_unknown_user_take_about_as_long(self):
        # docs/reference.md: the same timing whether or not the user exists (a dummy verification).
        # A missing dummy hash makes the unknown user ~50x faster; allow 3x for noise.
        added = self.server.cli("user", "add", "tim", "--password-stdin", input="Tim-pass-123\n")
        self.assertEqual(added.returncode, 0, added.stderr)
        known, unknown = [], []
        for _ in range(5):  # below the account throttle of 10 failures
            for name, samples in (("tim", known), ("nobody-timing", unknown)):
                start = time.monotonic()
                r = harness.login(self.base, name, "Wrong-pass-123")
                samples.append(time.monotonic() - start)
                self.assertEqual(r.status_code, 400, r.text)
        ratio = statistics.median(known) / statistics.median(unknown)
        self.assertTrue(1 / 3 < ratio < 3, "medians: known %.4fs, unknown %.4fs"
                        % (statistics.median(known), statistics.median(unknown)))

    def test_scope_not_allowed_to_the_user_is_invalid_scope(self):
        r = harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD, scope="admin")
        assert_json_error(self, r, 400, "invalid_scope")

    def test_user_scopes_are_granted_and_narrowed(self):
        added = self.server.cli("user", "add", "sam", "--scope", "read write", "--password-stdin",
                                input="Sam-pass-1\n")
        self.assertEqual(added.returncode, 0, added.stderr)
        everything = harness.login(self.base, "sam", "Sam-pass-1")
        self.assertEqual(everything.status_code, 200, everything.text)
        self.assertEqual(sorted(everything.json()["scope"].split()), ["read", "write"])
        narrowed = harness.login(self.base, "sam", "Sam-pass-1", scope="read")
        self.assertEqual(narrowed.status_code, 200, narrowed.text)
        self.assertEqual(narrowed.json()["scope"], "read")
        self.assertEqual(harness.unverified(narrowed.json()["access_token"])[1]["scope"], "read")
        assert_json_error(self, harness.login(self.base, "sam", "Sam-pass-1", scope="read delete"),
                          400, "invalid_scope")

    def test_errors_do_not_stop_good_logins(self):
        self.post_raw("grant_type=password&username=alice&password=%zz")
        self.assertEqual(harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD).status_code, 200)
