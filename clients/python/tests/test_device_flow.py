"""DeviceFlow (RFC 8628) and device_login.py against a fake Tessera in this process: an
http.server thread whose token endpoint gives scripted answers (authorization_pending,
slow_down, the tokens, access_denied, expired_token). Time is fake: the injected sleep
records each wait and moves the clock, so nothing here sleeps.

    python3 -m unittest discover -s clients/python/tests
"""

import base64
import json
import os
import subprocess
import sys
import threading
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, CLIENT_DIR)
from tessera_client import DeviceAuthorization, DeviceFlow, TesseraError  # noqa: E402
from tessera_client.device import GRANT_TYPE  # noqa: E402

PENDING = (400, {"error": "authorization_pending"})
SLOW_DOWN = (400, {"error": "slow_down"})
TOKENS = (200, {"access_token": "at-1", "token_type": "Bearer", "expires_in": 300,
                "scope": "openid read", "refresh_token": "rt-1"})
DENIED = (400, {"error": "access_denied", "error_description": "the user said no"})
EXPIRED = (400, {"error": "expired_token"})
MAX_POLLS = 50


class FakeTime:
    """The flow's clock and sleep: sleeping moves the clock at once and is recorded."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeTessera:
    """The device authorization endpoint answers `authorization` (or `authorization_error`);
    each poll of the token endpoint takes the next of `token_answers`, the last one repeating
    (up to MAX_POLLS polls). Every POST is recorded as (path, form, Authorization header)."""

    def __init__(self):
        self.authorization_error = None
        self.token_answers = [TOKENS]
        self.metadata_has_device_endpoint = True
        self.posts = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.base = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.authorization = {
            "device_code": "dc-secret", "user_code": "WDJB-MJHT",
            "verification_uri": self.base + "/device",
            "verification_uri_complete": self.base + "/device?user_code=WDJB-MJHT",
            "expires_in": 600, "interval": 5}
        threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def polls(self):
        return [form for path, form, _ in self.posts if path == "/token"]

    def answer(self, path, form, authorization):
        with self.lock:
            self.posts.append((path, form, authorization))
            if path == "/device_authorization":
                return self.authorization_error or (200, self.authorization)
            if path == "/token":
                if len(self.polls()) > MAX_POLLS:  # a flow that never stops fails, not hangs
                    return 400, {"error": "too_many_polls"}
                return (self.token_answers.pop(0) if len(self.token_answers) > 1
                        else self.token_answers[0])
        return 404, {}

    def metadata(self):
        doc = {"issuer": self.base, "token_endpoint": self.base + "/token"}
        if self.metadata_has_device_endpoint:
            doc["device_authorization_endpoint"] = self.base + "/device_authorization"
        return doc


def _handler(fake):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            self.reply(*fake.answer(self.path, form, self.headers.get("Authorization")))

        def do_GET(self):
            if self.path == "/.well-known/oauth-authorization-server":
                return self.reply(200, fake.metadata())
            if self.path == "/users/me" and self.headers.get("Authorization") == "Bearer at-1":
                return self.reply(200, {"sub": "alice", "client_id": "tv", "scope": "openid read"})
            self.reply(401, {})

    return Handler


class DeviceFlowTestCase(unittest.TestCase):
    def setUp(self):
        self.fake = FakeTessera()
        self.addCleanup(self.fake.close)
        self.time = FakeTime()

    def flow(self, **kwargs):
        kwargs.setdefault("client_id", "tv")
        flow = DeviceFlow(self.fake.base, clock=self.time.clock, sleep=self.time.sleep, **kwargs)
        self.addCleanup(flow.close)
        return flow

    def sign_in(self, *token_answers, **kwargs):
        """The tokens of one start() and poll() with the token endpoint's `token_answers`."""
        self.fake.token_answers = list(token_answers)
        flow = self.flow(**kwargs)
        return flow.poll(flow.start("openid read"))

    def assert_fails(self, error, *token_answers):
        with self.assertRaises(TesseraError) as caught:
            self.sign_in(*token_answers)
        self.assertEqual(caught.exception.error, error)
        return caught.exception


class Start(DeviceFlowTestCase):
    def test_a_public_client_names_itself_and_gets_the_codes(self):
        authorization = self.flow().start("openid read")
        self.assertEqual(authorization, DeviceAuthorization(
            device_code="dc-secret", user_code="WDJB-MJHT",
            verification_uri=self.fake.base + "/device",
            verification_uri_complete=self.fake.base + "/device?user_code=WDJB-MJHT",
            expires_in=600, interval=5, expires_at=1600.0))
        self.assertEqual(self.fake.posts, [("/device_authorization",
                                            {"client_id": "tv", "scope": "openid read"}, None)])
        self.assertNotIn("dc-secret", repr(authorization))

    def test_a_confidential_client_authenticates_at_both_endpoints(self):
        self.sign_in(TOKENS, client_id="tv", client_secret="s3cret")
        basic = "Basic " + base64.b64encode(b"tv:s3cret").decode()
        self.assertEqual([(path, authorization) for path, _, authorization in self.fake.posts],
                         [("/device_authorization", basic), ("/token", basic)])
        self.assertNotIn("client_id", self.fake.posts[0][1])

    def test_without_an_interval_the_default_is_5_seconds(self):
        del self.fake.authorization["interval"]
        del self.fake.authorization["verification_uri_complete"]
        authorization = self.flow().start()
        self.assertEqual((authorization.interval, authorization.verification_uri_complete),
                         (5, None))
        self.assertEqual(self.fake.posts[0][1], {"client_id": "tv"})

    def test_an_oauth_error_is_raised_with_its_status(self):
        self.fake.authorization_error = (400, {"error": "unauthorized_client",
                                               "error_description": "no device grant"})
        with self.assertRaises(TesseraError) as caught:
            self.flow().start()
        e = caught.exception
        self.assertEqual((e.error, e.description, e.status),
                         ("unauthorized_client", "no device grant", 400))

    def test_a_malformed_answer_is_invalid_response(self):
        for change in ({"device_code": None}, {"expires_in": "600"}, {"interval": -1},
                       {"user_code": 7}, {"verification_uri_complete": 1}):
            with self.subTest(change=change):
                self.fake.authorization_error = (200, {**self.fake.authorization, **change})
                with self.assertRaises(TesseraError) as caught:
                    self.flow().start()
                self.assertEqual((caught.exception.error, caught.exception.status),
                                 ("invalid_response", 200))

    def test_metadata_without_the_device_endpoint_is_invalid_response(self):
        self.fake.metadata_has_device_endpoint = False
        with self.assertRaises(TesseraError) as caught:
            self.flow().start()
        self.assertEqual(caught.exception.error, "invalid_response")
        self.assertIn("device_authorization_endpoint", caught.exception.description)
        self.assertEqual(self.fake.posts, [])


class Poll(DeviceFlowTestCase):
    def test_pending_polls_wait_the_interval_until_the_tokens_come(self):
        self.assertEqual(self.sign_in(PENDING, PENDING, TOKENS), TOKENS[1])
        self.assertEqual(self.time.sleeps, [5, 5, 5])
        self.assertEqual(self.fake.polls(), 3 * [{"grant_type": GRANT_TYPE,
                                                  "device_code": "dc-secret",
                                                  "client_id": "tv"}])

    def test_slow_down_adds_5_seconds_to_this_and_every_later_wait(self):
        self.sign_in(PENDING, SLOW_DOWN, PENDING, SLOW_DOWN, PENDING, TOKENS)
        self.assertEqual(self.time.sleeps, [5, 5, 10, 10, 15, 15])

    def test_access_denied_stops_the_polling(self):
        e = self.assert_fails("access_denied", PENDING, DENIED, TOKENS)
        self.assertEqual((e.description, e.status), ("the user said no", 400))
        self.assertEqual(len(self.fake.polls()), 2)

    def test_expired_token_from_the_server_stops_the_polling(self):
        self.assertEqual(self.assert_fails("expired_token", SLOW_DOWN, EXPIRED, TOKENS).status,
                         400)
        self.assertEqual(len(self.fake.polls()), 2)

    def test_other_errors_stop_the_polling(self):
        self.assert_fails("invalid_grant", (400, {"error": "invalid_grant"}), TOKENS)
        self.assertEqual(len(self.fake.polls()), 1)

    def test_a_code_still_pending_at_its_expiry_is_not_polled_again(self):
        self.fake.authorization["expires_in"] = 12
        e = self.assert_fails("expired_token", PENDING)
        self.assertIsNone(e.status)
        self.assertEqual(str(e), "expired_token: the code expired before it was approved")
        self.assertEqual((self.time.sleeps, len(self.fake.polls())), ([5, 5, 5], 2))

    def test_answers_that_are_not_oauth_are_invalid_response(self):
        for answer in ((502, b"<html>bad gateway</html>"), (200, {"token": "x"})):
            with self.subTest(answer=answer):
                e = self.assert_fails("invalid_response", PENDING, answer)
                self.assertEqual(e.status, answer[0])


class DeviceLoginCli(DeviceFlowTestCase):
    """device_login.py as a user runs it, against the fake with no wait between polls."""

    def run_cli(self, *token_answers, stdin=None, env=None):
        self.fake.authorization["interval"] = 0
        self.fake.token_answers = list(token_answers)
        return subprocess.run(
            [sys.executable, "device_login.py", "--issuer", self.fake.base + "/",
             "--client-id", "tv", "--scope", "openid read", *(["--secret-stdin"] if stdin else [])],
            cwd=CLIENT_DIR, input=stdin, capture_output=True, text=True, timeout=30,
            env={**{k: v for k, v in os.environ.items() if k != "TESSERA_CLIENT_SECRET"},
                 **(env or {})})

    def test_shows_where_to_approve_then_who_signed_in(self):
        run = self.run_cli(PENDING, PENDING, TOKENS)  # a slow_down would really wait 5 s
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(json.loads(run.stdout),
                         {"sub": "alice", "client_id": "tv", "scope": "openid read"})
        base = self.fake.base
        self.assertIn("Open %s/device and enter WDJB-MJHT\n" % base, run.stderr)
        self.assertIn("%s/device?user_code=WDJB-MJHT" % base, run.stderr)
        self.assertIn("Signed in as alice", run.stderr)
        self.assertNotIn("at-1", run.stdout + run.stderr)
        self.assertEqual(len(self.fake.polls()), 3)

    def test_a_confidential_clients_secret_from_stdin_or_the_environment(self):
        basic = "Basic " + base64.b64encode(b"tv:s3cret").decode()
        for how in ({"stdin": "s3cret\n"}, {"env": {"TESSERA_CLIENT_SECRET": "s3cret"}}):
            with self.subTest(how=how):
                self.fake.posts.clear()
                run = self.run_cli(TOKENS, **how)
                self.assertEqual(run.returncode, 0, run.stderr)
                self.assertEqual({authorization for _, _, authorization in self.fake.posts},
                                 {basic})

    def test_denied_and_expired_exit_1_with_the_reason(self):
        for answer, reason in ((DENIED, "denied (access_denied)"),
                               (EXPIRED, "expired before anyone approved it (expired_token)")):
            with self.subTest(reason=reason):
                run = self.run_cli(PENDING, answer)
                self.assertEqual(run.returncode, 1)
                self.assertIn(reason, run.stderr)
                self.assertEqual(run.stdout, "")


if __name__ == "__main__":
    unittest.main()
