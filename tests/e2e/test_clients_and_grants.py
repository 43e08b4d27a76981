"""Clients (issue 4): `tessera client add|list|delete`, client authentication, the
client_credentials and password grants through registered clients, scopes and audience,
every RFC 6749 section 5.2 error with its status and headers, and the discovery metadata."""

import base64
import unittest

import requests

import harness
from harness import ADMIN_PASSWORD, ADMIN_USER, HTTP_TIMEOUT
from jwks_helpers import OIDC_PATH, RFC8414_PATH
from oauth_helpers import (GENERATED_SECRET_LINE, Client, add_client, add_user, assert_active,
                           assert_inactive, assert_oauth_error, assert_token_response,
                           basic_authorization, claims, cli_error_lines, client_credentials,
                           introspect, me_status, new_secret, password_grant, post_form, refresh,
                           revoke, wait_for, wait_until_refused)


def client_rows(testcase, server):
    """`tessera client list` as {id: the rest of its line}."""
    listed = server.cli("client", "list")
    testcase.assertEqual(listed.returncode, 0, listed.stderr)
    rows = {}
    for line in listed.stdout.splitlines()[1:]:
        if line.strip():
            client_id, _, rest = line.partition(" ")
            rows[client_id] = rest
    return rows, listed.stdout


class ClientCommands(harness.ServerTestCase):
    def test_generated_secret_is_printed_once_and_authenticates(self):
        added = self.server.cli("client", "add", "gen")
        self.assertEqual(added.returncode, 0, added.stderr)
        found = GENERATED_SECRET_LINE.findall(added.stdout)
        self.assertEqual(len(found), 1, added.stdout)
        secret = found[0]
        self.assertGreaterEqual(len(secret), 32)  # 256 random bits in base64url is 43
        self.assertNotIn(secret, added.stderr)
        rows, listing = client_rows(self, self.server)
        self.assertIn("gen", rows)
        self.assertIn("confidential", rows["gen"])
        self.assertIn("client_credentials", rows["gen"])
        self.assertNotIn(secret, listing)
        for method in ("basic", "post"):
            with self.subTest(method=method):
                body = assert_token_response(
                    self, client_credentials(self.base, Client("gen", secret), method),
                    refresh_token=False)
                self.assertEqual(claims(body["access_token"])["sub"], "gen")
        r = client_credentials(self.base, Client("gen", secret[:-1]))
        assert_oauth_error(self, r, 401, "invalid_client")
        self.assertNotIn(secret, self.server.stderr())

    def test_secret_from_stdin_is_not_printed_and_is_form_decoded_from_basic(self):
        # RFC 6749 section 2.3.1: Basic carries the id and secret form-urlencoded, so ':',
        # '%', '+' and ' ' arrive encoded; in the form body they are ordinary form values.
        secret = "p@ss:w%rd+ & =?/ok!"
        client = add_client(self.server, "svc:odd", secret=secret)
        rows, listing = client_rows(self, self.server)
        self.assertIn("svc:odd", rows)
        self.assertNotIn(secret, listing)
        for method in ("basic", "post"):
            with self.subTest(method=method):
                body = assert_token_response(self, client_credentials(self.base, client, method))
                self.assertEqual(claims(body["access_token"])["client_id"], "svc:odd")
        # The same bytes without the encoding are a different secret.
        raw = base64.b64encode(("svc%3Aodd:" + secret).encode()).decode()
        r = requests.post(self.base + "/token", data={"grant_type": "client_credentials"},
                          headers={"Authorization": "Basic " + raw}, timeout=HTTP_TIMEOUT)
        assert_oauth_error(self, r, 401, "invalid_client")

    def test_secret_stdin_prints_no_secret(self):
        added = self.server.cli("client", "add", "quiet", "--secret-stdin",
                                input=new_secret() + "\n")
        self.assertEqual(added.returncode, 0, added.stderr)
        self.assertNotIn("client secret", added.stdout)

    def test_public_client_gets_password_and_refresh_token_and_no_secret(self):
        added = self.server.cli("client", "add", "mobile", "--public")
        self.assertEqual(added.returncode, 0, added.stderr)
        self.assertNotIn("client secret", added.stdout)
        rows, _ = client_rows(self, self.server)
        self.assertIn("public", rows["mobile"])
        self.assertIn("password refresh_token", rows["mobile"])
        self.assertNotIn("client_credentials", rows["mobile"])
        assert_token_response(self, password_grant(self.base, Client("mobile"), ADMIN_USER,
                                                   ADMIN_PASSWORD),
                              refresh_token=True)

    def test_list_shows_the_built_in_default_client(self):
        rows, _ = client_rows(self, self.server)
        self.assertIn("default", rows)
        self.assertIn("public", rows["default"])
        self.assertIn("password refresh_token", rows["default"])

    def test_bad_input_exits_1_or_2_with_one_line_and_adds_nothing(self):
        add_client(self.server, "taken")
        cases = [
            ("id with a space", ["client", "add", "bad id"], None, 1),
            ("the built-in id", ["client", "add", "default"], None, 1),
            ("a duplicate", ["client", "add", "taken"], None, 1),
            ("public with client_credentials",
             ["client", "add", "pubcc", "--public", "--grant", "client_credentials"], None, 1),
            ("an unknown grant", ["client", "add", "bogus", "--grant", "implicit"], None, 1),
            ("the code grant without a redirect URI",
             ["client", "add", "nocb", "--public", "--grant", "authorization_code"], None, 1),
            ("a redirect URI with a fragment",
             ["client", "add", "frag", "--public", "--redirect-uri", "https://a.test/cb#x"],
             None, 1),
            ("a short secret", ["client", "add", "shorty", "--secret-stdin"], "fifteen-chars!!\n",
             1),
            ("--public with --secret-stdin",
             ["client", "add", "both", "--public", "--secret-stdin"], new_secret() + "\n", 2),
            ("no id", ["client", "add"], None, 2),
            ("an unknown subcommand", ["client", "rename", "taken"], None, 2),
            ("an unknown option", ["client", "add", "opt", "--colour", "red"], None, 2),
            ("deleting an unknown client", ["client", "delete", "nobody"], None, 1),
            ("deleting the built-in client", ["client", "delete", "default"], None, 1),
        ]
        before, _ = client_rows(self, self.server)
        for what, args, stdin, status in cases:
            with self.subTest(what):
                result = self.server.cli(*args, input=stdin)
                self.assertEqual(result.returncode, status, result.stdout + result.stderr)
                self.assertNotIn("client secret", result.stdout)
                if status == 1:
                    self.assertEqual(len(cli_error_lines(result)), 1, result.stderr)
        after, _ = client_rows(self, self.server)
        self.assertEqual(after, before)

    def test_delete_ends_the_client_and_its_refresh_tokens(self):
        app = add_client(self.server, "doomed", public=True)
        first = assert_token_response(
            self, password_grant(self.base, app, ADMIN_USER, ADMIN_PASSWORD), refresh_token=True)
        second = assert_token_response(self, refresh(self.base, app, first["refresh_token"]),
                                       refresh_token=True)
        self.assertEqual(me_status(self.base, second["access_token"]), 200)
        deleted = self.server.cli("client", "delete", "doomed")
        self.assertEqual(deleted.returncode, 0, deleted.stderr)
        rows, _ = client_rows(self, self.server)
        self.assertNotIn("doomed", rows)
        # The server learns of it from the database: the client is gone at once (it is read
        # on each request) and the access tokens of its sessions within the sync period.
        assert_oauth_error(self, refresh(self.base, app, second["refresh_token"]), 401,
                           "invalid_client")
        wait_until_refused(self, self.base, [first["access_token"], second["access_token"]])
        observer = add_client(self.server, "observer")
        for token in (first["access_token"], second["access_token"], second["refresh_token"]):
            assert_inactive(self, self.base, observer, token)
        again = self.server.cli("client", "delete", "doomed")
        self.assertEqual(again.returncode, 1, again.stderr)
        # A new client under the same id starts without the old one's sessions.
        reborn = add_client(self.server, "doomed", public=True)
        assert_oauth_error(self, refresh(self.base, reborn, second["refresh_token"]), 400,
                           "invalid_grant")

    def test_a_client_deleted_and_added_again_does_not_take_its_old_secret(self):
        old = add_client(self.server, "phoenix")
        assert_token_response(self, client_credentials(self.base, old))  # now verified once
        self.assertEqual(self.server.cli("client", "delete", "phoenix").returncode, 0)
        assert_oauth_error(self, client_credentials(self.base, old), 401, "invalid_client")
        new = add_client(self.server, "phoenix")
        assert_oauth_error(self, client_credentials(self.base, old), 401, "invalid_client")
        assert_token_response(self, client_credentials(self.base, new))


class ClientThrottling(harness.ServerTestCase):
    """A client secret that verified is remembered for a minute (issue 7: such requests skip
    the hashing pool), but the lockout is read on every request: a locked client is refused
    even with the right, remembered secret. A server of its own, so that no other test's
    failures count against the address."""

    def test_a_locked_client_gets_429_even_with_its_remembered_secret(self):
        target = add_client(self.server, "guessed", scope="read")
        bystander = add_client(self.server, "bystander", scope="read")
        for client in (target, bystander):  # both secrets verified, now remembered
            assert_token_response(self, client_credentials(self.base, client))
        token = client_credentials(self.base, target).json()["access_token"]
        guesser = Client(target.id, new_secret())
        statuses = [client_credentials(self.base, guesser).status_code for _ in range(10)]
        self.assertEqual(statuses[:9], [401] * 9, statuses)
        self.assertIn(statuses[9], (401, 429), statuses)
        for what, response in (("token", lambda: client_credentials(self.base, target)),
                               ("introspect", lambda: introspect(self.base, target, token)),
                               ("revoke", lambda: revoke(self.base, target, token))):
            with self.subTest(endpoint=what):
                r = response()
                assert_oauth_error(self, r, 429, "temporarily_unavailable")
                self.assertGreater(int(r.headers.get("Retry-After", "0")), 0, r.headers)
        # The lock is the account's: another client behind the same address goes on.
        assert_token_response(self, client_credentials(self.base, bystander))
        assert_active(self, self.base, bystander, token)


class ClientAndUserNames(harness.ServerTestCase):
    """RFC 9700 section 4.15 (client impersonating resource owner): a client_credentials
    token has sub = client id, a user's token sub = user name. Where the two share a name,
    either the CLI refuses the second of them, or the server still tells a client's token
    from the user's: /userinfo answers only for tokens a user authorized, and introspection
    names the user of a user's token."""

    def assert_userinfo_refuses(self, client):
        token = assert_token_response(self, client_credentials(self.base, client))
        r = requests.get(self.base + "/userinfo", headers=harness.bearer(token["access_token"]),
                         timeout=HTTP_TIMEOUT)
        self.assertIn(r.status_code, (401, 403),
                      "a client_credentials token of client %r got the userinfo of user %r: %s"
                      % (client.id, client.id, r.text))

    def test_a_client_named_like_an_existing_user(self):
        add_user(self.server, "erin", "Erin-pass-12345", scope="read")
        secret = new_secret()
        added = self.server.cli("client", "add", "erin", "--secret-stdin", input=secret + "\n")
        if added.returncode == 1:
            self.assertEqual(len(cli_error_lines(added)), 1, added.stderr)
            return
        self.assertEqual(added.returncode, 0, added.stderr)
        self.assert_userinfo_refuses(Client("erin", secret))

    def test_a_user_named_like_an_existing_client(self):
        client = add_client(self.server, "frank", scope="read")
        added = self.server.cli("user", "add", "frank", "--password-stdin",
                                input="Frank-pass-12345\n")
        if added.returncode == 1:
            self.assertEqual(len(cli_error_lines(added)), 1, added.stderr)
            return
        self.assertEqual(added.returncode, 0, added.stderr)
        self.assert_userinfo_refuses(client)

    def test_a_user_logging_in_through_a_public_client_of_the_same_name(self):
        app = add_client(self.server, "gina", public=True)
        added = self.server.cli("user", "add", "gina", "--password-stdin",
                                input="Gina-pass-12345\n")
        if added.returncode == 1:
            return
        self.assertEqual(added.returncode, 0, added.stderr)
        token = assert_token_response(self, password_grant(self.base, app, "gina",
                                                           "Gina-pass-12345"))
        observer = add_client(self.server, "observer-gina")
        answer = assert_active(self, self.base, observer, token["access_token"])
        self.assertEqual(answer.get("username"), "gina",
                         "introspection of user gina's token does not name the user: %s"
                         % answer)


class ClientCredentialsGrant(harness.ServerTestCase):
    AUDIENCE = "https://api.example.test"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.svc = add_client(cls.server, "svc", scope="read write", audience=cls.AUDIENCE)
        cls.bare = add_client(cls.server, "bare")
        cls.pub = add_client(cls.server, "pub", public=True, scope="read")
        cls.pw_only = add_client(cls.server, "pw-only", grants=["password"], scope="read")

    def test_basic_and_post_authentication_issue_a_token_for_the_client(self):
        for method in ("basic", "post"):
            with self.subTest(method=method):
                r = client_credentials(self.base, self.svc, method)
                body = assert_token_response(self, r, refresh_token=False, scope="read write")
                self.assertEqual(body["expires_in"], 900)
                header, token_claims = harness.unverified(body["access_token"])
                self.assertEqual(header["typ"], "at+jwt")
                self.assertEqual(token_claims["iss"], self.base)
                self.assertEqual(token_claims["sub"], "svc")
                self.assertEqual(token_claims["client_id"], "svc")
                self.assertEqual(token_claims["aud"], self.AUDIENCE)
                self.assertNotIn("sid", token_claims)  # no session behind it
                # Our own /users/me takes any token of ours, whatever its audience.
                self.assertEqual(me_status(self.base, body["access_token"]), 200)

    def test_without_scope_the_token_gets_every_scope_of_the_client(self):
        assert_token_response(self, client_credentials(self.base, self.svc), scope="read write")
        # An empty parameter is an omitted one (RFC 6749 section 3.2).
        assert_token_response(self, client_credentials(self.base, self.svc, scope=""),
                              scope="read write")
        assert_token_response(self, client_credentials(self.base, self.bare), scope="")

    def test_scope_may_be_narrowed(self):
        for asked in ("read", "write", "write read"):
            with self.subTest(scope=asked):
                assert_token_response(self, client_credentials(self.base, self.svc, scope=asked),
                                      scope=asked)

    def test_scope_beyond_the_client_is_invalid_scope(self):
        for asked in ("admin", "read admin", "READ"):
            with self.subTest(scope=asked):
                assert_oauth_error(self, client_credentials(self.base, self.svc, scope=asked),
                                   400, "invalid_scope")
        assert_oauth_error(self, client_credentials(self.base, self.bare, scope="read"), 400,
                           "invalid_scope")

    def test_audience_defaults_to_the_issuer(self):
        body = assert_token_response(self, client_credentials(self.base, self.bare))
        self.assertEqual(claims(body["access_token"])["aud"], self.base)

    def test_wrong_secret_is_401_invalid_client_with_a_basic_challenge(self):
        wrong = Client("svc", self.svc.secret + "x")
        for method in ("basic", "post"):
            with self.subTest(method=method):
                assert_oauth_error(self, client_credentials(self.base, wrong, method), 401,
                                   "invalid_client")

    def test_unknown_client_is_401_invalid_client(self):
        ghost = Client("ghost", new_secret())
        for method in ("basic", "post"):
            with self.subTest(method=method):
                assert_oauth_error(self, client_credentials(self.base, ghost, method), 401,
                                   "invalid_client")
        assert_oauth_error(self, client_credentials(self.base, Client("ghost"), "none"), 401,
                           "invalid_client")

    def test_confidential_client_without_its_secret_is_invalid_client(self):
        assert_oauth_error(self, client_credentials(self.base, self.svc, "none"), 401,
                           "invalid_client")

    def test_public_client_with_a_secret_is_invalid_client(self):
        impostor = Client("pub", new_secret())
        for method in ("basic", "post"):
            with self.subTest(method=method):
                assert_oauth_error(self, client_credentials(self.base, impostor, method), 401,
                                   "invalid_client")

    def test_malformed_basic_credentials_are_invalid_client(self):
        for what, value in (
                ("not base64", "Basic !!!notbase64!!!"),
                ("no colon", "Basic " + base64.b64encode(b"svc").decode()),
                ("empty id", "Basic " + base64.b64encode(b":secret").decode()),
                ("bad escape", "Basic " + base64.b64encode(b"svc:%zz").decode()),
                ("another scheme", "Bearer " + self.svc.secret)):
            with self.subTest(what):
                r = requests.post(self.base + "/token", data={"grant_type": "client_credentials"},
                                  headers={"Authorization": value}, timeout=HTTP_TIMEOUT)
                assert_oauth_error(self, r, 401, "invalid_client")

    def test_two_authentication_methods_are_invalid_request(self):
        # RFC 6749 section 2.3: one authentication method per request.
        r = post_form(self.base, "/token", self.svc,
                      {"grant_type": "client_credentials", "client_id": "svc",
                       "client_secret": self.svc.secret})
        assert_oauth_error(self, r, 400, "invalid_request")

    def test_client_id_in_the_form_must_match_basic(self):
        r = post_form(self.base, "/token", self.svc,
                      {"grant_type": "client_credentials", "client_id": "bare"})
        assert_oauth_error(self, r, 400, "invalid_request")

    def test_public_client_may_not_use_client_credentials(self):
        # RFC 6749 section 4.4: confidential clients only. The public client is identified
        # (by client_id, or as the built-in "default" when it names none) but not allowed
        # this grant: section 5.2 unauthorized_client.
        for what, client in (("registered public client", self.pub),
                             ("built-in default client", Client("default")),
                             ("no client at all", None)):
            with self.subTest(what):
                r = client_credentials(self.base, client)
                assert_oauth_error(self, r, 400, "unauthorized_client")

    def test_confidential_client_without_the_grant_is_unauthorized_client(self):
        for method in ("basic", "post"):
            with self.subTest(method=method):
                assert_oauth_error(self, client_credentials(self.base, self.pw_only, method),
                                   400, "unauthorized_client")

    def test_client_authentication_is_checked_before_the_grant(self):
        wrong = Client("pw-only", new_secret())
        assert_oauth_error(self, client_credentials(self.base, wrong), 401, "invalid_client")


class PasswordGrantThroughClients(harness.ServerTestCase):
    WEB_AUDIENCE = "https://web.example.test"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, "bob", "Bob-pass-12345", scope="read write profile")
        add_user(cls.server, "carol", "Carol-pass-1234", scope="read")
        cls.app = add_client(cls.server, "app", public=True, scope="read write")
        cls.web = add_client(cls.server, "web", grants=["password"], scope="read profile",
                             audience=cls.WEB_AUDIENCE)
        cls.webrt = add_client(cls.server, "webrt", grants=["password", "refresh_token"],
                               scope="read profile")
        cls.svc = add_client(cls.server, "svc", scope="read")

    def test_public_client_by_client_id(self):
        body = assert_token_response(
            self, password_grant(self.base, self.app, "bob", "Bob-pass-12345"),
            refresh_token=True, scope="read write")
        token_claims = claims(body["access_token"])
        self.assertEqual(token_claims["sub"], "bob")
        self.assertEqual(token_claims["client_id"], "app")
        self.assertEqual(token_claims["aud"], self.base)
        self.assertIsInstance(token_claims.get("sid"), str)  # the session it belongs to

    def test_confidential_client_with_basic_and_post(self):
        for method in ("basic", "post"):
            with self.subTest(method=method):
                body = assert_token_response(
                    self, password_grant(self.base, self.web, "bob", "Bob-pass-12345", method),
                    refresh_token=False, scope="read profile")
                token_claims = claims(body["access_token"])
                self.assertEqual(token_claims["sub"], "bob")
                self.assertEqual(token_claims["client_id"], "web")
                self.assertEqual(token_claims["aud"], self.WEB_AUDIENCE)
                self.assertEqual(me_status(self.base, body["access_token"]), 200)

    def test_confidential_client_with_the_refresh_grant_gets_a_refresh_token(self):
        assert_token_response(self, password_grant(self.base, self.webrt, "bob",
                                                   "Bob-pass-12345"),
                              refresh_token=True, scope="read profile")

    def test_scope_is_what_both_client_and_user_may_have(self):
        assert_token_response(self, password_grant(self.base, self.app, "carol",
                                                   "Carol-pass-1234"), scope="read")
        assert_token_response(self, password_grant(self.base, self.web, "bob", "Bob-pass-12345",
                                                   scope="profile"), scope="profile")
        for what, client, user, password, asked in (
                ("the client may, the user may not", self.app, "carol", "Carol-pass-1234",
                 "write"),
                ("the user may, the client may not", self.app, "bob", "Bob-pass-12345",
                 "profile"),
                ("neither may", self.web, "bob", "Bob-pass-12345", "admin")):
            with self.subTest(what):
                assert_oauth_error(self, password_grant(self.base, client, user, password,
                                                        scope=asked),
                                   400, "invalid_scope")

    def test_without_a_client_the_default_client_gives_every_user_scope(self):
        body = assert_token_response(self, harness.login(self.base, "bob", "Bob-pass-12345"),
                                     refresh_token=True, scope="read write profile")
        self.assertEqual(claims(body["access_token"])["client_id"], "default")

    def test_client_without_the_password_grant_is_unauthorized_client(self):
        assert_oauth_error(self, password_grant(self.base, self.svc, "bob", "Bob-pass-12345"),
                           400, "unauthorized_client")

    def test_wrong_password_through_a_client_is_invalid_grant(self):
        for client in (self.app, self.web):
            with self.subTest(client=client.id):
                assert_oauth_error(self, password_grant(self.base, client, "bob", "wrong-pass"),
                                   400, "invalid_grant")

    def test_wrong_client_secret_is_invalid_client_even_with_the_right_password(self):
        r = password_grant(self.base, Client("web", new_secret()), "bob", "Bob-pass-12345")
        assert_oauth_error(self, r, 401, "invalid_client")


class ErrorResponses(harness.ServerTestCase):
    """Each RFC 6749 section 5.2 error code, with its status and headers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.svc = add_client(cls.server, "svc", scope="read")
        cls.app = add_client(cls.server, "app", public=True)

    def post(self, form, client=None, method=None):
        return post_form(self.base, "/token", client, form, method)

    def test_invalid_request(self):
        cases = (
            ("no grant_type", {"scope": "read"}, self.svc),
            ("a repeated parameter", "grant_type=client_credentials&scope=read&scope=read",
             self.svc),
            ("password grant without a password",
             {"grant_type": "password", "username": ADMIN_USER}, None),
            ("password grant without a username",
             {"grant_type": "password", "password": ADMIN_PASSWORD}, None),
            ("refresh grant without a refresh_token", {"grant_type": "refresh_token"}, self.app),
        )
        for what, form, client in cases:
            with self.subTest(what):
                if isinstance(form, str):
                    r = requests.post(self.base + "/token", data=form, timeout=HTTP_TIMEOUT,
                                      headers={"Authorization": basic_authorization(
                                          "svc", self.svc.secret),
                                          "Content-Type": "application/x-www-form-urlencoded"})
                else:
                    r = self.post(form, client)
                assert_oauth_error(self, r, 400, "invalid_request")
        r = requests.post(self.base + "/token", json={"grant_type": "client_credentials"},
                          auth=("svc", self.svc.secret), timeout=HTTP_TIMEOUT)
        assert_oauth_error(self, r, 400, "invalid_request")

    def test_invalid_client(self):
        for method in ("basic", "post"):
            with self.subTest(method=method):
                r = self.post({"grant_type": "client_credentials"},
                              Client("svc", new_secret()), method)
                assert_oauth_error(self, r, 401, "invalid_client")
                self.assertEqual(r.headers["WWW-Authenticate"], 'Basic realm="tessera"')

    def test_invalid_grant(self):
        assert_oauth_error(self, harness.login(self.base, ADMIN_USER, "not-the-password"), 400,
                           "invalid_grant")
        assert_oauth_error(self, refresh(self.base, self.app, "A" * 43), 400, "invalid_grant")
        assert_oauth_error(self, refresh(self.base, self.app, "not-a-refresh-token"), 400,
                           "invalid_grant")

    def test_unauthorized_client(self):
        assert_oauth_error(self, self.post({"grant_type": "client_credentials"}, self.app), 400,
                           "unauthorized_client")
        assert_oauth_error(self, password_grant(self.base, self.svc, ADMIN_USER, ADMIN_PASSWORD),
                           400, "unauthorized_client")

    def test_unsupported_grant_type(self):
        for grant_type in ("implicit", "AUTHORIZATION_CODE", "PASSWORD",
                           "urn:ietf:params:oauth:grant-type:device_code_",
                           "urn:ietf:params:oauth:grant-type:jwt-bearer", "x" * 300):
            with self.subTest(grant_type=grant_type[:40]):
                r = self.post({"grant_type": grant_type, "code": "abc"}, self.svc)
                assert_oauth_error(self, r, 400, "unsupported_grant_type")

    def test_invalid_scope(self):
        assert_oauth_error(self, client_credentials(self.base, self.svc, scope="write"), 400,
                           "invalid_scope")
        # Not a scope token (RFC 6749 section 3.3: %x21 / %x23-5B / %x5D-7E).
        assert_oauth_error(self, client_credentials(self.base, self.svc, scope='re"ad'), 400,
                           "invalid_scope")

    def test_every_successful_grant_is_not_cached(self):
        # RFC 6749 section 5.1: Cache-Control: no-store and Pragma: no-cache.
        first = assert_token_response(self, password_grant(self.base, self.app, ADMIN_USER,
                                                           ADMIN_PASSWORD),
                                      refresh_token=True)
        assert_token_response(self, refresh(self.base, self.app, first["refresh_token"]),
                              refresh_token=True)
        assert_token_response(self, client_credentials(self.base, self.svc), refresh_token=False)


class Discovery(harness.ServerTestCase):
    def test_metadata_lists_grants_endpoints_and_methods(self):
        for path in (RFC8414_PATH, OIDC_PATH):
            with self.subTest(path=path):
                r = requests.get(self.base + path, timeout=HTTP_TIMEOUT)
                self.assertEqual(r.status_code, 200, r.text)
                doc = r.json()
                self.assertEqual(doc["issuer"], self.base)
                self.assertEqual(doc["token_endpoint"], self.base + "/token")
                self.assertEqual(doc["introspection_endpoint"], self.base + "/introspect")
                self.assertEqual(doc["revocation_endpoint"], self.base + "/revoke")
                self.assertEqual(set(doc["grant_types_supported"]),
                                 {"password", "client_credentials", "refresh_token",
                                  "authorization_code",
                                  "urn:ietf:params:oauth:grant-type:token-exchange",
                                  "urn:ietf:params:oauth:grant-type:device_code"})
                self.assertEqual(doc["device_authorization_endpoint"],
                                 self.base + "/device_authorization")
                self.assertEqual(set(doc["token_endpoint_auth_methods_supported"]),
                                 {"client_secret_basic", "client_secret_post", "none",
                                  "private_key_jwt"})
                self.assertLessEqual({"client_secret_basic", "client_secret_post"},
                                     set(doc["introspection_endpoint_auth_methods_supported"]))
                # Public clients cannot introspect (so "none" is not offered there) but may
                # revoke their own tokens.
                self.assertNotIn("none", doc["introspection_endpoint_auth_methods_supported"])
                self.assertLessEqual({"client_secret_basic", "client_secret_post"},
                                     set(doc["revocation_endpoint_auth_methods_supported"]))

    def test_scopes_supported_is_the_union_of_user_and_client_scopes(self):
        add_user(self.server, "dora", "Dora-pass-12345", scope="u.read shared")
        add_client(self.server, "reporting", scope="c.report shared")

        def scopes():
            r = requests.get(self.base + RFC8414_PATH, timeout=HTTP_TIMEOUT)
            return set(r.json().get("scopes_supported", []))

        wait_for(lambda: {"u.read", "c.report", "shared"} <= scopes(), 3,
                 "scopes_supported lists the new user and client scopes")
        listed = requests.get(self.base + RFC8414_PATH, timeout=HTTP_TIMEOUT).json()
        self.assertEqual(len(listed["scopes_supported"]), len(set(listed["scopes_supported"])),
                         "a scope listed twice")


if __name__ == "__main__":
    unittest.main()
