"""Helpers for the resource-server tests (issue 5): the finance API examples (build/finance-api
and the FastAPI app in examples/python_resource_server) beside a live Tessera, and the clients
whose tokens they are shown.

    tessera = harness.Server.start()
    clients = add_finance_clients(tessera)
    api = FinanceApi.start(tessera.base)
    r = api.get_company(KNOWN, token_of(self, tessera, clients.reader))

Like harness.py, these only use what a user sees: environment, command line, output and HTTP.
"""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

import requests

import harness
from harness import HTTP_TIMEOUT
from oauth_helpers import add_client, client_credentials

# Beside the tessera binary under test (the same build directory), unless FINANCE_BIN says.
FINANCE_BIN = os.path.abspath(os.environ.get("FINANCE_BIN") or os.path.join(
    os.path.dirname(harness.BIN), "finance-api"))
DATASET = os.path.join(harness.SOURCE_DIR, "examples", "finance_api", "data", "finance.json")
PYTHON_APP_DIR = os.path.join(harness.SOURCE_DIR, "examples", "python_resource_server")
WEB_APP_DIR = os.path.join(harness.SOURCE_DIR, "examples", "python_web_app")

AUDIENCE = "finance-api"
SCOPE = "finance:read"
KNOWN = "0001234567"      # three years of records in the dataset
UNKNOWN = "0000000000"    # ten digits, no such company
MALFORMED = ("123", "12345678901", "12345abcde")
FIXED_500 = {"error": "server_error", "error_description": "internal error"}

START_TIMEOUT = 15  # finance-api waits up to 5 s for Tessera's keys before it listens


def dataset_records(biz_num):
    with open(DATASET, encoding="utf-8") as f:
        return [r for r in json.load(f)["records"] if r["bizNum"] == biz_num]


def finance_environment(extra):
    """The caller's environment without TESSERA_* or FINANCE_*, plus `extra` (None: unset)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TESSERA_") and not k.startswith("FINANCE_")}
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


class Clients:
    def __init__(self, reader, other_scope, other_audience):
        self.reader = reader                  # finance:read for finance-api
        self.other_scope = other_scope        # finance-api, but only reports:read
        self.other_audience = other_audience  # finance:read, but for other-api


def add_finance_clients(tessera):
    return Clients(
        add_client(tessera, "finance-reader", scope=SCOPE, audience=AUDIENCE),
        add_client(tessera, "report-reader", scope="reports:read", audience=AUDIENCE),
        add_client(tessera, "other-reader", scope=SCOPE, audience="other-api"))


def token_of(testcase, tessera, client):
    r = client_credentials(tessera.base, client)
    testcase.assertEqual(r.status_code, 200, r.text)
    return r.json()["access_token"]


def assert_challenge(testcase, response, status, error):
    """RFC 6750 section 3: this status, a Bearer challenge with this error (None: the bare
    challenge of a request without a token), and a JSON error body that carries no data."""
    testcase.assertEqual(response.status_code, status, response.text)
    challenge = response.headers.get("WWW-Authenticate", "")
    # RFC 9728 section 5.1: a 401 may name the resource's metadata; the rest is RFC 6750's.
    challenge = re.sub(r'(, |^Bearer )resource_metadata="[^"]*"$',
                       lambda m: "Bearer" if m.group(1) == "Bearer " else "", challenge)
    if error is None:
        testcase.assertEqual(challenge, "Bearer")
    else:
        testcase.assertTrue(challenge.startswith("Bearer "), challenge)
        testcase.assertIn('error="%s"' % error, challenge)
    body = response.json()
    testcase.assertEqual(set(body), {"error", "error_description"}, body)
    if error is not None:
        testcase.assertEqual(body["error"], error)
    return challenge


def tampered(token, header=None, claims=None):
    """The token with its header and/or claims replaced and the signature kept: a forgery."""
    head, payload, signature = token.split(".")
    if header is not None:
        head = harness.b64url(dict(harness.unverified(token)[0], **header))
    if claims is not None:
        payload = harness.b64url(dict(harness.unverified(token)[1], **claims))
    return "%s.%s.%s" % (head, payload, signature)


def bad_tokens(token):
    """Tokens that must all get 401 invalid_token: garbage, a changed signature, changed claims,
    and another algorithm for the same key (alg confusion)."""
    flipped = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    return ["garbage", "a.b.c", token + "x", flipped,
            tampered(token, claims={"scope": "finance:read admin"}),
            tampered(token, header={"typ": "JWT"})] + [
            tampered(token, header={"alg": alg}) for alg in ("ES256", "RS256", "PS256", "HS256",
                                                             "none")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Process:
    """A child process with its stdout lines collected and its stderr in a file."""

    def __init__(self, argv, env, cwd=None):
        self.workdir = harness.make_workdir()
        self._stderr_path = os.path.join(self.workdir, "stderr.log")
        self._stderr_file = open(self._stderr_path, "wb")
        self._lines = []
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd or self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._stderr_file)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.base = None

    def _read(self):
        for raw in self.proc.stdout:
            with self._lock:
                self._lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def stdout(self):
        with self._lock:
            return list(self._lines)

    def stderr(self):
        if not self._stderr_file.closed:
            self._stderr_file.flush()
        with open(self._stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_records(self):
        """stderr as one JSON object a line; raises if a line is not JSON."""
        return [json.loads(line) for line in self.stderr().splitlines() if line.strip()]

    def get(self, path, token=None, headers=None):
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        return requests.get(self.base + path, headers=headers, timeout=HTTP_TIMEOUT)

    def get_company(self, biz_num, token=None):
        return self.get("/dart/finance/business/" + biz_num, token)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signals the process and returns its exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            rc = None
        self._reader.join(2)
        self.proc.stdout.close()
        self._stderr_file.close()
        return rc

    def close(self):
        if not self._stderr_file.closed:
            self.stop()


class FinanceApi(_Process):
    """One build/finance-api process, run in an empty directory: its dataset is built in."""

    @classmethod
    def spawn(cls, issuer, **env):
        full = {"FINANCE_LISTEN": "127.0.0.1:0", "FINANCE_ISSUER": issuer}
        full.update(env)
        return cls([FINANCE_BIN], finance_environment(full))

    @classmethod
    def start(cls, issuer, **env):
        """Starts finance-api and waits for its `listening on http://ADDR:PORT` line."""
        api = cls.spawn(issuer, **env)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and api.proc.poll() is None:
            for line in api.stdout():
                if line.startswith("listening on http://"):
                    api.base = line[len("listening on "):].strip()
                    return api
            time.sleep(0.02)
        api.stop(signal.SIGKILL)
        raise AssertionError("finance-api did not print 'listening on' (exit %s)\nstderr:\n%s"
                             % (api.proc.returncode, api.stderr()))

    def run_to_exit(self, timeout=10):
        """For a start that must fail: the exit status, stdout and stderr."""
        rc = self.proc.wait(timeout)
        self._reader.join(2)
        self.proc.stdout.close()
        self._stderr_file.close()
        return rc, self.stdout(), self.stderr()


def start_uvicorn(cls, app_dir, env_for_port, probe="/openapi.json"):
    """`uvicorn app:app` from `app_dir` under Debian's Python, on a free port; `env_for_port`
    gives the app's environment once its port is known. uvicorn cannot say which port it got
    for port 0, so one is picked here; another process may take it first, hence the retries."""
    for _ in range(3):
        port = free_port()
        base = "http://127.0.0.1:%d" % port
        app = cls(["/usr/bin/python3", "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
                   "--port", str(port)], finance_environment(env_for_port(base)), cwd=app_dir)
        app.base = base
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and app.proc.poll() is None:
            try:
                requests.get(app.base + probe, timeout=1)
                return app
            except requests.ConnectionError:
                time.sleep(0.05)
        status = app.stop()
        if "address already in use" not in app.stderr().lower():
            raise AssertionError("uvicorn app:app in %s did not start (exit %s)\nstderr:\n%s"
                                 % (app_dir, status, app.stderr()))
    raise AssertionError("uvicorn found no free port in three tries")


class PythonResourceServer(_Process):
    """examples/python_resource_server/app.py under Debian's uvicorn, on a free port."""

    @classmethod
    def start(cls, issuer, **env):
        full = {"FINANCE_ISSUER": issuer}
        full.update(env)
        return start_uvicorn(cls, PYTHON_APP_DIR, lambda base: full)


class SampleWebApp(_Process):
    """examples/python_web_app/app.py under Debian's uvicorn, on a free port: APP_URL is its
    own address."""

    @classmethod
    def start(cls, issuer, finance_url=None, **env):
        def env_for(base):
            full = {"APP_ISSUER": issuer, "APP_URL": base, "FINANCE_URL": finance_url}
            full.update(env)
            return full
        return start_uvicorn(cls, WEB_APP_DIR, env_for)
