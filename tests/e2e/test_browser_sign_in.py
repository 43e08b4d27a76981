"""Browser sign-in against the real binary: /authorize, the login and consent pages, the
session cookie, the authorization_code grant with PKCE, and /logout, seen as a browser and a
client see them (docs/reference.md, Browser sign-in).
"""

import base64
import hashlib
import time
import unittest

import jwt
import requests

import harness
import pg_helpers
from browser_helpers import (REDIRECT_URI, Browser, authorize_params, forms_of, pkce_pair)
from harness import HTTP_TIMEOUT

PASSWORD = "Bob-pass-123"


class SignInCase(unittest.TestCase):
    """A server with bob and two clients, and a browser's and a client's helpers."""

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server.start()
        cls.addClassCleanup(cls.server.close)
        cls.base = cls.server.base
        cls.cli_ok("user", "add", "bob", "--password-stdin", "--scope", "finance:read",
                   "--name", "Bob <Kim>", "--email", "bob@example.test", input=PASSWORD + "\n")
        cls.cli_ok("client", "add", "web", "--public", "--redirect-uri", REDIRECT_URI,
                   "--post-logout-redirect-uri", "https://app.example.test/bye",
                   "--scope", "finance:read", "--name", "Example <b>App</b>")
        cls.cli_ok("client", "add", "first", "--public", "--redirect-uri", REDIRECT_URI,
                   "--skip-consent")

    @classmethod
    def cli_ok(cls, *args, input=None):
        result = cls.server.cli(*args, input=input)
        if result.returncode != 0:
            raise AssertionError("tessera %s: %s" % (" ".join(args), result.stderr))
        return result

    def sign_in(self, browser, client="web", scope="openid finance:read", **extra):
        """Through login (and consent when asked); returns (code, verifier, redirect params)."""
        verifier, challenge = pkce_pair()
        page = browser.get("/authorize", authorize_params(client, challenge, scope, **extra))
        if page.status_code == 200 and 'name="password"' in page.text:
            page = browser.submit(page, {"username": "bob", "password": PASSWORD})
        if page.status_code == 200 and 'name="decision"' in page.text:
            page = browser.submit(page, {"decision": "allow"})
        self.assertIn(page.status_code, (302, 303), page.text[:500])
        location, params = Browser.redirect_params(page)
        self.assertTrue(location.startswith(REDIRECT_URI + "?"), location)
        return params.get("code"), verifier, params

    def redeem(self, code, verifier, client="web", redirect_uri=REDIRECT_URI):
        return requests.post(self.base + "/token", timeout=HTTP_TIMEOUT, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier, "client_id": client})

    def assert_html_page(self, response, status):
        self.assertEqual(response.status_code, status, response.text[:300])
        self.assertEqual(response.headers["Content-Type"], "text/html; charset=utf-8")
        self.assertIn("frame-ancestors 'none'", response.headers["Content-Security-Policy"])
        self.assertEqual(response.headers["X-Frame-Options"], "DENY")
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        self.assertEqual(response.headers["Referrer-Policy"], "no-referrer")
        self.assertIn('name="viewport"', response.text)
        self.assertNotIn("Location", response.headers)

    def browser(self):
        browser = Browser(self.base)
        self.addCleanup(browser.session.close)
        return browser


class BrowserSignIn(SignInCase):
    def test_code_flow_from_login_to_tokens(self):
        # A user of this test alone: no consent given yet.
        self.cli_ok("user", "add", "erin", "--password-stdin", "--scope", "finance:read",
                    input=PASSWORD + "\n")
        browser = self.browser()
        verifier, challenge = pkce_pair()
        page = browser.get("/authorize", authorize_params("web", challenge, "openid finance:read"))
        self.assert_html_page(page, 200)
        form = forms_of(page.text)
        inputs = {i.get("name"): i for i in form.forms[0]["inputs"]}
        self.assertEqual(form.forms[0]["method"], "post")
        self.assertEqual(inputs["password"]["type"], "password")
        self.assertIn("username", inputs)
        self.assertEqual(form.labels.get("username"), "Username")
        self.assertEqual(form.labels.get("password"), "Password")
        # The client's name is escaped, never markup.
        self.assertIn("Example &lt;b&gt;App&lt;/b&gt;", page.text)
        self.assertNotIn("<b>App</b>", page.text)

        page = browser.submit(page, {"username": "erin", "password": PASSWORD})
        self.assert_html_page(page, 200)
        cookie = [c for c in browser.session.cookies if c.name == "tessera_session"]
        self.assertEqual(len(cookie), 1)
        self.assertTrue(cookie[0].has_nonstandard_attr("HttpOnly"))
        self.assertIn("finance:read", page.text)
        buttons = forms_of(page.text).forms[0]["buttons"]
        self.assertIn(("decision", "allow"), buttons)
        self.assertIn(("decision", "deny"), buttons)

        page = browser.submit(page, {"decision": "allow"})
        self.assertEqual(page.status_code, 303)
        _, params = Browser.redirect_params(page)
        self.assertEqual(params["state"], "st-1")
        self.assertEqual(params["iss"], self.base)
        token = self.redeem(params["code"], verifier)
        self.assertEqual(token.status_code, 200, token.text)
        body = token.json()
        self.assertEqual(body["scope"], "finance:read openid")
        self.assertIn("refresh_token", body)
        me = requests.get(self.base + "/users/me", timeout=HTTP_TIMEOUT,
                          headers={"Authorization": "Bearer " + body["access_token"]})
        self.assertEqual(me.json()["sub"], "erin")

    def test_the_session_and_consent_are_remembered(self):
        browser = self.browser()
        self.sign_in(browser)
        verifier, challenge = pkce_pair()
        again = browser.get("/authorize", authorize_params("web", challenge, "openid"))
        self.assertEqual(again.status_code, 302, again.text[:300])
        _, params = Browser.redirect_params(again)
        self.assertEqual(self.redeem(params["code"], verifier).status_code, 200)
        # prompt=login asks again; prompt=consent shows the consent page again.
        verifier, challenge = pkce_pair()
        login = browser.get("/authorize", authorize_params("web", challenge, prompt="login"))
        self.assertIn('name="password"', login.text)
        consent = browser.get("/authorize", authorize_params("web", challenge, prompt="consent"))
        self.assertIn('name="decision"', consent.text)

    def test_a_code_works_once_and_its_reuse_revokes_the_tokens(self):
        code, verifier, _ = self.sign_in(self.browser())
        first = self.redeem(code, verifier)
        self.assertEqual(first.status_code, 200, first.text)
        second = self.redeem(code, verifier)
        self.assertEqual(second.status_code, 400)
        self.assertEqual(second.json()["error"], "invalid_grant")
        me = requests.get(self.base + "/users/me", timeout=HTTP_TIMEOUT,
                          headers={"Authorization": "Bearer " + first.json()["access_token"]})
        self.assertEqual(me.status_code, 401)
        refreshed = requests.post(self.base + "/token", timeout=HTTP_TIMEOUT, data={
            "grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"],
            "client_id": "web"})
        self.assertEqual(refreshed.json().get("error"), "invalid_grant")

    def test_a_code_needs_its_verifier_client_and_redirect_uri(self):
        browser = self.browser()
        code, verifier, _ = self.sign_in(browser)
        self.assertEqual(self.redeem(code, pkce_pair()[0]).json()["error"], "invalid_grant")
        code, verifier, _ = self.sign_in(browser)
        self.assertEqual(self.redeem(code, verifier, client="first").json()["error"],
                         "invalid_grant")
        code, verifier, _ = self.sign_in(browser)
        other = self.redeem(code, verifier, redirect_uri="https://app.example.test/other")
        self.assertEqual(other.json()["error"], "invalid_grant")

    def test_a_bad_client_or_redirect_uri_is_a_page_never_a_redirect(self):
        _, challenge = pkce_pair()
        browser = self.browser()
        for params in (authorize_params("nobody", challenge),
                       authorize_params("web", challenge, redirect_uri="https://evil.test/cb")):
            page = browser.get("/authorize", params)
            self.assert_html_page(page, 400)

    def test_other_errors_go_back_to_the_client_with_state_and_iss(self):
        _, challenge = pkce_pair()
        browser = self.browser()
        cases = [
            (authorize_params("web", challenge, code_challenge=None), "invalid_request"),
            (authorize_params("web", challenge, code_challenge_method="plain"), "invalid_request"),
            (authorize_params("web", challenge, response_type="token"),
             "unsupported_response_type"),
            (authorize_params("web", challenge, scope="openid admin"), "invalid_scope"),
            (authorize_params("web", challenge, prompt="none"), "login_required"),
        ]
        for params, error in cases:
            page = browser.get("/authorize", params)
            self.assertEqual(page.status_code, 302, params)
            _, got = Browser.redirect_params(page)
            self.assertEqual(got["error"], error, params)
            self.assertEqual(got["state"], "st-1")
            self.assertEqual(got["iss"], self.base)

    def test_wrong_credentials_look_the_same_and_a_form_from_elsewhere_is_refused(self):
        _, challenge = pkce_pair()
        browser = self.browser()
        page = browser.get("/authorize", authorize_params("web", challenge))
        wrong = browser.submit(page, {"username": "bob", "password": "not-it"})
        unknown = browser.submit(page, {"username": "nobody", "password": "not-it"})
        self.assert_html_page(wrong, 401)
        self.assertEqual(wrong.status_code, unknown.status_code)
        self.assertIn("The username or password is not right.", wrong.text)
        self.assertIn("The username or password is not right.", unknown.text)
        # Without the anti-CSRF token, or from another browser: refused before any login.
        no_token = browser.submit(page, {"username": "bob", "password": PASSWORD}, drop=("csrf",))
        self.assert_html_page(no_token, 403)
        stranger = self.browser()
        form = forms_of(page.text).forms[0]
        data = dict(form["fields"], username="bob", password=PASSWORD)
        other = stranger.session.post(self.base + "/login", data=data, allow_redirects=False,
                                      timeout=HTTP_TIMEOUT)
        self.assertEqual(other.status_code, 403)

    def test_nothing_from_the_request_reaches_a_page_as_markup(self):
        hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
        _, challenge = pkce_pair()
        browser = self.browser()
        pages = [
            browser.get("/authorize", authorize_params("web", challenge, state=hostile,
                                                      login_hint=hostile, nonce=hostile)),
            browser.get("/authorize", authorize_params(hostile, challenge)),
            browser.get("/authorize", authorize_params("web", challenge,
                                                      redirect_uri="https://x.test/" + hostile)),
            browser.get("/logout", {"client_id": hostile, "state": hostile,
                                    "post_logout_redirect_uri": hostile}),
        ]
        login = pages[0]
        pages.append(browser.submit(login, {"username": hostile, "password": "x" * 9}))
        for page in pages:
            self.assertEqual(page.headers["Content-Type"], "text/html; charset=utf-8")
            self.assertNotIn("<script", page.text)
            self.assertNotIn("<img", page.text)
        # Escaped, the values are still carried exactly.
        self.assertIn(("state", hostile), forms_of(login.text).forms[0]["fields"])

    def test_deny_sends_access_denied(self):
        browser = self.browser()
        _, challenge = pkce_pair()
        page = browser.get("/authorize", authorize_params("web", challenge, prompt="consent"))
        page = browser.submit(page, {"username": "bob", "password": PASSWORD})
        page = browser.submit(page, {"decision": "deny"})
        self.assertEqual(page.status_code, 303)
        _, params = Browser.redirect_params(page)
        self.assertEqual(params["error"], "access_denied")
        self.assertEqual(params["state"], "st-1")

    def test_a_first_party_client_skips_consent(self):
        browser = self.browser()
        _, challenge = pkce_pair()
        page = browser.get("/authorize", authorize_params("first", challenge))
        page = browser.submit(page, {"username": "bob", "password": PASSWORD})
        self.assertEqual(page.status_code, 303, page.text[:300])

    def test_logout_asks_then_ends_the_session(self):
        browser = self.browser()
        self.sign_in(browser)
        confirm = browser.get("/logout", {"client_id": "web", "state": "s9",
                                          "post_logout_redirect_uri": "https://app.example.test/bye"})
        self.assert_html_page(confirm, 200)
        done = browser.submit(confirm, {"logout": "yes"})
        self.assertEqual(done.status_code, 303)
        self.assertEqual(done.headers["Location"], "https://app.example.test/bye?state=s9")
        _, challenge = pkce_pair()
        page = browser.get("/authorize", authorize_params("web", challenge))
        self.assertIn('name="password"', page.text)
        # An unregistered URI is not followed: the signed-out page instead.
        self.sign_in(browser)
        confirm = browser.get("/logout", {"client_id": "web",
                                          "post_logout_redirect_uri": "https://evil.test/"})
        done = browser.submit(confirm, {"logout": "yes"})
        self.assert_html_page(done, 200)
        self.assertIn("Signed out", done.text)

    def test_disabling_the_user_ends_the_browser_session(self):
        self.cli_ok("user", "add", "carol", "--password-stdin", input=PASSWORD + "\n")
        browser = self.browser()
        verifier, challenge = pkce_pair()
        page = browser.get("/authorize", authorize_params("first", challenge))
        page = browser.submit(page, {"username": "carol", "password": PASSWORD})
        self.assertEqual(page.status_code, 303)
        self.cli_ok("user", "disable", "carol")
        again = browser.get("/authorize", authorize_params("first", challenge))
        self.assertIn('name="password"', again.text)


class IdTokens(SignInCase):
    """The OpenID Connect half: id_tokens, /userinfo by scope, discovery."""

    def rs256_published(self):
        """The id_tokens' RS256 key is made within a second of the first sign-in client."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            keys = requests.get(self.base + "/.well-known/jwks.json", timeout=HTTP_TIMEOUT).json()
            if any(k.get("alg") == "RS256" for k in keys["keys"]):
                return keys
            time.sleep(0.1)
        self.fail("no RS256 key was published for id_tokens")

    def test_id_tokens_are_rs256_beside_eddsa_access_tokens(self):
        keys = self.rs256_published()
        code, verifier, _ = self.sign_in(self.browser(), scope="openid")
        body = self.redeem(code, verifier).json()
        header = jwt.get_unverified_header(body["id_token"])
        self.assertEqual(header["alg"], "RS256")
        self.assertIn(header["kid"], [k["kid"] for k in keys["keys"]])
        self.assertEqual(jwt.get_unverified_header(body["access_token"])["alg"], "EdDSA")
        # A client that registered the access tokens' algorithm gets it.
        self.cli_ok("client", "add", "edclient", "--public", "--redirect-uri", REDIRECT_URI,
                    "--skip-consent", "--id-token-alg", "EdDSA")
        code, verifier, _ = self.sign_in(self.browser(), client="edclient", scope="openid")
        body = self.redeem(code, verifier, client="edclient").json()
        self.assertEqual(jwt.get_unverified_header(body["id_token"])["alg"], "EdDSA")

    def test_the_id_token_says_who_signed_in_where_and_when(self):
        self.rs256_published()
        browser = self.browser()
        code, verifier, _ = self.sign_in(browser, scope="openid profile email", nonce="n-42")
        body = self.redeem(code, verifier).json()
        header = jwt.get_unverified_header(body["id_token"])
        self.assertEqual(header["typ"], "JWT")
        client = jwt.PyJWKClient(self.base + "/.well-known/jwks.json", cache_keys=False)
        key = client.get_signing_key_from_jwt(body["id_token"])
        claims = jwt.decode(body["id_token"], key.key, algorithms=[header["alg"]],
                            audience="web", issuer=self.base)
        self.assertEqual(claims["sub"], "bob")
        self.assertEqual(claims["nonce"], "n-42")
        self.assertEqual(claims["name"], "Bob <Kim>")
        self.assertEqual(claims["email"], "bob@example.test")
        self.assertEqual(claims["preferred_username"], "bob")
        for name in ("auth_time", "sid", "exp", "iat"):
            self.assertIn(name, claims)
        digest = (hashlib.sha512 if header["alg"] == "EdDSA" else hashlib.sha256)(
            body["access_token"].encode()).digest()
        expected = base64.urlsafe_b64encode(digest[:len(digest) // 2]).rstrip(b"=").decode()
        self.assertEqual(claims["at_hash"], expected)
        info = requests.get(self.base + "/userinfo", timeout=HTTP_TIMEOUT,
                            headers={"Authorization": "Bearer " + body["access_token"]}).json()
        self.assertEqual(info["name"], "Bob <Kim>")
        self.assertEqual(info["email"], "bob@example.test")

    def test_logout_reads_the_client_from_the_id_token_hint(self):
        self.rs256_published()
        browser = self.browser()
        code, verifier, _ = self.sign_in(browser, scope="openid")
        body = self.redeem(code, verifier).json()
        hint = body["id_token"]
        bye = "https://app.example.test/bye"
        # Without client_id the hint names the client, so its registered URI is followed.
        confirm = browser.get("/logout", {"id_token_hint": hint, "state": "s1",
                                          "post_logout_redirect_uri": bye})
        self.assert_html_page(confirm, 200)
        done = browser.submit(confirm, {"logout": "yes"})
        self.assertEqual(done.status_code, 303, done.text[:300])
        self.assertEqual(done.headers["Location"], bye + "?state=s1")
        # Refused, and nobody signed out: a hint that is not our id_token (an access token, a
        # forged signature, another issuer's), or one for another client than client_id.
        browser = self.browser()
        self.sign_in(browser)
        header, payload, signature = hint.split(".")
        forged = ".".join([header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA"
                                                              else "BBBB")])
        for bad, client in ((body["access_token"], ""), (forged, ""), ("not.a.jwt", ""),
                            (hint, "first")):
            params = {"id_token_hint": bad, "post_logout_redirect_uri": bye}
            if client:
                params["client_id"] = client
            refused = browser.get("/logout", params)
            self.assert_html_page(refused, 400)
            self.assertIn("invalid_request", refused.text)
            self.assertNotIn('name="logout"', refused.text)
        confirm = browser.get("/logout", {"client_id": "web"})
        posted = browser.submit(confirm, {"logout": "yes", "id_token_hint": forged,
                                          "post_logout_redirect_uri": bye})
        self.assert_html_page(posted, 400)
        _, challenge = pkce_pair()
        still = browser.get("/authorize", authorize_params("web", challenge))
        self.assertEqual(still.status_code, 302, "a refused logout signed the browser out")

    def test_key_commands_cover_the_id_token_ring(self):
        keys = self.rs256_published()
        listed = self.cli_ok("key", "list").stdout
        rows = {line.split()[0]: line.split() for line in listed.splitlines()[1:] if line.strip()}
        rs256 = [k["kid"] for k in keys["keys"] if k["alg"] == "RS256"]
        self.assertTrue(rs256)
        for kid in rs256:
            self.assertEqual(rows[kid][1:3], ["id_token", "RS256"], listed)
        self.assertTrue(any(row[1] == "access" for row in rows.values()), listed)
        # rotate --purpose id_token adds an RS256 key to that ring; other algorithms are refused.
        refused = self.server.cli("key", "rotate", "--purpose", "id_token", "--alg", "EdDSA")
        self.assertEqual(refused.returncode, 1)
        self.assertIn("RS256", refused.stderr)
        rotated = self.cli_ok("key", "rotate", "--purpose", "id_token").stdout
        new_kid = rotated.split()[1]
        self.assertIn("(RS256)", rotated)
        listed = self.cli_ok("key", "list").stdout
        self.assertIn(new_kid, listed)
        row = next(line.split() for line in listed.splitlines() if line.startswith(new_kid))
        self.assertEqual(row[1:4], ["id_token", "RS256", "pending"])
        # retire finds a key of either ring; the id_token ring's signing key is replaced at once.
        active = next(line.split()[0] for line in listed.splitlines()
                      if line.split()[1:2] == ["id_token"] and "active" in line.split())
        retired = self.cli_ok("key", "retire", active).stdout
        self.assertIn("retired", retired)
        self.assertIn("signs from now in its place", retired)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            published = requests.get(self.base + "/.well-known/jwks.json",
                                     timeout=HTTP_TIMEOUT).json()
            if active not in [k["kid"] for k in published["keys"]]:
                break
            time.sleep(0.1)
        self.assertNotIn(active, [k["kid"] for k in published["keys"]])
        code, verifier, _ = self.sign_in(self.browser(), scope="openid")
        body = self.redeem(code, verifier).json()
        header = jwt.get_unverified_header(body["id_token"])
        self.assertEqual(header["alg"], "RS256")
        self.assertNotEqual(header["kid"], active)
        missing = self.server.cli("key", "retire", "no-such-kid")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no signing key has kid", missing.stderr)

    def test_claims_follow_the_scope(self):
        code, verifier, _ = self.sign_in(self.browser(), scope="openid")
        body = self.redeem(code, verifier).json()
        claims = jwt.decode(body["id_token"], options={"verify_signature": False})
        self.assertNotIn("name", claims)
        self.assertNotIn("email", claims)
        self.assertNotIn("nonce", self.redeem_no_nonce_claims())
        code, verifier, _ = self.sign_in(self.browser(), scope="finance:read")
        self.assertNotIn("id_token", self.redeem(code, verifier).json())

    def redeem_no_nonce_claims(self):
        code, verifier, _ = self.sign_in(self.browser(), scope="openid", nonce=None)
        body = self.redeem(code, verifier).json()
        return jwt.decode(body["id_token"], options={"verify_signature": False})

    def test_discovery_describes_the_code_flow(self):
        doc = requests.get(self.base + "/.well-known/openid-configuration",
                           timeout=HTTP_TIMEOUT).json()
        self.assertEqual(doc["authorization_endpoint"], self.base + "/authorize")
        self.assertEqual(doc["end_session_endpoint"], self.base + "/logout")
        self.assertEqual(doc["response_types_supported"], ["code"])
        self.assertEqual(doc["code_challenge_methods_supported"], ["S256"])
        self.assertTrue(doc["authorization_response_iss_parameter_supported"])
        self.assertIn("authorization_code", doc["grant_types_supported"])
        self.assertEqual(doc["subject_types_supported"], ["public"])
        for scope in ("openid", "profile", "email"):
            self.assertIn(scope, doc["scopes_supported"])


class TwoInstancesOnPostgresql(unittest.TestCase):
    """A session, a code and a consent live in the database: every instance behind a load
    balancer sees them, and a restart signs nobody out."""

    def test_a_sign_in_at_one_instance_holds_at_the_other(self):
        env = {"TESSERA_DATABASE": pg_helpers.shared().create_database(),
               "TESSERA_KEY_ENCRYPTION_KEY": "e2e-browser-sign-in-key-encryption-0123456",
               "TESSERA_ISSUER": "http://tessera.sign-in.test"}
        servers = []
        for _ in range(2):
            server = harness.Server.spawn(env=env)
            self.addCleanup(server.close)
            server.wait_listening(timeout=30)
            servers.append(server)
        first, second = servers
        for args, stdin in ((("user", "add", "bob", "--password-stdin"), PASSWORD + "\n"),
                            (("client", "add", "web", "--public", "--redirect-uri",
                              REDIRECT_URI), None)):
            result = first.cli(*args, input=stdin)
            self.assertEqual(result.returncode, 0, result.stderr)
        browser = Browser(first.base)
        self.addCleanup(browser.session.close)
        verifier, challenge = pkce_pair()
        page = browser.get("/authorize", authorize_params("web", challenge))
        page = browser.submit(page, {"username": "bob", "password": PASSWORD})
        page = browser.submit(page, {"decision": "allow"})
        self.assertEqual(page.status_code, 303, page.text[:300])
        # The same browser at the other instance: signed in, consent remembered.
        browser.base = second.base
        verifier, challenge = pkce_pair()
        again = browser.get("/authorize", authorize_params("web", challenge))
        self.assertEqual(again.status_code, 302, again.text[:300])
        _, params = Browser.redirect_params(again)
        self.assertEqual(params["iss"], "http://tessera.sign-in.test")
        # The code from one instance is redeemed at the other.
        token = requests.post(first.base + "/token", timeout=HTTP_TIMEOUT, data={
            "grant_type": "authorization_code", "code": params["code"],
            "code_verifier": verifier, "client_id": "web"})
        self.assertEqual(token.status_code, 200, token.text)
        self.assertIn("id_token", token.json())


class Hs256Mode(unittest.TestCase):
    def test_openid_is_refused_with_a_clear_error(self):
        server = harness.Server.start(env={"TESSERA_SIGNING_ALG": "HS256",
                                           "TESSERA_SECRET_KEY": "k" * 40})
        self.addCleanup(server.close)
        added = server.cli("client", "add", "web", "--public", "--redirect-uri", REDIRECT_URI)
        self.assertEqual(added.returncode, 0, added.stderr)
        browser = Browser(server.base)
        self.addCleanup(browser.session.close)
        page = browser.get("/authorize", authorize_params("web", pkce_pair()[1]))
        self.assertEqual(page.status_code, 302)
        _, params = Browser.redirect_params(page)
        self.assertEqual(params["error"], "invalid_scope")
        self.assertIn("HS256", params["error_description"])


if __name__ == "__main__":
    unittest.main()
