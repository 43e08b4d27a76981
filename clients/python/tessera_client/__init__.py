"""A small client for Tessera, the OAuth 2.0 token server: it gets access tokens by the
password or client_credentials grant, caches them, refreshes them before they expire, and
adds them to your requests (retrying once on 401). DeviceFlow signs a user in by the device
authorization grant (RFC 8628).

    from tessera_client import TesseraClient, TesseraError

    client = TesseraClient("http://127.0.0.1:8080", client_id="billing",
                           client_secret=os.environ["BILLING_SECRET"], scope="invoices:read")
    print(client.get("http://127.0.0.1:9000/invoices/42").json())

    flow = DeviceFlow("http://127.0.0.1:8080", client_id="tv")
    authorization = flow.start(scope="openid read")
    print("Open %s and enter %s" % (authorization.verification_uri, authorization.user_code))
    tokens = flow.poll(authorization)

With dpop=True (or a DpopKey) the tokens are DPoP-bound (RFC 9449) and every request carries
a proof of the key; DpopKey needs the `cryptography` package, the rest only `requests`.
"""

from .client import TesseraClient, TesseraError
from .device import DeviceAuthorization, DeviceFlow

__all__ = ["TesseraClient", "TesseraError", "DeviceAuthorization", "DeviceFlow", "DpopKey"]


def __getattr__(name):
    # PEP 562: DpopKey is imported on first use, so bearer-only users need no cryptography.
    if name == "DpopKey":
        from .dpop import DpopKey
        return DpopKey
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
