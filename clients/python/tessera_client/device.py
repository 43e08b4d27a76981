"""The device authorization grant (RFC 8628): a device without a browser (a TV, a CLI over SSH)
gets a short user code, the user approves it in a browser elsewhere, and the device, polling
the token endpoint meanwhile, gets the tokens.

    flow = DeviceFlow("http://127.0.0.1:8080", client_id="tv")   # the issuer: discovery
    authorization = flow.start(scope="openid profile read")
    print("Open %s and enter %s" % (authorization.verification_uri, authorization.user_code))
    tokens = flow.poll(authorization)     # waits; TesseraError access_denied, expired_token, ...
    requests.get(url, headers={"Authorization": "Bearer " + tokens["access_token"]})
"""

import dataclasses
import time
from typing import Optional

from .client import (AUTH_METHODS, TesseraError, _HttpSession, _json_object, client_auth, discover,
                     oauth_error, token_response)

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5  # RFC 8628 section 3.2: the interval when the answer names none
SLOW_DOWN_STEP = 5    # RFC 8628 section 3.5: what each slow_down adds to the interval


@dataclasses.dataclass(frozen=True)
class DeviceAuthorization:
    """The device authorization endpoint's answer (RFC 8628 section 3.2). Show the user
    `verification_uri` and `user_code`, or `verification_uri_complete` (None when the server
    sent none), which carries the code; `device_code` is for DeviceFlow.poll only.
    `expires_at` is the DeviceFlow clock's value at which the codes lapse."""

    device_code: str = dataclasses.field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: Optional[str]
    expires_in: int
    interval: int
    expires_at: float = dataclasses.field(repr=False)


class DeviceFlow(_HttpSession):
    """Signs a user in by the device authorization grant, for one client.

    `issuer`'s RFC 8414 metadata names the device_authorization_endpoint and the
    token_endpoint (read once, at the first request). A public client gives only `client_id`;
    a confidential one authenticates as TesseraClient does (`client_secret`, `auth_method`).

    poll() waits `interval` seconds before each poll of the token endpoint, adds 5 seconds to
    it for this and every later poll after a slow_down, and ends with the tokens, with the
    server's error (access_denied, expired_token, ...) as a TesseraError, or, once the codes'
    expires_in has run out on `clock` while still pending, with TesseraError expired_token
    and status None. Network errors are requests' exceptions and end the polling too.
    `clock` and `sleep` are for tests. A context manager that closes its HTTP session.
    """

    def __init__(self, issuer, *, client_id, client_secret=None,
                 auth_method="client_secret_basic", session=None, timeout=10,
                 clock=time.monotonic, sleep=time.sleep):
        if auth_method not in AUTH_METHODS:
            raise ValueError("auth_method must be one of %s" % ", ".join(AUTH_METHODS))
        if not client_id:
            raise ValueError("the device flow needs a client_id")
        self._issuer = issuer
        self._client_id = client_id
        self._client_secret = client_secret
        self._auth_method = auth_method
        _HttpSession.__init__(self, session)
        self._timeout = timeout
        self._clock = clock
        self._sleep = sleep
        self._metadata = None

    def start(self, scope=None):
        """Asks for a device code and a user code (RFC 8628 section 3.1), for `scope` (a
        space-separated string) or, without one, the client's default scopes. Returns a
        DeviceAuthorization; raises TesseraError."""
        form = {} if scope is None else {"scope": scope}
        r = self._post("device_authorization_endpoint", form)
        body = _json_object(r)
        if r.status_code != 200:
            raise oauth_error(r, body, "the device authorization endpoint")
        interval = body.get("interval", DEFAULT_INTERVAL)
        complete = body.get("verification_uri_complete")
        if (not all(isinstance(body.get(name), str)
                    for name in ("device_code", "user_code", "verification_uri"))
                or not _seconds(body.get("expires_in")) or not _seconds(interval, zero=True)
                or not isinstance(complete, (str, type(None)))):
            raise TesseraError("invalid_response", "malformed device authorization response",
                               r.status_code)
        return DeviceAuthorization(
            device_code=body["device_code"], user_code=body["user_code"],
            verification_uri=body["verification_uri"], verification_uri_complete=complete,
            expires_in=body["expires_in"], interval=interval,
            expires_at=self._clock() + body["expires_in"])

    def poll(self, authorization):
        """Polls the token endpoint until the user has answered (RFC 8628 section 3.4-3.5).
        Returns the token response (a dict: access_token, token_type, expires_in, scope and
        maybe refresh_token and id_token); raises TesseraError."""
        interval = authorization.interval
        while True:
            self._sleep(interval)
            if self._clock() >= authorization.expires_at:
                raise TesseraError("expired_token", "the code expired before it was approved")
            try:
                return token_response(self._post(
                    "token_endpoint",
                    {"grant_type": GRANT_TYPE, "device_code": authorization.device_code}))
            except TesseraError as e:
                if e.error == "slow_down":
                    interval += SLOW_DOWN_STEP
                elif e.error != "authorization_pending":
                    raise

    def _post(self, endpoint, form):
        if self._metadata is None:
            self._metadata = discover(self._session, self._issuer,
                                      "device_authorization_endpoint", self._timeout)
        if not isinstance(self._metadata.get(endpoint), str):
            raise TesseraError("invalid_response", "no %s in the metadata" % endpoint)
        auth = client_auth(form, self._client_id, self._client_secret, self._auth_method)
        return self._session.post(self._metadata[endpoint], data=form, auth=auth,
                                  headers={"Accept": "application/json"},
                                  timeout=self._timeout)


def _seconds(value, zero=False):
    """Whether `value` is a whole number of seconds (> 0, or >= 0 with `zero`)."""
    return (isinstance(value, int) and not isinstance(value, bool)
            and (value >= 0 if zero else value > 0))
