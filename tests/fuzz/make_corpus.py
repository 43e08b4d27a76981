#!/usr/bin/python3
"""Writes the seed corpus of each libFuzzer harness into tests/fuzz/corpus/<harness>/.

The corpus is committed; run this again (stdlib only) after changing what it makes. Every
entry is a well-formed input of its kind, so that the fuzzer starts from the paths real
clients take: RFC test vectors, tokens signed with the harness's keys at the harness's fixed
time, each endpoint's requests, the contract's configuration keys.
"""

import base64
import hashlib
import hmac
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
OUT = os.path.join(HERE, "corpus")

NOW = 1700000000  # the harnesses' clock: 2023-11-14T22:13:20Z
HTTP_SECRET = b"tessera-fuzz-hs256-secret-0123456789abcdef"  # http_fuzz.cc kSecret
HTTP_ISSUER = "https://auth.fuzz.test"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def data_file(name):
    values = {}
    with open(os.path.join(DATA, name)) as f:
        for line in f:
            if line.startswith("#") or "=" not in line:
                continue
            key, value = line.rstrip("\n").split("=", 1)
            values[key] = value
    return values


def hs256(secret, header, claims):
    signing_input = b64u(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64u(json.dumps(claims, separators=(",", ":")).encode())
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64u(mac)


def write(harness, name, content):
    directory = os.path.join(OUT, harness)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(content.encode() if isinstance(content, str) else content)


def jwt_corpus():
    a1 = data_file("rfc7515_a1.txt")
    a4 = data_file("rfc8037_a.txt")
    a3 = data_file("rfc7515_a3.txt")
    write("jwt_fuzz", "rfc7515_a1", a1["jws"])
    write("jwt_fuzz", "rfc8037_a4", a4["jws"])
    write("jwt_fuzz", "rfc7515_a3", a3["signing_input"] + "." + a3["signature"])
    key = base64.urlsafe_b64decode(a1["key_k"] + "==")
    claims = {"iss": "https://issuer.example", "aud": "api", "sub": "alice", "client_id": "app",
              "scope": "a b", "iat": NOW, "exp": NOW + 900, "jti": "j1"}
    write("jwt_fuzz", "at_jwt_hs256", hs256(key, {"alg": "HS256", "typ": "at+jwt"}, claims))
    # "header JSON \n payload JSON": the harness signs these itself.
    for name, header in [("signed_hs256", {"alg": "HS256", "typ": "at+jwt"}),
                         ("signed_eddsa", {"alg": "EdDSA", "typ": "at+jwt"}),
                         ("signed_none", {"alg": "none"}),
                         ("signed_crit", {"alg": "HS256", "typ": "at+jwt", "crit": ["exp"]}),
                         ("signed_jku", {"alg": "EdDSA", "jku": "https://evil.example/jwks"}),
                         ("signed_kid", {"alg": "EdDSA", "typ": "at+jwt", "kid": "k1"})]:
        write("jwt_fuzz", name, json.dumps(header) + "\n" + json.dumps(claims))
    write("jwt_fuzz", "duplicate_keys", '{"alg":"HS256","alg":"none"}\n{"sub":"a","sub":"b"}')
    write("jwt_fuzz", "nested_claims", '{"alg":"HS256","typ":"at+jwt"}\n'
          '{"aud":["api","other"],"nbf":1699999990,"exp":1700000900,"iss":"https://issuer.example",'
          '"x":{"y":[1,2.5,-3e10,null,true,"\\u00e9\\ud83d\\ude00"]}}')


def dpop_corpus():
    # "HEADER\nCLAIMS", signed by dpop_fuzz.cc with RFC 8037 A.1's key, whose public JWK the
    # headers carry; and proofs as they arrive, unsigned here (stdlib only).
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    header = {"typ": "dpop+jwt", "alg": "EdDSA", "jwk": jwk}
    token_claims = {"jti": "e1j3V_bKic8-LAEB", "htm": "POST", "htu": "https://auth.fuzz.test/token",
                    "iat": NOW}
    resource_claims = dict(token_claims, htm="GET", htu="https://auth.fuzz.test:443/users/me?x=1",
                           ath="fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo", nonce="n-0S6")
    for name, h, c in (("token", header, token_claims), ("resource", header, resource_claims),
                       ("ed25519_alg", dict(header, alg="Ed25519"), token_claims),
                       ("private_jwk", dict(header, jwk=dict(jwk, d="AAAA")), token_claims),
                       ("no_typ", {"alg": "EdDSA", "jwk": jwk}, token_claims)):
        write("dpop_fuzz", name, json.dumps(h) + "\n" + json.dumps(c))
    write("dpop_fuzz", "unsigned", b64u(json.dumps(header).encode()) + "." +
          b64u(json.dumps(token_claims).encode()) + "." + b64u(b"\0" * 64))
    write("dpop_fuzz", "url", "HTTPS://Auth.Fuzz.Test:443/a/../b/./c?q#f")


def jwks_corpus():
    a4 = data_file("rfc8037_a.txt")
    a3 = data_file("rfc7515_a3.txt")
    write("jwks_fuzz", "ed25519_public", a4["public_jwk"])
    write("jwks_fuzz", "ed25519_private", a4["private_jwk"])
    write("jwks_fuzz", "p256_public", a3["jwk"])
    write("jwks_fuzz", "jwks_two", json.dumps({"keys": [json.loads(a4["public_jwk"]),
                                                       json.loads(a3["jwk"])]}))
    rsa = {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "r1", "e": "AQAB",
           "n": b64u(bytes([0xc5]) + bytes(range(1, 256))[:255])}
    write("jwks_fuzz", "rsa_public", json.dumps(rsa))
    write("jwks_fuzz", "oct", json.dumps({"kty": "oct", "k": b64u(b"x" * 32), "alg": "HS256"}))
    write("jwks_fuzz", "jwks_mixed", json.dumps({"keys": [
        {"kty": "OKP", "crv": "X25519", "x": b64u(b"\x09" * 32)},
        dict(json.loads(a4["public_jwk"]), kid="k1", alg="EdDSA", use="sig"),
        dict(json.loads(a3["jwk"]), kid="k2", alg="ES256", use="enc"),
    ]}))


def form_corpus():
    write("form_fuzz", "password_grant",
          "grant_type=password&username=alice&password=correct+horse&scope=a%20b")
    write("form_fuzz", "seed_form", "username=johndoe&password=secret")
    write("form_fuzz", "client_credentials",
          "grant_type=client_credentials&client_id=app&client_secret=app-secret&scope=finance%3Aread")
    write("form_fuzz", "refresh", "grant_type=refresh_token&refresh_token=abc_-123&scope=")
    write("form_fuzz", "encoded", "a=%41%e2%82%ac%ZZ&&=&b==c&%00=1&d+e=f%2B")
    write("form_fuzz", "duplicates", "scope=a&scope=b&username=x&username=x")


def http_request(method, target, body=None, headers=()):
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: auth.fuzz.test"]
    lines += list(headers)
    if body is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded",
                  "Content-Length: %d" % len(body.encode())]
    return "\r\n".join(lines) + "\r\n\r\n" + (body or "")


def http_corpus():
    basic = "Authorization: Basic " + base64.b64encode(b"app:app-secret-0123456789").decode()
    token = hs256(HTTP_SECRET, {"alg": "HS256", "typ": "at+jwt"},
                  {"iss": HTTP_ISSUER, "aud": "api", "sub": "alice", "client_id": "app",
                   "scope": "a b", "iat": NOW, "exp": NOW + 900, "jti": "fuzz-1"})
    bearer = "Authorization: Bearer " + token
    requests = {
        "token_password": http_request(
            "POST", "/token", "grant_type=password&username=alice&password=correct+horse&scope=a"),
        "token_seed_form": http_request("POST", "/token", "username=bob&password=password"),
        "token_client_credentials": http_request(
            "POST", "/token", "grant_type=client_credentials&scope=a", [basic]),
        "token_client_post": http_request(
            "POST", "/token",
            "grant_type=password&username=alice&password=correct+horse&client_id=app"
            "&client_secret=app-secret-0123456789"),
        "token_refresh": http_request(
            "POST", "/token", "grant_type=refresh_token&refresh_token=AAAA&client_id=spa"),
        "users_me": http_request("GET", "/users/me", headers=[bearer]),
        "userinfo": http_request("GET", "/userinfo", headers=[bearer]),
        "introspect": http_request("POST", "/introspect", "token=" + token, [basic]),
        "revoke": http_request("POST", "/revoke",
                               "token=%s&token_type_hint=access_token" % token, [basic]),
        "discovery": http_request("GET", "/.well-known/openid-configuration"),
        "metadata": http_request("GET", "/.well-known/oauth-authorization-server"),
        "jwks": http_request("HEAD", "/.well-known/jwks.json"),
        "healthz": http_request("GET", "/healthz"),
        "not_found": http_request("OPTIONS", "/nowhere?x=1"),
        "pipelined": http_request("GET", "/healthz") + http_request("GET", "/users/me",
                                                                     headers=[bearer]),
        "authorize": http_request(
            "GET", "/authorize?response_type=code&client_id=web&redirect_uri="
            "https%3A%2F%2Fapp.fuzz.test%2Fcb&scope=a&state=s&code_challenge="
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"),
        "login": http_request(
            "POST", "/login",
            "response_type=code&client_id=web&scope=a&state=s&code_challenge="
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
            "&csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&username=alice"
            "&password=correct+horse",
            ["Cookie: tessera_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]),
        "logout": http_request("GET", "/logout?client_id=web&state=x"),
        "device_authorization": http_request("POST", "/device_authorization",
                                             "client_id=tv&scope=a"),
        "device_page": http_request("GET", "/device?user_code=bcdf-ghjk"),
        "device_login": http_request(
            "POST", "/device",
            "user_code=BCDF-GHJK&csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&username=alice"
            "&password=correct+horse",
            ["Cookie: tessera_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]),
        "token_device_code": http_request(
            "POST", "/token", "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"
            "&device_code=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&client_id=tv"),
        "chunked": "POST /token HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                   "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                   "9\r\nusername=\r\n0\r\n\r\n",
    }
    for name, request in requests.items():
        write("http_fuzz", name, request)


def config_corpus():
    write("config_fuzz", "full",
          'listen = "127.0.0.1:0"\nissuer = "https://auth.example.com"\n'
          'database = "data/tessera.db"\nsigning_alg = "ES256"\naccess_token_ttl = "15m"\n'
          'refresh_token_ttl = "30d"\nkey_rotation = "30d"\nkey_publish_delay = "10m"\n'
          'threads = 2\nlog = "debug"\nallow_insecure_http = "1"\ndatabase_pool = 4\n'
          'trusted_proxies = "127.0.0.1, ::1"\n')
    write("config_fuzz", "hs256",
          'signing_alg = "HS256"\nsecret_key = "0123456789abcdef0123456789abcdef"\n')
    write("config_fuzz", "postgres",
          'database = "postgresql://tessera:pw@db.example:5432/tessera?sslmode=require"\n'
          'key_encryption_key = "kek-0123456789abcdef0123456789abcdef"\n')
    write("config_fuzz", "tls",
          'tls_cert = "/etc/tessera/cert.pem"\ntls_key = "/etc/tessera/key.pem"\n'
          'listen = "[::]:8443"\n')
    write("config_fuzz", "syntax",
          '# comment\n[table]\nkey = """multi\nline"""\narr = [1, 2.5, true, 1979-05-27T07:32:00Z]\n'
          "inline = { a = 'b' }\n")


def template_corpus():
    # The template text, a newline, then the value (template_fuzz.cc).
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                           "templates", "login.html"), encoding="utf-8") as f:
        first_line = f.readline().rstrip("\n")
    write("template_fuzz", "plain", "<p>{{v}}</p>\n<script>")
    write("template_fuzz", "sections", "{{#l}}[{{v}}{{w}}]{{/l}}{{^v}}none{{/v}}\n\"&'`")
    write("template_fuzz", "broken", "a{{!c}}{{#v}}x{{/v}}{{/v}}\nv")
    # Found by the fuzzer: a triple brace swallowed by a tag name rendered as a value.
    write("template_fuzz", "brace_in_tag", "[{{x {{{{y}}\nv")
    # Found by the fuzzer: a closing tag without a section ended the template early.
    write("template_fuzz", "stray_close", "{{v}}{{/}}{{{x}}}\nv")
    write("template_fuzz", "login", first_line + "\n\"><img src=x onerror=alert(1)>")


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    jwt_corpus()
    dpop_corpus()
    jwks_corpus()
    form_corpus()
    http_corpus()
    config_corpus()
    template_corpus()


if __name__ == "__main__":
    main()
