"""What the server takes from the edge of a request, against the real binary: the client's
address behind a trusted proxy (never from a trailer), the connections one address may hold,
/metrics behind a token, a refused client secret costing a hash like any other, and log lines
that stay valid UTF-8 JSON whatever bytes a request carries.
"""

import json
import re
import time

import requests

import harness
from harness import HTTP_TIMEOUT
from oauth_helpers import Client, add_client, basic_authorization, wait_for

METRICS_TOKEN = "e2e-metrics-token-0123456789"


def raw_stderr_lines(server):
    """The server's log, read strictly as UTF-8 (harness.stderr() would hide bad bytes)."""
    server.stderr()  # flushes
    with open(server._stderr_path, "rb") as f:
        data = f.read()
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def chunked_post(path, body, trailer=b""):
    return (b"POST " + path + b" HTTP/1.1\r\nHost: t\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" +
            b"%x\r\n" % len(body) + body + b"\r\n0\r\n" + trailer + b"\r\n")


class BehindATrustedProxy(harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_TRUSTED_PROXIES": "127.0.0.1",
                  "TESSERA_MAX_CONNECTIONS_PER_ADDRESS": "2"}

    def request_logs(self, request_id):
        return [r for r in raw_stderr_lines(self.server)
                if r.get("event") == "request" and r.get("request_id") == request_id]

    def test_the_forwarded_address_comes_from_the_header_block(self):
        r = requests.post(self.base + "/token", data={"grant_type": "password", "username": "x",
                                                      "password": "y"},
                          headers={"X-Forwarded-For": "198.51.100.7", "X-Request-Id": "hdr-1"},
                          timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 400, r.text)
        logged = wait_for(lambda: self.request_logs("hdr-1"), 5, "the request's log line")
        self.assertEqual(logged[0]["remote"], "198.51.100.7")

    # The audit: Beast merged a trailer's X-Forwarded-For into the headers, read after the
    # body, and each request could name a new address for the throttle and the audit log.
    def test_a_trailer_cannot_name_the_client_address(self):
        raw = harness.raw_request(self.server.port, chunked_post(
            b"/token", b"grant_type=password&username=x&password=y",
            b"X-Forwarded-For: 203.0.113.99\r\n"))
        self.assertIsNotNone(raw)
        self.assertEqual(raw.status, 400, raw)
        self.assertEqual(raw.json(), {"error": "invalid_request",
                                      "error_description": "trailer fields are not accepted"})
        self.assertNotIn("203.0.113.99", self.server.stderr())
        # Without a trailer, the same chunked request is read and answered as OAuth.
        raw = harness.raw_request(self.server.port, chunked_post(
            b"/token", b"grant_type=password&username=x&password=y"))
        self.assertEqual(raw.status, 400, raw)
        self.assertEqual(raw.json()["error"], "invalid_grant")

    def test_a_trusted_proxy_is_not_held_to_the_per_address_cap(self):
        connections = [harness.RawConnection(self.server.port) for _ in range(5)]
        try:
            for conn in connections:
                conn.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                self.assertEqual(conn.read_response().status, 200)
        finally:
            for conn in connections:
                conn.close()


class PerAddressCap(harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_MAX_CONNECTIONS_PER_ADDRESS": "3"}

    def test_one_address_holds_at_most_its_share_of_connections(self):
        held = [harness.RawConnection(self.server.port) for _ in range(3)]
        try:
            for conn in held:
                conn.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                self.assertEqual(conn.read_response().status, 200)
            refused = harness.raw_request(self.server.port,
                                          b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertIsNotNone(refused)
            self.assertEqual(refused.status, 503, refused)
            self.assertIn("Retry-After".lower(), refused.headers)
            self.assertTrue(any(r.get("event") == "connection_refused" and
                                r.get("reason") == "too many connections from this address"
                                for r in raw_stderr_lines(self.server)))
        finally:
            held[0].close()
        # One closed, one more may open (the server notices the close at once).
        wait_for(lambda: harness.raw_request(self.server.port,
                                             b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                 .status == 200, 5, "a connection is served once another closed")
        for conn in held[1:]:
            conn.close()


class MetricsToken(harness.ServerTestCase):
    SERVER_ENV = {"TESSERA_METRICS_TOKEN": METRICS_TOKEN}

    def metrics(self, headers=None):
        return requests.get(self.base + "/metrics", headers=headers or {}, timeout=HTTP_TIMEOUT)

    def test_metrics_answers_only_the_configured_bearer_token(self):
        r = self.metrics()
        self.assertEqual(r.status_code, 401, r.text)
        self.assertEqual(r.headers.get("WWW-Authenticate"), "Bearer")
        r = self.metrics(harness.bearer("not-the-metrics-token-000"))
        self.assertEqual(r.status_code, 401, r.text)
        self.assertIn('error="invalid_token"', r.headers.get("WWW-Authenticate", ""))
        r = self.metrics(harness.bearer(METRICS_TOKEN))
        self.assertEqual(r.status_code, 200, r.text)
        self.assertIn("tessera_uptime_seconds", r.text)

    def test_the_token_is_never_logged(self):
        self.metrics(harness.bearer(METRICS_TOKEN))
        self.assertNotIn(METRICS_TOKEN, self.server.stderr())

    # The audit: an unknown client was refused in 2 ms, a known one with a wrong secret in
    # 30 ms. The hashes counted by /metrics show each refusal doing the same work.
    def test_every_refused_client_secret_costs_one_hash(self):
        add_client(self.server, "known-service", grants=["client_credentials"])
        add_client(self.server, "public-app", public=True, grants=["refresh_token"])

        def hashes():
            text = self.metrics(harness.bearer(METRICS_TOKEN)).text
            found = re.search(r"^tessera_password_verifications_total (\d+)$", text, re.M)
            return int(found.group(1)) if found else 0

        for client_id in ("no-such-client", "known-service", "public-app", "default"):
            with self.subTest(client=client_id):
                before = hashes()
                r = requests.post(self.base + "/token", data={"grant_type": "client_credentials"},
                                  headers={"Authorization": basic_authorization(client_id,
                                                                                "wrong-secret")},
                                  timeout=HTTP_TIMEOUT)
                harness.assert_json_error(self, r, 401, "invalid_client")
                self.assertEqual(hashes() - before, 1)


class LogLines(harness.ServerTestCase):
    # The audit: a user name sent as %FF made its own login_failed line unreadable.
    def test_bytes_that_are_not_utf8_are_logged_as_replacement_characters(self):
        r = requests.post(self.base + "/token",
                          data="grant_type=password&username=bob%FF%FE&password=whatever",
                          headers={"Content-Type": "application/x-www-form-urlencoded"},
                          timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 400, r.text)
        failed = wait_for(lambda: [rec for rec in raw_stderr_lines(self.server)
                                   if rec.get("event") == "login_failed"], 5, "login_failed")
        self.assertEqual(failed[-1]["user"], "bob\ufffd\ufffd")


if __name__ == "__main__":
    import unittest
    unittest.main()
