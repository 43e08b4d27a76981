"""The npm packages of tests/e2e/node, installed with `npm ci` from the lock file when any
the caller needs is missing or at another version. Node.js and npm are required: the suites
that use them fail, never skip, without them.

    def setUpModule():
        node_helpers.ensure_packages("openid-client", "playwright-core")
"""

import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time

import harness

NODE_DIR = os.path.join(harness.HERE, "node")
CHROMIUM = "/usr/bin/chromium"
NPM_TIMEOUT = 300


def locked_version(package):
    with open(os.path.join(NODE_DIR, "package-lock.json")) as f:
        return json.load(f)["packages"]["node_modules/" + package]["version"]


def installed_version(package):
    try:
        with open(os.path.join(NODE_DIR, "node_modules", package, "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return None


def ensure_packages(*packages):
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise AssertionError(
                "%s is not on PATH: these tests need Node.js 20+ with npm "
                "(deps/debian-packages.txt lists nodejs; run `make deps`)" % tool)
    # Modules run side by side (ctest -j): one installs while the others wait, then find it done.
    with open(os.path.join(NODE_DIR, ".install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if all(installed_version(p) == locked_version(p) for p in packages):
            return
        install(packages)


def install(packages):
    result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR,
                            capture_output=True, text=True, timeout=NPM_TIMEOUT)
    if result.returncode != 0:
        raise AssertionError("`npm ci` in %s failed (exit %s):\n%s%s"
                             % (NODE_DIR, result.returncode, result.stdout, result.stderr))
    for package in packages:
        if installed_version(package) != locked_version(package):
            raise AssertionError("`npm ci` did not install %s %s"
                                 % (package, locked_version(package)))


def ensure_chromium(*packages):
    """Debian's chromium and the npm packages that drive it (playwright-core among them)."""
    if not os.path.exists(CHROMIUM):
        raise AssertionError("%s is missing: deps/debian-packages.txt lists chromium; run "
                             "`make deps`" % CHROMIUM)
    ensure_packages(*packages)


def drive_script(script, args, first_message, sign_in, timeout):
    """The last JSON line of `node script args` (run in NODE_DIR), given first_message as its
    first line of stdin. Each {"sign_in": URL, ...} line it writes before that is answered with
    {"callback": sign_in(message)}. AssertionError, with the script's stderr, if it writes
    nothing more within `timeout` seconds of the start or ends without its last line."""
    name = os.path.basename(script)
    with tempfile.TemporaryFile(mode="w+") as stderr:
        proc = subprocess.Popen(["node", script] + list(args), cwd=NODE_DIR,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                text=True)
        try:
            proc.stdin.write(json.dumps(first_message) + "\n")
            proc.stdin.flush()
            deadline = time.monotonic() + timeout
            while True:
                ready, _, _ = select.select([proc.stdout], [], [],
                                            max(0, deadline - time.monotonic()))
                line = proc.stdout.readline() if ready else ""
                if not line:
                    stderr.seek(0)
                    raise AssertionError("%s: no answer (exit %s):\n%s"
                                         % (name, proc.poll(), stderr.read()))
                message = json.loads(line)
                if "sign_in" not in message:
                    return message
                proc.stdin.write(json.dumps({"callback": sign_in(message)}) + "\n")
                proc.stdin.flush()
        finally:
            proc.stdin.close()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            proc.stdout.close()


def png_size(path):
    """(width, height) of a PNG screenshot."""
    with open(path, "rb") as f:
        header = f.read(24)
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError("%s is not a PNG" % path)
    return struct.unpack(">II", header[16:24])


if __name__ == "__main__":
    # Every package of package.json: ctest runs this once before the modules that use them.
    with open(os.path.join(NODE_DIR, "package.json")) as f:
        ensure_packages(*json.load(f)["dependencies"])
