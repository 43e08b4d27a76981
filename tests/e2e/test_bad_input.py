"""docs/reference.md, "Bad input": every malformed request gets a clear answer and the server keeps
serving everything else. After each case the server still answers /healthz and logins."""

import threading
import time

import requests

import harness
from harness import ADMIN_PASSWORD, ADMIN_USER, HTTP_TIMEOUT

HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"


class BadInput(harness.ServerTestCase):
    def tearDown(self):
        harness.healthz_ok(self, self.base)

    def assert_json_4xx_5xx(self, raw):
        self.assertIsNotNone(raw, "the server closed the connection without an answer")
        self.assertGreaterEqual(raw.status, 400, raw)
        self.assertTrue(raw.headers.get("content-type", "").startswith("application/json"), raw)
        self.assertIsInstance(raw.json().get("error"), str, raw)

    def test_body_over_64_kib_is_413_json(self):
        r = requests.post(self.base + "/token", data=b"a=" + b"x" * (65 * 1024),
                          headers={"Content-Type": "application/x-www-form-urlencoded"},
                          timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 413, r.text)
        self.assertIsInstance(r.json().get("error"), str)

    def test_announced_body_over_64_kib_is_413_before_it_is_sent(self):
        raw = harness.raw_request(self.server.port,
                                  b"POST /token HTTP/1.1\r\nHost: t\r\n"
                                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                                  b"Content-Length: 70000\r\n\r\n")
        self.assertIsNotNone(raw)
        self.assertEqual(raw.status, 413, raw)
        self.assert_json_4xx_5xx(raw)

    def test_chunked_body_over_64_kib_is_413(self):
        def chunks():
            for _ in range(20):
                yield b"x" * 4096
        r = requests.post(self.base + "/token", data=chunks(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"},
                          timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 413, r.text)

    def test_body_just_under_64_kib_is_read(self):
        filler = "x" * (60 * 1024)
        r = requests.post(self.base + "/token",
                          data="grant_type=password&username=alice&password=wrong&pad=" + filler,
                          headers={"Content-Type": "application/x-www-form-urlencoded"},
                          timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 400, r.text)  # an OAuth answer, not a size error
        self.assertEqual(r.json().get("error"), "invalid_grant")

    def test_header_block_over_8_kib_is_431(self):
        r = requests.get(self.base + "/healthz", headers={"X-Big": "a" * 9000},
                         timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 431, r.text)
        self.assertIsInstance(r.json().get("error"), str)

    def test_malformed_request_line_is_400_or_closed(self):
        for garbage in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                        b"\x00\x01\x02\x03\r\n\r\n"):
            with self.subTest(request=garbage):
                raw = harness.raw_request(self.server.port, garbage)
                if raw is not None:
                    self.assertEqual(raw.status, 400, raw)
                    self.assert_json_4xx_5xx(raw)
                harness.healthz_ok(self, self.base)

    def test_malformed_header_is_400_or_closed(self):
        raw = harness.raw_request(self.server.port,
                                  b"GET /healthz HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n")
        if raw is not None:
            self.assertEqual(raw.status, 400, raw)
            self.assert_json_4xx_5xx(raw)

    def test_unknown_path_is_404_json(self):
        r = requests.get(self.base + "/no/such/path", timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 404, r.text)
        self.assertIsInstance(r.json().get("error"), str)

    def test_get_token_is_405_with_allow(self):
        r = requests.get(self.base + "/token", timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 405, r.text)
        self.assertIn("POST", r.headers.get("Allow", ""))
        self.assertIsInstance(r.json().get("error"), str)

    def test_delete_users_me_is_405_with_allow(self):
        r = requests.delete(self.base + "/users/me", timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 405, r.text)
        self.assertIn("GET", r.headers.get("Allow", ""))
        self.assertIsInstance(r.json().get("error"), str)

    def test_unknown_method_is_501(self):
        raw = harness.raw_request(self.server.port, b"BREW /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assert_json_4xx_5xx(raw)
        self.assertEqual(raw.status, 501, raw)

    def test_h2c_upgrade_is_ignored_and_answered_in_http_1_1(self):
        raw = harness.raw_request(self.server.port,
                                  b"GET /healthz HTTP/1.1\r\nHost: t\r\n"
                                  b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                                  b"HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n")
        self.assertIsNotNone(raw)
        self.assertEqual((raw.version, raw.status), ("HTTP/1.1", 200), raw)

    # RFC 9112 section 6.1. The audit: "Transfer-Encoding: identity" without a length was read
    # as no body, so the body was parsed as a second request (400, then 200 for the hidden one).
    def test_a_transfer_coding_other_than_chunked_is_501_and_nothing_hidden_is_served(self):
        hidden = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
        for coding in (b"identity", b"gzip, chunked", b"chunked, gzip", b"deflate"):
            with self.subTest(coding=coding):
                conn = harness.RawConnection(self.server.port)
                try:
                    conn.send(b"POST /token HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: " + coding +
                              b"\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n" +
                              hidden)
                    raw = conn.read_response()
                    self.assert_json_4xx_5xx(raw)
                    self.assertEqual(raw.status, 501, raw)
                    self.assertEqual(raw.headers.get("connection"), "close", raw)
                    self.assertIsNone(conn.read_response(), "the hidden request was answered")
                finally:
                    conn.close()

    def test_chunked_twice_or_on_http_1_0_is_400(self):
        for head in (b"POST /token HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n",
                     b"POST /token HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"):
            with self.subTest(head=head):
                raw = harness.raw_request(self.server.port, head + b"\r\n0\r\n\r\n")
                self.assert_json_4xx_5xx(raw)
                self.assertEqual(raw.status, 400, raw)

    # RFC 9112 section 3.2: exactly one valid Host on HTTP/1.1.
    def test_a_missing_repeated_or_malformed_host_is_400(self):
        for headers in (b"", b"Host: a\r\nHost: b\r\n", b"Host: user@evil.example\r\n",
                        b"Host: a b\r\n", b"Host: a/b\r\n"):
            with self.subTest(headers=headers):
                raw = harness.raw_request(self.server.port,
                                          b"GET /healthz HTTP/1.1\r\n" + headers + b"\r\n")
                self.assert_json_4xx_5xx(raw)
                self.assertEqual(raw.status, 400, raw)
                self.assertEqual(raw.headers.get("connection"), "close", raw)
        # HTTP/1.0 may leave it out.
        raw = harness.raw_request(self.server.port, b"GET /healthz HTTP/1.0\r\n\r\n")
        self.assertEqual(raw.status, 200, raw)

    # PostgreSQL's C strings would end "admin\0x" at the NUL.
    def test_a_nul_byte_in_a_form_is_400(self):
        for body in ("grant_type=password&username=admin%00x&password=p",
                     "grant_type=client_credentials&client_id=a%00b&client_secret=s"):
            with self.subTest(body=body):
                r = requests.post(self.base + "/token", data=body, timeout=HTTP_TIMEOUT,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
                harness.assert_json_error(self, r, 400, "invalid_request")
                self.assertEqual(r.json()["error_description"], "the form has a NUL byte")

    def test_absolute_form_request_target_is_served(self):
        # RFC 9112 section 3.2.2: a server MUST accept the absolute-form.
        raw = harness.raw_request(self.server.port,
                                  b"GET http://127.0.0.1:%d/healthz HTTP/1.1\r\n"
                                  b"Host: 127.0.0.1:%d\r\n\r\n"
                                  % (self.server.port, self.server.port))
        self.assertIsNotNone(raw)
        self.assertEqual(raw.status, 200, raw)

    def test_stalled_client_does_not_block_others(self):
        stalled = [harness.RawConnection(self.server.port) for _ in range(4)]
        try:
            for conn in stalled:
                conn.send(b"POST /tok")
            time.sleep(0.1)
            for _ in range(3):
                start = time.monotonic()
                harness.healthz_ok(self, self.base, within=1.0)
                self.assertLess(time.monotonic() - start, 1.0)
            self.assertEqual(harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD).status_code, 200)
        finally:
            for conn in stalled:
                conn.close()

    def test_stalled_body_does_not_block_others(self):
        conn = harness.RawConnection(self.server.port)
        try:
            conn.send(b"POST /token HTTP/1.1\r\nHost: t\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 100\r\n\r\ngrant_type=pass")
            time.sleep(0.1)
            harness.healthz_ok(self, self.base, within=1.0)
        finally:
            conn.close()

    def test_stalled_and_trickling_clients_are_cut_off_at_the_read_timeout(self):
        # docs/reference.md, Bad input: a slow or stalled client is cut off. The whole request must arrive within
        # the read timeout (15 s, enforced to within a second), however slowly it trickles in;
        # the server then closes the connection without an answer, and serves everyone else.
        read_timeout = 15
        stalled = harness.RawConnection(self.server.port, timeout=40)
        trickling = harness.RawConnection(self.server.port, timeout=40)
        start = time.monotonic()
        stalled.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        stop = threading.Event()

        def trickle():
            trickling.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
            while not stop.wait(0.5):
                try:
                    trickling.send(b"a")
                except OSError:
                    return

        sender = threading.Thread(target=trickle)
        sender.start()
        try:
            self.assertTrue(stalled.closed_by_peer(timeout=read_timeout + 10))
            stalled_after = time.monotonic() - start
            self.assertTrue(trickling.closed_by_peer(timeout=10))
            trickling_after = time.monotonic() - start
        finally:
            stop.set()
            sender.join()
            stalled.close()
            trickling.close()
        for after in (stalled_after, trickling_after):
            self.assertGreater(after, read_timeout - 0.5)
            self.assertLess(after, read_timeout + 4)
        harness.healthz_ok(self, self.base, within=1.0)

    def test_server_still_serves_logins_after_bad_input(self):
        harness.raw_request(self.server.port, b"GARBAGE\r\n\r\n")
        harness.raw_request(self.server.port, b"BREW /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        requests.get(self.base + "/healthz", headers={"X-Big": "a" * 9000}, timeout=HTTP_TIMEOUT)
        r = harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD)
        self.assertEqual(r.status_code, 200, r.text)
        me = requests.get(self.base + "/users/me", headers=harness.bearer(r.json()["access_token"]),
                          timeout=HTTP_TIMEOUT)
        self.assertEqual(me.status_code, 200, me.text)

    def test_each_bad_request_is_logged_once(self):
        # The server logs a request after answering it: let earlier tests' lines land first.
        time.sleep(0.2)
        before = len(self.server.log_records())
        harness.raw_request(self.server.port,
                            b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 9000 +
                            b"\r\n\r\n")
        time.sleep(0.2)
        new = [r for r in self.server.log_records()[before:] if r.get("event") == "request"]
        self.assertEqual([r.get("status") for r in new], [431], new)


class KeepAlive(harness.ServerTestCase):
    def test_session_reuses_one_connection_for_several_requests(self):
        with requests.Session() as session:
            for _ in range(3):
                r = session.get(self.base + "/healthz", timeout=HTTP_TIMEOUT)
                self.assertEqual(r.status_code, 200)
            r = harness.login(self.base, ADMIN_USER, ADMIN_PASSWORD, session=session)
            self.assertEqual(r.status_code, 200, r.text)
            me = session.get(self.base + "/users/me",
                             headers=harness.bearer(r.json()["access_token"]), timeout=HTTP_TIMEOUT)
            self.assertEqual(me.status_code, 200, me.text)

    def test_three_requests_on_one_socket(self):
        conn = harness.RawConnection(self.server.port)
        try:
            for _ in range(3):
                conn.send(HEALTHZ)
                raw = conn.read_response()
                self.assertIsNotNone(raw)
                self.assertEqual(raw.status, 200, raw)
                self.assertNotEqual(raw.headers.get("connection", "").lower(), "close")
        finally:
            conn.close()

    def test_pipelined_requests_are_answered_in_order(self):
        conn = harness.RawConnection(self.server.port)
        try:
            conn.send(HEALTHZ + b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n" + HEALTHZ)
            statuses = [conn.read_response() for _ in range(3)]
            self.assertEqual([r.status if r else None for r in statuses], [200, 404, 200])
        finally:
            conn.close()

    def test_http_1_0_without_keep_alive_is_closed_after_the_answer(self):
        conn = harness.RawConnection(self.server.port)
        try:
            conn.send(b"GET /healthz HTTP/1.0\r\n\r\n")
            raw = conn.read_response()
            self.assertIsNotNone(raw)
            self.assertEqual(raw.status, 200, raw)
            # RFC 9112 section 9.3: an HTTP/1.0 answer without "keep-alive" already means
            # close, so the header is optional; the connection must really close.
            self.assertIn(raw.headers.get("connection", "close").lower(), ("close",), raw)
            self.assertTrue(conn.closed_by_peer(), "the connection stayed open")
        finally:
            conn.close()

    def test_http_1_0_with_keep_alive_stays_open(self):
        conn = harness.RawConnection(self.server.port)
        try:
            for _ in range(2):
                conn.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                raw = conn.read_response()
                self.assertIsNotNone(raw, "the connection was closed")
                self.assertEqual(raw.status, 200, raw)
                self.assertEqual(raw.headers.get("connection", "").lower(), "keep-alive", raw)
        finally:
            conn.close()

    def test_connection_close_is_honoured(self):
        conn = harness.RawConnection(self.server.port)
        try:
            conn.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            raw = conn.read_response()
            self.assertEqual(raw.status, 200, raw)
            self.assertEqual(raw.headers.get("connection", "").lower(), "close", raw)
            self.assertTrue(conn.closed_by_peer(), "the connection stayed open")
        finally:
            conn.close()


