"""deploy/ as shipped: two instances started the way deploy/tessera@.service starts them,
with the settings of deploy/tessera.env, on one PostgreSQL, behind Debian's nginx running
deploy/nginx.conf (only ports, paths and the test certificate changed). Clients speak HTTPS to
nginx only.
"""

import configparser
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import requests

import harness
import pg_helpers
from harness import ADMIN_PASSWORD, ADMIN_USER, HTTP_TIMEOUT

DEPLOY = os.path.join(harness.SOURCE_DIR, "deploy")
NGINX = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin")


def read_unit(path):
    """The [Service] section of a systemd unit: {key: [values]} (keys may repeat)."""
    values = {}
    section = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                section = line.strip("[]")
            elif section == "Service":
                key, value = line.split("=", 1)
                values.setdefault(key, []).append(value)
    return values


def read_env_file(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key] = value
    return env


def render_nginx_conf(directory, https_port, http_port, upstream_ports, cert, key):
    with open(os.path.join(DEPLOY, "nginx.conf")) as f:
        conf = f.read()
    replacements = [
        ("user www-data;\n", ""),
        ("/run/tessera-nginx.pid", os.path.join(directory, "nginx.pid")),
        ("/var/log/nginx/tessera-error.log", os.path.join(directory, "error.log")),
        ("listen 443 ssl;", "listen 127.0.0.1:%d ssl;" % https_port),
        ("listen 80;", "listen 127.0.0.1:%d;" % http_port),
        ("127.0.0.1:8081", "127.0.0.1:%d" % upstream_ports[0]),
        ("127.0.0.1:8082", "127.0.0.1:%d" % upstream_ports[1]),
        ("/etc/tessera/tls/fullchain.pem", cert),
        ("/etc/tessera/tls/privkey.pem", key),
    ]
    for old, new in replacements:
        if old not in conf:
            raise AssertionError("deploy/nginx.conf no longer contains %r" % old)
        conf = conf.replace(old, new)
    # Temporary files of a test nginx stay in its directory.
    temp_paths = "".join("    %s_temp_path %s;\n" % (kind, os.path.join(directory, kind))
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = conf.replace("http {\n", "http {\n" + temp_paths, 1)
    path = os.path.join(directory, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


@unittest.skipIf(NGINX is None, "nginx is not installed (Debian package nginx-light)")
class BehindNginx(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(dir=harness.make_workdir())
        os.chmod(os.path.dirname(cls.dir), 0o755)
        os.chmod(cls.dir, 0o755)  # nginx's workers (nobody when run as root) read in here
        cls.unit = read_unit(os.path.join(DEPLOY, "tessera@.service"))
        cls.env_file = read_env_file(os.path.join(DEPLOY, "tessera.env"))
        cls.https_port, cls.http_port = pg_helpers.free_port(), pg_helpers.free_port()
        cls.base = "https://127.0.0.1:%d" % cls.https_port
        cert, key = harness.make_certificate(cls.dir)
        cls.session = requests.Session()
        cls.session.trust_env = False  # REQUESTS_CA_BUNDLE would win over `verify`
        cls.session.verify = cert

        # The instances: the unit's environment with %i as each one's port, the env file
        # with the test's database, issuer and key-encryption key.
        settings = dict(cls.env_file)
        settings.update({
            "TESSERA_DATABASE": pg_helpers.shared().create_database(),
            "TESSERA_ISSUER": cls.base,
            "TESSERA_KEY_ENCRYPTION_KEY": "deploy-test-key-encryption-key-0123456789",
            "TESSERA_ADMIN_USERNAME": ADMIN_USER,
            "TESSERA_ADMIN_PASSWORD": ADMIN_PASSWORD,
        })
        cls.ports = [pg_helpers.free_port(), pg_helpers.free_port()]
        cls.instances = []
        for port in cls.ports:
            env = dict(settings)
            for assignment in cls.unit["Environment"]:
                name, value = assignment.split("=", 1)
                env[name] = value.replace("%i", str(port))
            cls.instance_env = env
            server = harness.Server(harness.clean_environment(env), harness.make_workdir(),
                                    args=cls.unit["ExecStart"][0].split()[1:])
            cls.addClassCleanup(server.close)
            server.wait_listening(timeout=30)
            cls.instances.append(server)

        conf = render_nginx_conf(cls.dir, cls.https_port, cls.http_port, cls.ports, cert, key)
        checked = subprocess.run([NGINX, "-t", "-p", cls.dir, "-c", conf],
                                 capture_output=True, text=True, timeout=30)
        if checked.returncode != 0:
            raise AssertionError("nginx -t refused deploy/nginx.conf:\n" + checked.stderr)
        cls.nginx = subprocess.Popen([NGINX, "-p", cls.dir, "-c", conf, "-g", "daemon off;"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        cls.addClassCleanup(cls.stop_nginx)
        deadline = time.monotonic() + 15
        while True:
            try:
                cls.session.get(cls.base + "/healthz", timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or cls.nginx.poll() is not None:
                    raise AssertionError("nginx did not come up: %s"
                                         % cls.nginx.stderr.read().decode(errors="replace")
                                         if cls.nginx.poll() is not None else "timeout")
                time.sleep(0.1)

    @classmethod
    def stop_nginx(cls):
        if cls.nginx.poll() is None:
            cls.nginx.send_signal(signal.SIGQUIT)
            try:
                cls.nginx.wait(10)
            except subprocess.TimeoutExpired:
                cls.nginx.kill()
                cls.nginx.wait(5)

    def login(self, username=ADMIN_USER, password=ADMIN_PASSWORD, headers=None):
        return self.session.post(self.base + "/token",
                                 data={"grant_type": "password", "username": username,
                                       "password": password},
                                 headers=headers or {}, timeout=HTTP_TIMEOUT)

    def test_the_unit_and_the_env_file_fit_together(self):
        self.assertEqual(self.unit["ExecStart"], ["/usr/bin/tessera serve"])
        # Each start, and each reload before its SIGHUP, checks the configuration first.
        self.assertEqual(self.unit["ExecStartPre"], ["/usr/bin/tessera config check"])
        self.assertEqual(self.unit["ExecReload"],
                         ["/usr/bin/tessera config check", "/bin/kill -HUP $MAINPID"])
        self.assertIn("TESSERA_LISTEN=127.0.0.1:%i", self.unit["Environment"])
        # EnvironmentFile= wins over Environment=: the shared file must not pin the port.
        self.assertNotIn("TESSERA_LISTEN", self.env_file)
        self.assertEqual(self.unit["KillSignal"], ["SIGTERM"])
        self.assertIn("TESSERA_KEY_ENCRYPTION_KEY", self.env_file)
        self.assertTrue(self.env_file["TESSERA_DATABASE"].startswith("postgresql://"))

    def run_unit_command(self, command, env):
        args = command.split()
        self.assertEqual(args[0], "/usr/bin/tessera")
        return subprocess.run([harness.BIN] + args[1:], env=harness.clean_environment(env),
                              capture_output=True, text=True, timeout=60)

    def test_the_units_check_passes_while_the_instances_run_and_names_each_problem(self):
        # What ExecStartPre and ExecReload run, on the live PostgreSQL database: read-only,
        # schema current, the signing keys open with the shared key-encryption key.
        checked = self.run_unit_command(self.unit["ExecStartPre"][0], self.instance_env)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertEqual(checked.stdout.splitlines()[-1], "configuration OK")
        # The wrong key-encryption key: the reload would be refused, with the reason.
        wrong = dict(self.instance_env,
                     TESSERA_KEY_ENCRYPTION_KEY="another-key-encryption-key-0123456789abc")
        refused = self.run_unit_command(self.unit["ExecReload"][0], wrong)
        self.assertEqual(refused.returncode, 1, refused.stdout)
        self.assertIn("wrong key-encryption key", refused.stdout)
        # Two bad settings at once: both are named.
        bad = dict(self.instance_env, TESSERA_ACCESS_TOKEN_TTL="2d", TESSERA_LOG="loud")
        refused = self.run_unit_command(self.unit["ExecReload"][0], bad)
        self.assertEqual(refused.returncode, 1, refused.stdout)
        self.assertIn("error: TESSERA_ACCESS_TOKEN_TTL:", refused.stdout)
        self.assertIn("error: TESSERA_LOG:", refused.stdout)
        # The instances are untouched: both still answer.
        for port in self.ports:
            r = requests.get("http://127.0.0.1:%d/healthz" % port, timeout=HTTP_TIMEOUT)
            self.assertEqual(r.status_code, 200, r.text)

    def test_discovery_through_nginx_names_the_public_https_issuer(self):
        r = self.session.get(self.base + "/.well-known/openid-configuration", timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["issuer"], self.base)
        self.assertEqual(r.json()["token_endpoint"], self.base + "/token")
        self.assertEqual(r.json()["jwks_uri"], self.base + "/.well-known/jwks.json")
        self.assertEqual(r.headers.get("Strict-Transport-Security"), "max-age=31536000")
        self.assertNotIn("nginx/", r.headers.get("Server", ""))

    def test_a_token_from_one_instance_works_at_the_other_through_nginx(self):
        r = self.login()
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.headers.get("Cache-Control"), "no-store")
        token = r.json()["access_token"]
        self.assertEqual(harness.unverified(token)[1]["iss"], self.base)
        for instance in self.instances:  # each instance, directly
            me = requests.get(instance.base + "/users/me", headers=harness.bearer(token),
                              timeout=HTTP_TIMEOUT)
            self.assertEqual(me.status_code, 200, me.text)
        for _ in range(4):  # and through nginx, whichever answers
            me = self.session.get(self.base + "/users/me", headers=harness.bearer(token),
                                  timeout=HTTP_TIMEOUT)
            self.assertEqual(me.status_code, 200, me.text)
            self.assertEqual(me.json()["sub"], ADMIN_USER)

    def test_requests_are_spread_over_both_instances(self):
        marker = "spread-%d" % time.monotonic_ns()
        for i in range(20):
            r = self.session.get(self.base + "/healthz", headers={"X-Request-Id": "%s-%d" % (marker, i)},
                                 timeout=HTTP_TIMEOUT)
            self.assertEqual(r.status_code, 200, r.text)
        time.sleep(0.2)
        served = [sum(1 for record in instance.log_records()
                      if str(record.get("request_id", "")).startswith(marker))
                  for instance in self.instances]
        self.assertEqual(sum(served), 20, served)
        self.assertTrue(all(count > 0 for count in served), served)

    def test_the_client_address_comes_from_nginx(self):
        marker = "xff-%d" % time.monotonic_ns()
        r = self.session.get(self.base + "/healthz",
                             headers={"X-Forwarded-For": "203.0.113.9", "X-Request-Id": marker},
                             timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200)
        time.sleep(0.2)
        remotes = [record.get("remote") for instance in self.instances
                   for record in instance.log_records() if record.get("request_id") == marker]
        # nginx appended the address it saw (127.0.0.1, trusted); the one before it is the
        # client's as far as the trusted proxies know.
        self.assertEqual(remotes, ["203.0.113.9"])

    def test_plain_http_is_redirected_to_https(self):
        r = requests.get("http://127.0.0.1:%d/users/me" % self.http_port, allow_redirects=False,
                         timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 301)
        self.assertTrue(re.match(r"^https://[^/]+/users/me$", r.headers["Location"]),
                        r.headers["Location"])

    def test_zz_with_one_instance_stopped_the_other_serves_everything(self):
        stopped = self.instances[1]
        self.assertEqual(stopped.stop(), 0, stopped.stderr()[-2000:])
        statuses = [self.login().status_code for _ in range(6)]
        self.assertEqual(statuses, [200] * 6)
        r = self.session.get(self.base + "/.well-known/jwks.json", timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200)


if __name__ == "__main__":
    unittest.main()
