"""A small client for Tessera, the OAuth 2.0 token server: it gets access tokens by the
password or client_credentials grant, caches them, refreshes them before they expire, and
adds them to your requests (retrying once on 401).

    from tessera_client import TesseraClient, TesseraError

    client = TesseraClient("http://127.0.0.1:8080", client_id="billing",
                           client_secret=os.environ["BILLING_SECRET"], scope="invoices:read")
    print(client.get("http://127.0.0.1:9000/invoices/42").json())
"""

from .client import TesseraClient, TesseraError

__all__ = ["TesseraClient", "TesseraError"]
