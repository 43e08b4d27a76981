"""DpopKey and its proofs: the RFC vectors for thumbprints and ath, and proofs checked by
PyJWT (Debian's python3-jwt), code the library does not use.

    python3 -m unittest discover -s clients/python/tests
"""

import base64
import hashlib
import json
import os
import sys
import time
import unittest

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tessera_client import DpopKey  # noqa: E402
from tessera_client.dpop import access_token_hash, jwk_thumbprint  # noqa: E402

# RFC 7638 section 3.1: the example RSA key and its thumbprint.
RFC7638_JWK = {
    "kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
         "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
         "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI"
         "4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
# RFC 8037 appendices A.1-A.3: an Ed25519 key and the thumbprint of its public half.
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
# RFC 7515 appendix A.3: a P-256 key.
RFC7515_EC = {"x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
              "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
              "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}
# RFC 9449 section 7.1: an access token and the ath of a proof that goes with it.
RFC9449_TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
RFC9449_ATH = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def decoded(proof):
    """(header, claims, signature bytes) of a compact JWS, without checking anything."""
    header, claims, signature = proof.split(".")
    return json.loads(unb64(header)), json.loads(unb64(claims)), unb64(signature)


class Vectors(unittest.TestCase):
    def test_rfc7638_thumbprint(self):
        self.assertEqual(jwk_thumbprint(RFC7638_JWK), RFC7638_THUMBPRINT)

    def test_rfc8037_ed25519_key_and_thumbprint(self):
        key = DpopKey(ed25519.Ed25519PrivateKey.from_private_bytes(unb64(RFC8037_D)))
        self.assertEqual(key.public_jwk, {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X})
        self.assertEqual(key.thumbprint, RFC8037_THUMBPRINT)
        self.assertEqual(key.alg, "EdDSA")

    def test_rfc7515_p256_key_and_its_thumbprint(self):
        d = int.from_bytes(unb64(RFC7515_EC["d"]), "big")
        key = DpopKey(ec.derive_private_key(d, ec.SECP256R1()))
        self.assertEqual(key.public_jwk, {"kty": "EC", "crv": "P-256",
                                          "x": RFC7515_EC["x"], "y": RFC7515_EC["y"]})
        canonical = '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' % (RFC7515_EC["x"],
                                                                      RFC7515_EC["y"])
        digest = hashlib.sha256(canonical.encode()).digest()
        self.assertEqual(key.thumbprint, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())

    def test_rfc9449_ath(self):
        self.assertEqual(access_token_hash(RFC9449_TOKEN), RFC9449_ATH)


class Proofs(unittest.TestCase):
    def test_proofs_of_both_algorithms_verify_with_pyjwt(self):
        for alg in ("ES256", "EdDSA"):
            with self.subTest(alg):
                key = DpopKey.generate(alg)
                proof = key.proof("POST", "https://as.example/token")
                header = jwt.get_unverified_header(proof)
                self.assertEqual(set(header), {"typ", "alg", "jwk"})
                self.assertEqual((header["typ"], header["alg"]), ("dpop+jwt", alg))
                self.assertEqual(header["jwk"], key.public_jwk)
                self.assertFalse(PRIVATE_MEMBERS & set(header["jwk"]))
                claims = jwt.decode(proof, jwt.PyJWK(header["jwk"]).key, algorithms=[alg])
                self.assertEqual(set(claims), {"jti", "htm", "htu", "iat"})
                self.assertEqual((claims["htm"], claims["htu"]),
                                 ("POST", "https://as.example/token"))
                self.assertLessEqual(abs(claims["iat"] - time.time()), 5)

    def test_es256_signatures_are_r_and_s_not_der(self):
        _, _, signature = decoded(DpopKey.generate().proof("GET", "http://x/"))
        self.assertEqual(len(signature), 64)

    def test_htu_has_no_query_or_fragment_and_ath_nonce_only_when_given(self):
        key = DpopKey.generate()
        _, claims, _ = decoded(key.proof("get", "https://rs.example/a/b?c=d#e",
                                         access_token=RFC9449_TOKEN, nonce="n-1", now=1000))
        self.assertEqual(claims["htu"], "https://rs.example/a/b")
        self.assertEqual(claims["htm"], "GET")
        self.assertEqual((claims["ath"], claims["nonce"], claims["iat"]),
                         (RFC9449_ATH, "n-1", 1000))

    def test_every_proof_has_its_own_jti(self):
        key = DpopKey.generate()
        jtis = {decoded(key.proof("GET", "http://x/"))[1]["jti"] for _ in range(50)}
        self.assertEqual(len(jtis), 50)

    def test_keys_other_than_p256_and_ed25519_are_refused(self):
        with self.assertRaises(ValueError):
            DpopKey(ec.generate_private_key(ec.SECP384R1()))
        with self.assertRaises(TypeError):
            DpopKey("not a key")
        with self.assertRaises(ValueError):
            DpopKey.generate("RS256")


if __name__ == "__main__":
    unittest.main()
