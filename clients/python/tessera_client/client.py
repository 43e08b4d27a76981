"""TesseraClient: gets OAuth 2.0 access tokens from Tessera, keeps them fresh, and sends them.

    client = TesseraClient("http://127.0.0.1:8080",            # an issuer: discovery finds /token
                           client_id="billing", client_secret=secret, scope="invoices:read")
    r = client.get("http://127.0.0.1:9000/invoices/42")     # Authorization: Bearer ... added
    r.raise_for_status()

    user = TesseraClient("http://127.0.0.1:8080/token", username="alice", password=pw)
    requests.get(url, headers=user.auth_header())

    bound = TesseraClient("http://127.0.0.1:8080", client_id="billing", client_secret=secret,
                          dpop=True)                    # DPoP-bound tokens (RFC 9449)
    bound.get(url)                                      # Authorization: DPoP ..., DPoP: proof
    requests.get(url, headers=bound.auth_header("GET", url))
"""

import threading
import time
import urllib.parse

import requests

DISCOVERY_PATH = "/.well-known/oauth-authorization-server"
DEFAULT_PUBLIC_CLIENT = "default"
AUTH_METHODS = ("client_secret_basic", "client_secret_post")


class TesseraError(Exception):
    """A token request failed. `error` is the RFC 6749 section 5.2 code (invalid_grant,
    invalid_client, ...) or "invalid_response" when the answer was not OAuth JSON;
    `description` the server's error_description; `status` the HTTP status, None when the
    client itself gave up (a device code that expired while polling)."""

    def __init__(self, error, description=None, status=None):
        message = "%s: %s" % (error, description) if description else error
        super().__init__(message if status is None else "%s (HTTP %s)" % (message, status))
        self.error = error
        self.description = description
        self.status = status


class _HttpSession:
    """The requests.Session a client talks through: the caller's, or one of its own that
    close() (or leaving a `with` block) closes."""

    def __init__(self, session):
        self._own_session = session is None
        self._session = session or requests.Session()

    def close(self):
        """Closes the HTTP session the client made (not one it was given)."""
        if self._own_session:
            self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class TesseraClient(_HttpSession):
    """Fetches, caches and refreshes one access token, and adds it to requests.

    `url` is either the token endpoint (a URL ending in /token) or the issuer, whose
    RFC 8414 metadata names the token endpoint (read once, at the first token request).

    The grant follows from the credentials:
    - username + password: the password grant, as `client_id` (a public client, or a
      confidential one with `client_secret`); without a client_id, the built-in public
      client "default".
    - client_id + client_secret alone: the client_credentials grant.
    A confidential client authenticates by `auth_method`: "client_secret_basic" (HTTP Basic,
    the default) or "client_secret_post" (in the form).

    The token is renewed `refresh_margin` seconds before its expires_in runs out: with the
    refresh_token grant when the server issued a refresh token (keeping the rotated one it
    returns), else by the original grant, which is also the fallback when the refresh token
    is refused (invalid_grant). Safe to share between threads; a context manager that closes
    its HTTP session. `timeout` (seconds) applies to every request unless one gives its own;
    `clock` is for tests.

    `dpop` asks for DPoP-bound tokens (RFC 9449): True for a new ES256 key, or a
    tessera_client.DpopKey (needs the `cryptography` package). Every token request, refresh
    included, then sends a proof made with the key, and a token the server answers with
    token_type DPoP is sent as `Authorization: DPoP <token>` with a fresh proof (htm, htu and
    ath) in a `DPoP` header. A token the server issued as Bearer is still sent as Bearer.
    """

    def __init__(self, url, *, client_id=None, client_secret=None, username=None,
                 password=None, scope=None, auth_method="client_secret_basic",
                 refresh_margin=30, session=None, timeout=10, clock=time.monotonic,
                 dpop=None):
        if auth_method not in AUTH_METHODS:
            raise ValueError("auth_method must be one of %s" % ", ".join(AUTH_METHODS))
        if (username is None) != (password is None):
            raise ValueError("username and password go together")
        if client_secret is not None and client_id is None:
            raise ValueError("a client_secret needs its client_id")
        if username is None and (client_id is None or client_secret is None):
            raise ValueError("give username and password, or client_id and client_secret")
        if username is not None and client_id is None:
            client_id = DEFAULT_PUBLIC_CLIENT
        self._dpop = _dpop_key(dpop)
        self._url = url
        self._token_url = url if urllib.parse.urlsplit(url).path.endswith("/token") else None
        self._client_id = client_id
        self._client_secret = client_secret
        self._username = username
        self._password = password
        self._scope = scope
        self._auth_method = auth_method
        self._refresh_margin = refresh_margin
        _HttpSession.__init__(self, session)
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._access_token = None
        self._token_type = None  # "Bearer" or "DPoP", the scheme self._access_token goes in
        self._renew_at = None  # clock() value from which the token is renewed; None: never
        self._refresh_token = None

    @property
    def token_url(self):
        """The token endpoint; reads the issuer's metadata the first time if need be."""
        with self._lock:
            return self._token_endpoint()

    @property
    def dpop_key(self):
        """The DpopKey tokens are bound to, or None when the client asks for bearer tokens."""
        return self._dpop

    @property
    def token_type(self):
        """"Bearer" or "DPoP": how the cached access token is sent; None before the first."""
        with self._lock:
            return self._token_type

    def access_token(self):
        """A current access token: the cached one, or a new one when it is due."""
        return self._current()[0]

    def auth_header(self, method=None, url=None):
        """The headers that authorize one request, to merge into its headers: for a bearer
        token {"Authorization": "Bearer <access token>"}; for a DPoP-bound token
        {"Authorization": "DPoP <access token>", "DPoP": <proof>}, whose proof is for this
        `method` and `url` only and may be sent once (so both are required then)."""
        return self._authorization(method, url, *self._current())

    def invalidate(self, token=None):
        """Forgets the cached access token (only if it is still `token`, when given), so the
        next call renews it. The refresh token is kept."""
        with self._lock:
            if token is None or token == self._access_token:
                self._access_token = None

    def request(self, method, url, **kwargs):
        """requests.Session.request with the access token added (as Bearer, or as DPoP with
        a fresh proof). On a 401 the request is sent once more with a renewed token (never
        more), so the body must be replayable (bytes, str, dict, json=...). Returns the
        requests.Response; raises TesseraError when no token can be had."""
        kwargs.setdefault("timeout", self._timeout)
        headers = dict(kwargs.pop("headers", None) or {})
        token, token_type = self._current()
        response = self._session.request(
            method, url, headers={**headers, **self._authorization(method, url, token,
                                                                     token_type)}, **kwargs)
        if response.status_code != 401:
            return response
        response.close()
        self.invalidate(token)
        return self._session.request(
            method, url, headers={**headers, **self.auth_header(method, url)}, **kwargs)

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)

    def _current(self):
        """(access token, token type), renewed first when due."""
        with self._lock:
            if self._access_token is None or (
                    self._renew_at is not None and self._clock() >= self._renew_at):
                self._renew()
            return self._access_token, self._token_type

    def _authorization(self, method, url, token, token_type):
        if token_type != "DPoP":
            return {"Authorization": "Bearer " + token}
        if method is None or url is None:
            raise ValueError("a DPoP-bound token is sent with a proof for the request's "
                             "method and url: give both")
        return {"Authorization": "DPoP " + token,
                "DPoP": self._dpop.proof(method, url, access_token=token)}

    # --- with self._lock held ------------------------------------------------------------

    def _renew(self):
        if self._refresh_token is not None:
            try:
                return self._store(self._token_request(
                    {"grant_type": "refresh_token", "refresh_token": self._refresh_token}),
                    refreshed=True)
            except TesseraError as e:
                if e.error != "invalid_grant":
                    raise
                self._refresh_token = None  # expired, revoked or rotated away: start over
        if self._username is not None:
            form = {"grant_type": "password", "username": self._username,
                    "password": self._password}
        else:
            form = {"grant_type": "client_credentials"}
        if self._scope is not None:
            form["scope"] = self._scope
        self._store(self._token_request(form), refreshed=False)

    def _store(self, body, refreshed):
        self._access_token = body["access_token"]
        # RFC 9449 section 5: the server says whether it bound the token to the key.
        self._token_type = ("DPoP" if self._dpop is not None
                            and str(body.get("token_type", "")).lower() == "dpop" else "Bearer")
        expires_in = body.get("expires_in")
        self._renew_at = (None if expires_in is None
                          else self._clock() + expires_in - self._refresh_margin)
        # RFC 6749 section 6: a refresh answer without a refresh token leaves the old one valid.
        if "refresh_token" in body or not refreshed:
            self._refresh_token = body.get("refresh_token")

    def _token_request(self, form):
        auth = client_auth(form, self._client_id, self._client_secret, self._auth_method)
        token_endpoint = self._token_endpoint()
        headers = {"Accept": "application/json"}
        if self._dpop is not None:
            headers["DPoP"] = self._dpop.proof("POST", token_endpoint)
        r = self._session.post(token_endpoint, data=form, auth=auth, headers=headers,
                               timeout=self._timeout)
        return token_response(r)

    def _token_endpoint(self):
        if self._token_url is None:
            self._token_url = self._discover()
        return self._token_url

    def _discover(self):
        return discover(self._session, self._url, "token_endpoint", self._timeout)["token_endpoint"]


def _dpop_key(dpop):
    """The DpopKey for the constructor's `dpop` argument (None, False, True or a DpopKey)."""
    if dpop is None or dpop is False:
        return None
    from .dpop import DpopKey  # only DPoP needs the cryptography package
    if dpop is True:
        return DpopKey.generate()
    if isinstance(dpop, DpopKey):
        return dpop
    raise TypeError("dpop must be True or a DpopKey")


def _json_object(response):
    """The response's JSON object, or {} when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# --- shared with device.py -----------------------------------------------------------------

def client_auth(form, client_id, client_secret, auth_method):
    """Adds the client to a request's `form` and returns the requests `auth` to send with it:
    a public client names itself in the form; a confidential one uses HTTP Basic (the auth
    returned) or, for client_secret_post, the form."""
    if client_secret is None:
        form["client_id"] = client_id
        return None
    if auth_method == "client_secret_post":
        form.update(client_id=client_id, client_secret=client_secret)
        return None
    # RFC 6749 section 2.3.1: each part form-urlencoded before Basic.
    return (urllib.parse.quote_plus(client_id), urllib.parse.quote_plus(client_secret))


def token_response(r):
    """The token endpoint's successful answer (a dict with a string access_token), else the
    TesseraError it stands for."""
    body = _json_object(r)
    if r.status_code == 200 and isinstance(body.get("access_token"), str):
        if (not isinstance(body.get("expires_in", 0), (int, float))
                or not isinstance(body.get("refresh_token", ""), str)):
            raise TesseraError("invalid_response", "malformed token response", 200)
        return body
    raise oauth_error(r, body, "the token endpoint")


def oauth_error(r, body, endpoint):
    """The TesseraError for a failed answer `r` (whose JSON object is `body`) of `endpoint`."""
    if isinstance(body.get("error"), str):
        return TesseraError(body["error"], body.get("error_description"), r.status_code)
    return TesseraError("invalid_response", "%s answered HTTP %d without an OAuth body"
                        % (endpoint, r.status_code), r.status_code)


def discover(session, url, endpoint, timeout):
    """The issuer `url`'s RFC 8414 metadata, which must name `endpoint` (a member such as
    "token_endpoint"): a dict, or TesseraError invalid_response."""
    # RFC 8414 section 3: the well-known path goes between the host and the issuer's path.
    issuer = url.rstrip("/")
    parts = urllib.parse.urlsplit(issuer)
    metadata_url = urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, DISCOVERY_PATH + parts.path, "", ""))
    r = session.get(metadata_url, timeout=timeout)
    metadata = _json_object(r)
    if r.status_code != 200 or not isinstance(metadata.get(endpoint), str):
        raise TesseraError("invalid_response", "no %s in %s" % (endpoint, metadata_url),
                           r.status_code)
    # RFC 8414 section 3.3: the metadata must name the issuer it was asked about.
    if metadata.get("issuer") != issuer:
        raise TesseraError("invalid_response", "%s names issuer %r, not %r"
                           % (metadata_url, metadata.get("issuer"), issuer), r.status_code)
    return metadata
