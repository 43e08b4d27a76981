"""A throwaway PostgreSQL server for the black-box tests, the Python twin of
tests/support/postgres_server.{h,cc}: initdb in a temporary directory, postgres on a free
port listening on 127.0.0.1 only, trust authentication, fsync off; stopped and removed when
the test run ends. PostgreSQL refuses to run as root, so when the tests run as root the
server runs as the unprivileged user "nobody" (through runuser) in a directory given to it.

    pg = pg_helpers.shared()          # one server per test process, started on first use
    url = pg.create_database()        # postgresql://postgres@127.0.0.1:PORT/tN, empty
    pg.stop(); pg.start()             # same port, same data: a database restart

Debian's postgresql package provides the binaries (/usr/lib/postgresql/<version>/bin) and
postgresql-client the psql that creates the databases.
"""

import atexit
import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading

START_TIMEOUT = 30


def find_bin():
    """The newest /usr/lib/postgresql/<version>/bin with initdb, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(candidates[-1]) if candidates else None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read(path):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


class PostgresServer:
    """One PostgreSQL cluster in its own temporary directory. Use `shared()` in tests."""

    def __init__(self):
        self.bin = find_bin()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql "
                               "(Debian package postgresql)")
        if shutil.which("psql") is None:
            raise RuntimeError("psql not found (Debian package postgresql-client)")
        self.dir = tempfile.mkdtemp(prefix="tessera-e2e-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.as_nobody = os.geteuid() == 0
        if self.as_nobody:
            shutil.chown(self.dir, user="nobody")
            os.chmod(self.dir, 0o700)
        self.port = free_port()
        self.running = False
        self._next_database = 0
        self._lock = threading.Lock()
        try:
            initdb_log = os.path.join(self.dir, "initdb.log")
            if not self._run_as_owner(
                    "%s/initdb -D %s -U postgres -A trust -E UTF8 --no-locale >%s 2>&1"
                    % (self.bin, shlex.quote(self.data), shlex.quote(initdb_log))):
                raise RuntimeError("initdb failed:\n" + _read(initdb_log))
            self.start()
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _run_as_owner(self, command, timeout=START_TIMEOUT + 10):
        """Runs a shell command as the cluster's owner (nobody when we are root); True on
        exit status 0."""
        argv = ["sh", "-c", command]
        if self.as_nobody:
            argv = [shutil.which("runuser", path="/usr/sbin:/sbin:/usr/bin:/bin") or "runuser",
                    "-u", "nobody", "--"] + argv
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
        return subprocess.run(argv, cwd=self.dir, env=env, stdin=subprocess.DEVNULL,
                              timeout=timeout).returncode == 0

    def start(self):
        """Starts the server on its port and data; returns once it accepts connections."""
        options = ("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s "
                   "-c fsync=off -c max_connections=200" % (self.port, self.dir))
        if not self._run_as_owner(
                "%s/pg_ctl -D %s -l %s -o %s -w -t %d start >/dev/null 2>&1"
                % (self.bin, shlex.quote(self.data), shlex.quote(self.log),
                   shlex.quote(options), START_TIMEOUT)):
            raise RuntimeError("PostgreSQL did not start on port %d:\n%s"
                               % (self.port, _read(self.log)[-4000:]))
        self.running = True

    def stop(self):
        """Stops the server at once (fast mode: open sessions are disconnected)."""
        self._run_as_owner("%s/pg_ctl -D %s -m fast -w -t %d stop >/dev/null 2>&1"
                           % (self.bin, shlex.quote(self.data), START_TIMEOUT))
        self.running = False

    def restart(self):
        self.stop()
        self.start()

    def url(self, database, user="postgres", password=None):
        auth = user if password is None else "%s:%s" % (user, password)
        return "postgresql://%s@127.0.0.1:%d/%s" % (auth, self.port, database)

    def psql(self, sql, database="postgres"):
        """Runs SQL as the superuser; returns psql's stdout (unaligned, tuples only)."""
        result = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql],
            capture_output=True, text=True, timeout=30,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C",
                 "PGCONNECT_TIMEOUT": "10"})
        if result.returncode != 0:
            raise RuntimeError("psql %r failed: %s" % (sql, result.stderr.strip()))
        return result.stdout

    def create_database(self):
        """A new, empty database; its postgresql:// URL (no password: trust)."""
        with self._lock:
            name = "t%d_%d" % (os.getpid(), self._next_database)
            self._next_database += 1
        self.psql("CREATE DATABASE %s" % name)
        return self.url(name)

    def server_log(self):
        return _read(self.log)

    def close(self):
        if self.running:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


_shared = None
_shared_lock = threading.Lock()


def shared():
    """The process's PostgreSQL server, started on first use and removed at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            server = PostgresServer()
            if not os.environ.get("TESSERA_E2E_KEEP"):
                atexit.register(server.close)
            else:
                atexit.register(server.stop)
            _shared = server
        return _shared
