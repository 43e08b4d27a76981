#!/usr/bin/python3
"""Browser sign-in, measured (issue 14, item 7): the whole code flow of a user who is already
signed in (GET /authorize -> the redirect with a code -> POST /token with PKCE, answered with
an id_token), Tessera beside node-oidc-provider (bench/oidc_code_flow.mjs) in the same run; and
the login page's latency while logins hash in the background (Tessera alone).

    /usr/bin/python3 bench/sign_in.py                  # 10 s per run, 16 connections
    /usr/bin/python3 bench/sign_in.py --duration 5 --connections 8

The flows are driven by wrk (bench/code_flow.lua) for a browser signed in here before the clock
starts, over keep-alive connections that share its cookies; wrk is on the same 2 cores as the
server, and both servers pay the same client. The login-page measurement is Python (requests).
Needs wrk, node (with ../shared/peers/oidc installed by its oidc.sh) and Debian's
python3-requests.
"""

import argparse
import base64
import hashlib
import html.parser
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESSERA = os.environ.get("TESSERA_BIN") or os.path.join(ROOT, "build", "tessera")
OIDC_PEER = os.path.join(ROOT, "bench", "oidc_code_flow.mjs")
FLOW_LUA = os.path.join(ROOT, "bench", "code_flow.lua")
REDIRECT = "https://app.bench.test/cb"
CLIENT = "bench-web"
ADMIN, PASSWORD = "bench", "bench-password-0123"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s" % (url, proc.returncode))
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("%s did not answer" % url)


class Form(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action", "")
        if tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""


def form_of(page):
    parser = Form()
    parser.feed(page.text)
    return urllib.parse.urljoin(page.url, parser.action), parser.fields


def pkce():
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class Server:
    """What differs between the two servers: where the flow starts and how to sign in."""

    def __init__(self, name, base, authorize_path, token_path):
        self.name, self.base = name, base
        self.authorize_path, self.token_path = authorize_path, token_path

    def authorize_url(self, challenge, state):
        return self.base + self.authorize_path + "?" + urllib.parse.urlencode({
            "response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT,
            "scope": "openid", "state": state, "nonce": state, "code_challenge": challenge,
            "code_challenge_method": "S256"})

    def follow(self, session, url):
        """Redirects by hand until the one to the client: returns its code."""
        for _ in range(10):
            if url.startswith(REDIRECT):
                return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["code"]
            r = session.get(url, allow_redirects=False, timeout=10)
            location = r.headers.get("Location")
            if location is None:
                return r  # a page (a login form)
            url = urllib.parse.urljoin(r.url, location)
        raise RuntimeError("too many redirects")

    def sign_in(self, session):
        verifier, challenge = pkce()
        page = self.follow(session, self.authorize_url(challenge, "s"))
        action, fields = form_of(page)
        fields.update({"username": ADMIN, "login": ADMIN, "password": PASSWORD})
        r = session.post(action, data=fields, allow_redirects=False, timeout=10)
        code = self.follow(session, urllib.parse.urljoin(r.url, r.headers["Location"]))
        if not isinstance(code, str):
            raise RuntimeError("%s: no code after the login: %s" % (self.name, code.text[:300]))
        self.redeem(session, code, verifier)

    def redeem(self, session, code, verifier):
        r = session.post(self.base + self.token_path, timeout=10, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": verifier, "client_id": CLIENT})
        if r.status_code != 200 or "id_token" not in r.json():
            raise RuntimeError("%s: token endpoint answered %s %s" % (self.name, r.status_code,
                                                                      r.text[:200]))

    def flow(self, session):
        verifier, challenge = pkce()
        code = self.follow(session, self.authorize_url(challenge, secrets.token_hex(4)))
        if not isinstance(code, str):
            raise RuntimeError("%s: the session did not hold" % self.name)
        self.redeem(session, code, verifier)


def run_flows(server, connections, duration):
    """wrk (bench/code_flow.lua) runs flows back to back for one browser signed in here, over
    `connections` keep-alive connections that share its cookies (a browser with many tabs)."""
    session = requests.Session()
    server.sign_in(session)
    verifier, challenge = pkce()
    authorize = urllib.parse.urlsplit(server.authorize_url(challenge, "x"))
    query = [(k, v) for k, v in urllib.parse.parse_qsl(authorize.query) if k != "state"]
    env = dict(os.environ,
               FLOW_COOKIE="; ".join("%s=%s" % (c.name, c.value) for c in session.cookies),
               FLOW_AUTHORIZE=authorize.path + "?" + urllib.parse.urlencode(query),
               FLOW_TOKEN=server.token_path, FLOW_REDIRECT=REDIRECT, FLOW_CLIENT=CLIENT,
               FLOW_VERIFIER=verifier)
    threads = min(connections, 2)
    out = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % duration,
                          "--latency", "-s", FLOW_LUA, server.base + "/"],
                         env=env, capture_output=True, text=True)
    line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError("wrk printed no RESULT line:\n" + out.stdout + out.stderr)
    fields = dict(f.split("=", 1) for f in line.split()[1:])
    return {"flows_per_s": float(fields["flows_per_s"]), "p50_ms": float(fields["p50_ms"]),
            "p99_ms": float(fields["p99_ms"]), "errors": int(fields["errors"]),
            "first_error": fields["first_error"]}


def login_page_under_hashing(server, duration, hashers=2):
    """GET /authorize without a session (the login page) while `hashers` threads sign in (each
    login one argon2id hash) as fast as they are answered. Right passwords: wrong ones would be
    locked out by the throttle after ten, and then cost no hash."""
    stop = time.monotonic() + duration
    hashed = []

    def guess():
        s = requests.Session()
        _, challenge = pkce()
        action, fields = form_of(s.get(server.authorize_url(challenge, "g"), timeout=10))
        fields.update({"username": ADMIN, "password": PASSWORD})
        while time.monotonic() < stop:
            r = s.post(action, data=fields, allow_redirects=False, timeout=30)
            if r.status_code == 303:
                hashed.append(1)

    threads = [threading.Thread(target=guess) for _ in range(hashers)]
    for t in threads:
        t.start()
    page, latencies = requests.Session(), []
    _, challenge = pkce()
    url = server.authorize_url(challenge, "p")
    while time.monotonic() < stop:
        started = time.perf_counter()
        r = page.get(url, allow_redirects=False, timeout=10)
        latencies.append((time.perf_counter() - started) * 1000)
        if 'name="password"' not in r.text:
            raise RuntimeError("not the login page: %s" % r.status_code)
    for t in threads:
        t.join()
    latencies.sort()
    return {"pages": len(latencies), "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1], "hashes": len(hashed)}


def start_tessera(workdir, alg):
    port = free_port()
    env = dict(os.environ, TESSERA_LISTEN="127.0.0.1:%d" % port,
               TESSERA_DATABASE=os.path.join(workdir, "t.db"), TESSERA_ADMIN_USERNAME=ADMIN,
               TESSERA_ADMIN_PASSWORD=PASSWORD, TESSERA_LOG="warn")
    proc = subprocess.Popen([TESSERA, "serve"], env=env, stdout=subprocess.DEVNULL)
    wait_http("http://127.0.0.1:%d/healthz" % port, proc)
    added = subprocess.run([TESSERA, "client", "add", CLIENT, "--public", "--redirect-uri",
                            REDIRECT, "--skip-consent", "--id-token-alg", alg], env=env, capture_output=True, text=True)
    if added.returncode != 0:
        raise RuntimeError(added.stderr)
    return proc, Server("tessera", "http://127.0.0.1:%d" % port, "/authorize", "/token")


def start_oidc(alg):
    port = free_port()
    proc = subprocess.Popen(["node", OIDC_PEER, str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=dict(os.environ, ID_TOKEN_ALG=alg))
    wait_http("http://127.0.0.1:%d/.well-known/openid-configuration" % port, proc)
    return proc, Server("node-oidc-provider", "http://127.0.0.1:%d" % port, "/auth", "/token")


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--id-token-alg", default="RS256", choices=("RS256", "EdDSA"),
                        help="the id_tokens' algorithm, the same for both servers")
    parser.add_argument("--database-dir", default=None,
                        help="where Tessera's SQLite file goes (default: the temp directory; "
                             "/dev/shm keeps it in memory, as the peer keeps its own)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(dir=args.database_dir) as workdir:
        for start in (lambda: start_tessera(workdir, args.id_token_alg),
                      lambda: start_oidc(args.id_token_alg)):
            proc, server = start()
            try:
                result = run_flows(server, args.connections, int(args.duration))
                result["rss_mb"] = rss_mb(proc.pid)
                rows.append((server, result))
                if server.name == "tessera":
                    page = login_page_under_hashing(server, args.duration)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=10)
    print("| server | code flows/s (authorize + token + id_token) | p50 ms | p99 ms (per request) | errors | RSS MB |")
    print("|---|---|---|---|---|---|")
    for server, r in rows:
        print("| %s | %.0f | %.1f | %.1f | %d | %.0f |" % (server.name, r["flows_per_s"],
                                                         r["p50_ms"], r["p99_ms"], r["errors"],
                                                         r["rss_mb"]))
    if len(rows) == 2 and rows[1][1]["flows_per_s"]:
        print("\nratio tessera / node-oidc-provider: %.1fx"
              % (rows[0][1]["flows_per_s"] / rows[1][1]["flows_per_s"]))
    print("\nlogin page while logins hash: %d pages, p50 %.2f ms, p99 %.2f ms (%d logins meanwhile)"
          % (page["pages"], page["p50_ms"], page["p99_ms"], page["hashes"]))
    for server, r in rows:
        if r["errors"]:
            print("%s: %d errors, the first: %s" % (server.name, r["errors"], r["first_error"]),
                  file=sys.stderr)


if __name__ == "__main__":
    main()
