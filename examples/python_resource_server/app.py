"""The seed's finance API as a Python resource server for Tessera: FastAPI, with PyJWT's
PyJWKClient checking each access token against Tessera's published keys (JWKS).

    cd examples/python_resource_server
    FINANCE_ISSUER=http://127.0.0.1:8080 /usr/bin/python3 -m uvicorn app:app --port 8091

    curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8091/dart/finance/business/0001234567

Environment: FINANCE_ISSUER (required: Tessera's issuer URL, exactly as its tokens' "iss"),
FINANCE_AUDIENCE (default finance-api: the --audience of the clients that call this service),
FINANCE_DATA (default: the C++ example's examples/finance_api/data/finance.json),
FINANCE_PUBLIC_URL (default: http://ADDR:PORT, the address uvicorn took the request on: the
origin clients address this service by, which DPoP proofs' htu must name),
FINANCE_RESOURCE (default: FINANCE_PUBLIC_URL, else that same http://ADDR:PORT: this service's
resource identifier, RFC 9728 and RFC 8707; trailing slashes are dropped, a query or fragment
stops the start). uvicorn does not tell an app its port at import time (--port 0, --fd, a
socket from systemd), so the default is taken per request from the address the connection came
in on, never from its Host header, which any client may set. Behind a proxy, or reached by a
name, set FINANCE_RESOURCE (or FINANCE_PUBLIC_URL) to the URL clients use. On a Unix socket
with neither set there is no resource URL: no metadata document (404), no resource_metadata in
challenges, only FINANCE_AUDIENCE accepted.

The answers are those of build/finance-api: 401 with WWW-Authenticate: Bearer without a token,
401 error="invalid_token" for a token that does not verify, 403 error="insufficient_scope"
without finance:read (RFC 6750 section 3), 400 for a bizNum that is not ten digits, and a 500
that says nothing of its cause.

DPoP (RFC 9449 section 7), as build/finance-api does: a token with "cnf": {"jkt": ...} is
bound to its client's key and useless without it. It is accepted as "Authorization: DPoP
<token>" with one DPoP header, a proof (typ dpop+jwt, alg EdDSA, Ed25519, ES256, RS256 or
PS256) signed by the public jwk it carries, whose RFC 7638 thumbprint is the token's cnf.jkt,
for this request (htm the method, htu FINANCE_PUBLIC_URL and the path), at most 60 s old, with
ath the token's SHA-256, and not seen before (the replay cache is this process's: run one
uvicorn worker). Sent as a bearer token, a bound token gets 401 with
WWW-Authenticate: DPoP error="invalid_token"; a bad, missing or replayed proof gets 401
DPoP error="invalid_dpop_proof"; an unbound token sent as DPoP is 401 DPoP
error="invalid_token". Bearer tokens without cnf work as before.

Protected-resource metadata (RFC 9728), as build/finance-api serves it:
GET /.well-known/oauth-protected-resource answers {"resource": FINANCE_RESOURCE,
"authorization_servers": [FINANCE_ISSUER], "scopes_supported": ["finance:read"],
"bearer_methods_supported": ["header"], "dpop_signing_alg_values_supported": [...]} with
Cache-Control: max-age=300 (section 3). If the resource URL has a path
(https://api.example.com/finance) the document's URL puts the well-known path before it
(https://api.example.com/.well-known/oauth-protected-resource/finance, section 3.1), and this
app answers on both /.well-known/oauth-protected-resource and that path. Every 401 challenge,
Bearer or DPoP, ends with resource_metadata="<the document's URL>" (section 5.1); a 403 does
not. A token whose "aud" is the resource URL is accepted as one for FINANCE_AUDIENCE is
(RFC 8707: a client that asked Tessera for resource=<that URL> gets that aud); the comparison
is exact, so "https://api.example.com/" is not "https://api.example.com".

Unlike tessera::Verifier, PyJWT 2.6's PyJWKClient fetches the JWKS again for every unknown
kid and forgets its keys when a fetch fails, so it does not ride out an outage of Tessera.
"""

import base64
import hashlib
import heapq
import json
import logging
import os
import re
import sys
import threading
import time
import urllib.parse
import urllib.request
from functools import lru_cache
from typing import List, Optional

import jwt
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

ISSUER = os.environ.get("FINANCE_ISSUER") or sys.exit(
    "FINANCE_ISSUER is required: Tessera's issuer URL, e.g. http://127.0.0.1:8080")
AUDIENCE = os.environ.get("FINANCE_AUDIENCE", "finance-api")
ALGORITHMS = ["EdDSA", "ES256", "RS256", "PS256"]  # never HS256 or "none" for a JWKS
SCOPE = "finance:read"
DATA = os.environ.get("FINANCE_DATA") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "finance_api", "data", "finance.json")


def configured_url(name):
    """An http(s) URL from the environment without trailing slashes, "" if unset; it must do
    as a quoted-string in WWW-Authenticate (no space, quote or backslash) and have no query
    or fragment (RFC 8707 section 2, RFC 9728 section 1.2)."""
    url = os.environ.get(name, "").rstrip("/")
    if url and not (re.fullmatch(r"https?://[\x21\x24-\x3e\x40-\x5b\x5d-\x7e]+", url)
                    and urllib.parse.urlsplit(url).hostname):
        sys.exit("%s: expected http(s)://HOST[:PORT], not %r" % (name, url))
    return url


PUBLIC_URL = configured_url("FINANCE_PUBLIC_URL")
RESOURCE = configured_url("FINANCE_RESOURCE")
METADATA_PATH = "/.well-known/oauth-protected-resource"  # RFC 9728 section 3
METADATA_MAX_AGE = 300  # seconds clients may cache the document

log = logging.getLogger("finance")
app = FastAPI(title="finance-api")


class CompanyFinance(BaseModel):
    bizNum: str
    corpName: str
    fiscalYear: int
    revenue: int
    operatingIncome: int
    netIncome: int
    totalAssets: int
    totalLiabilities: int
    totalEquity: int
    currency: str


class NewCompanyFinanceResponse(BaseModel):
    newCompanyFinance: List[CompanyFinance]


def load_companies(path):
    with open(path, encoding="utf-8") as f:
        companies = {}
        for record in json.load(f)["records"]:
            companies.setdefault(record["bizNum"], []).append(record)
        return companies


COMPANIES = load_companies(DATA)


def get_company_info(bizNum):
    return COMPANIES.get(bizNum, [])


# --- Errors: {"error": ..., "error_description": ...}, as Tessera writes them ---------------

class ApiError(Exception):
    def __init__(self, status, error, description, challenge=None):
        self.status, self.error, self.description = status, error, description
        self.headers = {"WWW-Authenticate": challenge} if challenge else {}


@app.exception_handler(ApiError)
def api_error(request: Request, e: ApiError):
    headers = dict(e.headers)
    resource = resource_url(request)
    # RFC 9728 section 5.1: a 401 names where the client learns how to get a token here.
    if e.status == 401 and resource and "WWW-Authenticate" in headers:
        challenge = headers["WWW-Authenticate"]
        headers["WWW-Authenticate"] = '%s%sresource_metadata="%s"' % (
            challenge, ", " if " " in challenge else " ", metadata_url(resource))
    return JSONResponse({"error": e.error, "error_description": e.description},
                        status_code=e.status, headers=headers)


def bearer_error(status, error, description, scope=None, scheme="Bearer"):
    """RFC 6750 section 3, or with scheme "DPoP" RFC 9449 section 7.1 (which names the proof
    algorithms accepted)."""
    challenge = '%s error="%s", error_description="%s"' % (scheme, error, description)
    if scope:
        challenge += ', scope="%s"' % scope
    if scheme == "DPoP":
        challenge += ', algs="%s"' % " ".join(DPOP_CHALLENGE_ALGORITHMS)
    return ApiError(status, error, description, challenge)


def dpop_error(error, description):
    return bearer_error(401, error, description, scheme="DPoP")


# --- Tokens ----------------------------------------------------------------------------------

@lru_cache(maxsize=1)  # an exception is not cached: discovery is tried again on the next call
def jwks_client():
    """RFC 8414: the issuer's metadata names its JWKS; it must name this issuer, too."""
    url = ISSUER.rstrip("/") + "/.well-known/oauth-authorization-server"
    with urllib.request.urlopen(url, timeout=5) as response:
        metadata = json.load(response)
    if metadata.get("issuer") != ISSUER:
        raise RuntimeError("%s names issuer %r" % (url, metadata.get("issuer")))
    return jwt.PyJWKClient(metadata["jwks_uri"])


def verified_claims(token, scheme, resource):
    """The claims of an access token (RFC 9068) signed by the issuer, for this audience or for
    the resource URL `resource` (RFC 8707; None: none); its errors are told in `scheme`'s
    terms."""
    try:
        keys = jwks_client()
    except (OSError, ValueError, KeyError, RuntimeError):
        log.warning("cannot find the keys of %s", ISSUER, exc_info=True)
        raise bearer_error(401, "invalid_token", "the issuer's keys are not available yet",
                           scheme=scheme)
    try:
        key = keys.get_signing_key_from_jwt(token).key
        claims = jwt.decode(
            token, key, algorithms=ALGORITHMS, issuer=ISSUER, leeway=30,
            audience=[AUDIENCE, resource] if resource else AUDIENCE,  # any one of them
            options={"require": ["exp", "iat", "iss", "aud", "sub", "client_id", "jti"]})
    except jwt.ExpiredSignatureError:
        raise bearer_error(401, "invalid_token", "the token has expired", scheme=scheme)
    except jwt.InvalidAudienceError:
        raise bearer_error(401, "invalid_token", "the token is not meant for this service",
                           scheme=scheme)
    # A bad signature, issuer or claim, an unknown kid; TypeError is PyJWT 2.6's answer to an
    # "alg" that does not fit the key's type.
    except (jwt.PyJWTError, TypeError):
        raise bearer_error(401, "invalid_token", "the token is invalid", scheme=scheme)
    # RFC 9068 section 4: an access token says so (the header is signed, so now trusted).
    if jwt.get_unverified_header(token).get("typ") != "at+jwt":
        raise bearer_error(401, "invalid_token", "the token is not an access token",
                           scheme=scheme)
    # RFC 9449 section 6.1: a DPoP-bound token names its key's thumbprint in cnf.jkt.
    if "cnf" in claims:
        cnf = claims["cnf"]
        if not isinstance(cnf, dict) or not isinstance(cnf.get("jkt"), str) or not cnf["jkt"]:
            raise bearer_error(401, "invalid_token", "the token is invalid", scheme=scheme)
    return claims


def bound_key(claims):
    """The RFC 7638 thumbprint of the key a token is bound to, or None for a bearer token."""
    return claims.get("cnf", {}).get("jkt")


def access_token(request: Request, credentials: Optional[HTTPAuthorizationCredentials] = Depends(
        HTTPBearer(auto_error=False))):
    """The verified claims of the bearer token or of the DPoP-bound token and its proof, which
    must carry finance:read."""
    resource = resource_url(request)
    if credentials is not None:
        scheme = "Bearer"
        claims = verified_claims(credentials.credentials, scheme, resource)
        # RFC 9449 section 7.2: a bound token is no bearer token, and is told so in DPoP terms.
        if bound_key(claims):
            raise dpop_error("invalid_token",
                             "the token is DPoP-bound: send it with a DPoP proof")
    else:
        authorization_scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip(" ")
        if authorization_scheme.lower() != "dpop" or not token:
            raise ApiError(401, "unauthorized", "a bearer token is required", "Bearer")
        scheme = "DPoP"
        claims = dpop_claims(request, token, resource)
    if SCOPE not in str(claims.get("scope", "")).split():
        raise bearer_error(403, "insufficient_scope", "the token lacks the scope this needs",
                           SCOPE, scheme)
    return claims


# --- DPoP (RFC 9449) -------------------------------------------------------------------------

# The proof's alg and the key type (kty, crv) its jwk must be. RFC 9864 names EdDSA with
# Ed25519 "Ed25519", as oauth4webapi sends it. Never "none" or an HMAC: the key is public.
DPOP_ALGORITHMS = {"EdDSA": ("OKP", "Ed25519"), "Ed25519": ("OKP", "Ed25519"),
                   "ES256": ("EC", "P-256"), "RS256": ("RSA", None), "PS256": ("RSA", None)}
DPOP_CHALLENGE_ALGORITHMS = ("EdDSA", "Ed25519", "ES256", "RS256", "PS256")
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")  # RFC 7518 section 6
REFUSED_HEADERS = ("jku", "x5u", "x5c", "crit")  # keys from elsewhere, extensions we lack
THUMBPRINT_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y"),
                      "RSA": ("e", "kty", "n")}  # RFC 7638 section 3.2
DPOP_MAX_AGE = 60  # seconds a proof is accepted after its iat
DPOP_LEEWAY = 5    # seconds of clock difference allowed either way
DPOP_MAX_BYTES, DPOP_MAX_JTI = 4096, 256

# PyJWT's JWS reader, told that "Ed25519" is EdDSA (PyJWT 2.6 knows only "EdDSA").
PROOFS = jwt.PyJWS()
if "Ed25519" not in PROOFS.get_algorithms():
    PROOFS.register_algorithm("Ed25519", jwt.algorithms.OKPAlgorithm())


class ProofError(ValueError):
    """Why a proof was refused: logged, not told (the caller hears invalid_dpop_proof)."""


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(jwk):
    """RFC 7638: SHA-256 of the key's required members, sorted, without whitespace."""
    members = {name: jwk[name] for name in THUMBPRINT_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def normalized_url(url):
    """RFC 9449 section 4.3 item 9: scheme and host in lower case, no default port, no query
    or fragment; ValueError if it is not an http(s) URL."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname  # lower case, without userinfo or IPv6 brackets
    if parts.scheme not in ("http", "https") or not host:
        raise ProofError("not an http(s) URL: %r" % url[:100])
    if ":" in host:
        host = "[%s]" % host
    if parts.port is not None and parts.port != {"http": 80, "https": 443}[parts.scheme]:
        host += ":%d" % parts.port
    return "%s://%s%s" % (parts.scheme, host, parts.path or "/")


def read_proof(proof):
    """RFC 9449 section 4.3 items 1 to 7: the proof's claims and its key's thumbprint, once
    its signature by the public jwk in its header verifies."""
    if len(proof) > DPOP_MAX_BYTES:
        raise ProofError("too long")
    header = PROOFS.get_unverified_header(proof)
    alg, jwk = header.get("alg"), header.get("jwk")
    if str(header.get("typ")).lower() not in ("dpop+jwt", "application/dpop+jwt"):
        raise ProofError("typ is not dpop+jwt")
    if any(name in header for name in REFUSED_HEADERS):
        raise ProofError("the header has one of %s" % ", ".join(REFUSED_HEADERS))
    if not isinstance(alg, str) or alg not in DPOP_ALGORITHMS:
        raise ProofError("alg %r is not accepted" % alg)
    if not isinstance(jwk, dict) or (jwk.get("kty"), jwk.get("crv")) != DPOP_ALGORITHMS[alg]:
        raise ProofError("the jwk is not a key for %s" % alg)
    if any(name in jwk for name in PRIVATE_MEMBERS):
        raise ProofError("the jwk is not a public key")
    key = jwt.PyJWK(jwk, "EdDSA" if alg == "Ed25519" else alg).key
    claims = json.loads(PROOFS.decode_complete(proof, key, algorithms=[alg])["payload"])
    if not isinstance(claims, dict):
        raise ProofError("the claims are not a JSON object")
    jti, iat = claims.get("jti"), claims.get("iat")
    if not isinstance(jti, str) or not 0 < len(jti) <= DPOP_MAX_JTI:
        raise ProofError("jti is missing or too long")
    if not all(isinstance(claims.get(name), str) for name in ("htm", "htu")) or \
            isinstance(iat, bool) or not isinstance(iat, (int, float)):
        raise ProofError("htm, htu or iat is missing")
    return claims, thumbprint(jwk)


class ReplayCache:
    """The proofs seen, each kept until it is too old to be accepted anyway."""

    def __init__(self):
        self._lock = threading.Lock()
        self._seen, self._expiries = set(), []  # and a heap of (expiry, key)

    def use_once(self, key, expiry, now):
        """False if `key` was used before; else remembers it until `expiry`."""
        with self._lock:
            while self._expiries and self._expiries[0][0] < now:
                self._seen.discard(heapq.heappop(self._expiries)[1])
            if key in self._seen:
                return False
            self._seen.add(key)
            heapq.heappush(self._expiries, (expiry, key))
            return True


REPLAYS = ReplayCache()


def public_origin(request):
    """FINANCE_PUBLIC_URL, or the address the request came in on (not its Host header)."""
    if PUBLIC_URL:
        return PUBLIC_URL
    host, port = request.scope.get("server") or (None, None)
    if port is None:  # a Unix socket: no origin to check htu against
        return None
    return "%s://%s:%d" % (request.scope["scheme"], "[%s]" % host if ":" in host else host, port)


def resource_url(request):
    """FINANCE_RESOURCE, or the public origin (RFC 9728 section 2: this service's resource
    identifier); None on a Unix socket without either."""
    return RESOURCE or public_origin(request)


def metadata_url(resource):
    """RFC 9728 section 3.1: the well-known path goes between the host and any path of the
    resource URL (whose trailing slashes are already gone)."""
    parts = urllib.parse.urlsplit(resource)
    return "%s://%s%s%s" % (parts.scheme, parts.netloc, METADATA_PATH, parts.path)


def dpop_claims(request, token, resource):
    """RFC 9449 section 7.1: the claims of a DPoP-bound token presented with a proof, by the
    token's key, for this request."""
    origin = public_origin(request)
    if origin is None:
        raise dpop_error("invalid_token", "this service accepts bearer tokens only")
    proofs = request.headers.getlist("DPoP")
    if len(proofs) != 1:
        raise dpop_error("invalid_dpop_proof", "one DPoP proof is required")
    claims = verified_claims(token, "DPoP", resource)
    if not bound_key(claims):
        raise dpop_error("invalid_token", "the token is not DPoP-bound")
    # The path as sent (percent-encoding kept), without the query.
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1").split("?")[0] if raw_path else request.url.path
    now = time.time()
    try:
        proof, jkt = read_proof(proofs[0])
        if proof["htm"] != request.method:
            raise ProofError("htm is not %s" % request.method)
        if normalized_url(proof["htu"]) != normalized_url(origin + path):
            raise ProofError("htu %r is not %s" % (proof["htu"][:100], origin + path))
        if not now - DPOP_MAX_AGE - DPOP_LEEWAY <= proof["iat"] <= now + DPOP_LEEWAY:
            raise ProofError("iat is not within %d s of now" % DPOP_MAX_AGE)
        if proof.get("ath") != b64url(hashlib.sha256(token.encode("ascii")).digest()):
            raise ProofError("ath is not this token's hash")
        if jkt != bound_key(claims):
            raise ProofError("its key is not the token's")
    except (ProofError, jwt.PyJWTError, ValueError, TypeError, KeyError) as e:
        log.info("DPoP proof refused for client %s: %s", claims.get("client_id"), e)
        raise dpop_error("invalid_dpop_proof", "the DPoP proof is not valid for this request")
    expiry = proof["iat"] + DPOP_MAX_AGE + 2 * DPOP_LEEWAY
    if not REPLAYS.use_once(jkt + "\n" + proof["jti"], expiry, now):
        raise dpop_error("invalid_dpop_proof", "the DPoP proof was used before")
    return claims


# --- Routes ----------------------------------------------------------------------------------

@app.get(METADATA_PATH + "{suffix:path}", include_in_schema=False)
def protected_resource_metadata(request: Request, suffix: str):
    """RFC 9728 section 3: what a client needs to get a token this service takes, at the
    well-known path and, for a resource URL with a path, at that path after it (section 3.1)."""
    resource = resource_url(request)
    path = urllib.parse.unquote(urllib.parse.urlsplit(resource).path) if resource else None
    if path is None or suffix not in ("", path):
        raise HTTPException(404)
    document = {"resource": resource, "authorization_servers": [ISSUER],
                "scopes_supported": [SCOPE], "bearer_methods_supported": ["header"]}
    if public_origin(request) is not None:  # DPoP needs an origin for the proofs' htu
        document["dpop_signing_alg_values_supported"] = list(DPOP_CHALLENGE_ALGORITHMS)
    return JSONResponse(document, headers={"Cache-Control": "max-age=%d" % METADATA_MAX_AGE})


@app.get("/dart/finance/business/{bizNum}", response_model=NewCompanyFinanceResponse)
def get_company_finance_info(bizNum: str, claims: dict = Depends(access_token)):
    """사업자등록번호로 기업 재무정보를 조회하는 함수 (the seed's route)."""
    if not re.fullmatch(r"[0-9]{10}", bizNum):
        raise ApiError(400, "invalid_request", "bizNum must be exactly ten digits")
    try:
        data = get_company_info(bizNum=bizNum)
    except Exception:
        # The traceback goes to the log, not to the caller (the seed answered str(e)).
        log.exception("finance lookup failed for client %s", claims.get("client_id"))
        raise ApiError(500, "server_error", "internal error")
    return NewCompanyFinanceResponse(newCompanyFinance=data)
