"""Real OAuth client libraries against the live server (issue 4): Debian's python3-authlib
and python3-requests-oauthlib, code nobody here wrote, used the way their documentation
shows. Both refuse plain http unless told otherwise, so this module sets
OAUTHLIB_INSECURE_TRANSPORT and AUTHLIB_INSECURE_TRANSPORT while it runs."""

import os
import time
import unittest

import requests
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from authlib.integrations.requests_client import OAuthError
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from oauthlib.oauth2 import (BackendApplicationClient, InvalidClientError, InvalidGrantError,
                             InvalidScopeError, LegacyApplicationClient)
from requests_oauthlib import OAuth2Session as OAuthlibSession

import harness
from harness import HTTP_TIMEOUT
from jwks_helpers import RFC8414_PATH
from oauth_helpers import (INACTIVE, REFRESH_TOKEN, Client, add_client, add_user, claims,
                           me_status, new_secret)

BOB, BOB_PASSWORD = "bob", "Bob-pass-12345"
INSECURE = ("OAUTHLIB_INSECURE_TRANSPORT", "AUTHLIB_INSECURE_TRANSPORT")
_saved_environment = {}


def setUpModule():
    for name in INSECURE:
        _saved_environment[name] = os.environ.get(name)
        os.environ[name] = "1"


def tearDownModule():
    for name, value in _saved_environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class _Clients(harness.ServerTestCase):
    """A server with bob and one client of each kind. Reuse of a replaced refresh token is
    shown at once, so without the grace period (test_refresh_grace tries that)."""

    SERVER_ENV = {"TESSERA_REFRESH_REUSE_GRACE": "0"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_user(cls.server, BOB, BOB_PASSWORD, scope="read write")
        cls.svc = add_client(cls.server, "svc", scope="read write")
        cls.web = add_client(cls.server, "web", grants=["password", "refresh_token"],
                             scope="read write")
        cls.app = add_client(cls.server, "app", public=True, scope="read write")
        cls.rs = add_client(cls.server, "resource-server")
        cls.token_url = cls.server.base + "/token"

    def me(self, session):
        r = session.get(self.base + "/users/me", timeout=HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()


class Authlib(_Clients):
    def session(self, client, method=None, **kwargs):
        if client.public:
            return AuthlibSession(client.id, token_endpoint_auth_method="none",
                                  revocation_endpoint_auth_method="none", **kwargs)
        return AuthlibSession(client.id, client.secret, token_endpoint_auth_method=method,
                              revocation_endpoint_auth_method=method, **kwargs)

    def test_client_credentials_with_client_secret_basic_and_post(self):
        for method in ("client_secret_basic", "client_secret_post"):
            with self.subTest(method=method):
                with self.session(self.svc, method, scope="read") as session:
                    token = session.fetch_token(self.token_url, grant_type="client_credentials")
                    self.assertEqual(token["token_type"], "bearer")
                    self.assertEqual(token["scope"], "read")
                    self.assertGreater(token["expires_at"], time.time())
                    self.assertNotIn("refresh_token", token)
                    self.assertEqual(self.me(session)["sub"], "svc")

    def test_wrong_secret_raises_invalid_client(self):
        for method in ("client_secret_basic", "client_secret_post"):
            with self.subTest(method=method):
                with self.session(Client("svc", new_secret()), method) as session:
                    with self.assertRaises(OAuthError) as caught:
                        session.fetch_token(self.token_url, grant_type="client_credentials")
                    self.assertEqual(caught.exception.error, "invalid_client")

    def test_password_grant_and_refresh_with_rotation(self):
        with self.session(self.web, "client_secret_basic") as session:
            token = session.fetch_token(self.token_url, username=BOB, password=BOB_PASSWORD)
            self.assertRegex(token["refresh_token"], REFRESH_TOKEN)
            self.assertEqual(self.me(session)["sub"], BOB)
            first_refresh = token["refresh_token"]
            renewed = session.refresh_token(self.token_url)
            self.assertNotEqual(renewed["refresh_token"], first_refresh)
            self.assertNotEqual(renewed["access_token"], token["access_token"])
            self.assertEqual(self.me(session)["sub"], BOB)
            with self.assertRaises(OAuthError) as caught:
                session.refresh_token(self.token_url, refresh_token=first_refresh)
            self.assertEqual(caught.exception.error, "invalid_grant")

    def test_narrower_scope_and_invalid_scope(self):
        with self.session(self.web, "client_secret_post", scope="read") as session:
            token = session.fetch_token(self.token_url, username=BOB, password=BOB_PASSWORD)
            self.assertEqual(token["scope"], "read")
        with self.session(self.web, "client_secret_post", scope="admin") as session:
            with self.assertRaises(OAuthError) as caught:
                session.fetch_token(self.token_url, username=BOB, password=BOB_PASSWORD)
            self.assertEqual(caught.exception.error, "invalid_scope")

    def test_introspect_and_revoke(self):
        with self.session(self.web, "client_secret_basic") as session:
            token = session.fetch_token(self.token_url, username=BOB, password=BOB_PASSWORD)
        with self.session(self.rs, "client_secret_basic") as resource_server:
            def introspect(value):
                r = resource_server.introspect_token(self.base + "/introspect", token=value)
                self.assertEqual(r.status_code, 200, r.text)
                return r.json()

            answer = introspect(token["access_token"])
            self.assertIs(answer["active"], True)
            self.assertEqual(answer["sub"], BOB)
            self.assertEqual(answer["client_id"], "web")
            self.assertEqual(introspect(token["refresh_token"])["token_type"], "refresh_token")
            for method in ("client_secret_basic", "client_secret_post"):
                with self.subTest(method=method):
                    with self.session(self.web, method) as session:
                        fresh = session.fetch_token(self.token_url, username=BOB,
                                                    password=BOB_PASSWORD)
                        r = session.revoke_token(self.base + "/revoke",
                                                 token=fresh["access_token"],
                                                 token_type_hint="access_token")
                        self.assertEqual(r.status_code, 200, r.text)
                        self.assertEqual(introspect(fresh["access_token"]), INACTIVE)
                        r = session.revoke_token(self.base + "/revoke",
                                                 token=fresh["refresh_token"],
                                                 token_type_hint="refresh_token")
                        self.assertEqual(r.status_code, 200, r.text)
                        self.assertEqual(introspect(fresh["refresh_token"]), INACTIVE)
                        with self.assertRaises(OAuthError) as caught:
                            session.refresh_token(self.token_url,
                                                  refresh_token=fresh["refresh_token"])
                        self.assertEqual(caught.exception.error, "invalid_grant")
            self.assertIs(introspect(token["access_token"])["active"], True)

    def test_public_client_with_auth_method_none(self):
        with self.session(self.app) as session:
            token = session.fetch_token(self.token_url, username=BOB, password=BOB_PASSWORD)
            self.assertEqual(claims(token["access_token"])["client_id"], "app")
            renewed = session.refresh_token(self.token_url)
            r = session.revoke_token(self.base + "/revoke", token=renewed["refresh_token"])
            self.assertEqual(r.status_code, 200, r.text)
            with self.assertRaises(OAuthError) as caught:
                session.refresh_token(self.token_url)
            self.assertEqual(caught.exception.error, "invalid_grant")
            # A public client cannot introspect.
            r = session.introspect_token(self.base + "/introspect",
                                         token=renewed["access_token"])
            self.assertEqual(r.status_code, 401, r.text)

    def test_expired_token_is_refreshed_on_the_next_request(self):
        updates = []
        with self.session(self.web, "client_secret_basic", token_endpoint=self.token_url,
                          update_token=lambda token, **kw: updates.append(token)) as session:
            token = dict(session.fetch_token(self.token_url, username=BOB,
                                             password=BOB_PASSWORD))
            session.token = dict(token, expires_at=int(time.time()) - 5)  # as if it had expired
            self.assertEqual(self.me(session)["sub"], BOB)
            self.assertEqual(len(updates), 1)
            self.assertNotEqual(session.token["refresh_token"], token["refresh_token"])
            self.assertNotEqual(session.token["access_token"], token["access_token"])

    def test_client_credentials_token_is_fetched_again_when_it_expires(self):
        with self.session(self.svc, "client_secret_basic", token_endpoint=self.token_url,
                          grant_type="client_credentials") as session:
            token = dict(session.fetch_token(grant_type="client_credentials"))
            session.token = dict(token, expires_at=int(time.time()) - 5)
            self.assertEqual(self.me(session)["sub"], "svc")
            self.assertNotEqual(session.token["access_token"], token["access_token"])

    def test_discovery_metadata_passes_authlib_rfc8414_validation(self):
        doc = requests.get(self.base + RFC8414_PATH, timeout=HTTP_TIMEOUT).json()
        metadata = AuthorizationServerMetadata(doc)
        for key in metadata.REGISTRY_KEYS:
            with self.subTest(key=key):
                getattr(metadata, "validate_" + key)()


class RequestsOAuthlib(_Clients):
    def test_backend_application_client_with_basic_and_post(self):
        for include_client_id in (False, True):  # Basic, then client_id/secret in the body
            with self.subTest(include_client_id=include_client_id), OAuthlibSession(
                    client=BackendApplicationClient(client_id=self.svc.id)) as session:
                token = session.fetch_token(self.token_url, client_id=self.svc.id,
                                            client_secret=self.svc.secret,
                                            include_client_id=include_client_id,
                                            timeout=HTTP_TIMEOUT)
                self.assertEqual(token["token_type"], "bearer")
                self.assertEqual(sorted(token["scope"]), ["read", "write"])
                self.assertEqual(self.me(session)["sub"], "svc")

    def test_backend_application_client_narrower_scope(self):
        client = BackendApplicationClient(client_id=self.svc.id, scope=["write"])
        with OAuthlibSession(client=client) as session:
            token = session.fetch_token(self.token_url, client_id=self.svc.id,
                                        client_secret=self.svc.secret, timeout=HTTP_TIMEOUT)
        self.assertEqual(token["scope"], ["write"])
        self.assertEqual(claims(token["access_token"])["scope"], "write")

    def test_errors_raise_the_oauthlib_exception_for_their_code(self):
        with OAuthlibSession(client=BackendApplicationClient(client_id="svc")) as session:
            with self.assertRaises(InvalidClientError):
                session.fetch_token(self.token_url, client_id="svc", client_secret=new_secret(),
                                    timeout=HTTP_TIMEOUT)
        client = BackendApplicationClient(client_id="svc", scope=["admin"])
        with OAuthlibSession(client=client) as session:
            with self.assertRaises(InvalidScopeError):
                session.fetch_token(self.token_url, client_id="svc",
                                    client_secret=self.svc.secret, timeout=HTTP_TIMEOUT)

    def test_legacy_application_client_confidential(self):
        auth = requests.auth.HTTPBasicAuth(self.web.id, self.web.secret)
        with OAuthlibSession(client=LegacyApplicationClient(client_id=self.web.id)) as session:
            token = session.fetch_token(self.token_url, username=BOB, password=BOB_PASSWORD,
                                        client_id=self.web.id, client_secret=self.web.secret,
                                        timeout=HTTP_TIMEOUT)
            self.assertRegex(token["refresh_token"], REFRESH_TOKEN)
            self.assertEqual(self.me(session)["sub"], BOB)
            renewed = session.refresh_token(self.token_url, auth=auth, timeout=HTTP_TIMEOUT)
            self.assertNotEqual(renewed["refresh_token"], token["refresh_token"])
            self.assertEqual(self.me(session)["sub"], BOB)
            with self.assertRaises(InvalidGrantError):
                session.refresh_token(self.token_url, refresh_token=token["refresh_token"],
                                      auth=auth, timeout=HTTP_TIMEOUT)
        # Reuse ended the family, the access token in use included.
        self.assertEqual(me_status(self.base, renewed["access_token"]), 401)

    def test_legacy_application_client_public_refreshes_automatically(self):
        # A public client names itself in the body (include_client_id): without it,
        # requests-oauthlib sends Basic with an empty password, which is not how a public
        # client authenticates here (docs/reference.md: public clients send client_id only).
        with OAuthlibSession(client=LegacyApplicationClient(client_id=self.app.id)) as session:
            token = session.fetch_token(self.token_url, username=BOB, password=BOB_PASSWORD,
                                        client_id=self.app.id, include_client_id=True,
                                        timeout=HTTP_TIMEOUT)
        self.assertEqual(claims(token["access_token"])["client_id"], "app")
        updates = []
        expired = dict(token, expires_at=time.time() - 5, expires_in=-5)
        with OAuthlibSession(client=LegacyApplicationClient(client_id=self.app.id),
                             token=expired, auto_refresh_url=self.token_url,
                             auto_refresh_kwargs={"client_id": self.app.id},
                             token_updater=updates.append) as session:
            self.assertEqual(self.me(session)["sub"], BOB)
        self.assertEqual(len(updates), 1)
        self.assertNotEqual(updates[0]["refresh_token"], token["refresh_token"])
        self.assertEqual(me_status(self.base, updates[0]["access_token"]), 200)


if __name__ == "__main__":
    unittest.main()
