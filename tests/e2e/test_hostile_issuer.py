"""The finance API (tessera::verify) in front of an issuer whose JWKS someone has planted keys
in: an Ed25519 point of small order and an RSA key with e = 1, under which a "signature" can be
made without any private key. The API must refuse tokens forged so, and keep taking tokens
of the sound key beside them. The keys come from tests/data/jwk_degenerate_keys.txt, derived
by tests/data/jwk_degenerate_keys.py; the sound key is made by Debian's python3-cryptography.
"""

import base64
import hashlib
import http.server
import json
import os
import threading
import time
import unittest

from cryptography.hazmat.primitives.asymmetric import ed25519

import harness
from finance_helpers import AUDIENCE, KNOWN, SCOPE, FinanceApi

DATA = os.path.join(harness.SOURCE_DIR, "tests", "data", "jwk_degenerate_keys.txt")


def b64(data):
    if isinstance(data, dict):
        data = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def degenerate_keys():
    keys = {}
    with open(DATA, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, _, jwk = line.rstrip("\n").partition("=")
                keys[name] = json.loads(jwk)
    return keys


class HostileIssuer:
    """RFC 8414 metadata and a JWKS on 127.0.0.1, served from a thread."""

    def __init__(self, keys):
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/oauth-authorization-server":
                    body = {"issuer": issuer.base, "jwks_uri": issuer.base + "/jwks"}
                elif self.path == "/jwks":
                    body = {"keys": keys}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class FinanceApiBehindAHostileJwks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        degenerate = degenerate_keys()
        cls.sound = ed25519.Ed25519PrivateKey.generate()
        from cryptography.hazmat.primitives import serialization
        raw = cls.sound.public_key().public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw)
        keys = [{"kty": "OKP", "crv": "Ed25519", "x": b64(raw), "kid": "sound", "alg": "EdDSA"},
                dict(degenerate["ed25519_order_1_0"], kid="small-order"),
                dict(degenerate["rsa_e_1"], kid="e-one")]
        cls.issuer = HostileIssuer(keys)
        cls.addClassCleanup(cls.issuer.close)
        cls.api = FinanceApi.start(cls.issuer.base, FINANCE_AUDIENCE=AUDIENCE)
        cls.addClassCleanup(cls.api.close)

    def claims(self):
        now = int(time.time())
        return {"iss": self.issuer.base, "sub": "mallory", "aud": AUDIENCE, "client_id": "x",
                "scope": SCOPE, "iat": now, "exp": now + 300, "jti": "forged-%d" % now}

    def signing_input(self, alg, kid):
        return b64({"alg": alg, "typ": "at+jwt", "kid": kid}) + "." + b64(self.claims())

    def test_a_token_of_the_sound_key_is_served(self):
        signing_input = self.signing_input("EdDSA", "sound")
        token = signing_input + "." + b64(self.sound.sign(signing_input.encode()))
        r = self.api.get_company(KNOWN, token)
        self.assertEqual(r.status_code, 200, r.text)

    def test_a_token_forged_under_a_small_order_ed25519_key_is_refused(self):
        # With A the identity point, R = the identity and S = 0 pass [S]B = R + [k]A.
        token = self.signing_input("EdDSA", "small-order") + "." + b64(b"\x01" + bytes(63))
        r = self.api.get_company(KNOWN, token)
        self.assertEqual(r.status_code, 401, r.text)
        self.assertIn('error="invalid_token"', r.headers.get("WWW-Authenticate", ""))

    def test_a_token_forged_under_an_rsa_key_with_e_1_is_refused(self):
        # s^1 mod n = s: the PKCS#1 v1.5 encoding of the digest is its own signature.
        signing_input = self.signing_input("RS256", "e-one")
        digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + \
            hashlib.sha256(signing_input.encode()).digest()
        encoded = b"\x00\x01" + b"\xff" * (256 - 3 - len(digest_info)) + b"\x00" + digest_info
        r = self.api.get_company(KNOWN, signing_input + "." + b64(encoded))
        self.assertEqual(r.status_code, 401, r.text)


if __name__ == "__main__":
    unittest.main()
