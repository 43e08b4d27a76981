# Regenerates jwk_unsupported_keys.txt (new random keys each run):
#   /usr/bin/python3 tests/data/jwk_unsupported_keys.py > tests/data/jwk_unsupported_keys.txt
# Keys Tessera must refuse, made by Debian 12's python3-cryptography rather than by the code
# under test: an Ed448 and a P-384 key (curves Tessera does not support) and a 1024-bit RSA
# key (under the 2048 bits RFC 7518 section 3.3 requires).
import base64
import datetime
import json
import platform
import subprocess

import cryptography
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64_int(value, width=None):
    width = width or (value.bit_length() + 7) // 8
    return b64(value.to_bytes(width, "big"))


def pkcs8(key):
    return b64(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()))


def debian_version(package):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                          capture_output=True, text=True, check=True).stdout


ed = ed448.Ed448PrivateKey.generate()
ed_x = ed.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
p384 = ec.generate_private_key(ec.SECP384R1())
p384_pub = p384.public_key().public_numbers()
rsa1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024)
n = rsa1024.private_numbers()

print("# Keys of types and sizes Tessera refuses, for tests/jose/jwk_test.cc.")
print("# Produced by: /usr/bin/python3 tests/data/jwk_unsupported_keys.py")
print(f"# on {datetime.date.today()} with Python {platform.python_version()}, cryptography "
      f"{cryptography.__version__} (Debian python3-cryptography "
      f"{debian_version('python3-cryptography')}).")
print("# Format: name=value; JWKs are one-line JSON, *_pkcs8 is base64url of PKCS#8 DER.")
print("ed448_public_jwk=" + json.dumps({"kty": "OKP", "crv": "Ed448", "x": b64(ed_x)},
                                       separators=(",", ":")))
print("p384_public_jwk=" + json.dumps(
    {"kty": "EC", "crv": "P-384", "x": b64_int(p384_pub.x, 48), "y": b64_int(p384_pub.y, 48)},
    separators=(",", ":")))
print("p384_pkcs8=" + pkcs8(p384))
print("ed448_pkcs8=" + pkcs8(ed))
print("rsa1024_private_jwk=" + json.dumps(
    {"kty": "RSA", "alg": "RS256", "n": b64_int(n.public_numbers.n),
     "e": b64_int(n.public_numbers.e), "d": b64_int(n.d), "p": b64_int(n.p), "q": b64_int(n.q),
     "dp": b64_int(n.dmp1), "dq": b64_int(n.dmq1), "qi": b64_int(n.iqmp)},
    separators=(",", ":")))
print("rsa1024_pkcs8=" + pkcs8(rsa1024))
