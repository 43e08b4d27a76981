# Regenerates key_seal_known_answer.txt (deterministic: fixed secret, nonce and plaintext):
#   /usr/bin/python3 tests/data/key_seal_known_answer.py > tests/data/key_seal_known_answer.txt
# The sealed-key format of src/jose/key_seal.h computed by Debian 12's python3-cryptography,
# not by the code under test: KEK = HKDF-SHA256 (RFC 5869) of the secret with no salt (so
# HashLen zero bytes) and info "tessera signing-key encryption v1"; sealed =
# 0x01 || nonce || AES-256-GCM(KEK, nonce, plaintext, associated data) (ciphertext || tag).
# A change to the format makes keys already in databases unreadable, so it must show up here.
import datetime
import platform
import subprocess

import cryptography
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def debian_version(package):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                          capture_output=True, text=True, check=True).stdout


secret = b"tessera key-seal known-answer secret"
associated_data = b"kid-0123|EdDSA"
nonce = bytes(range(12))
plaintext = b"stands in for a PKCS#8 private key"
kek = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
           info=b"tessera signing-key encryption v1").derive(secret)
sealed = b"\x01" + nonce + AESGCM(kek).encrypt(nonce, plaintext, associated_data)

print("# A sealed value computed independently of src/jose/key_seal.cc, for")
print("# tests/jose/key_seal_test.cc. Produced by: /usr/bin/python3 tests/data/key_seal_known_answer.py")
print(f"# on {datetime.date.today()} with Python {platform.python_version()}, cryptography "
      f"{cryptography.__version__} (Debian python3-cryptography "
      f"{debian_version('python3-cryptography')}).")
print("# Format: name=value; secret, associated_data and plaintext as ASCII, the rest as hex.")
print("secret=" + secret.decode())
print("associated_data=" + associated_data.decode())
print("nonce=" + nonce.hex())
print("plaintext=" + plaintext.decode())
print("sealed=" + sealed.hex())
