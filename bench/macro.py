#!/usr/bin/python3
"""The goal table of issue 7, measured side by side: starts Tessera (build/tessera) and the
peers of ../shared/peers (the seed's FastAPI server, node-oidc-provider, nginx's floor), runs
wrk against each for every row, and prints a Markdown table with the ratios.

    /usr/bin/python3 bench/macro.py                 # every row, 10 s per wrk run
    /usr/bin/python3 bench/macro.py --rows me_one,start --duration 5
    /usr/bin/python3 bench/macro.py --baseline /tmp/tessera-old    # two builds side by side

One server is measured at a time (nginx's floor stays up, idle, between its turns); wrk (-t1
-c32 unless a row says otherwise) shares the machine's cores with it, as in the peers' README.
This machine's speed drifts by tens of percent from minute to minute, so the rows that compare
with nginx alternate nginx and Tessera runs (--rounds, default 3) and report the median ratio,
and the rows that compare with `openssl speed` run it right after each of their rounds. Needs wrk, openssl, nginx, node (for the oidc peer) and Debian's python3-requests.

The DPoP rows (RFC 9449; dpop_resource, dpop_client_credentials) run a bearer request and the
same request DPoP-bound, with a fresh proof each, side by side in each round. The server takes a
proof once and for a minute after its iat, so before each DPoP run the proofs for the whole run
are signed here (Debian's python3-cryptography and python3-jwt, on every core while the server
idles) and bench/dpop.lua sends the next one per request; --duration is at most 45 for them.
Each proof's jti is written to the database (synchronous=FULL): TMPDIR=/dev/shm puts the
servers' SQLite in tmpfs, to tell its fsyncs from the rest of a proof's cost.
"""

import argparse
import base64
import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

import sign_in

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.environ.get("PEERS_DIR") or os.path.join(ROOT, "..", "shared", "peers")
TESSERA = os.environ.get("TESSERA_BIN") or os.path.join(ROOT, "build", "tessera")
VERIFY_BENCH = os.path.join(ROOT, "build", "bench", "verify_bench")
JOSE_BENCH = os.path.join(ROOT, "build", "bench", "jose_bench")
BENCH_LUA = os.path.join(PEERS, "bench.lua")
TOKENS_LUA = os.path.join(ROOT, "bench", "tokens.lua")
DPOP_LUA = os.path.join(ROOT, "bench", "dpop.lua")
ADMIN, ADMIN_PASSWORD = "bench", "bench-password-0123"
# node-oidc-provider's client (../shared/peers/oidc); Tessera's has another name, since its
# clients and users may not share one and the bootstrap user is "bench".
CLIENT, CLIENT_SECRET = "bench", "bench-secret-0123456789"
T_CLIENT = "bench-service"
CORES = os.cpu_count() or 1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=60, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited with %s" % (url, proc.returncode))
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError("nothing answered at %s within %ss" % (url, timeout))


def rss_mb(pid):
    """Resident memory of a process and its children (uvicorn workers, nginx workers)."""
    total = 0
    for p in [pid] + children(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def children(pid):
    found = []
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                             text=True).stdout
    except OSError:
        return found
    for line in out.split():
        child = int(line)
        found += [child] + children(child)
    return found


def cpu_seconds(pid, kernel_only=False):
    """User + system CPU time of a process (all its threads) so far; or system time alone."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    if kernel_only:
        return int(fields[12]) / ticks
    return (int(fields[11]) + int(fields[12])) / ticks


class Process:
    def __init__(self, name, argv, env=None, cwd=None):
        self.name = name
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.log,
                                     start_new_session=True)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


class Tessera(Process):
    def __init__(self, workdir, extra=None, binary=None):
        self.binary = binary or TESSERA
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "TESSERA_LISTEN": "127.0.0.1:0",
               "TESSERA_DATABASE": os.path.join(workdir, "tessera.db"),
               "TESSERA_ADMIN_USERNAME": ADMIN,
               "TESSERA_ADMIN_PASSWORD": ADMIN_PASSWORD,
               "TESSERA_LOG": "warn"}
        env.update(extra or {})
        self.env = env
        self.started = time.monotonic()
        super().__init__("tessera", [self.binary, "serve"], env=env)
        line = self.proc.stdout.readline().decode()
        while line and not line.startswith("listening on "):
            line = self.proc.stdout.readline().decode()
        if not line:
            self.log.seek(0)
            raise RuntimeError("tessera did not start: " + self.log.read().decode()[-2000:])
        self.base = line.split()[-1]

    def cli(self, *args):
        return subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True,
                              check=True).stdout


def wrk(url, duration, connections=32, script=BENCH_LUA, method="GET", body=None,
        ctype=None, auth=None, extra_env=None):
    env = dict(os.environ, WRK_METHOD=method, WRK_BODY=body or "", WRK_CTYPE=ctype or "",
               WRK_AUTH=auth or "")
    env.update(extra_env or {})
    argv = ["wrk", "-t1", "-c%d" % connections, "-d%ds" % duration, "--latency", "-s", script,
            url]
    out = subprocess.run(argv, env=env, capture_output=True, text=True,
                         timeout=duration + 60).stdout
    m = re.search(r"^RESULT (.*)$", out, re.M)
    if not m:
        raise RuntimeError("wrk printed no RESULT line:\n" + out)
    result = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    result["command"] = " ".join(argv)
    result["stdout"] = out
    return result


OPENSSL_NAMES = {"EdDSA": "ed25519", "ES256": "ecdsap256", "RS256": "rsa2048"}
OPENSSL_PATTERNS = {
    "EdDSA": r"^\s*253 bits EdDSA \(Ed25519\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)",
    "ES256": r"^\s*256 bits ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)",
    "RS256": r"^rsa 2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)"}


def openssl_speed(only=None):
    """Signs and verifies per second on one core, from `openssl speed`: each of EdDSA, ES256,
    RS256 and HS256, or `only` one of the first three."""
    algs = [only] if only else list(OPENSSL_NAMES)
    out = subprocess.run(["openssl", "speed", "-seconds", "3" if not only else "2"]
                         + [OPENSSL_NAMES[a] for a in algs],
                         capture_output=True, text=True, timeout=300).stdout
    speed = {}
    for alg in algs:
        m = re.search(OPENSSL_PATTERNS[alg], out, re.M)
        speed[alg] = (float(m.group(1)), float(m.group(2)))
    if only:
        return speed
    hmac = subprocess.run(["openssl", "speed", "-seconds", "3", "-bytes", "256", "-hmac", "sha256"],
                          capture_output=True, text=True, timeout=120).stdout
    m = re.search(r"^hmac\(sha256\)\s+([\d.]+)k", hmac, re.M)
    # k bytes/s over 256-byte blocks: HMACs per second of a token-sized input.
    speed["HS256"] = (float(m.group(1)) * 1000 / 256,) * 2
    return speed


def ratio(a, b):
    return "%.2fx" % (a / b) if b else "-"


def openssl_verify_speed():
    """Verifies per second on one core of Ed25519 and P-256, from `openssl speed -seconds 1
    ed25519 ecdsap256`: what one signature check of a DPoP proof costs at least."""
    out = subprocess.run(["openssl", "speed", "-seconds", "1", "ed25519", "ecdsap256"],
                         capture_output=True, text=True, timeout=120).stdout
    return {alg: float(re.search(OPENSSL_PATTERNS[alg], out, re.M).group(2))
            for alg in DPOP_ALGS}


# --- DPoP proofs (RFC 9449) --------------------------------------------------------------------

DPOP_ALGS = ("EdDSA", "ES256")
# The server takes a proof for a minute after its iat (5 s of leeway): the proofs of a run are
# signed right before it, so that signing them and the run each stay well within that.
DPOP_MAX_SECONDS = 45


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ProofKey:
    """A client's DPoP key pair, EdDSA (Ed25519) or ES256 (P-256), its public JWK and RFC 7638
    thumbprint. The JWK's members are built at their full length (32 bytes each), as
    tests/e2e/dpop_helpers.py builds them: PyJWT's to_jwk drops a leading zero byte of an EC
    coordinate about once in a hundred keys."""

    def __init__(self, alg):
        self.alg = alg
        if alg == "EdDSA":
            self.private = ed25519.Ed25519PrivateKey.generate()
            raw = self.private.public_key().public_bytes(serialization.Encoding.Raw,
                                                         serialization.PublicFormat.Raw)
            self.jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
        elif alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
            numbers = self.private.public_key().public_numbers()
            self.jwk = {"kty": "EC", "crv": "P-256", "x": b64u(numbers.x.to_bytes(32, "big")),
                        "y": b64u(numbers.y.to_bytes(32, "big"))}
        else:
            raise ValueError(alg)
        # RFC 7638: the required members (all this JWK has), sorted, no whitespace.
        canonical = json.dumps(self.jwk, sort_keys=True, separators=(",", ":"))
        self.jkt = b64u(hashlib.sha256(canonical.encode()).digest())
        self.header = b64u(json.dumps({"typ": "dpop+jwt", "alg": alg, "jwk": self.jwk},
                                      separators=(",", ":")).encode())
        self.der = self.private.private_bytes(serialization.Encoding.DER,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())


def _sign_proofs(job):
    """`count` proofs by one key for one request (htm, htu, and ath when there is an access
    token), jti "PREFIX-i" for i from `start`, iat the second each is signed: one a line.
    PyJWT's algorithm signs (ES256 as JWS wants it, r || s), the JWS is put together here."""
    alg, der, header, method, htu, access_token, prefix, start, count = job
    key = serialization.load_der_private_key(der, None)
    signer = jwt.get_algorithm_by_name(alg)
    head = ('{"jti":"%s-' % prefix).encode()
    middle = ('","htm":%s,"htu":%s,"iat":' % (json.dumps(method), json.dumps(htu))).encode()
    tail = b"}"
    if access_token is not None:
        tail = (',"ath":"%s"}' % b64u(hashlib.sha256(access_token.encode()).digest())).encode()
    header = header.encode()
    lines = []
    for i in range(start, start + count):
        claims = b"%s%d%s%d%s" % (head, i, middle, int(time.time()), tail)
        signing_input = header + b"." + b64u(claims).encode()
        lines.append(signing_input + b"." + b64u(signer.sign(signing_input, key)).encode())
    lines.append(b"")
    return b"\n".join(lines)


def check_proof(key, proof, method, htu, access_token=None):
    """Verifies a proof with PyJWT against the key in its own header, and its claims: a check
    of this file's JWS, independent of the server."""
    header = jwt.get_unverified_header(proof)
    if header.get("typ") != "dpop+jwt" or header.get("jwk") != key.jwk:
        raise RuntimeError("bad proof header: %r" % header)
    claims = jwt.decode(proof, jwt.PyJWK(header["jwk"], key.alg).key, algorithms=[key.alg])
    ath = (b64u(hashlib.sha256(access_token.encode()).digest())
           if access_token is not None else None)
    if (claims.get("htm"), claims.get("htu"), claims.get("ath")) != (method, htu, ath) \
            or abs(claims["iat"] - time.time()) > 50 or not claims.get("jti"):
        raise RuntimeError("bad proof claims: %r" % claims)
    return proof


def one_proof(key, method, htu, access_token=None):
    job = (key.alg, key.der, key.header, method, htu, access_token, os.urandom(9).hex(), 0, 1)
    return check_proof(key, _sign_proofs(job).decode().strip(), method, htu, access_token)


def make_proofs(key, method, htu, count, path, access_token=None):
    """Writes `count` proofs, each with a jti of its own, to `path`, one a line, signed on every
    core in chunks whose order is kept (the first proofs sent are the first signed); returns the
    seconds it took."""
    started = time.monotonic()
    prefix = os.urandom(9).hex()
    chunk = 10000
    jobs = [(key.alg, key.der, key.header, method, htu, access_token, prefix, start,
             min(chunk, count - start)) for start in range(0, count, chunk)]
    with concurrent.futures.ProcessPoolExecutor(
            max_workers=CORES, mp_context=multiprocessing.get_context("fork")) as pool, \
            open(path, "wb") as f:
        for data in pool.map(_sign_proofs, jobs):
            f.write(data)
    with open(path) as f:
        check_proof(key, f.readline().strip(), method, htu, access_token)
    return time.monotonic() - started


def token_claims(token):
    return jwt.decode(token, options={"verify_signature": False})


class Bench:
    def __init__(self, duration, rounds):
        self.duration = duration
        self.rounds = rounds
        self.rows = []
        self.workdir = tempfile.mkdtemp(prefix="tessera-bench-")

    def row(self, what, ours, peers, goal, met):
        self.rows.append((what, ours, peers, goal, "yes" if met else "**no**"))
        print("| %s | %s | %s | %s | %s |" % self.rows[-1], flush=True)

    # --- servers ------------------------------------------------------------------------

    def tessera(self, extra=None):
        return Tessera(tempfile.mkdtemp(dir=self.workdir, prefix="t"), extra)

    def add_bench_client(self, server):
        subprocess.run([server.binary, "client", "add", T_CLIENT, "--grant", "client_credentials",
                        "--scope", "read", "--secret-stdin"], env=server.env,
                       input=CLIENT_SECRET + "\n", capture_output=True, text=True, check=True)

    def floor(self):
        port = free_port()
        p = Process("nginx", ["bash", os.path.join(PEERS, "floor.sh"), str(port)])
        p.base = "http://127.0.0.1:%d" % port
        wait_http(p.base + "/", proc=p.proc)
        return p

    def seed(self, workers):
        port = free_port()
        p = Process("seed", ["bash", os.path.join(PEERS, "seed.sh"), str(port), str(workers)])
        p.base = "http://127.0.0.1:%d" % port
        wait_http(p.base + "/docs", timeout=120, proc=p.proc)
        return p

    def oidc(self):
        port = free_port()
        p = Process("oidc", ["bash", os.path.join(PEERS, "oidc.sh"), str(port), "EdDSA"])
        p.base = "http://127.0.0.1:%d" % port
        wait_http(p.base + "/.well-known/openid-configuration", timeout=180, proc=p.proc)
        return p

    # --- rows ---------------------------------------------------------------------------

    def nginx(self):
        """One nginx floor for the whole run, idle between its turns."""
        if not hasattr(self, "_nginx"):
            self._nginx = self.floor()
        return self._nginx

    def against_floor(self, ours_once):
        """Alternates a wrk run against nginx's floor with one of `ours_once()`, `rounds` times,
        and returns (median of our runs' results, median nginx req/s, median of the per-round
        ratios). This machine's speed drifts by tens of percent from minute to minute; a ratio
        of two runs minutes apart measures the drift as much as the servers."""
        rounds = []
        for _ in range(self.rounds):
            floor = wrk(self.nginx().base + "/", self.duration)["rps"]
            ours = ours_once()
            rounds.append((ours, floor, ours["rps"] / floor))
        ours = sorted(rounds, key=lambda r: r[0]["rps"])[len(rounds) // 2][0]
        return (ours, statistics.median(r[1] for r in rounds),
                statistics.median(r[2] for r in rounds))

    def round_note(self):
        return "median of %d alternating rounds" % self.rounds if self.rounds > 1 else "one round"

    def me_one(self):
        seed = self.seed(2)
        try:
            r = requests.post(seed.base + "/token", data={"username": "admin",
                                                          "password": "secret"}, timeout=30)
            seed_rps = wrk(seed.base + "/users/me", self.duration,
                           auth="Bearer " + r.json()["access_token"])["rps"]
        finally:
            seed.stop()
        t = self.tessera()
        try:
            token = self.password_token(t)
            ours, floor, to_floor = self.against_floor(
                lambda: wrk(t.base + "/users/me", self.duration, auth="Bearer " + token))
        finally:
            t.stop()
        self.row("GET /users/me, one token", "%.0f req/s (p99 %.2f ms)" % (ours["rps"], ours["p99_ms"]),
                 "seed 2 workers %.0f (%s); nginx %.0f (%.2fx, %s)"
                 % (seed_rps, ratio(ours["rps"], seed_rps), floor, to_floor, self.round_note()),
                 ">= 5x seed, >= 0.6x nginx",
                 ours["rps"] >= 5 * seed_rps and to_floor >= 0.6)

    def password_token(self, server):
        r = requests.post(server.base + "/token", data={"grant_type": "password", "username": ADMIN,
                                                        "password": ADMIN_PASSWORD}, timeout=30)
        r.raise_for_status()
        return r.json()["access_token"]

    def me_distinct(self):
        t = self.tessera()
        try:
            self.add_bench_client(t)
            path = os.path.join(self.workdir, "tokens.txt")
            with requests.Session() as s, open(path, "w") as f:
                for _ in range(10000):
                    r = s.post(t.base + "/token", data={"grant_type": "client_credentials"},
                               auth=(T_CLIENT, CLIENT_SECRET), timeout=30)
                    r.raise_for_status()
                    f.write(r.json()["access_token"] + "\n")

            def once():
                checks_before = self.metric(t, "tessera_token_signature_checks_total")
                cpu_before = cpu_seconds(t.proc.pid)
                result = wrk(t.base + "/users/me", self.duration, script=TOKENS_LUA,
                             extra_env={"TOKENS_FILE": path})
                result["cores"] = (cpu_seconds(t.proc.pid) - cpu_before) / self.duration
                result["checks"] = (self.metric(t, "tessera_token_signature_checks_total")
                                    - checks_before) / self.duration
                # What the machine verifies right after, not minutes before.
                result["verify_speed"] = openssl_speed("EdDSA")["EdDSA"][1]
                result["ratio"] = result["rps"] / (result["verify_speed"] * result["cores"])
                return result

            runs = sorted((once() for _ in range(self.rounds)), key=lambda r: r["ratio"])
        finally:
            t.stop()
        ours = runs[len(runs) // 2]
        allowed = ours["verify_speed"] * ours["cores"]
        self.row("GET /users/me, 10,000 distinct tokens (EdDSA)",
                 "%.0f req/s (p99 %.2f ms), %.0f signature checks/s, server on %.2f cores"
                 % (ours["rps"], ours["p99_ms"], ours["checks"], ours["cores"]),
                 "openssl speed Ed25519 verify %.0f/s/core: %.0f/s on %.2f cores (%.2fx, %s)"
                 % (ours["verify_speed"], allowed, ours["cores"], ours["ratio"],
                    self.round_note()),
                 ">= 0.8x", ours["ratio"] >= 0.8)

    def metric(self, server, name):
        text = requests.get(server.base + "/metrics", timeout=10).text
        return sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith(name + " ") or line.startswith(name + "{"))

    def client_credentials(self):
        oidc = self.oidc()
        try:
            peer = wrk(oidc.base + "/token", self.duration, method="POST",
                       body="grant_type=client_credentials&resource=urn%3Abench%3Ajwt",
                       ctype="application/x-www-form-urlencoded",
                       auth="Basic " + b64(CLIENT + ":" + CLIENT_SECRET))
        finally:
            oidc.stop()
        t = self.tessera()
        try:
            self.add_bench_client(t)

            def once():
                cpu_before = cpu_seconds(t.proc.pid)
                result = wrk(t.base + "/token", self.duration, method="POST",
                             body="grant_type=client_credentials",
                             ctype="application/x-www-form-urlencoded",
                             auth="Basic " + b64(T_CLIENT + ":" + CLIENT_SECRET))
                result["cores"] = (cpu_seconds(t.proc.pid) - cpu_before) / self.duration
                # The machine's signing speed right after, not minutes before.
                result["sign_speed"] = openssl_speed("EdDSA")["EdDSA"][0]
                return result

            ours, floor, to_floor = self.against_floor(once)
        finally:
            t.stop()
        # Every token is an Ed25519 signature: what `openssl speed` signs on the cores the
        # server used is the most any server could issue with them.
        cores_used = ours["cores"]
        signable = ours["sign_speed"] * cores_used
        self.row("POST /token client_credentials (EdDSA)",
                 "%.0f req/s (p99 %.2f ms), server on %.2f cores"
                 % (ours["rps"], ours["p99_ms"], cores_used),
                 "node-oidc-provider %.0f (%s); nginx %.0f (%.2fx, %s); openssl speed Ed25519 "
                 "sign %.0f/s/core: %.0f/s on %.2f cores (%s)"
                 % (peer["rps"], ratio(ours["rps"], peer["rps"]), floor, to_floor,
                    self.round_note(), ours["sign_speed"], signable, cores_used,
                    ratio(ours["rps"], signable)),
                 ">= 0.3x nginx", to_floor >= 0.3)

    def introspect(self):
        oidc = self.oidc()
        try:
            r = requests.post(oidc.base + "/token",
                              data={"grant_type": "client_credentials",
                                    "resource": "urn:bench:opaque"},
                              auth=(CLIENT, CLIENT_SECRET), timeout=30)
            r.raise_for_status()
            peer = wrk(oidc.base + "/token/introspection", self.duration, method="POST",
                       body="token=" + r.json()["access_token"],
                       ctype="application/x-www-form-urlencoded",
                       auth="Basic " + b64(CLIENT + ":" + CLIENT_SECRET))
        finally:
            oidc.stop()
        t = self.tessera()
        try:
            self.add_bench_client(t)
            r = requests.post(t.base + "/token", data={"grant_type": "client_credentials"},
                              auth=(T_CLIENT, CLIENT_SECRET), timeout=30)
            token = r.json()["access_token"]
            ours, floor, to_floor = self.against_floor(
                lambda: wrk(t.base + "/introspect", self.duration, method="POST",
                            body="token=" + token, ctype="application/x-www-form-urlencoded",
                            auth="Basic " + b64(T_CLIENT + ":" + CLIENT_SECRET)))
        finally:
            t.stop()
        self.row("POST /introspect", "%.0f req/s (p99 %.2f ms)" % (ours["rps"], ours["p99_ms"]),
                 "node-oidc-provider %.0f (%s); nginx %.0f (%.2fx, %s)"
                 % (peer["rps"], ratio(ours["rps"], peer["rps"]), floor, to_floor,
                    self.round_note()),
                 ">= 0.4x nginx", to_floor >= 0.4)

    def verify_in_process(self, speed):
        """tessera::verify (Verifier::verify on fetched keys) per asymmetric algorithm; HS256,
        which the resource servers' library refuses by design, through the JOSE layer the
        server uses in the seed's mode. The speed of this machine drifts by several percent
        from minute to minute, so each algorithm is measured in three rounds, each round our
        benchmark then `openssl speed` for that algorithm alone right after, and the medians
        compared."""
        def ours_once(binary, pattern):
            out = subprocess.run([binary, "--benchmark_filter=" + pattern,
                                  "--benchmark_format=json", "--benchmark_min_time=1"],
                                 capture_output=True, text=True, timeout=600).stdout
            return json.loads(out)["benchmarks"][0]["items_per_second"]

        for alg in ("EdDSA", "ES256", "RS256"):
            ours, base = [], []
            for _ in range(3):
                ours.append(ours_once(VERIFY_BENCH, "BM_VerifierVerify/%s$" % alg))
                base.append(openssl_speed(alg)[alg][1])
            ours, base = statistics.median(ours), statistics.median(base)
            self.row("tessera::verify in-process, %s" % alg,
                     "%.0f/s on one core (median of 3)" % ours,
                     "openssl speed %.0f/s, each measured right after ours (%s)"
                     % (base, ratio(ours, base)),
                     ">= 0.9x openssl speed", ours >= 0.9 * base)
        ours = ours_once(JOSE_BENCH, "BM_VerifyCompact/HS256$")
        base = speed["HS256"][1]
        self.row("HS256 verify in-process (JOSE layer)", "%.0f/s on one core" % ours,
                 "openssl speed HMAC-SHA256 of 256 bytes %.0f/s (%s)" % (base, ratio(ours, base)),
                 ">= 500,000/s (set on a machine doing a million HMACs/s)", ours >= 500000)

    def me_under_login_storm(self):
        results = {}
        seed = self.seed(2)
        try:
            r = requests.post(seed.base + "/token", data={"username": "admin",
                                                          "password": "secret"}, timeout=60)
            results["seed"] = self.storm(seed.base, "Bearer " + r.json()["access_token"],
                                         "username=admin&password=secret")
        finally:
            seed.stop()
        t = self.tessera()
        try:
            token = self.password_token(t)
            # Successful logins: each costs a full hash, and none counts towards a lockout.
            results["tessera"] = self.storm(
                t.base, "Bearer " + token,
                "grant_type=password&username=%s&password=%s" % (ADMIN, ADMIN_PASSWORD))
        finally:
            t.stop()
        ours = results["tessera"]
        self.row("GET /users/me p99 while 16 clients hammer the password grant",
                 "%.2f ms p99 (%.0f req/s; logins %.1f/s, %d not 200)"
                 % (ours[0]["p99_ms"], ours[0]["rps"], ours[1]["rps"], ours[1]["non2xx"]),
                 "seed 2 workers: %.1f ms p99 (%.0f req/s; logins %.1f/s, %d not 200)"
                 % (results["seed"][0]["p99_ms"], results["seed"][0]["rps"],
                    results["seed"][1]["rps"], results["seed"][1]["non2xx"]),
                 "< 5 ms", ours[0]["p99_ms"] < 5)

    def storm(self, base, auth, login_body):
        argv_env = dict(os.environ, WRK_METHOD="POST", WRK_BODY=login_body,
                        WRK_CTYPE="application/x-www-form-urlencoded", WRK_AUTH="")
        storm = subprocess.Popen(["wrk", "-t1", "-c16", "-d%ds" % (self.duration + 4), "-s",
                                  BENCH_LUA, base + "/token"], env=argv_env,
                                 stdout=subprocess.PIPE, text=True)
        time.sleep(2)
        me = wrk(base + "/users/me", self.duration, auth=auth)
        out = storm.communicate(timeout=self.duration + 120)[0]
        m = re.search(r"^RESULT (.*)$", out, re.M)
        logins = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
        return me, logins

    def start_time(self):
        samples_new, samples_restart = [], []
        for i in range(5):
            workdir = tempfile.mkdtemp(dir=self.workdir, prefix="start")
            for samples in (samples_new, samples_restart):
                started = time.monotonic()
                t = Tessera(workdir)
                wait_http(t.base + "/healthz", proc=t.proc)
                samples.append((time.monotonic() - started) * 1000)
                t.stop()
        ours = statistics.median(samples_restart)
        self.row("start to first answered request",
                 "%.0f ms (median of 5; %.0f ms on an empty database, which also hashes the "
                 "bootstrap user's password)" % (ours, statistics.median(samples_new)),
                 "seed about 1 s (peers README)", "< 50 ms", ours < 50)

    def memory(self):
        t = self.tessera()
        try:
            token = self.password_token(t)
            time.sleep(1)
            idle = rss_mb(t.proc.pid)
            samples = []
            served = 0
            while served < 1_000_000:
                r = wrk(t.base + "/users/me", self.duration, auth="Bearer " + token)
                served += int(r["requests"])
                samples.append(rss_mb(t.proc.pid))
        finally:
            t.stop()
        self.row("resident memory",
                 "%.1f MB idle; %.1f MB after %d requests; per %ds run: %s MB"
                 % (idle, samples[-1], served, self.duration,
                    ", ".join("%.1f" % s for s in samples)),
                 "node-oidc-provider 76 MB idle, seed 118 MB (peers README)",
                 "< 20 MB idle, < 40 MB after 1M, flat", idle < 20 and samples[-1] < 40)

    def logins(self):
        t = self.tessera()
        try:
            body = "grant_type=password&username=%s&password=%s" % (ADMIN, ADMIN_PASSWORD)
            argon = wrk(t.base + "/token", self.duration, connections=4, method="POST", body=body,
                        ctype="application/x-www-form-urlencoded")
            # bcrypt at the seed's cost 12 is not a row here: a user imported with a bcrypt
            # hash is rehashed to argon2id at its first login, so only that login pays it.
            # server_bench's BM_PasswordVerify_Bcrypt12 measures it per core.
        finally:
            t.stop()
        self.row("logins per second (password grant, argon2id defaults)",
                 "%.1f/s on %d cores = %.1f per core (p99 %.0f ms)"
                 % (argon["rps"], CORES, argon["rps"] / CORES, argon["p99_ms"]),
                 "seed (bcrypt 12, on its event loop) about 4.5/s (peers README)",
                 "reported, bound by the hash on purpose", True)

    # --- DPoP (RFC 9449) beside bearer ----------------------------------------------------

    def dpop_resource(self):
        """GET /users/me (a password-grant token) and GET /userinfo (an openid token from the
        code flow), each with a bearer token and with a token bound to an EdDSA, then an ES256,
        key and a fresh proof each request."""
        t = self.tessera()
        try:
            issuer = self.issuer(t)
            keys = {alg: ProofKey(alg) for alg in DPOP_ALGS}
            password = {"grant_type": "password", "username": ADMIN, "password": ADMIN_PASSWORD}
            me = {name: self.issue(t, issuer, password, key)
                  for name, key in [("bearer", None)] + list(keys.items())}
            info = self.openid_tokens(t, issuer, keys)
            for path, tokens in (("/users/me", me), ("/userinfo", info)):
                specs = {}
                for alg, key in keys.items():
                    self.check_bound_resource(t, issuer, path, key, tokens[alg], tokens["bearer"])
                    specs[alg] = {"key": key, "method": "GET", "path": path, "htu": issuer + path,
                                  "token": tokens[alg], "auth": "DPoP " + tokens[alg]}
                self.dpop_beside_bearer(
                    "GET %s, one token" % path, t,
                    lambda path=path, token=tokens["bearer"]: wrk(
                        t.base + path, self.duration, auth="Bearer " + token), specs)
        finally:
            t.stop()

    def dpop_client_credentials(self):
        """POST /token client_credentials by a confidential client (Basic), without a proof
        and with one by an EdDSA, then an ES256, key: a bearer token, then a bound one."""
        t = self.tessera()
        try:
            self.add_bench_client(t)
            issuer = self.issuer(t)
            body, ctype = "grant_type=client_credentials", "application/x-www-form-urlencoded"
            basic = "Basic " + b64(T_CLIENT + ":" + CLIENT_SECRET)
            form = {"grant_type": "client_credentials"}
            self.issue(t, issuer, form, None, (T_CLIENT, CLIENT_SECRET))
            specs = {}
            for alg in DPOP_ALGS:
                key = ProofKey(alg)
                self.issue(t, issuer, form, key, (T_CLIENT, CLIENT_SECRET))
                specs[alg] = {"key": key, "method": "POST", "path": "/token",
                              "htu": issuer + "/token", "token": None, "auth": basic,
                              "body": body, "ctype": ctype}
            self.dpop_beside_bearer(
                "POST /token client_credentials (EdDSA tokens)", t,
                lambda: wrk(t.base + "/token", self.duration, method="POST", body=body,
                            ctype=ctype, auth=basic), specs)
        finally:
            t.stop()

    def issuer(self, server):
        """The proofs' htu is the issuer followed by the endpoint's path."""
        return requests.get(server.base + "/.well-known/openid-configuration",
                            timeout=30).json()["issuer"]

    def issue(self, server, issuer, form, key=None, auth=None):
        """An access token from POST /token: with a proof by `key`, checked bound to it
        (token_type DPoP, cnf.jkt its thumbprint, computed here); without, checked a bearer
        token."""
        headers = {"DPoP": one_proof(key, "POST", issuer + "/token")} if key else {}
        r = requests.post(server.base + "/token", data=form, headers=headers, auth=auth,
                          timeout=30)
        if r.status_code != 200:
            raise RuntimeError("POST /token %s: %s %s" % (form["grant_type"], r.status_code,
                                                          r.text[:300]))
        body = r.json()
        cnf = token_claims(body["access_token"]).get("cnf")
        if key is not None and (body.get("token_type") != "DPoP" or cnf != {"jkt": key.jkt}):
            raise RuntimeError("not bound to the proof's key: %r, cnf %r" % (body, cnf))
        if key is None and (str(body.get("token_type")).lower() != "bearer" or cnf):
            raise RuntimeError("not a bearer token: %r, cnf %r" % (body, cnf))
        return body["access_token"]

    def openid_tokens(self, server, issuer, keys):
        """Access tokens with the openid scope, which /userinfo wants, from the code flow of a
        public client (bench/sign_in.py's): one unbound, one bound to each of `keys`."""
        server.cli("client", "add", sign_in.CLIENT, "--public", "--redirect-uri",
                   sign_in.REDIRECT, "--skip-consent")
        flow = sign_in.Server("tessera", server.base, "/authorize", "/token")
        tokens = {}
        with requests.Session() as session:
            for name, key in [("bearer", None)] + list(keys.items()):
                verifier, challenge = sign_in.pkce()
                code = flow.follow(session, flow.authorize_url(challenge, os.urandom(4).hex()))
                if not isinstance(code, str):  # the login page, the first time
                    action, fields = sign_in.form_of(code)
                    fields.update({"username": ADMIN, "password": ADMIN_PASSWORD})
                    r = session.post(action, data=fields, allow_redirects=False, timeout=30)
                    code = flow.follow(session, urllib.parse.urljoin(r.url, r.headers["Location"]))
                if not isinstance(code, str):
                    raise RuntimeError("no code after signing in: %s" % code.text[:300])
                tokens[name] = self.issue(server, issuer, {
                    "grant_type": "authorization_code", "code": code,
                    "redirect_uri": sign_in.REDIRECT, "code_verifier": verifier,
                    "client_id": sign_in.CLIENT}, key)
        return tokens

    def check_bound_resource(self, server, issuer, path, key, token, bearer_token):
        """Before the runs: the bearer token is 200 as Bearer; the bound token is 200 as DPoP
        with a proof and 401 as Bearer, so that a DPoP run's 200s are the bound token's."""
        url = server.base + path
        answers = {
            "bearer": requests.get(url, headers={"Authorization": "Bearer " + bearer_token},
                                   timeout=30),
            "bound with a proof": requests.get(url, timeout=30, headers={
                "Authorization": "DPoP " + token,
                "DPoP": one_proof(key, "GET", issuer + path, token)}),
            "bound as Bearer": requests.get(url, headers={"Authorization": "Bearer " + token},
                                            timeout=30)}
        codes = {name: r.status_code for name, r in answers.items()}
        if codes != {"bearer": 200, "bound with a proof": 200, "bound as Bearer": 401} \
                or answers["bound with a proof"].json().get("sub") != ADMIN:
            raise RuntimeError("GET %s: %r" % (path, {n: (r.status_code, r.text[:200])
                                                      for n, r in answers.items()}))

    def measured(self, server, run, what, all_2xx=True):
        """A wrk run, and the server's CPU time per request over it (and the part of it in the
        kernel: SQLite's writes and fsyncs, the sockets); every answer a 2xx unless told."""
        cpu_before = cpu_seconds(server.proc.pid)
        kernel_before = cpu_seconds(server.proc.pid, kernel_only=True)
        result = run()
        requests_done = max(1.0, result["requests"])
        result["cpu_us"] = (cpu_seconds(server.proc.pid) - cpu_before) * 1e6 / requests_done
        result["kernel_us"] = ((cpu_seconds(server.proc.pid, kernel_only=True) - kernel_before)
                               * 1e6 / requests_done)
        if all_2xx and (result["non2xx"] or not result["requests"]):
            raise RuntimeError("%s: %d of %d answers not 2xx (%s):\n%s"
                               % (what, result["non2xx"], result["requests"], result["command"],
                                  result["stdout"]))
        return result

    def dpop_run(self, server, spec, duration, expected_rps, bearer_rps, what):
        """One wrk run of bench/dpop.lua, with the proofs signed just before: for `duration`
        seconds at three times `expected_rps` (this machine's fsyncs vary that much from run to
        run), but no faster than half as much again as the bearer counterpart's `bearer_rps`.
        When they run out all the same, the run is made again, twice at most, with twice as
        many or as many as it sent. Fails unless every request had a proof of its own and every answer was a 2xx,
        and unless a proof of the run, sent again after it, is refused as used before (the
        server checked and remembered the run's proofs)."""
        path = os.path.join(self.workdir, "proofs.txt")
        env = {"PROOFS_FILE": path, "DPOP_METHOD": spec["method"], "DPOP_AUTH": spec["auth"],
               "DPOP_BODY": spec.get("body", ""), "DPOP_CTYPE": spec.get("ctype", "")}
        rate = min(3 * expected_rps, 1.5 * bearer_rps)
        for attempt in range(3):
            count = int(rate * duration) + 2000
            signing = make_proofs(spec["key"], spec["method"], spec["htu"], count, path,
                                  spec["token"])
            if signing > DPOP_MAX_SECONDS:
                raise RuntimeError("%s: signing %d proofs took %.0f s; the first would be too "
                                   "old for the server before the run ends" % (what, count,
                                                                                signing))
            result = self.measured(server, lambda: wrk(server.base + spec["path"], duration,
                                                       script=DPOP_LUA, extra_env=env),
                                   what, all_2xx=False)
            m = re.search(r"^PROOFS sent=(\d+) loaded=(\d+) threads=(\d+)$", result["stdout"],
                          re.M)
            if not m:
                raise RuntimeError("%s: wrk printed no PROOFS line:\n%s" % (what, result["stdout"]))
            sent, loaded, threads = (int(g) for g in m.groups())
            if threads != 1 or loaded != count:
                raise RuntimeError("%s: %d proofs loaded (%d signed) in %d wrk threads"
                                   % (what, loaded, count, threads))
            if sent <= loaded:
                break
            print("%s: %d requests for %d proofs (%d answers not 2xx), %s"
                  % (what, sent, loaded, result["non2xx"],
                     "again with twice as many" if attempt < 2 else "giving up"),
                  file=sys.stderr, flush=True)
            rate = max(2 * rate, sent / duration)
        else:
            raise RuntimeError("%s: the proofs ran out three times" % what)
        if result["non2xx"] or not result["requests"]:
            raise RuntimeError("%s: %d of %d answers not 2xx, with a proof of its own each (%s):"
                               "\n%s" % (what, result["non2xx"], result["requests"],
                                         result["command"], result["stdout"]))
        result["proofs"] = sent
        # The proof of the middle of the run (answered, and younger than the first).
        with open(path) as f:
            for _ in range(sent // 2 + 1):
                again = f.readline().strip()
        headers = {"Authorization": spec["auth"], "DPoP": again}
        if spec.get("ctype"):
            headers["Content-Type"] = spec["ctype"]
        r = requests.request(spec["method"], server.base + spec["path"], headers=headers,
                             data=spec.get("body"), timeout=30)
        said = r.text + r.headers.get("WWW-Authenticate", "")
        if r.status_code not in (400, 401) or "the proof was used before" not in said:
            raise RuntimeError("%s: a proof of the run, sent again, was answered %s %s"
                               % (what, r.status_code, said[:300]))
        os.remove(path)
        return result

    def dpop_beside_bearer(self, what, server, bearer, specs):
        """Each round: the bearer run, then for each key the DPoP run (its first round after a
        one-second run that tells how many proofs a run takes), then `openssl speed -seconds 1
        ed25519 ecdsap256`. One row per key: DPoP's req/s and server CPU per request beside
        bearer's, and what the proof adds per request in signature checks, each round against
        the checks measured right after it (this machine's speed drifts from minute to minute)."""
        if self.duration > DPOP_MAX_SECONDS:
            raise RuntimeError("the DPoP rows need --duration <= %d: the server takes a proof "
                               "for a minute after it is signed" % DPOP_MAX_SECONDS)
        rounds, expected = [], {}
        for _ in range(self.rounds):
            r = {"bearer": self.measured(server, bearer, what + ", bearer")}
            for alg, spec in specs.items():
                name = "%s, DPoP %s" % (what, alg)
                if alg not in expected:
                    expected[alg] = self.dpop_run(server, spec, 1, r["bearer"]["rps"],
                                                  r["bearer"]["rps"],
                                                  name + " (one-second run)")["rps"]
                r[alg] = self.dpop_run(server, spec, self.duration, expected[alg],
                                       r["bearer"]["rps"], name)
                expected[alg] = max(expected[alg], r[alg]["rps"])
            r["verify"] = openssl_verify_speed()
            rounds.append(r)
        median = statistics.median
        bearer_rps = median(r["bearer"]["rps"] for r in rounds)
        bearer_cpu = median(r["bearer"]["cpu_us"] for r in rounds)
        bearer_kernel = median(r["bearer"]["kernel_us"] for r in rounds)
        verify = {alg: median(r["verify"][alg] for r in rounds) for alg in DPOP_ALGS}
        for alg in specs:
            ours = sorted((r[alg] for r in rounds), key=lambda x: x["rps"])[len(rounds) // 2]
            to_bearer = median(r[alg]["rps"] / r["bearer"]["rps"] for r in rounds)
            extra_cpu = median(r[alg]["cpu_us"] - r["bearer"]["cpu_us"] for r in rounds)
            extra_wall = median(1e6 / r[alg]["rps"] - 1e6 / r["bearer"]["rps"] for r in rounds)
            checks = median((r[alg]["cpu_us"] - r["bearer"]["cpu_us"]) * r["verify"][alg] / 1e6
                            for r in rounds)
            self.row("%s, DPoP-bound (%s proof, a fresh one each request)" % (what, alg),
                     "%.0f req/s (p99 %.2f ms), server %.1f µs CPU/request (%.1f in the "
                     "kernel); %d proofs, all taken"
                     % (ours["rps"], ours["p99_ms"], ours["cpu_us"], ours["kernel_us"],
                        sum(r[alg]["proofs"] for r in rounds)),
                     "bearer %.0f req/s, %.1f µs CPU/request (%.1f in the kernel) (%.2fx; DPoP "
                     "adds %+.1f µs CPU, %+.1f µs by 1/rps, %s): %.2f %s checks (one %.1f µs: "
                     "openssl speed -seconds 1 after each round, Ed25519 %.0f, P-256 %.0f "
                     "verifies/s)"
                     % (bearer_rps, bearer_cpu, bearer_kernel, to_bearer, extra_cpu, extra_wall,
                        self.round_note(), checks, alg, 1e6 / verify[alg], verify["EdDSA"],
                        verify["ES256"]),
                     "proof <= one extra signature check (CPU/request)", checks <= 1.0)


def b64(text):
    return base64.b64encode(text.encode()).decode()


def compare_builds(bench, baseline):
    """Two builds of Tessera side by side (--baseline BIN against TESSERA_BIN, build/tessera by
    default): for /users/me with one token and for /introspect, a wrk run against each build
    in turn, `rounds` times, and the median of each with their ratio. Both servers stay up for
    the whole run, so that each round meets the machine in the same state for both."""
    print("| what | baseline | this build | ratio |")
    print("|---|---|---|---|")
    servers = {"baseline": Tessera(tempfile.mkdtemp(dir=bench.workdir), binary=baseline),
               "this build": Tessera(tempfile.mkdtemp(dir=bench.workdir))}
    try:
        runs = {}
        for name, t in servers.items():
            bench.add_bench_client(t)
            me = bench.password_token(t)
            r = requests.post(t.base + "/token", data={"grant_type": "client_credentials"},
                              auth=(T_CLIENT, CLIENT_SECRET), timeout=30)
            opaque = r.json()["access_token"]
            runs[name] = {
                "GET /users/me, one token": lambda t=t, me=me: wrk(
                    t.base + "/users/me", bench.duration, auth="Bearer " + me),
                "POST /introspect": lambda t=t, opaque=opaque: wrk(
                    t.base + "/introspect", bench.duration, method="POST", body="token=" + opaque,
                    ctype="application/x-www-form-urlencoded",
                    auth="Basic " + b64(T_CLIENT + ":" + CLIENT_SECRET))}
        for row in runs["baseline"]:
            results = {name: [] for name in servers}
            for _ in range(bench.rounds):
                for name in servers:
                    results[name].append(runs[name][row]()["rps"])
            a = statistics.median(results["baseline"])
            b = statistics.median(results["this build"])
            print("| %s | %.0f req/s | %.0f req/s | %s (%s) |"
                  % (row, a, b, ratio(b, a), bench.round_note()), flush=True)
    finally:
        for t in servers.values():
            t.stop()


ROWS = ["me_one", "me_distinct", "client_credentials", "introspect", "verify", "storm", "start",
        "memory", "logins", "dpop_resource", "dpop_client_credentials"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rows", default=",".join(ROWS))
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds for the rows measured against nginx's floor")
    parser.add_argument("--baseline", metavar="BIN",
                        help="instead of the goal table, compare this build of tessera with "
                             "TESSERA_BIN (build/tessera) on /users/me and /introspect")
    args = parser.parse_args()
    rows = args.rows.split(",")
    for tool in ("wrk", "openssl"):
        if shutil.which(tool) is None:
            sys.exit("macro.py needs %s" % tool)
    bench = Bench(args.duration, max(1, args.rounds))
    print("# %s, %d cores, wrk -t1 -c32 -d%ds" % (time.strftime("%Y-%m-%d"), CORES, args.duration))
    if args.baseline:
        try:
            compare_builds(bench, args.baseline)
        finally:
            shutil.rmtree(bench.workdir, ignore_errors=True)
        return
    speed = openssl_speed()
    print("openssl speed (one core, verifies/s): " +
          ", ".join("%s %.0f" % (k, v[1]) for k, v in speed.items()))
    print()
    print("| what | Tessera | peers (ratio) | goal | met |")
    print("|---|---|---|---|---|")
    try:
        for name in rows:
            {"me_one": bench.me_one,
             "me_distinct": bench.me_distinct,
             "client_credentials": bench.client_credentials,
             "introspect": bench.introspect,
             "verify": lambda: bench.verify_in_process(speed),
             "storm": bench.me_under_login_storm,
             "start": bench.start_time,
             "memory": bench.memory,
             "logins": bench.logins,
             "dpop_resource": bench.dpop_resource,
             "dpop_client_credentials": bench.dpop_client_credentials}[name]()
    finally:
        if hasattr(bench, "_nginx"):
            bench._nginx.stop()
        shutil.rmtree(bench.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
