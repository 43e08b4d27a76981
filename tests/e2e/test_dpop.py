"""DPoP (RFC 9449) against the real binary: sender-constrained access tokens at /token for every
grant, the proof checks of section 4.3, `client add --require-dpop`, public clients' refresh
tokens bound to the proof's key, DPoP-bound tokens at /userinfo and /users/me (section 7),
introspection's `cnf` (section 6.2) and the discovery metadata (section 5.1).

The proofs are made here, with keys from `cryptography` and PyJWT, and the RFC 7638
thumbprints are computed here too, so that the server's `cnf.jkt` is checked against an
independent computation.
"""

import concurrent.futures
import json
import os
import stat
import time
import unittest
import uuid

import jwt
import requests

import harness
from browser_helpers import REDIRECT_URI, Browser, authorize_params, pkce_pair
from harness import HTTP_TIMEOUT
from dpop_helpers import DpopKey, b64u, thumbprint
from oauth_helpers import Client, add_client, add_user, basic_authorization, introspection

USER = "dora"
PASSWORD = "Dora-pass-12345"
PROOF_ERRORS = ('error="invalid_dpop_proof"', 'error="invalid_token"')


# --- Proofs ----------------------------------------------------------------------------------

def unsigned_proof(key, method, url):
    """alg none: an empty signature."""
    header = {"typ": "dpop+jwt", "alg": "none", "jwk": key.jwk}
    return "%s.%s." % (b64u(json.dumps(header).encode()),
                       b64u(json.dumps(key.claims(method, url)).encode()))


def hs256_proof(key, method, url, jwk=None, secret=None):
    """A proof MACed with HS256: the jwk is an asymmetric public key (algorithm confusion) or
    a symmetric one."""
    secret = secret or b"0123456789abcdef0123456789abcdef"
    return jwt.encode(key.claims(method, url), secret, algorithm="HS256",
                      headers={"typ": "dpop+jwt", "jwk": jwk or key.jwk})


KEYS = {}


def key(alg):
    """Keys made once per run (an RSA key takes a moment)."""
    if alg not in KEYS:
        KEYS[alg] = DpopKey(alg)
    return KEYS[alg]


def fresh(alg="ES256"):
    return DpopKey(alg)


def token_claims(token):
    return harness.unverified(token)[1]


# --- The server --------------------------------------------------------------------------------

SERVER = None
CLIENTS = {}


def setUpModule():
    global SERVER
    SERVER = harness.Server.start()
    unittest.addModuleCleanup(SERVER.close)
    add_user(SERVER, USER, PASSWORD)
    CLIENTS["svc"] = add_client(SERVER, "svc")                     # client_credentials
    CLIENTS["inspector"] = add_client(SERVER, "inspector")         # introspects
    CLIENTS["app"] = add_client(SERVER, "app", public=True)        # password, refresh_token
    CLIENTS["conf"] = add_client(SERVER, "conf", grants=("password", "refresh_token"))
    for args in (("client", "add", "strict", "--public", "--require-dpop"),
                 ("client", "add", "web", "--public", "--redirect-uri", REDIRECT_URI,
                  "--skip-consent")):
        result = SERVER.cli(*args)
        if result.returncode != 0:
            raise AssertionError("tessera %s: exit %s\n%s" % (" ".join(args), result.returncode,
                                                              result.stderr))
    CLIENTS["strict"] = Client("strict")
    CLIENTS["web"] = Client("web")


class DpopCase(unittest.TestCase):
    @property
    def base(self):
        return SERVER.base

    @property
    def token_url(self):
        return SERVER.base + "/token"

    def post_token(self, client, form, proof=None, headers=None):
        """POST /token as `client` (Basic when confidential, client_id when public), with the
        DPoP header when `proof` is given (a list sends the header once per item)."""
        form = dict(form)
        all_headers = dict(headers or {})
        if client.public:
            form["client_id"] = client.id
        else:
            all_headers["Authorization"] = basic_authorization(client.id, client.secret)
        if proof is not None:
            all_headers["DPoP"] = proof
        return requests.post(self.token_url, data=form, headers=all_headers,
                             timeout=HTTP_TIMEOUT)

    def client_credentials(self, proof=None):
        return self.post_token(CLIENTS["svc"], {"grant_type": "client_credentials"}, proof)

    def password(self, proof=None, client="app"):
        return self.post_token(CLIENTS[client], {"grant_type": "password", "username": USER,
                                                 "password": PASSWORD}, proof)

    def refresh(self, refresh_token, proof=None, client="app"):
        return self.post_token(CLIENTS[client], {"grant_type": "refresh_token",
                                                 "refresh_token": refresh_token}, proof)

    def token_proof(self, k, **kw):
        return k.proof("POST", self.token_url, **kw)

    def assert_bound(self, response, k):
        """200, token_type DPoP, and the access token's cnf.jkt is k's thumbprint."""
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.headers.get("Cache-Control"), "no-store")
        body = response.json()
        self.assertEqual(body.get("token_type"), "DPoP", body)
        claims = token_claims(body["access_token"])
        self.assertEqual(claims.get("cnf"), {"jkt": k.jkt}, claims)
        return body

    def assert_unbound(self, response):
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(str(body.get("token_type")).lower(), "bearer", body)
        self.assertNotIn("cnf", token_claims(body["access_token"]))
        return body

    def assert_proof_refused(self, response, note=""):
        """RFC 9449 section 5: 400 invalid_dpop_proof at the token endpoint."""
        self.assertEqual(response.status_code, 400, "%s: %s" % (note, response.text))
        self.assertTrue(response.headers.get("Content-Type", "").startswith("application/json"),
                        response.headers)
        self.assertEqual(response.json().get("error"), "invalid_dpop_proof",
                         "%s: %s" % (note, response.text))

    def bound_user_token(self, k, client="app"):
        return self.assert_bound(self.password(self.token_proof(k), client), k)


class ThumbprintHelper(unittest.TestCase):
    def test_rfc7638_example(self):
        """The test's own thumbprint against RFC 7638 section 3.1's example."""
        jwk = {"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
               "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L"
                    "6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4"
                    "QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91Cb"
                    "OpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-"
                    "csFCur-kEgU8awapJzKnqDKgw"}
        self.assertEqual(thumbprint(jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")


# --- /token --------------------------------------------------------------------------------------

class TokenEndpointBindsTokens(DpopCase):
    ALGS = ("EdDSA", "ES256", "RS256", "PS256")

    def test_client_credentials_is_bound_for_each_key_type(self):
        for alg in self.ALGS:
            with self.subTest(alg=alg):
                body = self.assert_bound(self.client_credentials(self.token_proof(key(alg))),
                                         key(alg))
                self.assertEqual(token_claims(body["access_token"])["sub"], "svc")

    def test_password_grant_is_bound_for_each_key_type(self):
        for alg in self.ALGS:
            with self.subTest(alg=alg):
                body = self.bound_user_token(key(alg))
                self.assertEqual(token_claims(body["access_token"])["sub"], USER)
                self.assertIn("refresh_token", body)

    def test_without_a_proof_the_token_is_bearer_and_unbound(self):
        self.assert_unbound(self.client_credentials())
        self.assert_unbound(self.password())

    def test_a_require_dpop_client_is_refused_without_a_proof(self):
        r = self.password(client="strict")
        self.assertEqual(r.status_code, 400, r.text)
        self.assertIn(r.json().get("error"), ("invalid_dpop_proof", "invalid_request"), r.text)
        self.assertNotIn("access_token", r.json())
        self.bound_user_token(key("ES256"), client="strict")


class TokenEndpointRefusesBadProofs(DpopCase):
    """RFC 9449 section 4.3 at /token: each proof below is refused with 400
    invalid_dpop_proof (the client and its credentials are fine: see the control)."""

    def test_control_a_good_proof_is_accepted(self):
        self.assert_bound(self.client_credentials(self.token_proof(key("ES256"))), key("ES256"))

    def refused(self, proof, note):
        self.assert_proof_refused(self.client_credentials(proof), note)

    def test_wrong_htm(self):
        self.refused(key("ES256").proof("GET", self.token_url), "htm GET")

    def test_wrong_htu(self):
        k = key("ES256")
        self.refused(k.proof("POST", self.base + "/userinfo"), "htu /userinfo")
        self.refused(k.proof("POST", "https://other.example.test/token"), "htu another host")

    def test_stale_iat(self):
        self.refused(self.token_proof(key("ES256"), iat=int(time.time()) - 600), "iat -10 min")

    def test_future_iat(self):
        self.refused(self.token_proof(key("ES256"), iat=int(time.time()) + 600), "iat +10 min")

    def test_replayed_proof(self):
        k = key("EdDSA")
        proof = self.token_proof(k)
        self.assert_bound(self.client_credentials(proof), k)
        self.refused(proof, "the same proof again")
        # A new proof reusing the jti is a replay too.
        jti = uuid.uuid4().hex
        self.assert_bound(self.client_credentials(self.token_proof(k, jti=jti)), k)
        self.refused(self.token_proof(k, jti=jti, iat=int(time.time()) - 1), "jti reused")

    def test_replayed_proof_at_another_grant(self):
        k = key("EdDSA")
        proof = self.token_proof(k)
        self.assert_bound(self.client_credentials(proof), k)
        self.assert_proof_refused(self.password(proof), "a used proof at the password grant")

    def test_private_key_in_the_jwk(self):
        for alg in ("ES256", "EdDSA", "RS256"):
            with self.subTest(alg=alg):
                k = key(alg)
                self.refused(self.token_proof(k, header={"jwk": k.private_jwk}), "jwk with d")

    def test_alg_none(self):
        self.refused(unsigned_proof(key("ES256"), "POST", self.token_url), "alg none")

    def test_hs256(self):
        k = key("ES256")
        self.refused(hs256_proof(k, "POST", self.token_url), "HS256, EC jwk")
        secret = b"fedcba9876543210fedcba9876543210"
        self.refused(hs256_proof(k, "POST", self.token_url, secret=secret,
                                 jwk={"kty": "oct", "k": b64u(secret)}), "HS256, oct jwk")

    def test_typ_missing_or_wrong(self):
        k = key("ES256")
        self.refused(self.token_proof(k, header={"typ": None}), "no typ")
        self.refused(self.token_proof(k, header={"typ": "JWT"}), "typ JWT")
        self.refused(self.token_proof(k, header={"typ": "at+jwt"}), "typ at+jwt")

    def test_signed_by_another_key_than_the_jwk(self):
        self.refused(self.token_proof(key("ES256"), signer=fresh("ES256")), "ES256 other key")
        self.refused(self.token_proof(key("EdDSA"), signer=fresh("EdDSA")), "EdDSA other key")

    def test_a_required_claim_missing(self):
        for claim in ("jti", "htm", "htu", "iat"):
            with self.subTest(claim=claim):
                self.refused(self.token_proof(key("ES256"), drop=(claim,)), "no " + claim)

    def test_not_a_jwt(self):
        self.refused("not-a-jwt", "garbage")


# --- /userinfo and /users/me ----------------------------------------------------------------------

class ResourceEndpoints(DpopCase):
    PATHS = ("/userinfo", "/users/me")

    @classmethod
    def setUpClass(cls):
        cls.key = key("ES256")

    def setUp(self):
        self.token = self.bound_user_token(self.key)["access_token"]

    def get(self, path, token=None, proof=None, scheme="DPoP"):
        headers = {"Authorization": "%s %s" % (scheme, token or self.token)}
        if proof is not None:
            headers["DPoP"] = proof
        return requests.get(self.base + path, headers=headers, timeout=HTTP_TIMEOUT)

    def proof_for(self, path, k=None, method="GET", token=None, **kw):
        return (k or self.key).proof(method, self.base + path, access_token=token or self.token,
                                     **kw)

    def assert_ok(self, response):
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json().get("sub"), USER)

    def assert_challenge(self, response, errors=PROOF_ERRORS, note=""):
        """401 with a DPoP challenge naming one of `errors` (RFC 9449 section 7.1)."""
        self.assertEqual(response.status_code, 401, "%s: %s" % (note, response.text))
        challenge = response.headers.get("WWW-Authenticate", "")
        self.assertTrue(challenge.startswith("DPoP"), "%s: %r" % (note, challenge))
        self.assertTrue(any(e in challenge for e in errors), "%s: %r" % (note, challenge))

    def each_path(self, check):
        for path in self.PATHS:
            with self.subTest(path=path):
                check(path)

    def test_a_bound_token_with_its_proof_is_200(self):
        self.each_path(lambda p: self.assert_ok(self.get(p, proof=self.proof_for(p))))

    def test_each_key_type_works_at_the_resource(self):
        for alg in ("EdDSA", "RS256", "PS256"):
            with self.subTest(alg=alg):
                k = key(alg)
                token = self.bound_user_token(k)["access_token"]
                for path in self.PATHS:
                    self.assert_ok(self.get(path, token, self.proof_for(path, k, token=token)))

    def test_a_bound_token_as_bearer_is_401_with_a_dpop_challenge(self):
        def check(path):
            self.assert_challenge(self.get(path, scheme="Bearer"), errors=("error=",),
                                  note="Bearer")
            # A proof beside it changes nothing: the scheme is wrong.
            self.assert_challenge(self.get(path, scheme="Bearer", proof=self.proof_for(path)),
                                  errors=("error=",), note="Bearer with a proof")
        self.each_path(check)

    def test_the_dpop_scheme_without_a_proof_is_401(self):
        self.each_path(lambda p: self.assert_challenge(self.get(p), note="no proof"))

    def test_a_replayed_proof_is_401(self):
        def check(path):
            proof = self.proof_for(path)
            self.assert_ok(self.get(path, proof=proof))
            self.assert_challenge(self.get(path, proof=proof), note="replayed")
        self.each_path(check)

    def test_a_proof_by_another_key_is_401(self):
        other = fresh("ES256")
        self.each_path(lambda p: self.assert_challenge(
            self.get(p, proof=self.proof_for(p, k=other)), note="other key"))

    def test_a_proof_without_ath_is_401(self):
        self.each_path(lambda p: self.assert_challenge(
            self.get(p, proof=self.proof_for(p, drop=("ath",))), note="no ath"))

    def test_a_proof_with_a_wrong_ath_is_401(self):
        other_token = self.bound_user_token(self.key)["access_token"]
        self.each_path(lambda p: self.assert_challenge(
            self.get(p, proof=self.proof_for(p, token=other_token)), note="ath of another"))

    def test_a_proof_for_another_url_is_401(self):
        def check(path):
            other = "/users/me" if path == "/userinfo" else "/userinfo"
            self.assert_challenge(self.get(path, proof=self.proof_for(other)), note="htu")
            self.assert_challenge(self.get(path, proof=self.key.proof(
                "GET", self.token_url, access_token=self.token)), note="htu /token")
        self.each_path(check)

    def test_a_proof_for_another_method_is_401(self):
        self.each_path(lambda p: self.assert_challenge(
            self.get(p, proof=self.proof_for(p, method="POST")), note="htm POST"))

    def test_a_stale_proof_is_401(self):
        self.each_path(lambda p: self.assert_challenge(
            self.get(p, proof=self.proof_for(p, iat=int(time.time()) - 600)), note="stale"))

    def test_an_unbound_token_keeps_working_as_bearer(self):
        token = self.assert_unbound(self.password())["access_token"]
        self.each_path(lambda p: self.assert_ok(self.get(p, token, scheme="Bearer")))


# --- Refresh tokens ----------------------------------------------------------------------------------

class RefreshBinding(DpopCase):
    def test_a_public_clients_refresh_works_with_the_same_key(self):
        k = key("EdDSA")
        refresh_token = self.bound_user_token(k)["refresh_token"]
        for _ in range(2):  # rotation: the new refresh token is bound as well
            body = self.assert_bound(self.refresh(refresh_token, self.token_proof(k)), k)
            refresh_token = body["refresh_token"]

    def test_a_public_clients_refresh_with_another_key_is_refused(self):
        refresh_token = self.bound_user_token(key("EdDSA"))["refresh_token"]
        r = self.refresh(refresh_token, self.token_proof(fresh("EdDSA")))
        self.assertEqual(r.status_code, 400, r.text)
        self.assertIn(r.json().get("error"), ("invalid_dpop_proof", "invalid_grant"), r.text)

    def test_a_public_clients_refresh_without_a_proof_is_refused(self):
        refresh_token = self.bound_user_token(key("EdDSA"))["refresh_token"]
        r = self.refresh(refresh_token)
        self.assertEqual(r.status_code, 400, r.text)
        self.assertIn(r.json().get("error"), ("invalid_dpop_proof", "invalid_grant"), r.text)

    def test_a_confidential_clients_refresh_is_unbound_and_binds_the_new_token(self):
        refresh_token = self.bound_user_token(key("ES256"), client="conf")["refresh_token"]
        other = fresh("ES256")
        body = self.assert_bound(self.refresh(refresh_token, self.token_proof(other),
                                              client="conf"), other)
        self.assert_unbound(self.refresh(body["refresh_token"], client="conf"))


# --- The authorization code ------------------------------------------------------------------------

class CodeFlow(DpopCase):
    def test_a_code_redeemed_with_a_proof_gives_bound_tokens(self):
        browser = Browser(self.base)
        self.addCleanup(browser.session.close)
        verifier, challenge = pkce_pair()
        page = browser.get("/authorize", authorize_params("web", challenge, "openid"))
        if page.status_code == 200 and 'name="password"' in page.text:
            page = browser.submit(page, {"username": USER, "password": PASSWORD})
        if page.status_code == 200 and 'name="decision"' in page.text:
            page = browser.submit(page, {"decision": "allow"})
        self.assertIn(page.status_code, (302, 303), page.text[:500])
        _, params = Browser.redirect_params(page)
        self.assertIn("code", params, params)

        k = key("RS256")
        body = self.assert_bound(self.post_token(CLIENTS["web"], {
            "grant_type": "authorization_code", "code": params["code"],
            "redirect_uri": REDIRECT_URI, "code_verifier": verifier}, self.token_proof(k)), k)
        self.assertIn("id_token", body)
        token = body["access_token"]
        info = requests.get(self.base + "/userinfo", timeout=HTTP_TIMEOUT, headers={
            "Authorization": "DPoP " + token,
            "DPoP": k.proof("GET", self.base + "/userinfo", access_token=token)})
        self.assertEqual(info.status_code, 200, info.text)
        self.assertEqual(info.json().get("sub"), USER)
        # The public client's refresh token is bound to the same key.
        self.assert_bound(self.refresh(body["refresh_token"], self.token_proof(k), client="web"),
                          k)


# --- Introspection and discovery ---------------------------------------------------------------------

class IntrospectionAndDiscovery(DpopCase):
    def test_introspection_shows_cnf(self):
        k = key("ES256")
        token = self.bound_user_token(k)["access_token"]
        answer = introspection(self, self.base, CLIENTS["inspector"], token)
        self.assertIs(answer.get("active"), True, answer)
        self.assertEqual(answer.get("cnf"), {"jkt": k.jkt}, answer)
        unbound = self.assert_unbound(self.password())["access_token"]
        answer = introspection(self, self.base, CLIENTS["inspector"], unbound)
        self.assertIs(answer.get("active"), True, answer)
        self.assertNotIn("cnf", answer)

    def test_discovery_lists_the_proof_algorithms(self):
        for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
            with self.subTest(path=path):
                r = requests.get(self.base + path, timeout=HTTP_TIMEOUT)
                self.assertEqual(r.status_code, 200, r.text)
                algs = r.json().get("dpop_signing_alg_values_supported")
                self.assertIsInstance(algs, list, r.text)
                self.assertIn("ES256", algs)
                self.assertIn("EdDSA", algs)
                for bad in algs:
                    self.assertFalse(bad.lower() == "none" or bad.upper().startswith("HS"), algs)


# --- One SQLite database, several processes ----------------------------------------------------

class ReplayAcrossProcesses(unittest.TestCase):
    """Two servers on one SQLite file (one issuer, as behind a proxy) share the proofs they
    have seen through the replay file beside the database: a proof used at one is refused at
    the other, and still after a restart."""

    ISSUER = "http://tessera.replay.test"

    @classmethod
    def setUpClass(cls):
        env = {"TESSERA_ISSUER": cls.ISSUER}
        cls.first = harness.Server.start(env=env)
        cls.addClassCleanup(cls.first.close)
        cls.second = harness.Server.start(env=env, workdir=cls.first.workdir)
        cls.addClassCleanup(lambda: cls.second.close())  # the one running then (restarts)
        add_user(cls.first, USER, PASSWORD)
        cls.svc = add_client(cls.first, "svc")
        cls.app = add_client(cls.first, "app", public=True)
        cls.key = fresh("EdDSA")

    def token(self, server, proof):
        return requests.post(server.base + "/token", data={"grant_type": "client_credentials"},
                             headers={"Authorization": basic_authorization(self.svc.id,
                                                                           self.svc.secret),
                                      "DPoP": proof}, timeout=HTTP_TIMEOUT)

    def test_the_replay_file_is_private_and_beside_the_database(self):
        path = os.path.join(self.first.workdir, "t.db-replays")
        self.assertTrue(os.path.isfile(path), os.listdir(self.first.workdir))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)

    def test_a_token_endpoint_proof_used_at_one_is_refused_at_the_other(self):
        proof = self.key.proof("POST", self.ISSUER + "/token")
        self.assertEqual(self.token(self.first, proof).status_code, 200)
        again = self.token(self.second, proof)
        self.assertEqual(again.status_code, 400, again.text)
        self.assertEqual(again.json().get("error"), "invalid_dpop_proof", again.text)
        self.assertIn("used before", again.json().get("error_description", ""))
        # A new proof is taken at either.
        self.assertEqual(self.token(self.second, self.key.proof("POST", self.ISSUER + "/token"))
                         .status_code, 200)

    def test_a_resource_proof_used_at_one_is_refused_at_the_other_and_after_a_restart(self):
        body = self.token(self.first, self.key.proof("POST", self.ISSUER + "/token")).json()
        token = body["access_token"]
        url = self.ISSUER + "/users/me"
        proof = self.key.proof("GET", url, access_token=token)

        def me(server):
            return requests.get(server.base + "/users/me", timeout=HTTP_TIMEOUT,
                                headers={"Authorization": "DPoP " + token, "DPoP": proof})

        self.assertEqual(me(self.second).status_code, 200)
        refused = me(self.first)
        self.assertEqual(refused.status_code, 401, refused.text)
        self.assertIn('error="invalid_dpop_proof"', refused.headers.get("WWW-Authenticate", ""))
        type(self).second.close()
        type(self).second = harness.Server.start(env={"TESSERA_ISSUER": self.ISSUER},
                                                 workdir=self.first.workdir)
        self.assertEqual(me(self.second).status_code, 401)

    def test_many_proofs_at_both_at_once_each_taken_once(self):
        proofs = [self.key.proof("POST", self.ISSUER + "/token") for _ in range(40)]
        servers = (self.first, self.second)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            # Each proof is sent to both servers at the same moment.
            answers = list(pool.map(lambda job: self.token(servers[job[1]], job[0]).status_code,
                                    [(p, i) for p in proofs for i in (0, 1)]))
        for n, proof in enumerate(proofs):
            pair = sorted(answers[2 * n:2 * n + 2])
            self.assertEqual(pair, [200, 400], "proof %d: %s" % (n, pair))


if __name__ == "__main__":
    unittest.main()
