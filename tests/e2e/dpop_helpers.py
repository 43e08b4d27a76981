"""DPoP (RFC 9449) proofs made in the tests, with keys from `cryptography` and PyJWT, and the
RFC 7638 thumbprints computed independently of the server (test_dpop.py, test_finance_api.py).
"""

import base64
import hashlib
import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint_b64u(n, length=None):
    """An unsigned integer, big-endian (RFC 7518 section 2 Base64urlUInt)."""
    length = length or max(1, (n.bit_length() + 7) // 8)
    return b64u(n.to_bytes(length, "big"))


def thumbprint(jwk):
    """RFC 7638: SHA-256 over the required members only, sorted, no whitespace."""
    required = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y"),
                "RSA": ("e", "kty", "n")}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in required}, sort_keys=True,
                           separators=(",", ":"))
    return b64u(hashlib.sha256(canonical.encode()).digest())


def ath_of(access_token):
    return b64u(hashlib.sha256(access_token.encode("ascii")).digest())


class DpopKey:
    """A client's DPoP key pair for one of EdDSA (Ed25519), ES256 (P-256), RS256 or PS256
    (RSA-2048), and the proofs it signs."""

    def __init__(self, alg):
        self.alg = alg
        if alg == "EdDSA":
            self.private = ed25519.Ed25519PrivateKey.generate()
            raw = self.private.public_key().public_bytes(serialization.Encoding.Raw,
                                                         serialization.PublicFormat.Raw)
            self.jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
            raw_d = self.private.private_bytes(serialization.Encoding.Raw,
                                               serialization.PrivateFormat.Raw,
                                               serialization.NoEncryption())
            self.private_jwk = dict(self.jwk, d=b64u(raw_d))
        elif alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
            numbers = self.private.public_key().public_numbers()
            self.jwk = {"kty": "EC", "crv": "P-256", "x": uint_b64u(numbers.x, 32),
                        "y": uint_b64u(numbers.y, 32)}
            self.private_jwk = dict(
                self.jwk, d=uint_b64u(self.private.private_numbers().private_value, 32))
        elif alg in ("RS256", "PS256"):
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            numbers = self.private.public_key().public_numbers()
            self.jwk = {"kty": "RSA", "e": uint_b64u(numbers.e), "n": uint_b64u(numbers.n)}
            self.private_jwk = dict(self.jwk, d=uint_b64u(self.private.private_numbers().d))
        else:
            raise ValueError(alg)
        self.jkt = thumbprint(self.jwk)

    def claims(self, method, url, access_token=None, iat=None, jti=None):
        claims = {"jti": jti or uuid.uuid4().hex, "htm": method, "htu": url,
                  "iat": int(time.time()) if iat is None else iat}
        if access_token is not None:
            claims["ath"] = ath_of(access_token)
        return claims

    def proof(self, method, url, access_token=None, iat=None, jti=None, drop=(), extra=None,
              header=None, signer=None):
        """A DPoP proof JWT. drop: claims left out; extra: claims added or replaced;
        header: header members added or replaced (None removes typ); signer: another
        DpopKey whose private key signs (the header's jwk stays this key's)."""
        claims = self.claims(method, url, access_token, iat, jti)
        claims.update(extra or {})
        for name in drop:
            claims.pop(name, None)
        headers = {"typ": "dpop+jwt", "jwk": self.jwk}
        headers.update(header or {})
        signer = signer or self
        return jwt.encode(claims, signer.private, algorithm=signer.alg, headers=headers)
