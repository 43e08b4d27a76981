"""DPoP (RFC 9449): a key pair the client keeps, and the proofs that show it holds the key.

    key = DpopKey.generate()                  # ES256 (P-256); DpopKey.generate("EdDSA") too
    key.thumbprint                            # RFC 7638, the cnf.jkt of tokens bound to it
    proof = key.proof("GET", "https://api.example.com/things?x=1", access_token=token)
    headers = {"Authorization": "DPoP " + token, "DPoP": proof}

Each proof is a fresh JWT (a random jti, iat now): make one per request. Needs the
`cryptography` package; the proofs are plain JWS, built here without a JWT library.
"""

import base64
import hashlib
import json
import secrets
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ALGORITHMS = ("ES256", "EdDSA")

# RFC 7638 section 3.2: the members a thumbprint hashes, per key type.
_THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"),
                       "RSA": ("e", "kty", "n")}


def b64url(data):
    """base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_thumbprint(jwk):
    """The RFC 7638 SHA-256 thumbprint of a public JWK (a dict), base64url: what a token bound
    to this key carries as cnf.jkt."""
    members = _THUMBPRINT_MEMBERS.get(jwk.get("kty"))
    if members is None:
        raise ValueError("no thumbprint for key type %r" % jwk.get("kty"))
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"),
                           sort_keys=True, ensure_ascii=False)
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def access_token_hash(access_token):
    """A proof's "ath" for this access token: base64url(SHA-256(token)) (RFC 9449 4.2)."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest())


def htu(url):
    """The "htu" of a request to `url`: the URL without its query and fragment."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class DpopKey:
    """A DPoP key pair: a P-256 key (alg ES256) or an Ed25519 key (alg EdDSA), from
    `cryptography`. The private key never leaves this object except through `private_key`
    (to store it, with cryptography's serialization, if you want to keep it across runs)."""

    def __init__(self, private_key):
        if isinstance(private_key, ec.EllipticCurvePrivateKey):
            if not isinstance(private_key.curve, ec.SECP256R1):
                raise ValueError("an EC DPoP key must be on P-256 (ES256)")
            numbers = private_key.public_key().public_numbers()
            self._alg = "ES256"
            self._jwk = {"kty": "EC", "crv": "P-256",
                         "x": b64url(numbers.x.to_bytes(32, "big")),
                         "y": b64url(numbers.y.to_bytes(32, "big"))}
        elif isinstance(private_key, ed25519.Ed25519PrivateKey):
            raw = private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                        serialization.PublicFormat.Raw)
            self._alg = "EdDSA"
            self._jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
        else:
            raise TypeError("a DPoP key is a P-256 or an Ed25519 private key")
        self._key = private_key
        self._thumbprint = jwk_thumbprint(self._jwk)

    @classmethod
    def generate(cls, alg="ES256"):
        """A new random key for `alg`: "ES256" (the default) or "EdDSA"."""
        if alg == "ES256":
            return cls(ec.generate_private_key(ec.SECP256R1()))
        if alg == "EdDSA":
            return cls(ed25519.Ed25519PrivateKey.generate())
        raise ValueError("alg must be one of %s" % ", ".join(ALGORITHMS))

    @property
    def alg(self):
        return self._alg

    @property
    def private_key(self):
        return self._key

    @property
    def public_jwk(self):
        """The public key as a JWK (a new dict each time), as proofs carry it."""
        return dict(self._jwk)

    @property
    def thumbprint(self):
        """RFC 7638 thumbprint of the public key: the cnf.jkt of tokens bound to it."""
        return self._thumbprint

    def proof(self, method, url, access_token=None, nonce=None, now=None):
        """A DPoP proof for one request: `method` ("GET", "POST"), the request's `url` (its
        query and fragment are left out of htu), `access_token` when the request carries one
        (the proof then has its hash, "ath"), a server-provided `nonce` if any. `now` is the
        iat (Unix seconds; the current time by default)."""
        header = {"typ": "dpop+jwt", "alg": self._alg, "jwk": self._jwk}
        claims = {"jti": secrets.token_urlsafe(24), "htm": method.upper(), "htu": htu(url),
                  "iat": int(time.time() if now is None else now)}
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        if nonce is not None:
            claims["nonce"] = nonce
        signing_input = (_segment(header) + "." + _segment(claims)).encode("ascii")
        return signing_input.decode("ascii") + "." + b64url(self._sign(signing_input))

    def _sign(self, data):
        if self._alg == "EdDSA":
            return self._key.sign(data)
        # RFC 7518 section 3.4: R and S, 32 bytes each, not the DER cryptography returns.
        r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def __repr__(self):
        return "DpopKey(%s, jkt=%s)" % (self._alg, self._thumbprint)


def _segment(obj):
    return b64url(json.dumps(obj, separators=(",", ":")).encode("utf-8"))
