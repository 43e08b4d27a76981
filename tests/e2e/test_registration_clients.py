"""Dynamic client registration (RFC 7591) and resource indicators (RFC 8707) from clients nobody
here wrote (issue 17): an app that knows only the finance API's URL follows its 401 to the
protected-resource metadata (RFC 9728), to Tessera's metadata (RFC 8414), registers itself and
signs a user in for a token whose "aud" is the API's resource URL, which the API takes.

npm oauth4webapi does the walk (node/registration_walk.mjs; the sign-in pages are posted by
this file's Browser); Debian's python3-authlib validates a registration answer with its RFC 7591
ClientMetadataClaims, and its OAuth2Session runs the code flow with PKCE and the resource, and a
refresh. Tessera runs with TESSERA_REGISTRATION=token, TESSERA_REGISTRATION_SCOPES=finance:read
and TESSERA_REGISTRATION_RESOURCES set to the finance API's address, which is therefore chosen
before either starts. authlib refuses plain http unless AUTHLIB_INSECURE_TRANSPORT is set, which
this module does while it runs.
"""

import json
import os
import unittest
import urllib.parse

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose.errors import InvalidClaimError
from authlib.oauth2.rfc7591 import ClientMetadataClaims

import harness
import node_helpers
from harness import HTTP_TIMEOUT
from browser_helpers import Browser
from finance_helpers import KNOWN, FinanceApi, dataset_records, free_port
from oauth_helpers import add_user, claims

SCRIPT = os.path.join(node_helpers.NODE_DIR, "registration_walk.mjs")
NODE_TIMEOUT = 60
USER, PASSWORD = "pat", "Pat-pass-12345"
SCOPE = "finance:read"
ELSEWHERE = "https://elsewhere.example"
INSECURE = "AUTHLIB_INSECURE_TRANSPORT"
_saved_insecure = None
stack = None


class Stack:
    """Tessera and the finance API, the API's port picked first so that Tessera can be told
    its resource URL. Another process may take the port in between, hence the retries."""

    def __init__(self):
        for _ in range(3):
            port = free_port()
            self.resource = "http://127.0.0.1:%d" % port
            self.tessera = harness.Server.start(env={
                "TESSERA_REGISTRATION": "token", "TESSERA_REGISTRATION_SCOPES": SCOPE,
                "TESSERA_REGISTRATION_RESOURCES": self.resource})
            try:
                self.api = FinanceApi.start(self.tessera.base,
                                            FINANCE_LISTEN="127.0.0.1:%d" % port)
            except AssertionError as e:
                self.tessera.close()
                if "address already in use" in str(e).lower():
                    continue
                raise
            if self.api.base != self.resource:
                raise AssertionError("finance-api listens on %s, not %s"
                                     % (self.api.base, self.resource))
            add_user(self.tessera, USER, PASSWORD, scope=SCOPE)
            return
        raise AssertionError("finance-api found no free port in three tries")

    def initial_access_token(self):
        result = self.tessera.cli("registration", "token", "create", "--expires", "1h")
        if result.returncode != 0:
            raise AssertionError(result.stderr)
        return result.stdout.split("initial access token: ", 1)[1].split()[0]

    def sign_in(self, url):
        """The user in a browser at `url`: the login page and, the first time, the consent
        page. Returns the redirect to the client, as its callback would receive it."""
        parsed = urllib.parse.urlsplit(url)
        browser = Browser(self.tessera.base)
        try:
            page = browser.get(parsed.path, dict(urllib.parse.parse_qsl(parsed.query)))
            if page.status_code == 200 and 'name="password"' in page.text:
                page = browser.submit(page, {"username": USER, "password": PASSWORD})
            if page.status_code == 200 and 'value="allow"' in page.text:
                page = browser.submit(page, {"decision": "allow"})
            if page.status_code not in (302, 303):
                raise AssertionError("sign-in at %s: %s %s" % (url, page.status_code,
                                                               page.text[:300]))
            return page.headers["Location"]
        finally:
            browser.session.close()

    def close(self):
        self.api.close()
        self.tessera.close()


def setUpModule():
    global stack, _saved_insecure
    node_helpers.ensure_packages("oauth4webapi")
    _saved_insecure = os.environ.get(INSECURE)
    os.environ[INSECURE] = "1"
    stack = Stack()


def tearDownModule():
    if _saved_insecure is None:
        os.environ.pop(INSECURE, None)
    else:
        os.environ[INSECURE] = _saved_insecure
    stack.close()


class Oauth4webapiWalk(unittest.TestCase):
    """node/registration_walk.mjs, run once for the class; each test judges one stretch."""

    answer = None

    @classmethod
    def setUpClass(cls):
        cls.redirect_uri = "http://127.0.0.1:%d/cb" % free_port()  # nothing listens: RFC 8252
        cls.sign_ins = []
        cls.answer = cls.run_script(stack.initial_access_token())

    @classmethod
    def run_script(cls, initial_access_token):
        return node_helpers.drive_script(
            SCRIPT, [stack.api.base + "/dart/finance/business/" + KNOWN, cls.redirect_uri],
            {"initial_access_token": initial_access_token}, cls.sign_in, NODE_TIMEOUT)

    @classmethod
    def sign_in(cls, message):
        cls.sign_ins.append(message)
        return stack.sign_in(message["sign_in"])

    def steps(self):
        self.assertTrue(self.answer["ok"], "%s\nsteps: %s" % (
            self.answer.get("error"), json.dumps(self.answer["steps"], indent=1)))
        return self.answer["steps"]

    def assert_api_refused(self, call, error):
        """oauth4webapi's protectedResourceRequest rejected a 401 Bearer challenge with this
        error (None: the bare challenge) that names the API's metadata."""
        self.assertEqual((call.get("kind"), call.get("status")),
                         ("WWWAuthenticateChallengeError", 401), call)
        bearer = [c for c in call["challenges"] if c["scheme"] == "bearer"]
        self.assertEqual(len(bearer), 1, call["challenges"])
        self.assertEqual(bearer[0]["parameters"].get("error"), error, bearer)
        self.assertEqual(bearer[0]["parameters"]["resource_metadata"],
                         stack.resource + "/.well-known/oauth-protected-resource")

    def assert_api_answered(self, call):
        self.assertEqual(call.get("status"), 200, call)
        self.assertEqual(call["body"], {"newCompanyFinance": dataset_records(KNOWN)})

    def test_the_401_leads_to_the_resource_metadata_and_to_tessera(self):
        steps = self.steps()
        first = steps["unauthenticated"]
        self.assertIs(first["authorization_sent"], False)
        self.assert_api_refused(first, None)
        discovered = steps["resource_discovery"]
        # resourceDiscoveryRequest for the API's URL fetched the document the 401 named, and
        # processResourceDiscoveryResponse found the API's URL as its resource.
        self.assertEqual(discovered["url"], first["challenges"][0]["parameters"]
                         ["resource_metadata"])
        self.assertEqual(discovered["resource"], stack.resource)
        self.assertEqual(discovered["authorization_servers"], [stack.tessera.base])
        self.assertEqual(discovered["scopes_supported"], [SCOPE])
        self.assertEqual(steps["discovery"], {"issuer": stack.tessera.base,
                                              "registration_endpoint":
                                              stack.tessera.base + "/register"})

    def test_registration_needs_the_initial_access_token(self):
        refused = self.steps()["registration_without_token"]
        self.assertEqual(refused.get("kind"), "WWWAuthenticateChallengeError", refused)
        self.assertEqual(refused["status"], 401)
        self.assertEqual(refused["error"], "invalid_token")
        self.assertEqual([c["scheme"] for c in refused["challenges"]], ["bearer"])
        self.assertEqual(refused["challenges"][0]["parameters"].get("error"), "invalid_token")

    def test_the_app_registers_as_a_public_client(self):
        registered = self.steps()["registration"]
        self.assertTrue(registered["client_id"].startswith("reg-"), registered)
        self.assertIs(registered["has_client_secret"], False)
        self.assertEqual(registered["token_endpoint_auth_method"], "none")
        self.assertEqual(registered["redirect_uris"], [self.redirect_uri])
        self.assertEqual(sorted(registered["grant_types"]), ["authorization_code",
                                                             "refresh_token"])
        self.assertEqual(registered["scope"], SCOPE)
        self.assertEqual(registered["registration_client_uri"],
                         stack.tessera.base + "/register/" + registered["client_id"])
        self.assertIs(registered["has_registration_access_token"], True)
        listed = stack.tessera.cli("client", "list").stdout
        self.assertIn(registered["client_id"], listed)

    def test_the_token_for_the_api_resource_gets_the_business_data(self):
        steps = self.steps()
        code = steps["code"]
        self.assertEqual(code["aud"], stack.resource)
        self.assertEqual(code["client_id"], steps["registration"]["client_id"])
        self.assertEqual((code["sub"], code["scope"], code["token_type"]), (USER, SCOPE, "bearer"))
        self.assertIs(code["has_refresh_token"], True)
        self.assert_api_answered(steps["call"])
        # The browser went to Tessera with the resource and PKCE.
        sent = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
            next(s["sign_in"] for s in self.sign_ins if s["flow"] == "code")).query))
        self.assertEqual(sent["resource"], stack.resource)
        self.assertEqual(sent["code_challenge_method"], "S256")

    def test_a_refresh_keeps_the_resource_and_refuses_another(self):
        refreshed = self.steps()["refresh"]
        self.assertEqual(refreshed["aud"], stack.resource)
        self.assert_api_answered(refreshed["call"])
        self.assertEqual(refreshed["elsewhere"], {"kind": "ResponseBodyError", "status": 400,
                                                  "error": "invalid_target"})

    def test_a_resource_tessera_does_not_offer_is_invalid_target(self):
        refused = self.steps()["other_resource"]
        self.assertEqual(refused, {"kind": "AuthorizationResponseError",
                                   "error": "invalid_target", "iss": stack.tessera.base})

    def test_a_token_without_the_resource_is_not_the_apis(self):
        plain = self.steps()["no_resource"]
        self.assertEqual(plain["aud"], stack.tessera.base)
        self.assert_api_refused(plain["call"], "invalid_token")
        # RFC 8707: the family, granted for no resource, is narrowed to the API's by a refresh.
        self.assertEqual(plain["narrowed"]["aud"], stack.resource)
        self.assert_api_answered(plain["narrowed"]["call"])


class AuthlibRegisteredClient(unittest.TestCase):
    """authlib has no RFC 7591 client: the registration is a POST, its answer checked with
    authlib's ClientMetadataClaims; then authlib's OAuth2Session is the registered client."""

    def register(self, metadata):
        r = requests.post(stack.tessera.base + "/register", json=metadata, timeout=HTTP_TIMEOUT,
                          headers={"Authorization": "Bearer " + stack.initial_access_token()})
        self.assertEqual(r.status_code, 201, r.text)
        return r.json()

    def test_the_registration_answer_is_valid_client_metadata(self):
        redirect_uri = "http://127.0.0.1:%d/cb" % free_port()
        answer = self.register({"redirect_uris": [redirect_uri], "client_name": "Ledger app",
                                "grant_types": ["authorization_code", "refresh_token"],
                                "scope": SCOPE})
        requested = {"authorization_code", "refresh_token"}
        options = {
            "redirect_uris": {"essential": True, "value": [redirect_uri]},
            "token_endpoint_auth_method": {"essential": True, "value": "client_secret_basic"},
            "grant_types": {"essential": True, "validate": lambda _, v: set(v) == requested},
            "response_types": {"essential": True, "value": ["code"]},
            "client_name": {"essential": True, "value": "Ledger app"},
            "scope": {"essential": True, "value": SCOPE},
        }
        ClientMetadataClaims(answer, {}, options=options).validate()
        self.assertTrue(answer["client_secret"])
        self.assertEqual(answer["client_secret_expires_at"], 0)
        # The validator does catch what it is asked to: the same answer with another scope.
        with self.assertRaises(InvalidClaimError):
            ClientMetadataClaims(dict(answer, scope="admin"), {}, options=options).validate()

    def test_code_flow_with_pkce_and_resource_then_a_refresh(self):
        redirect_uri = "http://127.0.0.1:%d/cb" % free_port()
        client = self.register({"redirect_uris": [redirect_uri], "client_name": "authlib app",
                                "grant_types": ["authorization_code", "refresh_token"],
                                "token_endpoint_auth_method": "client_secret_basic",
                                "scope": SCOPE})
        metadata = requests.get(stack.tessera.base + "/.well-known/oauth-authorization-server",
                                timeout=HTTP_TIMEOUT).json()
        verifier = "v-" + os.urandom(32).hex()
        with OAuth2Session(client["client_id"], client["client_secret"],
                           token_endpoint_auth_method="client_secret_basic", scope=SCOPE,
                           redirect_uri=redirect_uri, code_challenge_method="S256") as session:
            url, state = session.create_authorization_url(
                metadata["authorization_endpoint"], code_verifier=verifier,
                resource=stack.resource)
            sent = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
            self.assertEqual((sent["resource"], sent["code_challenge_method"]),
                             (stack.resource, "S256"))
            callback = stack.sign_in(url)
            self.assertTrue(callback.startswith(redirect_uri + "?"), callback)
            token = session.fetch_token(metadata["token_endpoint"],
                                        authorization_response=callback, state=state,
                                        code_verifier=verifier, resource=stack.resource)
            self.assertEqual(claims(token["access_token"])["aud"], stack.resource)
            self.assertEqual(claims(token["access_token"])["client_id"], client["client_id"])
            self.assertEqual(token["scope"], SCOPE)
            call = session.get(stack.api.base + "/dart/finance/business/" + KNOWN,
                               timeout=HTTP_TIMEOUT)
            self.assertEqual(call.status_code, 200, call.text)
            self.assertEqual(call.json(), {"newCompanyFinance": dataset_records(KNOWN)})

            renewed = session.refresh_token(metadata["token_endpoint"])
            self.assertNotEqual(renewed["refresh_token"], token["refresh_token"])
            self.assertEqual(claims(renewed["access_token"])["aud"], stack.resource)
            call = session.get(stack.api.base + "/dart/finance/business/" + KNOWN,
                               timeout=HTTP_TIMEOUT)
            self.assertEqual(call.status_code, 200, call.text)


if __name__ == "__main__":
    unittest.main()
