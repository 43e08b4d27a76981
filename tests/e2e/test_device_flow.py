"""The device authorization grant (RFC 8628): a device without a keyboard (a TV) asks
/device_authorization for a device code and a short user code, the person types the user
code at /device on their phone, signs in there and allows the device on a consent page that
shows the same code, while the device polls /token until its tokens come out, once.

The phone is a requests.Session (its cookies carry the session and the anti-CSRF token) whose
forms are read from the pages' HTML. Most servers here poll at an interval of 1s to keep the
run short; the expiry and the address throttle each get a server of their own. A last class
drives the flow with Debian's python3-authlib, code nobody here wrote.
"""

import os
import re
import subprocess
import time
import unittest

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from authlib.integrations.requests_client import OAuthError

import harness
from browser_helpers import forms_of
from harness import HTTP_TIMEOUT
from oauth_helpers import (Client, add_client, add_user, assert_oauth_error,
                           assert_token_response, claims, me_status, new_secret, post_form,
                           refresh)

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")
TV_SCOPE = "openid profile read"
TV_NAME = "Living-room TV"
BOB, BOB_PASSWORD = "bob", "Bob-pass-12345"
FAST = {"TESSERA_DEVICE_POLL_INTERVAL": "1s"}
# Poll times are whole seconds: a wait of the interval plus this is never too soon.
MARGIN = 0.2
CONNECTED = re.compile(r"(?i)connected|go back to your device")
DENIED = re.compile(r"(?i)denied")
# Short enough to be a typed code that a page might show back.
HOSTILE = ('"><script>alert(1)</script>', '"><img src=x onerror=alert(1)>')


def normalized(code):
    return re.sub(r"[\s-]", "", code).upper()


def visible_text(page):
    """The page's text without tags or attribute values (so not the hidden fields)."""
    body = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page.text)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", body))


def start_of_a_second():
    """Waits until just after a wall-clock second begins. Poll times are kept in whole
    seconds, so two polls meant to come "at once" are sent within one second."""
    fraction = time.time() % 1
    if fraction > 0.1:
        time.sleep(1.02 - fraction)


class Phone:
    """The person's browser: a cookie jar, no redirect followed, the /device form read from
    each page and posted back with its hidden fields."""

    def __init__(self, base):
        self.base = base
        self.session = requests.Session()

    def open(self, url=None, params=None):
        return self.session.get(url or self.base + "/device", params=params,
                                allow_redirects=False, timeout=HTTP_TIMEOUT)

    def post(self, data):
        return self.session.post(self.base + "/device", data=data, allow_redirects=False,
                                 timeout=HTTP_TIMEOUT)

    def submit(self, page, values, drop=()):
        form = device_form(page)
        data = [(k, v) for k, v in form["fields"] if k not in drop and k not in values]
        data += list(values.items())
        return self.post(data)

    def cookie(self, name):
        return self.session.cookies.get(name)

    def close(self):
        self.session.close()


def device_form(page):
    forms = [f for f in forms_of(page.text).forms if f["action"] == "device"]
    if len(forms) != 1:
        raise AssertionError("expected one <form action=\"device\">, found %d:\n%s"
                             % (len(forms), page.text[:1500]))
    if forms[0]["method"].lower() != "post":
        raise AssertionError("the device form is not method=post: %r" % forms[0])
    return forms[0]


def inputs_of(form):
    return {i.get("name"): i for i in form["inputs"]}


class DeviceCase(unittest.TestCase):
    """A server polled at 1s, bob, and the clients of a living room."""

    SERVER_ENV = FAST

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server.start(env=cls.SERVER_ENV)
        cls.addClassCleanup(cls.server.close)
        cls.base = cls.server.base
        added = cls.server.cli("user", "add", BOB, "--password-stdin", "--scope", "read write",
                               "--name", "Bob Kim", input=BOB_PASSWORD + "\n")
        if added.returncode != 0:
            raise AssertionError(added.stderr)
        cls.tv = add_client(cls.server, "tv", public=True, grants=[GRANT, "refresh_token"],
                            scope=TV_SCOPE, extra=["--name", TV_NAME])
        cls.issuer = requests.get(cls.base + "/.well-known/openid-configuration",
                                  timeout=HTTP_TIMEOUT).json()["issuer"]

    def setUp(self):
        self._polled = {}

    # --- the device's side ---

    def start(self, client, scope=TV_SCOPE, method=None):
        r = post_form(self.base, "/device_authorization", client, {"scope": scope}, method)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.headers.get("Cache-Control"), "no-store", r.headers)
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"),
                        r.headers)
        grant = r.json()
        self.assertRegex(grant.get("user_code", ""), USER_CODE)
        return grant

    def poll(self, client, grant, method=None):
        """Polls for `grant` no sooner than its interval after this test's last poll of it."""
        code = grant["device_code"]
        wait = self._polled.get(code, 0) + grant["interval"] + MARGIN - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return self.poll_now(client, code, method)

    def poll_now(self, client, device_code, method=None):
        r = post_form(self.base, "/token", client,
                      {"grant_type": GRANT, "device_code": device_code}, method)
        self._polled[device_code] = time.monotonic()
        return r

    def tokens(self, response, client, user, scope, refresh_token):
        """The token response of an approved device: who, which client, what scope."""
        body = assert_token_response(self, response, refresh_token=refresh_token, scope=scope)
        access = claims(body["access_token"])
        self.assertEqual(access["sub"], user)
        self.assertEqual(access["client_id"], client.id)
        self.assertEqual(access["iss"], self.issuer)
        self.assertEqual(me_status(self.base, body["access_token"]), 200)
        if "openid" in scope.split():
            header = jwt.get_unverified_header(body["id_token"])
            keys = jwt.PyJWKClient(self.base + "/.well-known/jwks.json", cache_keys=False)
            key = keys.get_signing_key_from_jwt(body["id_token"])
            id_claims = jwt.decode(body["id_token"], key.key, algorithms=[header["alg"]],
                                   audience=client.id, issuer=self.issuer)
            self.assertEqual(id_claims["sub"], user)
        else:
            self.assertNotIn("id_token", body)
        return body

    # --- the phone's side ---

    def phone(self):
        phone = Phone(self.base)
        self.addCleanup(phone.close)
        return phone

    def assert_page(self, page, status):
        self.assertEqual(page.status_code, status, page.text[:1500])
        self.assertEqual(page.headers.get("Content-Type"), "text/html; charset=utf-8")
        self.assertIn("frame-ancestors 'none'", page.headers.get("Content-Security-Policy", ""))
        self.assertEqual(page.headers.get("X-Frame-Options"), "DENY")
        self.assertEqual(page.headers.get("Cache-Control"), "no-store")
        self.assertNotIn("Location", page.headers)

    def assert_code_page(self, page, status=200, error=False):
        """The form that asks for the user code (again, with an alert, after a bad one)."""
        self.assert_page(page, status)
        form = device_form(page)
        self.assertIn("user_code", inputs_of(form))
        self.assertNotEqual(inputs_of(form)["user_code"].get("type"), "hidden")
        self.assertIn("csrf", dict(form["fields"]))
        if error:
            self.assertIn('role="alert"', page.text)
        return form

    def assert_login_page(self, page, user_code, status=200):
        self.assert_page(page, status)
        form = device_form(page)
        inputs = inputs_of(form)
        self.assertIn("username", inputs)
        self.assertEqual(inputs["password"].get("type"), "password")
        hidden = dict(form["fields"])
        self.assertEqual(normalized(hidden.get("user_code", "")), normalized(user_code))
        self.assertTrue(hidden.get("csrf"), hidden)
        return form

    def assert_consent_page(self, page, user_code, client_name=TV_NAME):
        self.assert_page(page, 200)
        form = device_form(page)
        self.assertIn(("decision", "allow"), form["buttons"])
        self.assertIn(("decision", "deny"), form["buttons"])
        hidden = dict(form["fields"])
        self.assertEqual(normalized(hidden.get("user_code", "")), normalized(user_code))
        self.assertTrue(hidden.get("csrf"), hidden)
        self.assertNotIn("password", inputs_of(form))
        text = visible_text(page)
        self.assertIn(user_code, text, "the consent page shows the code being confirmed")
        self.assertIn(client_name, text)
        return form

    def enter_code(self, phone, user_code):
        page = phone.open()
        self.assert_code_page(page)
        return phone.submit(page, {"user_code": user_code})

    def approve(self, user_code, decision="allow", phone=None, user=BOB, password=BOB_PASSWORD,
                client_name=TV_NAME):
        """Enters the code, signs in when asked, and answers the consent page."""
        phone = phone or self.phone()
        page = self.enter_code(phone, user_code)
        if 'name="password"' in page.text:
            self.assert_login_page(page, user_code)
            page = phone.submit(page, {"username": user, "password": password})
        self.assert_consent_page(page, user_code, client_name)
        page = phone.submit(page, {"decision": decision})
        self.assert_page(page, 200)
        if decision == "allow":
            self.assertRegex(visible_text(page), CONNECTED)
            self.assertNotRegex(visible_text(page), DENIED)
        else:
            self.assertRegex(visible_text(page), DENIED)
        return page

    def assert_code_refused(self, phone, user_code):
        """A code that is wrong, expired or answered: the form again with an alert."""
        page = self.enter_code(phone, user_code)
        self.assert_code_page(page, 400, error=True)
        self.assertNotIn('name="password"', page.text)
        self.assertNotIn('name="decision"', page.text)


class DeviceFlow(DeviceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, "dora", "Dora-pass-12345", scope="write")
        add_user(cls.server, "erin", "Erin-pass-12345", scope="read")
        cls.console = add_client(cls.server, "console", grants=[GRANT], scope="read",
                                 extra=["--name", "Game console"])
        cls.other = add_client(cls.server, "other-tv", public=True, grants=[GRANT],
                               scope=TV_SCOPE)
        cls.kiosk = add_client(cls.server, "kiosk", public=True, grants=[GRANT], scope="read",
                               extra=["--skip-consent", "--name", "Lobby kiosk"])
        cls.plain = add_client(cls.server, "plain", public=True, scope="read")

    def test_device_authorization_answer(self):
        grant = self.start(self.tv)
        self.assertEqual(grant["verification_uri"], self.issuer + "/device")
        self.assertEqual(grant["verification_uri_complete"],
                         self.issuer + "/device?user_code=" + grant["user_code"])
        self.assertEqual(grant["expires_in"], 600)
        self.assertEqual(grant["interval"], 1)
        self.assertIsInstance(grant["device_code"], str)
        self.assertGreaterEqual(len(grant["device_code"]), 20)
        self.assertNotEqual(normalized(grant["device_code"]), normalized(grant["user_code"]))
        again = self.start(self.tv)
        self.assertNotEqual(again["device_code"], grant["device_code"])
        self.assertNotEqual(again["user_code"], grant["user_code"])

    def test_discovery_names_the_endpoint_and_the_grant(self):
        for path in ("/.well-known/openid-configuration",
                     "/.well-known/oauth-authorization-server"):
            with self.subTest(path=path):
                meta = requests.get(self.base + path, timeout=HTTP_TIMEOUT).json()
                self.assertEqual(meta["device_authorization_endpoint"],
                                 self.issuer + "/device_authorization")
                self.assertIn(GRANT, meta["grant_types_supported"])

    def test_the_verification_page_is_a_form_with_its_csrf_token_and_no_framing(self):
        phone = self.phone()
        page = phone.open()
        form = self.assert_code_page(page)
        self.assertEqual(page.headers.get("Referrer-Policy"), "no-referrer")
        self.assertIsNotNone(phone.cookie("tessera_csrf"))
        self.assertEqual(dict(form["fields"])["csrf"], phone.cookie("tessera_csrf"))
        self.assertFalse(inputs_of(form)["user_code"].get("value"))
        # Whatever the query carries is escaped, never markup.
        for hostile in HOSTILE:
            with self.subTest(hostile=hostile):
                page = phone.open(params={"user_code": hostile})
                self.assertLess(page.status_code, 500)
                self.assertNotIn("<script", page.text)
                self.assertNotIn("<img", page.text)

    def test_sign_in_allow_and_the_tokens_come_out_once(self):
        grant = self.start(self.tv)
        assert_oauth_error(self, self.poll(self.tv, grant), 400, "authorization_pending")

        phone = self.phone()
        page = phone.open(grant["verification_uri"])
        self.assert_code_page(page)
        page = phone.submit(page, {"user_code": grant["user_code"]})
        self.assert_login_page(page, grant["user_code"])
        self.assertIsNone(phone.cookie("tessera_session"))
        wrong = phone.submit(page, {"username": BOB, "password": "not-the-password"})
        self.assert_login_page(wrong, grant["user_code"], status=401)
        self.assertIn('role="alert"', wrong.text)
        self.assertIsNone(phone.cookie("tessera_session"))
        page = phone.submit(wrong, {"username": BOB, "password": BOB_PASSWORD})
        self.assert_consent_page(page, grant["user_code"])
        self.assertIsNotNone(phone.cookie("tessera_session"))
        # Not answered yet: still pending.
        assert_oauth_error(self, self.poll(self.tv, grant), 400, "authorization_pending")
        done = phone.submit(page, {"decision": "allow"})
        self.assert_page(done, 200)
        self.assertRegex(visible_text(done), CONNECTED)
        self.assertNotRegex(visible_text(done), DENIED)

        body = self.tokens(self.poll(self.tv, grant), self.tv, BOB, TV_SCOPE,
                           refresh_token=True)
        id_claims = claims(body["id_token"])
        self.assertIn(id_claims["aud"], ("tv", ["tv"]))
        self.assertEqual(id_claims["name"], "Bob Kim")
        self.assertIn("auth_time", id_claims)
        # Once: the next poll is refused, and the code at /device too.
        assert_oauth_error(self, self.poll(self.tv, grant), 400, "invalid_grant")
        self.assert_code_refused(phone, grant["user_code"])
        # The refresh token works like any other.
        renewed = refresh(self.base, self.tv, body["refresh_token"])
        fresh = assert_token_response(self, renewed, refresh_token=True)
        self.assertEqual(claims(fresh["access_token"])["sub"], BOB)
        self.assertEqual(claims(fresh["access_token"])["client_id"], "tv")
        self.assertNotEqual(fresh["refresh_token"], body["refresh_token"])

    def test_a_signed_in_browser_still_confirms_the_device_even_for_skip_consent(self):
        phone = self.phone()
        first = self.start(self.tv)
        self.approve(first["user_code"], phone=phone)
        self.assertIsNotNone(phone.cookie("tessera_session"))
        for client, scope, name in ((self.tv, TV_SCOPE, TV_NAME),
                                    (self.kiosk, "read", "Lobby kiosk")):
            with self.subTest(client=client.id):
                grant = self.start(client, scope=scope)
                page = self.enter_code(phone, grant["user_code"])
                self.assertNotIn('name="password"', page.text)
                self.assert_consent_page(page, grant["user_code"], name)
                page = phone.submit(page, {"decision": "allow"})
                self.assert_page(page, 200)
                self.tokens(self.poll(client, grant), client, BOB, scope,
                            refresh_token=client is self.tv)

    def test_verification_uri_complete_fills_the_code_in(self):
        grant = self.start(self.tv)
        phone = self.phone()
        page = phone.open(grant["verification_uri_complete"])
        form = self.assert_code_page(page)
        prefilled = inputs_of(form)["user_code"].get("value")
        self.assertEqual(normalized(prefilled or ""), normalized(grant["user_code"]))
        self.assertEqual(dict(form["fields"])["csrf"], phone.cookie("tessera_csrf"))
        page = phone.submit(page, {"user_code": prefilled})
        self.assert_login_page(page, grant["user_code"])

    def test_the_code_is_read_without_dashes_spaces_or_case(self):
        for typed in (lambda c: c.lower(),
                      lambda c: c.replace("-", ""),
                      lambda c: " " + c[:2].lower() + " " + c[2:].replace("-", " ") + " "):
            grant = self.start(self.tv)
            text = typed(grant["user_code"])
            with self.subTest(typed=text):
                page = self.enter_code(self.phone(), text)
                self.assert_login_page(page, grant["user_code"])

    def test_deny_gives_the_device_access_denied(self):
        grant = self.start(self.tv)
        phone = self.phone()
        self.approve(grant["user_code"], decision="deny", phone=phone)
        assert_oauth_error(self, self.poll(self.tv, grant), 400, "access_denied")
        self.assert_code_refused(phone, grant["user_code"])

    def test_polling_too_fast_slows_down_by_five_seconds(self):
        # Two codes polled side by side: `a` shows the old interval is no longer enough,
        # `b` that the interval plus five seconds is.
        a, b = self.start(self.tv), self.start(self.tv)
        interval = a["interval"]
        start_of_a_second()
        for grant in (a, b):
            assert_oauth_error(self, self.poll_now(self.tv, grant["device_code"]), 400,
                               "authorization_pending")
        for grant in (a, b):
            assert_oauth_error(self, self.poll_now(self.tv, grant["device_code"]), 400,
                               "slow_down")
        slowed = time.monotonic()
        time.sleep(interval + 0.5)
        assert_oauth_error(self, self.poll_now(self.tv, a["device_code"]), 400, "slow_down")
        time.sleep(max(0.0, slowed + interval + 5 + 0.3 - time.monotonic()))
        assert_oauth_error(self, self.poll_now(self.tv, b["device_code"]), 400,
                           "authorization_pending")

    def test_another_clients_poll_is_refused_and_changes_nothing(self):
        grant = self.start(self.tv)
        self.approve(grant["user_code"])
        assert_oauth_error(self, self.poll_now(self.other, grant["device_code"]), 400,
                           "invalid_grant")
        # At once after it: the other client's poll was not one of this code's polls.
        self.tokens(self.poll_now(self.tv, grant["device_code"]), self.tv, BOB, TV_SCOPE,
                    refresh_token=True)

    def test_an_unknown_device_code_is_invalid_grant(self):
        grant = self.start(self.tv)
        for code in ("not-a-device-code", grant["device_code"][:-2] + "xx",
                     grant["user_code"]):
            with self.subTest(code=code):
                assert_oauth_error(self, self.poll_now(self.tv, code), 400, "invalid_grant")

    def test_a_client_without_the_grant_is_unauthorized_client(self):
        r = post_form(self.base, "/device_authorization", self.plain, {"scope": "read"})
        assert_oauth_error(self, r, 400, "unauthorized_client")
        grant = self.start(self.tv)
        assert_oauth_error(self, self.poll_now(self.plain, grant["device_code"]), 400,
                           "unauthorized_client")

    def test_a_scope_beyond_the_clients_is_invalid_scope(self):
        for scope in ("openid admin", "write"):
            with self.subTest(scope=scope):
                r = post_form(self.base, "/device_authorization", self.tv, {"scope": scope})
                assert_oauth_error(self, r, 400, "invalid_scope")

    def test_the_scope_is_limited_to_what_the_user_may_have(self):
        grant = self.start(self.tv)
        self.approve(grant["user_code"], user="dora", password="Dora-pass-12345")
        self.tokens(self.poll(self.tv, grant), self.tv, "dora", "openid profile",
                    refresh_token=True)

    def test_a_confidential_client_authenticates_at_both_endpoints(self):
        stranger = Client(self.console.id, new_secret())
        for method in ("basic", "post"):
            with self.subTest(method=method):
                r = post_form(self.base, "/device_authorization", stranger, {"scope": "read"},
                              method)
                assert_oauth_error(self, r, 401, "invalid_client")
        # Its id alone, as a public client would send it: not authenticated (as at /token).
        r = post_form(self.base, "/device_authorization", self.console, {"scope": "read"},
                      "none")
        assert_oauth_error(self, r, 401, "invalid_client")
        grant = self.start(self.console, scope="read", method="post")
        self.approve(grant["user_code"], client_name="Game console")
        assert_oauth_error(self, self.poll_now(stranger, grant["device_code"]), 401,
                           "invalid_client")
        self.tokens(self.poll_now(self.console, grant["device_code"]), self.console, BOB,
                    "read", refresh_token=False)

    def test_a_form_without_its_csrf_token_is_refused_before_anything(self):
        grant = self.start(self.tv)
        phone = self.phone()
        page = phone.open()
        self.assert_code_page(page)
        no_token = phone.submit(page, {"user_code": grant["user_code"]}, drop=("csrf",))
        self.assertEqual(no_token.status_code, 403, no_token.text[:500])
        wrong = phone.submit(page, {"user_code": grant["user_code"], "csrf": "x" * 43})
        self.assertEqual(wrong.status_code, 403, wrong.text[:500])
        # Another browser with this one's token but not its cookie.
        stranger = self.phone()
        r = stranger.post({"user_code": grant["user_code"],
                           "csrf": dict(device_form(page)["fields"])["csrf"]})
        self.assertEqual(r.status_code, 403, r.text[:500])
        # The consent step checks it too.
        page = phone.submit(page, {"user_code": grant["user_code"]})
        page = phone.submit(page, {"username": BOB, "password": BOB_PASSWORD})
        self.assert_consent_page(page, grant["user_code"])
        refused = phone.submit(page, {"decision": "allow"}, drop=("csrf",))
        self.assertEqual(refused.status_code, 403, refused.text[:500])
        assert_oauth_error(self, self.poll(self.tv, grant), 400, "authorization_pending")
        done = phone.submit(page, {"decision": "allow"})
        self.assert_page(done, 200)
        self.tokens(self.poll(self.tv, grant), self.tv, BOB, TV_SCOPE, refresh_token=True)

    def test_a_wrong_code_shows_the_form_again_with_an_alert(self):
        phone = self.phone()
        self.assert_code_refused(phone, "BBBB-BBBB")
        self.assert_code_refused(phone, "not a code")
        page = self.enter_code(phone, HOSTILE[1])
        self.assert_code_page(page, 400, error=True)
        self.assertNotIn("<img", page.text)

    def test_a_user_disabled_after_approving_gets_no_tokens(self):
        grant = self.start(self.tv)
        self.approve(grant["user_code"], user="erin", password="Erin-pass-12345")
        disabled = self.server.cli("user", "disable", "erin")
        self.assertEqual(disabled.returncode, 0, disabled.stderr)
        assert_oauth_error(self, self.poll(self.tv, grant), 400, "invalid_grant")


class DeviceCodeExpiry(DeviceCase):
    SERVER_ENV = dict(FAST, TESSERA_DEVICE_CODE_TTL="5s")

    def test_an_expired_code_is_expired_token_and_refused_at_the_page(self):
        started = time.monotonic()
        grant = self.start(self.tv)
        self.assertEqual(grant["expires_in"], 5)
        assert_oauth_error(self, self.poll(self.tv, grant), 400, "authorization_pending")
        phone = self.phone()
        page = phone.open()
        self.assert_code_page(page)
        time.sleep(max(0.0, started + grant["expires_in"] + 1.2 - time.monotonic()))
        assert_oauth_error(self, self.poll(self.tv, grant), 400, "expired_token")
        page = phone.submit(page, {"user_code": grant["user_code"]})
        self.assert_code_page(page, 400, error=True)


class DeviceCodeThrottle(DeviceCase):
    """Ten wrong codes from one address lock it out of /device (its own server: the tests
    all come from 127.0.0.1)."""

    def test_ten_wrong_codes_lock_the_address_out(self):
        grant = self.start(self.tv)
        phone = self.phone()
        page = phone.open()
        self.assert_code_page(page)
        # Refused for want of the anti-CSRF token: not counted.
        for _ in range(3):
            r = phone.submit(page, {"user_code": "BBBB-BBBB"}, drop=("csrf",))
            self.assertEqual(r.status_code, 403, r.text[:300])
        for letter in "BCDFGHJKLM":
            page = phone.submit(page, {"user_code": "BBBB-BBB" + letter})
            self.assert_code_page(page, 400, error=True)
        for who, browser in (("the same browser", phone), ("a new browser", self.phone())):
            with self.subTest(who):
                if browser is not phone:
                    page = browser.open()  # the page itself may already say 429
                    self.assertIn(page.status_code, (200, 429), page.text[:300])
                refused = page if page.status_code == 429 else browser.submit(
                    page, {"user_code": grant["user_code"]})
                self.assert_page(refused, 429)
                self.assertRegex(refused.headers.get("Retry-After", ""), r"^[1-9][0-9]*$")
                self.assertNotIn('name="password"', refused.text)
                self.assertNotIn('name="decision"', refused.text)
        assert_oauth_error(self, self.poll(self.tv, grant), 400, "authorization_pending")


class DeviceSettings(unittest.TestCase):
    def run_serve(self, extra):
        workdir = harness.make_workdir()
        env = harness.clean_environment({
            "TESSERA_LISTEN": "127.0.0.1:0",
            "TESSERA_DATABASE": os.path.join(workdir, "t.db"),
            "TESSERA_ADMIN_USERNAME": harness.ADMIN_USER,
            "TESSERA_ADMIN_PASSWORD": harness.ADMIN_PASSWORD,
            **extra,
        })
        try:
            return harness.run_cli(["serve"], env, timeout=5)
        except subprocess.TimeoutExpired:
            self.fail("tessera serve started with %r instead of stopping" % (extra,))

    def test_defaults_are_five_seconds_and_ten_minutes(self):
        server = harness.Server.start()
        self.addCleanup(server.close)
        tv = add_client(server, "tv", public=True, grants=[GRANT], scope="read")
        r = post_form(server.base, "/device_authorization", tv, {"scope": "read"})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["interval"], 5)
        self.assertEqual(r.json()["expires_in"], 600)

    def test_out_of_range_values_stop_the_start(self):
        for variable, value in (("TESSERA_DEVICE_POLL_INTERVAL", "0s"),
                                ("TESSERA_DEVICE_POLL_INTERVAL", "61s"),
                                ("TESSERA_DEVICE_POLL_INTERVAL", "soon"),
                                ("TESSERA_DEVICE_CODE_TTL", "4s"),
                                ("TESSERA_DEVICE_CODE_TTL", "2h")):
            with self.subTest(variable=variable, value=value):
                result = self.run_serve({variable: value})
                self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
                self.assertNotIn("listening on", result.stdout)
                self.assertIn(variable, result.stderr)


INSECURE = "AUTHLIB_INSECURE_TRANSPORT"


class AuthlibDevice(DeviceCase):
    """authlib's OAuth2Session as the device: its own request to /device_authorization, then
    fetch_token with the device_code grant until the person has allowed it."""

    @classmethod
    def setUpClass(cls):
        saved = os.environ.get(INSECURE)
        os.environ[INSECURE] = "1"
        cls.addClassCleanup(lambda: os.environ.pop(INSECURE, None) if saved is None
                            else os.environ.__setitem__(INSECURE, saved))
        super().setUpClass()
        cls.console = add_client(cls.server, "console", grants=[GRANT], scope="read",
                                 extra=["--name", "Game console"])

    def device_flow(self, session, client_name):
        token_url = self.base + "/token"
        # The client authenticates as at /token, with authlib's own client authentication.
        r = session.post(self.base + "/device_authorization", withhold_token=True,
                         data={"scope": session.scope},
                         auth=session.client_auth(session.token_endpoint_auth_method),
                         timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)
        grant = r.json()
        interval = grant["interval"]
        with self.assertRaises(OAuthError) as caught:
            session.fetch_token(token_url, grant_type=GRANT, device_code=grant["device_code"])
        self.assertEqual(caught.exception.error, "authorization_pending")
        self.approve(grant["user_code"], client_name=client_name)
        deadline = time.monotonic() + 30
        while True:
            time.sleep(interval + MARGIN)
            try:
                return session.fetch_token(token_url, grant_type=GRANT,
                                           device_code=grant["device_code"])
            except OAuthError as e:
                if e.error == "slow_down":
                    interval += 5
                elif e.error != "authorization_pending":
                    raise
            self.assertLess(time.monotonic(), deadline, "no tokens within 30s")

    def test_public_client(self):
        with AuthlibSession(client_id="tv", scope=TV_SCOPE,
                            token_endpoint_auth_method="none") as session:
            token = self.device_flow(session, TV_NAME)
            self.assertEqual(set(token["scope"].split()), set(TV_SCOPE.split()))
            self.assertIn("refresh_token", token)
            self.assertEqual(claims(token["id_token"])["sub"], BOB)
            me = session.get(self.base + "/users/me", timeout=HTTP_TIMEOUT)
            self.assertEqual(me.status_code, 200, me.text)
            self.assertEqual(me.json()["sub"], BOB)

    def test_confidential_client_with_client_secret_basic(self):
        with AuthlibSession(client_id="console", client_secret=self.console.secret,
                            scope="read",
                            token_endpoint_auth_method="client_secret_basic") as session:
            token = self.device_flow(session, "Game console")
            self.assertEqual(token["scope"], "read")
            self.assertNotIn("refresh_token", token)
            self.assertEqual(claims(token["access_token"])["client_id"], "console")
            me = session.get(self.base + "/users/me", timeout=HTTP_TIMEOUT)
            self.assertEqual(me.status_code, 200, me.text)
            self.assertEqual(me.json()["sub"], BOB)


if __name__ == "__main__":
    unittest.main()
