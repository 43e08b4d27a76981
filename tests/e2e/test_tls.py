"""Tessera's own TLS (docs/reference.md: TESSERA_TLS_CERT and TESSERA_TLS_KEY): HTTPS answers with
HSTS, bad input over TLS gets the same JSON answers as over plain HTTP, plain HTTP sent to the
TLS port is refused without harm, and SIGHUP loads a renewed certificate for new
connections."""

import os
import shutil
import signal
import ssl
import time

import requests

import harness
from harness import ADMIN_PASSWORD, ADMIN_USER, HTTP_TIMEOUT


class TlsConnection(harness.RawConnection):
    """A raw HTTP/1.x connection over TLS, trusting only `cafile`."""

    def __init__(self, port, cafile):
        context = ssl.create_default_context(cafile=cafile)
        self.sock = context.wrap_socket(harness.connect(port), server_hostname="localhost")
        self.buffer = b""

    def peer_certificate(self):
        return self.sock.getpeercert(binary_form=True)


def der_of(pem_path):
    with open(pem_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def start_with_certificate(cls):
    """Starts the class's server with a new certificate at cls.cert and cls.key (the paths
    the server reads) and keeps a copy of that certificate at cls.ca to trust."""
    cls.dir = harness.make_workdir()
    cls.cert, cls.key = harness.make_certificate(cls.dir)
    cls.ca = os.path.join(cls.dir, "trusted.pem")
    shutil.copyfile(cls.cert, cls.ca)
    cls.server = harness.Server.start(env={"TESSERA_TLS_CERT": cls.cert,
                                           "TESSERA_TLS_KEY": cls.key})
    cls.addClassCleanup(cls.server.close)


class Tls(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        start_with_certificate(cls)

    def tearDown(self):
        r = requests.get(self.base + "/healthz", verify=self.ca, timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)

    def raw(self, data):
        conn = TlsConnection(self.server.port, self.ca)
        try:
            conn.send(data)
            return conn.read_response()
        finally:
            conn.close()

    def assert_json_error(self, raw, status):
        self.assertIsNotNone(raw, "the server closed the connection without an answer")
        self.assertEqual(raw.status, status, raw)
        self.assertTrue(raw.headers.get("content-type", "").startswith("application/json"), raw)
        self.assertIsInstance(raw.json().get("error"), str, raw)
        self.assertEqual(raw.headers.get("strict-transport-security"), "max-age=31536000", raw)

    def test_the_listening_line_and_the_issuer_say_https(self):
        self.assertTrue(self.base.startswith("https://127.0.0.1:"), self.base)
        r = requests.get(self.base + "/.well-known/oauth-authorization-server", verify=self.ca,
                         timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["issuer"], self.base)

    def test_answers_carry_hsts(self):
        r = requests.get(self.base + "/healthz", verify=self.ca, timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.headers.get("Strict-Transport-Security"), "max-age=31536000")

    def test_login_and_users_me_over_https(self):
        r = requests.post(self.base + "/token", verify=self.ca, timeout=HTTP_TIMEOUT,
                          data={"grant_type": "password", "username": ADMIN_USER,
                                "password": ADMIN_PASSWORD})
        self.assertEqual(r.status_code, 200, r.text)
        me = requests.get(self.base + "/users/me", verify=self.ca, timeout=HTTP_TIMEOUT,
                          headers=harness.bearer(r.json()["access_token"]))
        self.assertEqual(me.status_code, 200, me.text)
        self.assertEqual(me.json()["sub"], ADMIN_USER)

    def test_header_block_over_8_kib_is_431_json(self):
        raw = self.raw(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 9000 +
                       b"\r\n\r\n")
        self.assert_json_error(raw, 431)

    def test_announced_body_over_64_kib_is_413_json(self):
        raw = self.raw(b"POST /token HTTP/1.1\r\nHost: t\r\n"
                       b"Content-Type: application/x-www-form-urlencoded\r\n"
                       b"Content-Length: 70000\r\n\r\n")
        self.assert_json_error(raw, 413)

    def test_body_over_64_kib_sent_whole_is_413_json(self):
        r = requests.post(self.base + "/token", data=b"a=" + b"x" * (65 * 1024), verify=self.ca,
                          headers={"Content-Type": "application/x-www-form-urlencoded"},
                          timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 413, r.text)
        self.assertIsInstance(r.json().get("error"), str)

    def test_malformed_header_is_400_json(self):
        raw = self.raw(b"GET /healthz HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n")
        self.assert_json_error(raw, 400)

    # RFC 8446 section 6.1: the server's close comes with close_notify, so a strict client
    # can tell the end of the answer from a truncation ("unexpected eof while reading").
    def test_a_connection_the_server_closes_ends_with_close_notify(self):
        for request in (b"GET /healthz HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n",
                        b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"):
            with self.subTest(request=request):
                context = ssl.create_default_context(cafile=self.ca)
                # Python's default forgives a missing close_notify; a strict client does not.
                context.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
                sock = context.wrap_socket(harness.connect(self.server.port),
                                           server_hostname="localhost",
                                           suppress_ragged_eofs=False)
                try:
                    sock.sendall(request)
                    received = b""
                    while True:
                        chunk = sock.recv(65536)  # SSLEOFError without close_notify
                        if not chunk:
                            break
                        received += chunk
                finally:
                    sock.close()
                self.assertTrue(received.startswith(b"HTTP/1.1 "), received)

    def test_plain_http_to_the_tls_port_gets_no_http_answer(self):
        raw = harness.raw_request(self.server.port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertIsNone(raw)


class TlsReload(harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        start_with_certificate(cls)

    def test_sighup_loads_a_renewed_certificate_for_new_connections(self):
        before = TlsConnection(self.server.port, self.ca)
        try:
            self.assertEqual(before.peer_certificate(), der_of(self.ca))
            # Renewal: new files at the configured paths, then SIGHUP.
            renewed_cert, renewed_key = harness.make_certificate(self.dir, "renewed")
            shutil.copyfile(renewed_cert, self.cert)
            shutil.copyfile(renewed_key, self.key)
            # Not Server.send_signal: that one means "stopping", and SIGHUP does not stop it.
            self.server.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while True:
                try:
                    # Trusting only the renewed certificate: the old one fails the handshake.
                    conn = TlsConnection(self.server.port, renewed_cert)
                    served = conn.peer_certificate()
                    conn.close()
                    if served == der_of(renewed_cert):
                        break
                except ssl.SSLError:
                    pass
                self.assertLess(time.monotonic(), deadline,
                                "the renewed certificate was not served")
                time.sleep(0.1)
            # The connection opened before the reload keeps working.
            before.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            answer = before.read_response()
            self.assertIsNotNone(answer)
            self.assertEqual(answer.status, 200, answer)
        finally:
            before.close()
        self.assertIn("tls_reloaded", self.server.stderr())
