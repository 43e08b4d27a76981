"""The Debian packages of `make package` (packaging/): tessera and libtessera-verify-dev, packed
by CPack from the Release build, then seen the way Debian and an administrator see them: their
files and control fields, lintian, the files unpacked into a throwaway root and run from there
(the server with its packaged settings serving the seed's client, the packaged sign-in
templates, the man pages, a resource server compiled against the library package), and, on a
machine that allows it, a real `dpkg -i` and `dpkg --purge`.

The packages' files come from the build tree (the `package_files` target: the man pages, the
changelog, libtessera-verify.a); this module only runs cpack, which packs what is built.
"""

import base64
import filecmp
import glob
import grp
import io
import json
import os
import pwd
import re
import shutil
import subprocess
import tarfile
import unittest
from unittest import mock

import requests

import harness
from browser_helpers import authorize_params, pkce_pair, REDIRECT_URI
from harness import ADMIN_PASSWORD, ADMIN_USER, HTTP_TIMEOUT
from test_deploy import read_env_file

PYTHON = "/usr/bin/python3"
LINTIAN = "/usr/bin/lintian"
BUILD_DIR = os.path.dirname(os.path.abspath(harness.BIN))
SERVER = "tessera"
LIBRARY = "libtessera-verify-dev"
MULTIARCH = "x86_64-linux-gnu"
# What the package_files target leaves in the build tree for the packages.
BUILT_FILES = ["packaging/man/tessera.1.gz", "packaging/man/tessera-verify.3.gz",
               "packaging/changelog.gz", "packaging/libtessera-verify.a"]

DEBS = {}    # package name -> path of its .deb
ROOT = None  # both packages unpacked (dpkg-deb -x) into one throwaway root


def run(args, timeout=60, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)


def run_ok(args, timeout=60, **kwargs):
    result = run(args, timeout=timeout, **kwargs)
    if result.returncode != 0:
        raise AssertionError("%s exited %s\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), result.returncode, result.stdout, result.stderr))
    return result


def package_option():
    """TESSERA_PACKAGE in the build's CMakeCache.txt (ON unless configured otherwise)."""
    try:
        with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("TESSERA_PACKAGE:"):
                    return line.split("=", 1)[1].strip().upper() not in ("OFF", "0", "NO",
                                                                         "FALSE")
    except OSError:
        pass
    return True


def setUpModule():
    global ROOT
    if not package_option():
        # The sanitizer and fuzzing builds of `make test` leave the packages out.
        raise unittest.SkipTest("%s is configured with -DTESSERA_PACKAGE=OFF: no packages"
                                % BUILD_DIR)
    if not os.path.exists(LINTIAN):
        raise AssertionError("%s is missing (Debian package lintian, deps/debian-packages.txt)"
                             % LINTIAN)
    config = os.path.join(BUILD_DIR, "CPackConfig.cmake")
    if not os.path.isfile(config):
        raise AssertionError("%s is missing: configure the Release build first (make configure)"
                             % config)
    missing = [f for f in BUILT_FILES if not os.path.isfile(os.path.join(BUILD_DIR, f))]
    if missing:
        raise AssertionError("the packages' files are not built (%s missing in %s): build the "
                             "`package_files` target (cmake --build %s --target package_files)"
                             % (", ".join(missing), BUILD_DIR, BUILD_DIR))
    out = harness.make_workdir()
    packed = run(["cpack", "-G", "DEB", "-B", out, "--config", config], cwd=BUILD_DIR,
                 timeout=300)
    if packed.returncode != 0:
        raise AssertionError("cpack failed (is the `package_files` target built?)\n%s\n%s"
                             % (packed.stdout, packed.stderr))
    for name in (SERVER, LIBRARY):
        found = glob.glob(os.path.join(out, "%s_*_amd64.deb" % name))
        if len(found) != 1:
            raise AssertionError("cpack made %r, not one %s_VERSION_amd64.deb\n%s"
                                 % (os.listdir(out), name, packed.stdout))
        DEBS[name] = found[0]
    ROOT = os.path.join(out, "root")
    for deb in DEBS.values():
        run_ok(["dpkg-deb", "-x", deb, ROOT])


# --- reading a .deb ---------------------------------------------------------------------------

def contents(deb):
    """{path: (permissions, owner)} from `dpkg-deb --contents`, paths as ./usr/bin/tessera and
    directories with their trailing slash."""
    entries = {}
    for line in run_ok(["dpkg-deb", "--contents", deb]).stdout.splitlines():
        perms, owner, _size, _date, _time, path = line.split(None, 5)
        entries[path.split(" -> ")[0]] = (perms, owner)
    return entries


def control(deb):
    """The control fields from `dpkg-deb -f`, continuation lines joined."""
    fields, name = {}, None
    for line in run_ok(["dpkg-deb", "-f", deb]).stdout.splitlines():
        if not line.strip():
            continue
        if line[:1] in (" ", "\t") and name:
            fields[name] += "\n" + line.strip()
        else:
            name, value = line.split(":", 1)
            fields[name] = value.strip()
    return fields


def depends_names(fields):
    """The package names in Depends, alternatives included, without versions or arch."""
    names = set()
    for relation in fields.get("Depends", "").split(","):
        for alternative in relation.split("|"):
            if alternative.strip():
                names.add(re.split(r"[\s(:]", alternative.strip(), maxsplit=1)[0])
    return names


def control_members(deb):
    """{name: (mode, text)} of the control archive: postinst, conffiles and the rest."""
    tar_bytes = subprocess.run(["dpkg-deb", "--ctrl-tarfile", deb], capture_output=True,
                               check=True, timeout=60).stdout
    members = {}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        for member in tar.getmembers():
            if member.isfile():
                text = tar.extractfile(member).read().decode("utf-8", "replace")
                members[os.path.basename(member.name)] = (member.mode, text)
    return members


def owning_package(path):
    """The Debian package that ships a library file, looked up with dpkg -S (trying the /lib
    and /usr/lib spellings of a merged /usr)."""
    candidates = [path, os.path.realpath(path)]
    for p in list(candidates):
        if p.startswith("/usr/lib/"):
            candidates.append(p[len("/usr"):])
        elif p.startswith("/lib/"):
            candidates.append("/usr" + p)
    for p in candidates:
        found = run(["dpkg", "-S", p])
        if found.returncode == 0:
            for line in found.stdout.splitlines():
                if not line.startswith("diversion") and ": " in line:
                    return line.split(": ", 1)[0].split(",")[0].split(":")[0].strip()
    return None


def needed_packages(binary):
    """{soname: package} for every DT_NEEDED of the binary, found where ldd resolves it."""
    needed = re.findall(r"^\s*NEEDED\s+(\S+)", run_ok(["objdump", "-p", binary]).stdout, re.M)
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", run_ok(["ldd", binary]).stdout, re.M))
    return {soname: owning_package(resolved[soname]) if soname in resolved else None
            for soname in needed}


# --- lintian ----------------------------------------------------------------------------------

# The warnings each package may draw, {tag: why it is acceptable}; any other warning, and every
# error, fails the test. Debian 12's lintian (2.116.3) warns about nothing in either package
# (it has only informational tags for them, shown with -I: .comment sections, and spelling
# guesses in the binary's strings), so nothing is allowed.
LINTIAN_ALLOWED_WARNINGS = {SERVER: {}, LIBRARY: {}}

_lintian_output = None


def lintian_output():
    """lintian's report on both packages, run once (it is the slow part of this module)."""
    global _lintian_output
    if _lintian_output is None:
        result = run([LINTIAN, "--no-tag-display-limit", DEBS[SERVER], DEBS[LIBRARY]],
                     timeout=300, env=harness.clean_environment())
        if result.returncode not in (0, 1):
            raise AssertionError("lintian did not run (status %s):\n%s"
                                 % (result.returncode, result.stderr))
        _lintian_output = result.stdout
    return _lintian_output


def lintian_tags(package):
    """[(severity letter, tag, line)] lintian reported for one package."""
    tags = []
    for line in lintian_output().splitlines():
        m = re.match(r"^([A-Z]): ([^\s:]+)(?: \([^)]*\))?: (\S+)", line)
        if m and m.group(2) == package:
            tags.append((m.group(1), m.group(3), line))
    return tags


# --- the unpacked server ----------------------------------------------------------------------

def packaged_bin():
    return os.path.join(ROOT, "usr", "bin", "tessera")


def run_packaged(args, env, input=None, cwd=None):
    """`ROOT/usr/bin/tessera ARGS...`, the unpacked binary."""
    return subprocess.run([packaged_bin(), *args], env=env, input=input, capture_output=True,
                          text=True, timeout=30, cwd=cwd)


def packaged_settings(workdir, **extra):
    """The unpacked /etc/tessera/tessera.env as the units read it, with the database in
    `workdir`, a free loopback port and a known first user."""
    settings = read_env_file(os.path.join(ROOT, "etc", "tessera", "tessera.env"))
    settings.update({
        "TESSERA_DATABASE": os.path.join(workdir, "tessera.db"),
        "TESSERA_LISTEN": "127.0.0.1:0",
        "TESSERA_ADMIN_USERNAME": ADMIN_USER,
        "TESSERA_ADMIN_PASSWORD": ADMIN_PASSWORD,
    })
    settings.update(extra)
    return settings


def start_packaged_server(settings, workdir, add_cleanup):
    """harness.Server running the unpacked binary instead of the build's; `add_cleanup`
    (addCleanup or addClassCleanup) stops it."""
    with mock.patch.object(harness, "BIN", packaged_bin()):
        server = harness.Server(harness.clean_environment(settings), workdir)
    add_cleanup(server.close)
    server.wait_listening()
    exe = os.readlink("/proc/%d/exe" % server.proc.pid)
    if exe != os.path.realpath(packaged_bin()):
        raise AssertionError("the server runs %s, not the unpacked binary" % exe)
    return server


# --- 1. what the packages hold ------------------------------------------------------------------

class PackageContents(unittest.TestCase):
    def assert_entry(self, entries, path, perms=None):
        self.assertIn(path, entries, "%s is not in the package:\n%s"
                      % (path, "\n".join(sorted(entries))))
        if perms is not None:
            self.assertEqual(entries[path][0], perms, path)

    def test_tessera_holds_the_binary_units_settings_templates_man_page_and_docs(self):
        entries = contents(DEBS[SERVER])
        self.assertEqual(entries["./usr/bin/tessera"], ("-rwxr-xr-x", "root/root"))
        for unit in ("tessera.service", "tessera@.service"):
            self.assert_entry(entries, "./lib/systemd/system/" + unit, "-rw-r--r--")
        # Shipped 0644 while it holds no secret (see below); postinst makes it root:tessera
        # 0640 before anyone can write one in (RealInstall checks that).
        self.assert_entry(entries, "./etc/tessera/tessera.env", "-rw-r--r--")
        self.assert_entry(entries, "./usr/share/tessera/templates/")
        templates = sorted(os.listdir(os.path.join(harness.SOURCE_DIR, "templates")))
        packaged = sorted(p[len("./usr/share/tessera/templates/"):] for p in entries
                          if p.startswith("./usr/share/tessera/templates/")
                          and not p.endswith("/"))
        self.assertEqual(packaged, templates)
        for name in templates:
            self.assert_entry(entries, "./usr/share/tessera/templates/" + name, "-rw-r--r--")
        self.assert_entry(entries, "./usr/share/man/man1/tessera.1.gz", "-rw-r--r--")
        self.assert_entry(entries, "./usr/share/doc/tessera/copyright", "-rw-r--r--")
        self.assert_entry(entries, "./usr/share/doc/tessera/changelog.gz", "-rw-r--r--")
        owners = {path: owner for path, (_, owner) in entries.items() if owner != "root/root"}
        self.assertEqual(owners, {})

    def test_tessera_shipped_settings_hold_no_secret(self):
        settings = read_env_file(os.path.join(ROOT, "etc", "tessera", "tessera.env"))
        for secret in ("TESSERA_KEY_ENCRYPTION_KEY", "TESSERA_ADMIN_PASSWORD",
                       "TESSERA_SECRET_KEY", "TESSERA_METRICS_TOKEN"):
            self.assertNotIn(secret, settings)
        self.assertNotIn("@", settings.get("TESSERA_DATABASE", ""))

    def test_tessera_unpacked_files_are_the_sources(self):
        for name in os.listdir(os.path.join(harness.SOURCE_DIR, "templates")):
            self.assertTrue(filecmp.cmp(
                os.path.join(harness.SOURCE_DIR, "templates", name),
                os.path.join(ROOT, "usr", "share", "tessera", "templates", name), shallow=False),
                name)
        for unit in ("tessera.service", "tessera@.service"):
            self.assertTrue(filecmp.cmp(os.path.join(harness.SOURCE_DIR, "deploy", unit),
                                        os.path.join(ROOT, "lib", "systemd", "system", unit),
                                        shallow=False), unit)
        self.assertTrue(filecmp.cmp(os.path.join(harness.SOURCE_DIR, "packaging", "tessera.env"),
                                    os.path.join(ROOT, "etc", "tessera", "tessera.env"),
                                    shallow=False))

    def test_tessera_control_depends_on_adduser_and_every_linked_library(self):
        fields = control(DEBS[SERVER])
        self.assertEqual(fields["Package"], SERVER)
        self.assertEqual(fields["Architecture"], "amd64")
        self.assertIn(fields["Version"], os.path.basename(DEBS[SERVER]))
        depends = depends_names(fields)
        self.assertIn("adduser", depends, fields["Depends"])
        # The shipped binary's DT_NEEDED libraries, and the packages that hold them here.
        needed = needed_packages(packaged_bin())
        unresolved = [soname for soname, package in needed.items() if package is None]
        self.assertEqual(unresolved, [], "no package found for these libraries")
        missing = {soname: package for soname, package in needed.items()
                   if package not in depends}
        self.assertEqual(missing, {}, "linked but not in Depends: %s" % fields["Depends"])
        # What the server is built on, so that the check above checked something.
        packages = set(needed.values())
        for stem in ("libssl", "libsqlite3-", "libpq", "libargon2-", "libboost-json",
                     "libboost-url", "libc6"):
            self.assertTrue(any(p.startswith(stem) for p in packages), (stem, needed))

    def test_tessera_settings_are_a_conffile_and_the_maintainer_scripts_run(self):
        members = control_members(DEBS[SERVER])
        self.assertIn("conffiles", members)
        self.assertEqual(members["conffiles"][1].split(), ["/etc/tessera/tessera.env"])
        for script in ("postinst", "prerm", "postrm"):
            self.assertIn(script, members)
            mode, text = members[script]
            self.assertEqual(mode & 0o777, 0o755, "%s is mode %o" % (script, mode))
            self.assertTrue(text.startswith("#!/bin/sh\n"), script)
            checked = run(["sh", "-n"], input=text)
            self.assertEqual(checked.returncode, 0, "%s: %s" % (script, checked.stderr))

    def test_libtessera_verify_dev_holds_headers_archive_pkgconfig_and_man_page(self):
        entries = contents(DEBS[LIBRARY])
        for path in ("./usr/include/tessera/verify.h", "./usr/include/tessera/beast.h",
                     "./usr/lib/%s/libtessera-verify.a" % MULTIARCH,
                     "./usr/lib/%s/pkgconfig/tessera-verify.pc" % MULTIARCH,
                     "./usr/share/man/man3/tessera-verify.3.gz",
                     "./usr/share/doc/libtessera-verify-dev/copyright",
                     "./usr/share/doc/libtessera-verify-dev/changelog.gz"):
            self.assert_entry(entries, path, "-rw-r--r--")
        for header in ("verify.h", "beast.h"):
            self.assertTrue(filecmp.cmp(
                os.path.join(harness.SOURCE_DIR, "include", "tessera", header),
                os.path.join(ROOT, "usr", "include", "tessera", header), shallow=False), header)
        owners = {path: owner for path, (_, owner) in entries.items() if owner != "root/root"}
        self.assertEqual(owners, {})

    def test_libtessera_verify_dev_control_depends_on_the_libraries_it_links(self):
        fields = control(DEBS[LIBRARY])
        self.assertEqual(fields["Package"], LIBRARY)
        self.assertEqual(fields["Architecture"], "amd64")
        self.assertEqual(fields["Version"], control(DEBS[SERVER])["Version"])
        depends = depends_names(fields)
        for name in ("libssl-dev", "libboost1.81-dev"):
            self.assertIn(name, depends, fields["Depends"])
        # Every library the pkg-config file links besides the archive: the package holding its
        # link-time libNAME.so here is in Depends.
        pc_dir = os.path.join(ROOT, "usr", "lib", MULTIARCH, "pkgconfig")
        libs = run_ok(["pkg-config", "--libs-only-l", "tessera-verify"],
                      env=dict(os.environ, PKG_CONFIG_PATH=pc_dir)).stdout.split()
        others = [flag[2:] for flag in libs if flag != "-ltessera-verify"]
        self.assertTrue(others, libs)
        owners = {name: owning_package("/usr/lib/%s/lib%s.so" % (MULTIARCH, name))
                  for name in others}
        missing = {name: package for name, package in owners.items() if package not in depends}
        self.assertEqual(missing, {}, "linked by tessera-verify.pc but not in Depends: %s"
                         % fields["Depends"])


# --- 2. lintian ---------------------------------------------------------------------------------

class Lintian(unittest.TestCase):
    def assert_clean(self, package):
        tags = lintian_tags(package)
        errors = [line for severity, _, line in tags if severity == "E"]
        self.assertEqual(errors, [], "lintian errors:\n" + "\n".join(errors))
        allowed = LINTIAN_ALLOWED_WARNINGS[package]
        warnings = [line for severity, tag, line in tags if severity == "W" and tag not in allowed]
        self.assertEqual(warnings, [], "lintian warnings not on the allow-list:\n"
                         + "\n".join(warnings))

    def test_lintian_reports_no_error_and_no_unlisted_warning_for_tessera(self):
        self.assert_clean(SERVER)

    def test_lintian_reports_no_error_and_no_unlisted_warning_for_libtessera_verify_dev(self):
        self.assert_clean(LIBRARY)


# --- 3. the unpacked server ---------------------------------------------------------------------

class UnpackedServer(unittest.TestCase):
    """ROOT/usr/bin/tessera with the settings of ROOT/etc/tessera/tessera.env."""

    @classmethod
    def setUpClass(cls):
        cls.workdir = harness.make_workdir()
        cls.server = start_packaged_server(packaged_settings(cls.workdir), cls.workdir,
                                           cls.addClassCleanup)

    def test_the_unpacked_binary_prints_its_version(self):
        result = run_packaged(["version"], harness.clean_environment())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split(), ["tessera", control(DEBS[SERVER])["Version"]])

    def test_config_check_accepts_the_packaged_settings_file(self):
        directory = harness.make_workdir()
        with open(os.path.join(ROOT, "etc", "tessera", "tessera.env")) as f:
            text = f.read()
        line = "TESSERA_DATABASE=/var/lib/tessera/tessera.db\n"
        self.assertIn(line, text)
        env_file = os.path.join(directory, "tessera.env")
        with open(env_file, "w") as f:
            f.write(text.replace(line, "TESSERA_DATABASE=%s\n"
                                 % os.path.join(directory, "tessera.db")))
        result = run_packaged(["config", "check", "--env-file", env_file],
                              harness.clean_environment(), cwd=directory)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout.strip().splitlines()[-1], "configuration OK",
                         result.stdout)
        self.assertFalse(os.path.exists(os.path.join(directory, "tessera.db")),
                         "config check wrote the database")

    def test_the_seed_python_client_gets_a_token_and_reads_users_me(self):
        clients = harness.seed_clients_dir()
        if clients is None:
            self.skipTest("the seed's clients are not here: set TESSERA_SEED_CLIENTS or put "
                          "them at <source>/../shared/seed/clients")
        result = run([PYTHON, os.path.join(clients, "seed_client.py"), self.server.base,
                      ADMIN_USER, ADMIN_PASSWORD])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("'sub': '%s'" % ADMIN_USER, result.stdout)
        self.assertIn("'iss': '%s'" % self.server.base, result.stdout)

    def test_the_packaged_templates_render_the_login_page(self):
        templates = os.path.join(ROOT, "usr", "share", "tessera", "templates")
        workdir = harness.make_workdir()
        settings = packaged_settings(workdir, TESSERA_TEMPLATES_DIR=templates)
        added = run_packaged(["client", "add", "web", "--public", "--redirect-uri", REDIRECT_URI],
                             harness.clean_environment(settings))
        self.assertEqual(added.returncode, 0, added.stderr)
        server = start_packaged_server(settings, workdir, self.addCleanup)
        _, challenge = pkce_pair()
        page = requests.get(server.base + "/authorize", params=authorize_params("web", challenge),
                            allow_redirects=False, timeout=HTTP_TIMEOUT)
        self.assertEqual(page.status_code, 200, page.text[:500])
        self.assertEqual(page.headers["Content-Type"], "text/html; charset=utf-8")
        self.assertIn('name="password"', page.text)
        self.assertIn('<label for="username">Username</label>', page.text)
        self.assertNotIn("{{", page.text)

    def test_the_man_pages_render_without_warnings(self):
        pages = {"man1/tessera.1.gz": ["config check", "/etc/tessera/tessera.env"],
                 "man3/tessera-verify.3.gz": ["Verifier", "pkg-config"]}
        env = harness.clean_environment({"MANWIDTH": "80", "LC_ALL": "C.UTF-8"})
        env.pop("MANPAGER", None)
        env.pop("PAGER", None)
        for page, mentions in pages.items():
            result = run(["man", "--warnings", "-l",
                          os.path.join(ROOT, "usr", "share", "man", page)], env=env)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stderr, "", page)
            text = " ".join(result.stdout.split())
            for mention in mentions:
                self.assertIn(mention, text, page)


# --- 4. the library package ---------------------------------------------------------------------

CHECK_PROGRAM = r"""
// Checks the access token given on the command line with tessera::Verifier, as a resource
// server built against the libtessera-verify-dev package would.
#include <tessera/verify.h>

#include <chrono>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: check ISSUER AUDIENCE TOKEN\n";
    return 2;
  }
  auto verifier = tessera::Verifier::create({.issuer = argv[1], .audience = argv[2]});
  if (!verifier) {
    std::cerr << "create: " << verifier.error() << "\n";
    return 3;
  }
  if (!(*verifier)->wait_for_keys(std::chrono::seconds(10))) {
    std::cerr << "no keys: " << (*verifier)->last_error().value_or("?") << "\n";
    return 4;
  }
  auto claims = (*verifier)->verify(argv[3]);
  if (!claims) {
    std::cout << "refused: " << tessera::to_string(claims.error()) << "\n";
    return 1;
  }
  std::cout << "subject: " << claims->subject() << "\n";
  return 0;
}
"""

AUDIENCE = "packaged-api"
CLIENT_ID = "packaged-reports"
CLIENT_SECRET = "packaged-reports-secret-0123456789"


class LibraryPackage(unittest.TestCase):
    """A program compiled against the unpacked libtessera-verify-dev checks tokens of the
    unpacked server."""

    @classmethod
    def setUpClass(cls):
        cls.workdir = harness.make_workdir()
        settings = packaged_settings(cls.workdir)
        cls.server = start_packaged_server(settings, cls.workdir, cls.addClassCleanup)
        added = run_packaged(["client", "add", CLIENT_ID, "--secret-stdin", "--audience",
                              AUDIENCE], cls.server.env, input=CLIENT_SECRET + "\n")
        if added.returncode != 0:
            raise AssertionError("tessera client add: " + added.stderr)

        pc_dir = os.path.join(ROOT, "usr", "lib", MULTIARCH, "pkgconfig")
        env = dict(os.environ, PKG_CONFIG_PATH=pc_dir)
        cls.flags = run_ok(["pkg-config", "--define-variable=prefix=%s/usr" % ROOT,
                            "--cflags", "--libs", "tessera-verify"], env=env).stdout.split()
        source = os.path.join(cls.workdir, "check.cc")
        with open(source, "w") as f:
            f.write(CHECK_PROGRAM)
        cls.program = os.path.join(cls.workdir, "check")
        compiled = run(["g++", "-std=c++23", "-O1", "-o", cls.program, source, *cls.flags],
                       timeout=180)
        if compiled.returncode != 0:
            raise AssertionError("g++ %s failed:\n%s" % (" ".join(cls.flags), compiled.stderr))

    def client_token(self):
        r = requests.post(self.server.base + "/token", data={"grant_type": "client_credentials"},
                          auth=(CLIENT_ID, CLIENT_SECRET), timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()["access_token"]

    def check(self, token):
        return run([self.program, self.server.base, AUDIENCE, token], timeout=30)

    def test_pkg_config_points_into_the_unpacked_package(self):
        self.assertIn("-I%s/usr/include" % ROOT, self.flags)
        self.assertIn("-L%s/usr/lib/%s" % (ROOT, MULTIARCH), self.flags)
        self.assertIn("-ltessera-verify", self.flags)

    def test_the_program_prints_the_client_as_the_subject_of_its_token(self):
        result = self.check(self.client_token())
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout, "subject: %s\n" % CLIENT_ID)

    def test_the_program_refuses_a_tampered_token(self):
        header, payload, signature = self.client_token().split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["sub"] = ADMIN_USER
        tampered = ".".join([header, harness.b64url(claims), signature])
        result = self.check(tampered)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertTrue(result.stdout.startswith("refused: "), result.stdout)
        self.assertNotIn("subject", result.stdout)

    def test_the_program_refuses_a_token_for_another_audience(self):
        token = harness.token_for(self, self.server.base, ADMIN_USER, ADMIN_PASSWORD)
        result = self.check(token)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertTrue(result.stdout.startswith("refused: "), result.stdout)


# --- 5. a real install --------------------------------------------------------------------------

def getent(database, name):
    return run(["getent", database, name]).returncode == 0


class RealInstall(unittest.TestCase):
    """dpkg -i and dpkg --purge on this machine, when nothing of Tessera is installed on it."""

    def why_not(self):
        if os.geteuid() != 0:
            return "not root"
        if shutil.which("dpkg") is None:
            return "no dpkg"
        if run(["dpkg", "-s", SERVER]).returncode == 0:
            return "the tessera package is known to dpkg here (installed or its files kept)"
        if getent("passwd", "tessera") or getent("group", "tessera"):
            return "a tessera user or group exists"
        for path in ("/var/lib/tessera", "/etc/tessera", "/usr/bin/tessera"):
            if os.path.lexists(path):
                return "%s exists" % path
        return None

    def restore_machine(self):
        """Purges the package, then removes what it deliberately keeps: the tessera user and
        group and /var/lib/tessera. Safe to run twice."""
        env = harness.clean_environment({"DEBIAN_FRONTEND": "noninteractive"})
        run(["dpkg", "--purge", SERVER], timeout=120, env=env)
        if getent("passwd", "tessera"):
            run_ok(["deluser", "--system", "--quiet", "tessera"], env=env)
        if getent("group", "tessera"):
            run_ok(["delgroup", "--system", "--quiet", "tessera"], env=env)
        shutil.rmtree("/var/lib/tessera", ignore_errors=True)
        if os.path.isdir("/etc/tessera") and not os.listdir("/etc/tessera"):
            os.rmdir("/etc/tessera")

    def test_dpkg_install_makes_the_user_state_folder_and_settings_and_purge_removes_them(self):
        reason = self.why_not()
        if reason:
            self.skipTest("a real install needs root and a machine without Tessera: " + reason)
        env = harness.clean_environment({"DEBIAN_FRONTEND": "noninteractive"})
        self.addCleanup(self.restore_machine)

        installed = run(["dpkg", "-i", DEBS[SERVER]], timeout=120, env=env)
        self.assertEqual(installed.returncode, 0, installed.stdout + installed.stderr)
        status = run_ok(["dpkg-query", "-W", "-f", "${Status}", SERVER]).stdout
        self.assertEqual(status, "install ok installed")
        conffiles = run_ok(["dpkg-query", "-W", "-f", "${Conffiles}", SERVER]).stdout
        self.assertIn("/etc/tessera/tessera.env ", conffiles)

        user = pwd.getpwnam("tessera")
        self.assertLess(user.pw_uid, 1000, "not a system user")
        self.assertIn(user.pw_shell, ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false"))
        self.assertEqual(user.pw_dir, "/var/lib/tessera")
        group = grp.getgrnam("tessera")
        self.assertEqual(user.pw_gid, group.gr_gid)

        state = os.stat("/var/lib/tessera")
        self.assertEqual(oct(state.st_mode & 0o7777), oct(0o700))
        self.assertEqual((state.st_uid, state.st_gid), (user.pw_uid, group.gr_gid))
        settings = os.stat("/etc/tessera/tessera.env")
        self.assertEqual(oct(settings.st_mode & 0o7777), oct(0o640))
        self.assertEqual((settings.st_uid, settings.st_gid), (0, group.gr_gid))

        # What the units' ExecStartPre runs, as the service's user in its working directory.
        checked = run(["runuser", "-u", "tessera", "--", "tessera", "config", "check",
                       "--env-file", "/etc/tessera/tessera.env"],
                      env=harness.clean_environment(), cwd="/var/lib/tessera")
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertEqual(checked.stdout.strip().splitlines()[-1], "configuration OK")

        purged = run(["dpkg", "--purge", SERVER], timeout=120, env=env)
        self.assertEqual(purged.returncode, 0, purged.stdout + purged.stderr)
        self.assertFalse(os.path.lexists("/usr/bin/tessera"))
        self.assertFalse(os.path.lexists("/etc/tessera/tessera.env"))
        self.assertFalse(os.path.lexists("/lib/systemd/system/tessera.service"))
        self.assertFalse(os.path.lexists("/etc/tessera"), os.listdir("/etc/tessera")
                         if os.path.isdir("/etc/tessera") else "")
        self.assertNotEqual(run(["dpkg", "-s", SERVER]).returncode, 0)
        # Kept on purpose: the database and its key, and the user that owns them.
        self.assertTrue(getent("passwd", "tessera"))
        self.assertTrue(os.path.isdir("/var/lib/tessera"))

        self.restore_machine()
        self.assertFalse(getent("passwd", "tessera"))
        self.assertFalse(getent("group", "tessera"))
        self.assertFalse(os.path.lexists("/var/lib/tessera"))
        self.assertFalse(os.path.lexists("/etc/tessera"))


if __name__ == "__main__":
    unittest.main()
