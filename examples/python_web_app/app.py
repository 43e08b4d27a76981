"""A small web app that signs people in through Tessera (OpenID Connect, the authorization code
flow with PKCE), shows who they are, calls the seed's finance API with their access token,
refreshes it, and signs them out. FastAPI, with authlib's OAuth 2.0 client and JOSE.

    tessera client add notes --public --redirect-uri http://127.0.0.1:8092/callback \\
        --post-logout-redirect-uri http://127.0.0.1:8092/ --audience finance-api \\
        --scope finance:read --name "Notes"
    cd examples/python_web_app
    APP_ISSUER=http://127.0.0.1:8080 APP_URL=http://127.0.0.1:8092 \\
        FINANCE_URL=http://127.0.0.1:8090 /usr/bin/python3 -m uvicorn app:app --port 8092

Environment: APP_ISSUER (required: Tessera's issuer URL), APP_URL (required: this app's own
base URL, as registered), APP_CLIENT_ID (default notes; a public client), FINANCE_URL (the
finance API; optional).

Sessions are kept in this process's memory under a random cookie: enough for an example, not
for several processes. The tokens never reach the browser.
"""

import html
import json
import os
import secrets
import sys
import time

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

ISSUER = os.environ.get("APP_ISSUER") or sys.exit("APP_ISSUER is required (Tessera's issuer)")
APP_URL = (os.environ.get("APP_URL") or sys.exit("APP_URL is required")).rstrip("/")
CLIENT_ID = os.environ.get("APP_CLIENT_ID", "notes")
FINANCE_URL = os.environ.get("FINANCE_URL", "").rstrip("/")
SCOPE = "openid profile email finance:read"
COOKIE = "notes_session"
TIMEOUT = 10

app = FastAPI(title="notes")
sessions = {}  # cookie value -> {"state", "verifier", "nonce"} or {"tokens", "claims"}
_metadata = {}


def metadata():
    """OpenID Connect Discovery, once."""
    if not _metadata:
        answer = requests.get(ISSUER + "/.well-known/openid-configuration", timeout=TIMEOUT)
        answer.raise_for_status()
        _metadata.update(answer.json())
        if _metadata["issuer"] != ISSUER:
            raise RuntimeError("the discovery document names another issuer")
    return _metadata


def oauth_client(**kwargs):
    return OAuth2Session(CLIENT_ID, scope=SCOPE, redirect_uri=APP_URL + "/callback",
                         code_challenge_method="S256", token_endpoint_auth_method="none",
                         **kwargs)


def check_id_token(id_token, nonce):
    """The id_token's signature against Tessera's JWKS, then iss, aud, exp and nonce."""
    keys = JsonWebKey.import_key_set(requests.get(metadata()["jwks_uri"], timeout=TIMEOUT).json())
    claims = jwt.decode(id_token, keys, claims_options={
        "iss": {"essential": True, "value": ISSUER},
        "aud": {"essential": True, "value": CLIENT_ID},
        "nonce": {"essential": True, "value": nonce}})
    claims.validate(now=int(time.time()), leeway=10)
    return dict(claims)


def page(body):
    return HTMLResponse("<!DOCTYPE html><html lang=en><meta charset=utf-8>"
                        "<meta name=viewport content='width=device-width, initial-scale=1'>"
                        "<title>Notes</title><body style='font-family:system-ui;margin:2rem'>"
                        "<h1>Notes</h1>" + body + "</body></html>")


def session_of(request):
    return sessions.get(request.cookies.get(COOKIE, ""))


@app.get("/")
def home(request: Request):
    session = session_of(request)
    if not session or "claims" not in session:
        return page("<p>You are not signed in.</p><p><a href='/login'>Sign in</a></p>")
    claims = session["claims"]
    name = claims.get("name") or claims["sub"]
    return page("<p id=greeting>Hello, %s</p><p>%s</p>"
                "<p><a href='/finance/0001234567'>Your company's finances</a></p>"
                "<p><a href='/logout'>Sign out</a></p>"
                % (html.escape(name), html.escape(claims.get("email", ""))))


@app.get("/login")
def login():
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = oauth_client().create_authorization_url(
        metadata()["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    cookie = secrets.token_urlsafe(32)
    sessions[cookie] = {"state": state, "verifier": verifier, "nonce": nonce}
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="lax")
    return response


@app.get("/callback")
def callback(request: Request):
    session = session_of(request)
    params = request.query_params
    if not session or "state" not in session or params.get("state") != session["state"]:
        return page("<p>This sign-in was not started here.</p><a href='/'>Home</a>")
    if params.get("iss") != ISSUER:  # RFC 9207: the answer comes from our issuer
        return page("<p>The answer came from another server.</p>")
    if "error" in params:
        return page("<p>Not signed in: %s</p><a href='/'>Home</a>" % html.escape(params["error"]))
    tokens = oauth_client(state=session["state"]).fetch_token(
        metadata()["token_endpoint"], authorization_response=str(request.url),
        code_verifier=session["verifier"])
    claims = check_id_token(tokens["id_token"], session["nonce"])
    session.clear()
    session.update({"tokens": dict(tokens), "claims": claims})
    return RedirectResponse("/", status_code=303)


def refresh(session):
    tokens = oauth_client().refresh_token(metadata()["token_endpoint"],
                                          refresh_token=session["tokens"]["refresh_token"])
    session["tokens"] = dict(tokens)


@app.get("/refresh")
def refresh_now(request: Request):
    session = session_of(request)
    if not session or "tokens" not in session:
        return RedirectResponse("/", status_code=303)
    refresh(session)
    return page("<p id=refreshed>A new access token.</p><a href='/'>Home</a>")


@app.get("/finance/{biz_num}")
def finance(biz_num: str, request: Request):
    session = session_of(request)
    if not session or "tokens" not in session:
        return RedirectResponse("/", status_code=303)
    if not FINANCE_URL:
        return page("<p>FINANCE_URL is not set.</p>")

    def call():
        return requests.get("%s/dart/finance/business/%s" % (FINANCE_URL, biz_num),
                            timeout=TIMEOUT, headers={
                                "Authorization": "Bearer " + session["tokens"]["access_token"]})

    answer = call()
    if answer.status_code == 401 and "refresh_token" in session["tokens"]:
        refresh(session)  # the access token expired: a new one, then once more
        answer = call()
    try:
        shown = json.dumps(answer.json(), indent=2, ensure_ascii=False)
    except ValueError:
        shown = answer.text
    return page("<p>The finance API answered %d.</p>"
                "<pre id=finance style='white-space:pre-wrap'>%s</pre><a href='/'>Home</a>"
                % (answer.status_code, html.escape(shown)))


@app.get("/logout")
def logout(request: Request):
    sessions.pop(request.cookies.get(COOKIE, ""), None)
    end = metadata()["end_session_endpoint"]
    query = requests.Request("GET", end, params={
        "client_id": CLIENT_ID, "post_logout_redirect_uri": APP_URL + "/",
        "state": secrets.token_urlsafe(8)}).prepare().url
    response = RedirectResponse(query, status_code=302)
    response.delete_cookie(COOKIE)
    return response
