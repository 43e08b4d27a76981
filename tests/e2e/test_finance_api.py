"""The seed's finance API in C++ (build/finance-api, issue 5) beside a live Tessera: its tokens
by client_credentials, the RFC 6750 answers, the dataset, key rotation, Tessera going away,
the 500 path, configuration errors and shutdown.

finance-api is started the way its README says: FINANCE_ISSUER is Tessera's base URL (which is
also its issuer), FINANCE_LISTEN a port 0 it prints back.
"""

import json
import os
import signal
import time
import unittest

import requests

import harness
from finance_helpers import (FIXED_500, KNOWN, MALFORMED, UNKNOWN, FinanceApi,
                             add_finance_clients, assert_challenge, bad_tokens, dataset_records,
                             free_port, token_of)
from jwks_helpers import kid_of, kid_printed, wait_for
from dpop_helpers import DpopKey
from oauth_helpers import add_client, basic_authorization


class _WithTessera(unittest.TestCase):
    """A Tessera with the finance clients, and a finance-api that trusts it."""

    TESSERA_ENV = {}
    FINANCE_ENV = {}

    @classmethod
    def setUpClass(cls):
        cls.tessera = harness.Server.start(env=cls.TESSERA_ENV)
        cls.addClassCleanup(cls.tessera.close)
        cls.clients = add_finance_clients(cls.tessera)
        cls.api = FinanceApi.start(cls.tessera.base, **cls.FINANCE_ENV)
        cls.addClassCleanup(cls.api.close)

    def token(self, client=None):
        return token_of(self, self.tessera, client or self.clients.reader)


class FinanceApiAnswers(_WithTessera):
    def test_finance_reader_gets_the_company_records(self):
        r = self.api.get_company(KNOWN, self.token())
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"), r.headers)
        body = r.json()
        self.assertEqual(list(body), ["newCompanyFinance"])
        self.assertEqual(body["newCompanyFinance"], dataset_records(KNOWN))
        self.assertGreaterEqual(len(body["newCompanyFinance"]), 2)
        for record in body["newCompanyFinance"]:
            self.assertEqual(record["currency"], "KRW")
            self.assertEqual(record["totalAssets"],
                             record["totalLiabilities"] + record["totalEquity"])

    def test_unknown_business_number_is_an_empty_list(self):
        r = self.api.get_company(UNKNOWN, self.token())
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"newCompanyFinance": []})

    def test_malformed_business_numbers_are_400_invalid_request(self):
        token = self.token()
        # Arabic-Indic and full-width digits are digits to Unicode, not to a business number.
        for biz_num in MALFORMED + ("%D9%A1" * 10, "%EF%BC%91" * 10, "000123456%20",
                                    "0001234567/x", "0001234567%00"):
            with self.subTest(biz_num=biz_num):
                r = self.api.get_company(biz_num, token)
                harness.assert_json_error(self, r, 400, "invalid_request")
                self.assertNotIn("newCompanyFinance", r.text)

    def test_a_token_without_finance_read_is_403_insufficient_scope(self):
        r = self.api.get_company(KNOWN, self.token(self.clients.other_scope))
        challenge = assert_challenge(self, r, 403, "insufficient_scope")
        self.assertIn('scope="finance:read"', challenge)

    def test_no_token_is_401_with_a_bare_bearer_challenge(self):
        for headers in ({}, {"Authorization": "Basic ZmluYW5jZTpyZWFkZXI="},
                        {"Authorization": "Bearer"}, {"Authorization": "Bearer   "}):
            with self.subTest(headers=headers):
                r = self.api.get("/dart/finance/business/" + KNOWN, headers=headers)
                assert_challenge(self, r, 401, None)

    def test_the_token_is_checked_before_the_business_number(self):
        assert_challenge(self, self.api.get_company("123"), 401, None)
        assert_challenge(self, self.api.get_company("123", "garbage"), 401, "invalid_token")

    def test_a_token_for_another_audience_is_401_invalid_token(self):
        token = self.token(self.clients.other_audience)
        self.assertEqual(harness.unverified(token)[1]["aud"], "other-api")
        assert_challenge(self, self.api.get_company(KNOWN, token), 401, "invalid_token")

    def test_a_token_of_tessera_itself_is_401_invalid_token(self):
        # The password grant's built-in client has no audience: the token names Tessera.
        token = harness.token_for(self, self.tessera.base, harness.ADMIN_USER,
                                  harness.ADMIN_PASSWORD)
        assert_challenge(self, self.api.get_company(KNOWN, token), 401, "invalid_token")

    def test_a_forged_or_garbled_token_is_401_invalid_token(self):
        for bad in bad_tokens(self.token()):
            with self.subTest(token=bad[:40]):
                assert_challenge(self, self.api.get_company(KNOWN, bad), 401, "invalid_token")

    def test_a_token_from_another_tessera_is_401_invalid_token(self):
        other = harness.Server.start()
        self.addCleanup(other.close)
        reader = add_client(other, "finance-reader", scope="finance:read", audience="finance-api")
        token = token_of(self, other, reader)
        assert_challenge(self, self.api.get_company(KNOWN, token), 401, "invalid_token")
        # ... and that refused token left the service as it was.
        self.assertEqual(self.api.get_company(KNOWN, self.token()).status_code, 200)

    def test_healthz_counts_the_cached_keys(self):
        r = self.api.get("/healthz")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"status": "ok", "keys": 1})

    def test_unknown_paths_and_methods_get_json_errors(self):
        harness.assert_json_error(self, self.api.get("/dart/finance/business/"), 404, "not_found")
        r = requests.post(self.api.base + "/dart/finance/business/" + KNOWN,
                          timeout=harness.HTTP_TIMEOUT)
        harness.assert_json_error(self, r, 405, "method_not_allowed")

    def test_each_request_is_one_json_log_line_without_the_token(self):
        token = self.token()
        path = "/dart/finance/business/0000000017"
        self.api.get(path, token)
        self.api.get(path)

        def lines():
            return [rec for rec in self.api.log_records()
                    if rec.get("event") == "request" and rec.get("path") == path]
        wait_for(lambda: len(lines()) == 2, 5, "two request lines for %s" % path)
        # Each line is written once its answer is sent: the second request's line may come
        # first.
        self.assertEqual(sorted(rec["status"] for rec in lines()), [200, 401])
        self.assertNotIn(token, self.api.stderr())
        self.assertNotIn(token.split(".")[2], self.api.stderr())


class KeyRotation(_WithTessera):
    """`tessera key rotate` while finance-api runs: the new key's tokens are accepted without
    a restart. With a 2 s publish delay Tessera serves its JWKS with max-age 1 s."""

    TESSERA_ENV = {"TESSERA_KEY_PUBLISH_DELAY": "2s", "TESSERA_ACCESS_TOKEN_TTL": "30s"}

    def test_tokens_of_the_new_key_are_accepted_without_a_restart(self):
        before = self.token()
        self.assertEqual(self.api.get_company(KNOWN, before).status_code, 200)
        rotated = self.tessera.cli("key", "rotate")
        self.assertEqual(rotated.returncode, 0, rotated.stderr)
        new_kid = kid_printed(self, rotated)
        self.assertNotEqual(new_kid, kid_of(before))

        def token_of_the_new_key():
            token = self.token()
            return token if kid_of(token) == new_kid else None

        # It signs after the publish delay (2 s, the activation rounded up to a whole second),
        # which Tessera notices within a second.
        after = wait_for(token_of_the_new_key, 2 + 1 + 1 + 2, "a token signed by the new key")
        # The new key was published 2 s before it signed; finance-api's cache lives 1 s.
        wait_for(lambda: self.api.get_company(KNOWN, after).status_code == 200, 3,
                 "finance-api accepts the new key's token")
        self.assertEqual(self.api.get_company(KNOWN, before).status_code, 200,
                         "a token of the old key, still published, stays valid")
        self.assertIsNone(self.api.proc.poll())
        self.assertEqual(self.api.get("/healthz").json()["keys"], 2)


class TesseraStopped(_WithTessera):
    """Tessera goes away: finance-api keeps verifying with the keys it has."""

    # A 1 s JWKS max-age, so that finance-api tries (and fails) to refetch while Tessera is down.
    TESSERA_ENV = {"TESSERA_KEY_PUBLISH_DELAY": "2s"}

    def test_existing_tokens_still_verify_after_tessera_stops(self):
        token = self.token()
        self.assertEqual(self.api.get_company(KNOWN, token).status_code, 200)
        self.assertEqual(self.tessera.stop(), 0, self.tessera.stderr())
        # Long enough for several failed refetches; there is nothing to poll for instead.
        time.sleep(2.5)
        for _ in range(3):
            r = self.api.get_company(KNOWN, token)
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["newCompanyFinance"], dataset_records(KNOWN))
        self.assertEqual(self.api.get("/healthz").json(), {"status": "ok", "keys": 1})
        assert_challenge(self, self.api.get_company(KNOWN), 401, None)
        assert_challenge(self, self.api.get_company(KNOWN, "x.y.z"), 401, "invalid_token")


class InternalFailure(_WithTessera):
    FINANCE_ENV = {"FINANCE_FAULT": "1"}

    def test_a_failed_lookup_is_a_logged_500_that_leaks_nothing(self):
        r = self.api.get_company(KNOWN, self.token())
        self.assertEqual(r.status_code, 500, r.text)
        self.assertEqual(r.json(), FIXED_500)
        self.assertNotIn("WWW-Authenticate", r.headers)
        wait_for(lambda: any(rec.get("event") == "finance_lookup_failed"
                             for rec in self.api.log_records()), 5, "the failure is logged")
        failure = [rec for rec in self.api.log_records()
                   if rec.get("event") == "finance_lookup_failed"][0]
        self.assertEqual(failure["level"], "error")
        self.assertIn("FINANCE_FAULT", failure["error"])

    def test_the_fault_does_not_touch_authentication_or_validation(self):
        assert_challenge(self, self.api.get_company(KNOWN), 401, None)
        harness.assert_json_error(self, self.api.get_company("123", self.token()), 400,
                                  "invalid_request")
        self.assertEqual(self.api.get("/healthz").status_code, 200)


class StartAndStop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tessera = harness.Server.start()
        cls.addClassCleanup(cls.tessera.close)
        cls.reader = add_finance_clients(cls.tessera).reader

    def failed_start(self, **env):
        """finance-api with this environment: it must exit 1 with one line and never listen."""
        issuer = env.pop("FINANCE_ISSUER", self.tessera.base)
        rc, stdout, stderr = FinanceApi.spawn(issuer, **env).run_to_exit()
        self.assertEqual(rc, 1, stderr)
        self.assertEqual(stdout, [])
        lines = stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, stderr)
        self.assertTrue(lines[0].startswith("finance-api: "), lines[0])
        return lines[0]

    def test_missing_issuer_exits_1_with_one_line(self):
        for issuer in (None, ""):
            with self.subTest(issuer=issuer):
                self.assertIn("FINANCE_ISSUER", self.failed_start(FINANCE_ISSUER=issuer))

    def test_bad_configuration_exits_1_with_one_line_naming_the_variable(self):
        for name, value in (("FINANCE_ISSUER", "not-a-url"), ("FINANCE_ISSUER", "ftp://x.example"),
                            ("FINANCE_LISTEN", "127.0.0.1:99999"), ("FINANCE_LISTEN", "nonsense"),
                            ("FINANCE_LISTEN", "999.0.0.1:0"), ("FINANCE_AUDIENCE", ""),
                            ("FINANCE_FAULT", "yes"), ("FINANCE_DATA", "/nonexistent/finance.json")):
            with self.subTest(name=name, value=value):
                self.assertIn(name, self.failed_start(**{name: value}))

    def test_a_bad_dataset_stops_the_start(self):
        workdir = harness.make_workdir()
        record = dataset_records(KNOWN)[0]
        for i, document in enumerate(("not json", {"records": "x"},
                                      {"records": [dict(record, bizNum="123")]},
                                      {"records": [dict(record, revenue="1")]},
                                      {"records": [dict(record, extra=1)]})):
            path = os.path.join(workdir, "bad-%d.json" % i)
            with open(path, "w", encoding="utf-8") as f:
                f.write(document if isinstance(document, str) else json.dumps(document))
            with self.subTest(document=document):
                self.assertIn("FINANCE_DATA", self.failed_start(FINANCE_DATA=path))

    def test_finance_data_replaces_the_built_in_dataset(self):
        record = dict(dataset_records(KNOWN)[0], bizNum="0000000042", corpName="Test Co.")
        path = os.path.join(harness.make_workdir(), "finance.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"records": [record]}, f)
        api = FinanceApi.start(self.tessera.base, FINANCE_DATA=path)
        self.addCleanup(api.close)
        token = token_of(self, self.tessera, self.reader)
        self.assertEqual(api.get_company("0000000042", token).json(), {"newCompanyFinance": [record]})
        self.assertEqual(api.get_company(KNOWN, token).json(), {"newCompanyFinance": []})

    def test_sigterm_and_sigint_drain_and_exit_0(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=sig):
                api = FinanceApi.start(self.tessera.base)
                self.addCleanup(api.close)
                session = requests.Session()  # a kept-alive connection, idle at the signal
                self.assertEqual(session.get(api.base + "/healthz", timeout=5).status_code, 200)
                started = time.monotonic()
                self.assertEqual(api.stop(sig), 0, api.stderr())
                self.assertLess(time.monotonic() - started, 5)
                events = [rec.get("event") for rec in api.log_records()]
                self.assertIn("shutting_down", events)
                self.assertEqual(events[-1], "stopped")
                session.close()

    def test_starts_without_keys_and_picks_them_up_when_tessera_comes(self):
        port = free_port()
        issuer = "http://127.0.0.1:%d" % port
        begun = time.monotonic()
        api = FinanceApi.start(issuer)
        self.addCleanup(api.close)
        self.assertGreaterEqual(time.monotonic() - begun, 4, "it waits for the keys a while")
        r = api.get("/healthz")
        self.assertEqual(r.status_code, 503, r.text)
        self.assertEqual(r.json(), {"status": "unavailable", "keys": 0})
        self.assertTrue(any(rec.get("event") == "keys_unavailable" for rec in api.log_records()))

        tessera = harness.Server.start(env={"TESSERA_LISTEN": "127.0.0.1:%d" % port})
        self.addCleanup(tessera.close)
        self.assertEqual(tessera.base, issuer)
        reader = add_finance_clients(tessera).reader
        token = token_of(self, tessera, reader)
        wait_for(lambda: api.get("/healthz").status_code == 200, 15, "finance-api fetches the keys")
        self.assertEqual(api.get_company(KNOWN, token).status_code, 200)


class FinanceApiDpop(_WithTessera):
    """DPoP-bound tokens (RFC 9449 section 7) at the finance API through tessera::beast's
    guard: accepted with a proof for this request by their key, refused as bearer tokens."""

    def bound_token(self, key):
        proof = key.proof("POST", self.tessera.base + "/token")
        r = requests.post(self.tessera.base + "/token", timeout=harness.HTTP_TIMEOUT,
                          data={"grant_type": "client_credentials"},
                          headers={"DPoP": proof,
                                   "Authorization": basic_authorization(
                                       self.clients.reader.id, self.clients.reader.secret)})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["token_type"], "DPoP")
        return r.json()["access_token"]

    def call(self, token, proof, biz_num=KNOWN):
        return requests.get(self.api.base + "/dart/finance/business/" + biz_num,
                            timeout=harness.HTTP_TIMEOUT,
                            headers={"Authorization": "DPoP " + token, "DPoP": proof})

    def test_a_bound_token_with_its_proof_reads_the_records(self):
        for alg in ("ES256", "EdDSA"):
            key = DpopKey(alg)
            token = self.bound_token(key)
            url = self.api.base + "/dart/finance/business/" + KNOWN
            r = self.call(token, key.proof("GET", url, token))
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["newCompanyFinance"], dataset_records(KNOWN))

    def test_a_stolen_bound_token_is_useless(self):
        key = DpopKey("ES256")
        token = self.bound_token(key)
        url = self.api.base + "/dart/finance/business/" + KNOWN
        # As a bearer token.
        r = self.api.get_company(KNOWN, token)
        self.assertEqual(r.status_code, 401, r.text)
        self.assertTrue(r.headers["WWW-Authenticate"].startswith("DPoP "), r.headers)
        self.assertIn('error="invalid_token"', r.headers["WWW-Authenticate"])
        # With a proof by the thief's own key, one for another URL, method or token, without
        # a proof, and replayed.
        thief = DpopKey("ES256")
        for proof, note in ((thief.proof("GET", url, token), "another key"),
                            (key.proof("GET", url + "0", token), "another URL"),
                            (key.proof("POST", url, token), "another method"),
                            (key.proof("GET", url, token + "x"), "another token"),
                            (key.proof("GET", url), "no ath")):
            r = self.call(token, proof)
            self.assertEqual(r.status_code, 401, note)
            self.assertIn('DPoP error="invalid_dpop_proof"', r.headers["WWW-Authenticate"], note)
        r = requests.get(url, headers={"Authorization": "DPoP " + token},
                         timeout=harness.HTTP_TIMEOUT)
        self.assertEqual(r.status_code, 401)
        once = key.proof("GET", url, token)
        self.assertEqual(self.call(token, once).status_code, 200)
        replayed = self.call(token, once)
        self.assertEqual(replayed.status_code, 401)
        self.assertIn("used before", replayed.json()["error_description"])
        # A bearer token is still a bearer token: the DPoP scheme is refused for it.
        bearer = self.token()
        r = self.call(bearer, key.proof("GET", url, bearer))
        self.assertEqual(r.status_code, 401)
        self.assertIn('error="invalid_token"', r.headers["WWW-Authenticate"])


if __name__ == "__main__":
    unittest.main()
