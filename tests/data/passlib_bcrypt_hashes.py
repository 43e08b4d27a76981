# Regenerates passlib_bcrypt_hashes.txt (new random salts each run):
#   /usr/bin/python3 tests/data/passlib_bcrypt_hashes.py > tests/data/passlib_bcrypt_hashes.txt
# Uses Debian 12's python3-passlib (the seed's library) and python3-bcrypt, so the hashes are
# exactly what the seed's users have in their database.
import datetime
import platform
import subprocess

import bcrypt as pybcrypt
import passlib
from passlib.hash import bcrypt as passlib_bcrypt


def debian_version(package):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                          capture_output=True, text=True, check=True).stdout


LONG_PASSWORD = "0123456789" * 8  # 80 bytes: bcrypt only ever reads the first 72

CASES = [
    ("passlib", passlib_bcrypt.using(rounds=4), "correct horse battery staple"),
    ("passlib", passlib_bcrypt.using(rounds=4), ""),
    ("passlib", passlib_bcrypt.using(rounds=4, ident="2a"), "hunter2"),
    ("passlib", passlib_bcrypt.using(rounds=4, ident="2y"), "p\u00e4ssw\u00f6rd \u2713"),
    ("passlib", passlib_bcrypt.using(rounds=4), LONG_PASSWORD),
    # The seed's CryptContext(schemes=["bcrypt"]) uses passlib's default: $2b$, cost 12.
    ("passlib", passlib_bcrypt, "seed admin password"),
]

rows = []
for source, handler, password in CASES:
    hashed = handler.hash(password)
    assert handler.verify(password, hashed)
    rows.append((source, password, hashed))

# passlib (truncate_error=False, its default) agrees that only the first 72 bytes count.
long_hash = rows[4][2]
assert passlib_bcrypt.verify(LONG_PASSWORD[:72], long_hash)
assert passlib_bcrypt.verify(LONG_PASSWORD[:72] + "X", long_hash)
assert not passlib_bcrypt.verify(LONG_PASSWORD[:71], long_hash)

for prefix, password in ((b"2b", "Tr0ub4dor&3"), (b"2a", "letmein")):
    hashed = pybcrypt.hashpw(password.encode(), pybcrypt.gensalt(rounds=4, prefix=prefix))
    assert pybcrypt.checkpw(password.encode(), hashed)
    rows.append(("python3-bcrypt", password, hashed.decode()))

print("# bcrypt hashes written by the seed's libraries, for tests/password/password_hasher_test.cc.")
print("# Produced by: /usr/bin/python3 tests/data/passlib_bcrypt_hashes.py")
print(f"# on {datetime.date.today().isoformat()} with Python {platform.python_version()}, "
      f"passlib {passlib.__version__} (Debian python3-passlib {debian_version('python3-passlib')}, "
      f"backend {passlib_bcrypt.get_backend()}), "
      f"bcrypt {pybcrypt.__version__} (Debian python3-bcrypt {debian_version('python3-bcrypt')}).")
print("# Format: one hash a line, three tab-separated fields: library, password (UTF-8), hash.")
print("# The 80-byte password checks bcrypt's 72-byte truncation; passlib agrees (the script asserts it).")
for source, password, hashed in rows:
    assert "\t" not in password and "\n" not in password
    print(f"{source}\t{password}\t{hashed}")
