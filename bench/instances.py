#!/usr/bin/python3
"""Tokens per second (client_credentials, EdDSA) for one Tessera on SQLite, one on PostgreSQL
and two on one PostgreSQL (issue 8), on this machine:

    /usr/bin/python3 bench/instances.py [--duration 10]

Each request reads the client from the database (its secret is verified against the stored
hash; the verified-secret cache spares the argon2 run, not the read) and signs a token. With
two instances, two wrk processes (-c16 each) run at once, one per instance, and their rates
add up. PostgreSQL is a throwaway server on this machine (tests/e2e/pg_helpers.py), so the
instances and the database share the two cores.
"""

import argparse
import base64
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import pg_helpers  # noqa: E402
from macro import BENCH_LUA, CLIENT_SECRET, T_CLIENT as CLIENT, TESSERA, Tessera  # noqa: E402

KEK = "bench-key-encryption-key-0123456789abcdef"


def add_client(server):
    subprocess.run([TESSERA, "client", "add", CLIENT, "--grant", "client_credentials",
                    "--secret-stdin"], env=server.env, input=CLIENT_SECRET + "\n",
                   capture_output=True, text=True, check=True)


def start_wrk(base, connections, duration):
    env = dict(os.environ, WRK_METHOD="POST", WRK_BODY="grant_type=client_credentials",
               WRK_CTYPE="application/x-www-form-urlencoded",
               WRK_AUTH="Basic " + base64.b64encode((CLIENT + ":" + CLIENT_SECRET).encode()).decode())
    argv = ["wrk", "-t1", "-c%d" % connections, "-d%ds" % duration, "-s", BENCH_LUA,
            base + "/token"]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True), " ".join(argv)


def result(proc):
    out = proc.communicate(timeout=300)[0]
    m = re.search(r"^RESULT (.*)$", out, re.M)
    values = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    if values["non2xx"]:
        raise RuntimeError("non-2xx answers: %s" % out)
    return values


def run(servers, duration):
    per = 32 // len(servers)
    procs = [start_wrk(s.base, per, duration) for s in servers]
    results = [result(p) for p, _ in procs]
    return sum(r["rps"] for r in results), max(r["p99_ms"] for r in results), procs[0][1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    rows = []
    work = tempfile.mkdtemp(prefix="tessera-instances-")

    sqlite = Tessera(work)
    try:
        add_client(sqlite)
        rows.append(("1 instance, SQLite",) + run([sqlite], args.duration))
    finally:
        sqlite.stop()

    pg = pg_helpers.shared()
    env = {"TESSERA_DATABASE": pg.create_database(), "TESSERA_KEY_ENCRYPTION_KEY": KEK,
           "TESSERA_ISSUER": "https://auth.bench.test"}
    a = Tessera(tempfile.mkdtemp(dir=work), env)
    b = None
    try:
        add_client(a)
        rows.append(("1 instance, PostgreSQL",) + run([a], args.duration))
        b = Tessera(tempfile.mkdtemp(dir=work), env)
        rows.append(("2 instances, one PostgreSQL",) + run([a, b], args.duration))
    finally:
        a.stop()
        if b is not None:
            b.stop()

    print("| setup | tokens/s | p99 ms (worst wrk) |")
    print("|---|---|---|")
    for name, rps, p99, _ in rows:
        print("| %s | %.0f | %.2f |" % (name, rps, p99))
    print("\nwrk per instance: %s (connections split between instances)" % rows[0][3])


if __name__ == "__main__":
    main()
