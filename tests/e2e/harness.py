"""Black-box harness: the real `tessera` binary on port 0 with a temporary database.

Usage in a test class:

    class TokenEndpoint(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            cls.server = harness.Server.start()       # user alice / Alice-pass-1
            cls.addClassCleanup(cls.server.close)

        def test_login(self):
            r = harness.login(self.server.base, "alice", "Alice-pass-1")
            self.assertEqual(r.status_code, 200)

The harness only speaks to the server the way a user does: environment variables, the
command line, stdout/stderr and HTTP. It never reads the server's source.
"""

import atexit
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import jwt
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("TESSERA_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("TESSERA_BIN") or os.path.join(SOURCE_DIR, "build", "tessera")

ADMIN_USER = "alice"
ADMIN_PASSWORD = "Alice-pass-1"
HTTP_TIMEOUT = 10
START_TIMEOUT = 10
STOP_TIMEOUT = 10


_TEMP_ROOT = tempfile.mkdtemp(prefix="tessera-e2e-")
if not os.environ.get("TESSERA_E2E_KEEP"):  # set it to keep databases and logs for a look
    atexit.register(shutil.rmtree, _TEMP_ROOT, True)


def make_workdir():
    """A fresh directory for one server's database and logs, removed when the run ends."""
    return tempfile.mkdtemp(dir=_TEMP_ROOT)


def seed_clients_dir():
    """The seed's clients, kept outside the repository; None when they are not there."""
    path = os.environ.get("TESSERA_SEED_CLIENTS") or os.path.join(
        SOURCE_DIR, "..", "shared", "seed", "clients")
    path = os.path.abspath(path)
    return path if os.path.isdir(path) else None


def clean_environment(extra=None):
    """The caller's environment without any inherited TESSERA_*, plus `extra`.

    A value of None in `extra` leaves that variable unset.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    for key, value in (extra or {}).items():
        if value is not None:
            env[key] = value
    return env


def run_cli(args, env, input=None, timeout=30):
    """Runs `tessera ARGS...` and returns the CompletedProcess (text mode)."""
    return subprocess.run([BIN, *args], env=env, input=input, capture_output=True, text=True,
                          timeout=timeout)


class Server:
    """One `tessera serve` process, its temporary directory and its captured output."""

    def __init__(self, env, workdir, args=("serve",)):
        self.env = env
        self.workdir = workdir
        self.args = list(args)
        self.base = None
        self.port = None
        self.returncode = None
        self._signalled = False
        self._stdout_lines = []
        self._stdout_lock = threading.Lock()
        self._listening = threading.Event()
        self._stderr_path = os.path.join(workdir, "stderr-%d.log" % time.monotonic_ns())
        self._stderr_file = open(self._stderr_path, "wb")
        self.proc = subprocess.Popen([BIN, *self.args], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr_file)
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, env=None, admin=(ADMIN_USER, ADMIN_PASSWORD), workdir=None, args=("serve",)):
        """Starts a server and waits for its `listening on` line.

        env: extra TESSERA_* variables (None values stay unset).
        admin: (name, password) for TESSERA_ADMIN_USERNAME/PASSWORD, or None for neither.
        workdir: reuse a directory (and so its database) from an earlier server.
        args: the command line after the binary's name.
        """
        server = cls.spawn(env=env, admin=admin, workdir=workdir, args=args)
        server.wait_listening()
        return server

    @classmethod
    def spawn(cls, env=None, admin=(ADMIN_USER, ADMIN_PASSWORD), workdir=None, args=("serve",)):
        """Starts the process without waiting for it to listen."""
        workdir = workdir or make_workdir()
        full = {
            "TESSERA_LISTEN": "127.0.0.1:0",
            "TESSERA_DATABASE": os.path.join(workdir, "t.db"),
        }
        if admin is not None:
            full["TESSERA_ADMIN_USERNAME"], full["TESSERA_ADMIN_PASSWORD"] = admin
        full.update(env or {})
        return cls(clean_environment(full), workdir, args)

    def _read_stdout(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._stdout_lock:
                self._stdout_lines.append(line)
            if (line.startswith("listening on http://") or
                    line.startswith("listening on https://")) and not self._listening.is_set():
                self.base = line[len("listening on "):].strip()
                self.port = int(self.base.rsplit(":", 1)[1])
                self._listening.set()
        self._listening.set()  # EOF: unblock a waiter, which then sees no base URL

    def wait_listening(self, timeout=START_TIMEOUT):
        self._listening.wait(timeout)
        if self.base is None:
            self.kill()
            raise AssertionError(
                "tessera serve did not print 'listening on http(s)://ADDR:PORT' within %ss "
                "(exit status %s)\nstdout:\n%s\nstderr:\n%s"
                % (timeout, self.proc.poll(), self.stdout(), self.stderr()))

    def stdout(self):
        with self._stdout_lock:
            return "\n".join(self._stdout_lines)

    def stderr(self):
        if not self._stderr_file.closed:
            self._stderr_file.flush()
        with open(self._stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_records(self):
        """stderr parsed as one JSON object a line; raises if a line is not JSON."""
        records = []
        for line in self.stderr().splitlines():
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError as e:
                    raise AssertionError("stderr line is not JSON: %r (%s)" % (line, e))
        return records

    def cli(self, *args, input=None):
        """Runs an admin command against this server's configuration and database."""
        return run_cli(args, self.env, input=input)

    def send_signal(self, sig):
        self._signalled = True
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signals the server (unless the test already did) and returns its exit status, or
        None if it did not exit in time (it is then killed). A second signal is never sent:
        the first one already asked for the shutdown."""
        if self.proc.poll() is None and not self._signalled:
            self.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.returncode = None
            self.proc.kill()
            self.proc.wait(5)
        self._release()
        return self.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._release()

    def _release(self):
        self._reader.join(2)
        if not self._reader.is_alive():
            self.proc.stdout.close()
        if not self._stderr_file.closed:
            self._stderr_file.close()

    def close(self):
        """Class cleanup: SIGTERM, and fail loudly if the server does not exit 0 in time."""
        if self._stderr_file.closed:  # the test stopped it already and checked the status
            return
        rc = self.stop()
        if rc != 0:
            raise AssertionError("tessera serve did not exit 0 within %ss after SIGTERM "
                                 "(status %s)\nstderr:\n%s" % (STOP_TIMEOUT, rc, self.stderr()))


# --- HTTP helpers --------------------------------------------------------------------------

def login(base, username, password, session=None, **extra):
    """POST /token with the password grant; extra form fields (e.g. scope) may be given."""
    form = {"grant_type": "password", "username": username, "password": password}
    form.update(extra)
    form = {k: v for k, v in form.items() if v is not None}
    return (session or requests).post(base + "/token", data=form, timeout=HTTP_TIMEOUT)


def token_for(testcase, base, username, password):
    r = login(base, username, password)
    testcase.assertEqual(r.status_code, 200, r.text)
    return r.json()["access_token"]


def bearer(token):
    return {"Authorization": "Bearer " + token}


def unverified(token):
    """(header, claims) of a JWT, without checking its signature."""
    return (jwt.get_unverified_header(token),
            jwt.decode(token, options={"verify_signature": False}))


def b64url(data):
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assert_json_error(testcase, response, status, error):
    """The response has this status and an RFC 6749-style JSON body with this error code."""
    testcase.assertEqual(response.status_code, status, response.text)
    testcase.assertTrue(response.headers.get("Content-Type", "").startswith("application/json"),
                        response.headers)
    body = response.json()
    testcase.assertEqual(body.get("error"), error, body)
    return body


def make_certificate(directory, name="cert"):
    """A self-signed P-256 certificate for localhost and 127.0.0.1, valid for a day: the
    paths of its PEM certificate and key in `directory`."""
    cert = os.path.join(directory, name + ".pem")
    key = os.path.join(directory, name + "-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=30)
    return cert, key


# --- Raw sockets ---------------------------------------------------------------------------

class RawResponse:
    def __init__(self, status, reason, version, headers, body):
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers  # lower-case name -> value (last wins)
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "RawResponse(%s %s %r %r)" % (self.version, self.status, self.headers, self.body)


def connect(port, timeout=HTTP_TIMEOUT):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class RawConnection:
    """A plain TCP connection that writes bytes and reads HTTP/1.x responses one by one."""

    def __init__(self, port, timeout=HTTP_TIMEOUT):
        self.sock = connect(port, timeout)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def read_response(self):
        """The next response, or None if the server closed the connection (or reset it)
        before sending one."""
        try:
            while b"\r\n\r\n" not in self.buffer:
                if not self._fill():
                    return None
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("iso-8859-1").split("\r\n")
            version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            while len(self.buffer) < length:
                if not self._fill():
                    break
            body, self.buffer = self.buffer[:length], self.buffer[length:]
            return RawResponse(int(status), reason, version, headers, body)
        except ConnectionResetError:
            return None

    def closed_by_peer(self, timeout=5.0):
        """True if the server closes the connection (EOF or reset) within `timeout`."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def raw_request(port, data, timeout=HTTP_TIMEOUT):
    """Sends bytes on a fresh connection and returns the first response (or None)."""
    conn = RawConnection(port, timeout)
    try:
        conn.send(data)
        return conn.read_response()
    finally:
        conn.close()


def healthz_ok(testcase, base, within=HTTP_TIMEOUT):
    """The server still answers GET /healthz with 200 {"status":"ok"}."""
    r = requests.get(base + "/healthz", timeout=within)
    testcase.assertEqual(r.status_code, 200, r.text)
    testcase.assertEqual(r.json(), {"status": "ok"})


class ServerTestCase(unittest.TestCase):
    """A test class that shares one server, started with SERVER_ENV."""

    SERVER_ENV = {}
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server.start(env=cls.SERVER_ENV)
        cls.addClassCleanup(cls.server.close)

    @property
    def base(self):
        return self.server.base
