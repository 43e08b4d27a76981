# Regenerates jwk_degenerate_keys.txt:
#   /usr/bin/python3 tests/data/jwk_degenerate_keys.py > tests/data/jwk_degenerate_keys.txt
# Public keys that parse as keys but under which a signature can be forged, for
# tests/jose/jwk_test.cc. Derived here from the curve's and RSA's arithmetic, not taken from
# the code under test:
# - Ed25519 (RFC 8032): the eight points of small order (orders 1, 2, 4 and 8), found by
#   solving for y(2P) = 0 and checked to satisfy [8]P = O, plus non-canonical encodings (x = 0
#   with the sign bit set, y >= p). A key among them verifies forged signatures.
# - RSA: a real 2048-bit modulus (Debian's python3-cryptography) with public exponents that
#   NIST SP 800-56B Rev. 2 section 6.2.1 rules out (1, 3, even, 2^256 + 1): with e = 1 the
#   signature of any message is its own padded digest.
import base64
import json

from cryptography.hazmat.primitives.asymmetric import rsa

P = 2**255 - 19
D = (-121665 * pow(121666, P - 2, P)) % P


def sqrt(a):
    # p = 5 (mod 8): the square root, if any (RFC 8032 section 5.1.3).
    a %= P
    x = pow(a, (P + 3) // 8, P)
    if (x * x - a) % P:
        x = x * pow(2, (P - 1) // 4, P) % P
    return x if (x * x - a) % P == 0 else None


def on_curve(x, y):
    return (-x * x + y * y - 1 - D * x * x * y * y) % P == 0


def add(p1, p2):
    (x1, y1), (x2, y2) = p1, p2
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + y1 * x2) * pow(1 + t, P - 2, P) % P,
            (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P)


def times(k, point):
    result = (0, 1)
    while k:
        if k & 1:
            result = add(result, point)
        point = add(point, point)
        k >>= 1
    return result


def encode(y, sign):
    return (y | sign << 255).to_bytes(32, "little")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def small_order_points():
    i = sqrt(-1)
    points = {(0, 1), (0, P - 1), (i, 0), (P - i, 0)}
    # y(2P) = 0 means y^2 = -x^2; on the curve, d x^4 - 2 x^2 - 1 = 0.
    r = sqrt(1 + D)
    for rr in (r, P - r):
        x = sqrt((1 + rr) * pow(D, P - 2, P))
        if x is None:
            continue
        for xx in (x, P - x):
            for yy in (i * xx % P, P - i * xx % P):
                if on_curve(xx, yy):
                    points.add((xx, yy))
    for point in points:
        assert on_curve(*point) and times(8, point) == (0, 1), point
    assert len(points) == 8
    return sorted(points)


print("# Public keys Tessera must refuse although they parse, for tests/jose/jwk_test.cc.")
print("# Produced by: /usr/bin/python3 tests/data/jwk_degenerate_keys.py (see there why).")
print("# Format: name=one-line JWK.")
for n, (x, y) in enumerate(small_order_points()):
    order = next(k for k in (1, 2, 4, 8) if times(k, (x, y)) == (0, 1))
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(encode(y, x & 1))}
    print("ed25519_order_%d_%d=%s" % (order, n, json.dumps(jwk, separators=(",", ":"))))
for name, raw in [("ed25519_x0_sign_y1", encode(1, 1)), ("ed25519_x0_sign_y_minus_1", encode(P - 1, 1)),
                  ("ed25519_y_is_p", encode(P, 0)), ("ed25519_y_is_p_plus_1", encode(P + 1, 0)),
                  ("ed25519_y_max", encode(2**255 - 1, 0))]:
    print("%s=%s" % (name, json.dumps({"kty": "OKP", "crv": "Ed25519", "x": b64(raw)},
                                       separators=(",", ":"))))
modulus = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key() \
    .public_numbers().n
for name, e in [("rsa_e_1", 1), ("rsa_e_3", 3), ("rsa_e_65536", 65536),
                ("rsa_e_65535", 65535), ("rsa_e_2_256_plus_1", 2**256 + 1)]:
    jwk = {"kty": "RSA", "alg": "RS256",
           "n": b64(modulus.to_bytes(256, "big")),
           "e": b64(e.to_bytes((e.bit_length() + 7) // 8, "big"))}
    print("%s=%s" % (name, json.dumps(jwk, separators=(",", ":"))))
