"""The seed's finance API as a Python resource server for Tessera: FastAPI, with PyJWT's
PyJWKClient checking each access token against Tessera's published keys (JWKS).

    cd examples/python_resource_server
    FINANCE_ISSUER=http://127.0.0.1:8080 /usr/bin/python3 -m uvicorn app:app --port 8091

    curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8091/dart/finance/business/0001234567

Environment: FINANCE_ISSUER (required: Tessera's issuer URL, exactly as its tokens' "iss"),
FINANCE_AUDIENCE (default finance-api: the --audience of the clients that call this service),
FINANCE_DATA (default: the C++ example's examples/finance_api/data/finance.json).

The answers are those of build/finance-api: 401 with WWW-Authenticate: Bearer without a token,
401 error="invalid_token" for a token that does not verify, 403 error="insufficient_scope"
without finance:read (RFC 6750 section 3), 400 for a bizNum that is not ten digits, and a 500
that says nothing of its cause.

Unlike tessera::Verifier, PyJWT 2.6's PyJWKClient fetches the JWKS again for every unknown
kid and forgets its keys when a fetch fails, so it does not ride out an outage of Tessera.
"""

import json
import logging
import os
import re
import sys
import urllib.request
from functools import lru_cache
from typing import List, Optional

import jwt
from fastapi import Depends, FastAPI, Request
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
    return JSONResponse({"error": e.error, "error_description": e.description},
                        status_code=e.status, headers=e.headers)


def bearer_error(status, error, description, scope=None):
    challenge = 'Bearer error="%s", error_description="%s"' % (error, description)
    if scope:
        challenge += ', scope="%s"' % scope
    return ApiError(status, error, description, challenge)


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


def access_token(credentials: Optional[HTTPAuthorizationCredentials] = Depends(
        HTTPBearer(auto_error=False))):
    """The verified claims of the bearer token (RFC 9068), which must carry finance:read."""
    if credentials is None:
        raise ApiError(401, "unauthorized", "a bearer token is required", "Bearer")
    try:
        keys = jwks_client()
    except (OSError, ValueError, KeyError, RuntimeError):
        log.warning("cannot find the keys of %s", ISSUER, exc_info=True)
        raise bearer_error(401, "invalid_token", "the issuer's keys are not available yet")
    token = credentials.credentials
    try:
        key = keys.get_signing_key_from_jwt(token).key
        claims = jwt.decode(
            token, key, algorithms=ALGORITHMS, audience=AUDIENCE, issuer=ISSUER, leeway=30,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "client_id", "jti"]})
    except jwt.ExpiredSignatureError:
        raise bearer_error(401, "invalid_token", "the token has expired")
    except jwt.InvalidAudienceError:
        raise bearer_error(401, "invalid_token", "the token is not meant for this service")
    # A bad signature, issuer or claim, an unknown kid; TypeError is PyJWT 2.6's answer to an
    # "alg" that does not fit the key's type.
    except (jwt.PyJWTError, TypeError):
        raise bearer_error(401, "invalid_token", "the token is invalid")
    # RFC 9068 section 4: an access token says so (the header is signed, so now trusted).
    if jwt.get_unverified_header(token).get("typ") != "at+jwt":
        raise bearer_error(401, "invalid_token", "the token is not an access token")
    if SCOPE not in str(claims.get("scope", "")).split():
        raise bearer_error(403, "insufficient_scope", "the token lacks the scope this needs",
                           SCOPE)
    return claims


# --- Routes ----------------------------------------------------------------------------------

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
