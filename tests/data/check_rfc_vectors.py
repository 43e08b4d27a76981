# Checks the RFC vectors in this directory with code other than Tessera's (Debian 12's
# python3-cryptography and hashlib), as their notes describe:
#   /usr/bin/python3 tests/data/check_rfc_vectors.py
# rfc7515_a2.txt, rfc7515_a3.txt, rfc7515_a5.txt, rfc8037_a.txt, rfc7638_s3_1.txt.
import base64, hashlib, json, math, os
from cryptography.hazmat.primitives.asymmetric import rsa, padding, ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives import hashes, serialization
D=os.path.dirname(os.path.abspath(__file__))+"/"
def load(f):
    v={}
    for l in open(D+f):
        l=l.rstrip("\n")
        if not l or l.startswith("#"): continue
        k,_,x=l.partition("="); v[k]=x
    return v
def d(s): return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
def e(b): return base64.urlsafe_b64encode(b).rstrip(b'=').decode()
def i(s): return int.from_bytes(d(s),'big')
a2=load("rfc7515_a2.txt"); j=json.loads(a2["jwk"])
n,E,Dd,p,q,dp,dq,qi=(i(j[k]) for k in "n e d p q dp dq qi".split())
lam=(p-1)*(q-1)//math.gcd(p-1,q-1)
assert n==p*q and n.bit_length()==2048 and E*Dd%lam==1 and dp==Dd%(p-1) and dq==Dd%(q-1) and qi*q%p==1
k=rsa.RSAPrivateNumbers(p,q,Dd,dp,dq,qi,rsa.RSAPublicNumbers(E,n)).private_key()
assert e(k.sign(a2["signing_input"].encode(),padding.PKCS1v15(),hashes.SHA256()))==a2["signature"]
assert d(a2["signing_input"].split(".")[0])==b'{"alg":"RS256"}'
a3=load("rfc7515_a3.txt"); j=json.loads(a3["jwk"])
k=ec.derive_private_key(i(j["d"]),ec.SECP256R1()); pn=k.public_key().public_numbers()
assert pn.x==i(j["x"]) and pn.y==i(j["y"])
s=d(a3["signature"]); k.public_key().verify(encode_dss_signature(int.from_bytes(s[:32],'big'),int.from_bytes(s[32:],'big')),a3["signing_input"].encode(),ec.ECDSA(hashes.SHA256()))
assert d(a3["signing_input"].split(".")[0])==b'{"alg":"ES256"}'
a5=load("rfc7515_a5.txt")["jws"].split(".")
assert d(a5[0])==b'{"alg":"none"}' and a5[1]==a2["signing_input"].split(".")[1] and a5[2]==""
r=load("rfc8037_a.txt"); pj=json.loads(r["private_jwk"]); k=ed25519.Ed25519PrivateKey.from_private_bytes(d(pj["d"]))
assert e(k.public_key().public_bytes(serialization.Encoding.Raw,serialization.PublicFormat.Raw))==pj["x"]==json.loads(r["public_jwk"])["x"]
assert e(k.sign(r["signing_input"].encode()))==r["signature"] and r["jws"]==r["signing_input"]+"."+r["signature"]
t=load("rfc7638_s3_1.txt"); j=json.loads(t["jwk"])
c=json.dumps({"e":j["e"],"kty":j["kty"],"n":j["n"]},separators=(",",":"))
assert c==t["canonical"] and e(hashlib.sha256(c.encode()).digest())==t["thumbprint"]=="NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
assert list(hashlib.sha256(c.encode()).digest())[:4]==[55,54,203,177] and list(hashlib.sha256(c.encode()).digest())[-2:]==[245,123]
print("all stored vectors check out")
