"""Helpers for the OAuth tests (issue 4): users and clients made with the command line, the
token, introspection and revocation endpoints called with each client authentication
method, and the checks every RFC 6749 response must pass.

    client = add_client(self.server, "svc", scope="read write")   # confidential
    app = add_client(self.server, "app", public=True)             # password, refresh
    body = assert_token_response(self, client_credentials(self.base, client))
    assert_inactive(self, self.base, client, "garbage")

Like harness.py, these only use what a user sees: HTTP, the command line and its output.
"""

import base64
import re
import secrets
import time
import urllib.parse

import requests

import harness
from harness import HTTP_TIMEOUT

# RFC 6749 section 5.2 and appendix A.7/A.8: error and error_description are %x20-21 /
# %x23-5B / %x5D-7E (printable ASCII without '"' and '\').
ERROR_CHARS = re.compile(r'^[\x20-\x21\x23-\x5b\x5d-\x7e]*$')
OAUTH_ERRORS = ("invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
                "unsupported_grant_type", "invalid_scope")

# Our refresh tokens: 256 random bits, base64url without padding.
REFRESH_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
GENERATED_SECRET_LINE = re.compile(r"^client secret: (\S+) \(shown once\)$", re.MULTILINE)

INACTIVE = {"active": False}


class Client:
    """A registered client as its owner knows it: the id and, when confidential, the secret."""

    def __init__(self, client_id, secret=None):
        self.id = client_id
        self.secret = secret

    @property
    def public(self):
        return self.secret is None

    def __repr__(self):
        return "Client(%r%s)" % (self.id, "" if self.public else ", secret")


def new_secret():
    """A client secret with no character that form-urlencoding would change, so that clients
    which send Basic credentials without encoding them (authlib, requests) work too."""
    return "s-" + secrets.token_urlsafe(24)


def add_client(server, client_id, public=False, secret=None, grants=(), scope=None,
               audience=None, require_dpop=False, extra=()):
    """`tessera client add` (secret from stdin unless public; --require-dpop if asked; `extra`
    arguments as given); returns the Client."""
    args = ["client", "add", client_id]
    if public:
        args.append("--public")
    else:
        secret = secret or new_secret()
        args.append("--secret-stdin")
    for grant in grants:
        args += ["--grant", grant]
    if scope is not None:
        args += ["--scope", scope]
    if audience is not None:
        args += ["--audience", audience]
    if require_dpop:
        args.append("--require-dpop")
    args += list(extra)
    added = server.cli(*args, input=None if public else secret + "\n")
    if added.returncode != 0:
        raise AssertionError("tessera %s: exit %s\n%s" % (" ".join(args), added.returncode,
                                                          added.stderr))
    return Client(client_id, None if public else secret)


def add_user(server, name, password, scope=None):
    args = ["user", "add", name, "--password-stdin"]
    if scope is not None:
        args += ["--scope", scope]
    added = server.cli(*args, input=password + "\n")
    if added.returncode != 0:
        raise AssertionError("tessera %s: exit %s\n%s" % (" ".join(args), added.returncode,
                                                          added.stderr))


def basic_authorization(client_id, secret):
    """RFC 6749 section 2.3.1: the id and the secret each form-urlencoded, then Basic."""
    pair = urllib.parse.quote_plus(client_id, safe="") + ":" + urllib.parse.quote_plus(
        secret, safe="")
    return "Basic " + base64.b64encode(pair.encode()).decode()


def post_form(base, path, client, form, method=None):
    """POSTs `form` to `path`, the client authenticated by `method`:
    "basic" (client_secret_basic, the default for a confidential client), "post"
    (client_secret_post) or "none" (client_id alone, the default for a public client).
    client None sends no client at all."""
    form = {k: v for k, v in form.items() if v is not None}
    headers = {}
    if client is not None:
        method = method or ("none" if client.public else "basic")
        if method == "basic":
            headers["Authorization"] = basic_authorization(client.id, client.secret)
        elif method == "post":
            form.update(client_id=client.id, client_secret=client.secret)
        elif method == "none":
            form["client_id"] = client.id
        else:
            raise ValueError("unknown client authentication method %r" % method)
    return requests.post(base + path, data=form, headers=headers, timeout=HTTP_TIMEOUT)


def password_grant(base, client, username, password, method=None, **extra):
    return post_form(base, "/token", client,
                     dict(grant_type="password", username=username, password=password, **extra),
                     method)


def client_credentials(base, client, method=None, **extra):
    return post_form(base, "/token", client, dict(grant_type="client_credentials", **extra),
                     method)


def refresh(base, client, refresh_token, method=None, **extra):
    return post_form(base, "/token", client,
                     dict(grant_type="refresh_token", refresh_token=refresh_token, **extra),
                     method)


def introspect(base, client, token, method=None, **extra):
    return post_form(base, "/introspect", client, dict(token=token, **extra), method)


def revoke(base, client, token, method=None, **extra):
    return post_form(base, "/revoke", client, dict(token=token, **extra), method)


def assert_token_response(testcase, response, refresh_token=None, scope=None):
    """RFC 6749 section 5.1: 200, no-store, a bearer token. refresh_token True/False: a
    refresh token must / must not be in the answer. scope: the exact granted scope, compared
    as a set. Returns the body."""
    testcase.assertEqual(response.status_code, 200, response.text)
    testcase.assertEqual(response.headers.get("Cache-Control"), "no-store")
    testcase.assertEqual(response.headers.get("Pragma"), "no-cache")
    testcase.assertTrue(response.headers.get("Content-Type", "").startswith("application/json"))
    body = response.json()
    testcase.assertIsInstance(body.get("access_token"), str)
    testcase.assertEqual(body.get("token_type"), "bearer")
    testcase.assertIsInstance(body.get("expires_in"), int)
    testcase.assertIsInstance(body.get("scope"), str)
    if refresh_token is True:
        testcase.assertRegex(body.get("refresh_token", ""), REFRESH_TOKEN)
    elif refresh_token is False:
        testcase.assertNotIn("refresh_token", body)
    if scope is not None:
        testcase.assertEqual(set(body["scope"].split()), set(scope.split()), body["scope"])
        testcase.assertEqual(set(claims(body["access_token"])["scope"].split()),
                             set(scope.split()))
    return body


def assert_oauth_error(testcase, response, status, error):
    """RFC 6749 section 5.2: this status, a JSON body with this error and a description in
    the allowed characters, never cached; 401 with a Basic challenge (we only take Basic and
    form credentials), any other status without one. Returns the body."""
    body = harness.assert_json_error(testcase, response, status, error)
    testcase.assertEqual(response.headers.get("Cache-Control"), "no-store", response.headers)
    testcase.assertLessEqual(set(body), {"error", "error_description", "error_uri"}, body)
    testcase.assertIsInstance(body.get("error_description"), str, body)
    testcase.assertRegex(body["error_description"], ERROR_CHARS)
    challenge = response.headers.get("WWW-Authenticate")
    if status == 401:
        testcase.assertIsNotNone(challenge, "401 without WWW-Authenticate")
        testcase.assertTrue(challenge.startswith("Basic"), challenge)
        testcase.assertIn('realm="tessera"', challenge)
    else:
        testcase.assertIsNone(challenge, response.headers)
    return body


def claims(token):
    return harness.unverified(token)[1]


def introspection(testcase, base, client, token, method=None):
    """The 200 answer of /introspect, as JSON."""
    r = introspect(base, client, token, method)
    testcase.assertEqual(r.status_code, 200, r.text)
    testcase.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"))
    return r.json()


def assert_inactive(testcase, base, client, token, note=""):
    """RFC 7662 section 2.2: an inactive token is exactly {"active": false}."""
    testcase.assertEqual(introspection(testcase, base, client, token), INACTIVE, note)


def assert_active(testcase, base, client, token, token_type="bearer"):
    answer = introspection(testcase, base, client, token)
    testcase.assertIs(answer.get("active"), True, answer)
    testcase.assertEqual(answer.get("token_type"), token_type, answer)
    return answer


def me_status(base, token):
    return requests.get(base + "/users/me", headers=harness.bearer(token),
                        timeout=HTTP_TIMEOUT).status_code


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls `predicate` until it is true (returns its value) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("not within %.1fs: %s" % (timeout, what))
        time.sleep(interval)


def wait_until_refused(testcase, base, tokens, timeout=3.0):
    """Every access token in `tokens` gets 401 at /users/me within `timeout` seconds. The
    server learns revocations made by other processes (the CLI, another server on the same
    database) from the database once a second; its own take effect at once."""
    wait_for(lambda: all(me_status(base, t) == 401 for t in tokens), timeout,
             "/users/me refuses %d revoked access token(s)" % len(tokens))
    for token in tokens:
        r = requests.get(base + "/users/me", headers=harness.bearer(token), timeout=HTTP_TIMEOUT)
        testcase.assertEqual(r.status_code, 401, r.text)
        testcase.assertIn('error="invalid_token"', r.headers.get("WWW-Authenticate", ""))


def cli_error_lines(result):
    """The lines of a command's stderr that are not JSON log records."""
    return [line for line in result.stderr.splitlines()
            if line.strip() and not line.lstrip().startswith("{")]
