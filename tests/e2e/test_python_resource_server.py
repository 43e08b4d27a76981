"""The Python resource-server example (examples/python_resource_server/app.py, issue 5): the
seed's FastAPI route behind PyJWT's PyJWKClient, run by Debian's uvicorn beside a live Tessera.
It must answer as build/finance-api does."""

import subprocess
import unittest

import harness
from finance_helpers import (KNOWN, MALFORMED, PYTHON_APP_DIR, UNKNOWN, FinanceApi,
                             PythonResourceServer, add_finance_clients, assert_challenge,
                             bad_tokens, dataset_records, finance_environment, token_of)
from oauth_helpers import add_client


class PythonResourceServerAnswers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tessera = harness.Server.start()
        cls.addClassCleanup(cls.tessera.close)
        cls.clients = add_finance_clients(cls.tessera)
        cls.app = PythonResourceServer.start(cls.tessera.base)
        cls.addClassCleanup(cls.app.close)

    def token(self, client=None):
        return token_of(self, self.tessera, client or self.clients.reader)

    def test_finance_reader_gets_the_company_records(self):
        r = self.app.get_company(KNOWN, self.token())
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"newCompanyFinance": dataset_records(KNOWN)})

    def test_unknown_business_number_is_an_empty_list(self):
        r = self.app.get_company(UNKNOWN, self.token())
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"newCompanyFinance": []})

    def test_malformed_business_numbers_are_400_invalid_request(self):
        token = self.token()
        for biz_num in MALFORMED + ("%D9%A1" * 10,):
            with self.subTest(biz_num=biz_num):
                harness.assert_json_error(self, self.app.get_company(biz_num, token), 400,
                                          "invalid_request")

    def test_a_token_without_finance_read_is_403_insufficient_scope(self):
        r = self.app.get_company(KNOWN, self.token(self.clients.other_scope))
        self.assertIn('scope="finance:read"', assert_challenge(self, r, 403, "insufficient_scope"))

    def test_no_token_is_401_with_a_bare_bearer_challenge(self):
        assert_challenge(self, self.app.get_company(KNOWN), 401, None)
        assert_challenge(self, self.app.get("/dart/finance/business/" + KNOWN,
                                            headers={"Authorization": "Basic eDp5"}), 401, None)

    def test_a_token_for_another_audience_is_401_invalid_token(self):
        token = self.token(self.clients.other_audience)
        assert_challenge(self, self.app.get_company(KNOWN, token), 401, "invalid_token")

    def test_garbage_and_foreign_tokens_are_401_invalid_token(self):
        other = harness.Server.start()
        self.addCleanup(other.close)
        foreign = token_of(self, other, add_client(other, "finance-reader", scope="finance:read",
                                                   audience="finance-api"))
        for bad in bad_tokens(self.token()) + [foreign]:
            with self.subTest(token=bad[:40]):
                assert_challenge(self, self.app.get_company(KNOWN, bad), 401, "invalid_token")

    def test_answers_as_the_cpp_finance_api_does(self):
        api = FinanceApi.start(self.tessera.base)
        self.addCleanup(api.close)
        reader, other = self.token(), self.token(self.clients.other_scope)
        for biz_num, token in ((KNOWN, reader), (UNKNOWN, reader), ("123", reader),
                               (KNOWN, other), (KNOWN, None)):
            with self.subTest(biz_num=biz_num, token=token and token[-8:]):
                ours, theirs = api.get_company(biz_num, token), self.app.get_company(biz_num, token)
                self.assertEqual(theirs.status_code, ours.status_code, theirs.text)
                self.assertEqual(theirs.json(), ours.json())
                # Each names its own resource metadata (RFC 9728 section 5.1): its own base.
                self.assertEqual(
                    theirs.headers.get("WWW-Authenticate", "").replace(self.app.base, "BASE"),
                    ours.headers.get("WWW-Authenticate", "").replace(api.base, "BASE"))



class PythonResourceServerStart(unittest.TestCase):
    def test_missing_issuer_stops_the_start_with_one_line(self):
        r = subprocess.run(["/usr/bin/python3", "-m", "uvicorn", "app:app", "--port", "0"],
                           env=finance_environment({}), cwd=PYTHON_APP_DIR, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr.strip().splitlines()[-1],
                         "FINANCE_ISSUER is required: Tessera's issuer URL, e.g. "
                         "http://127.0.0.1:8080")


if __name__ == "__main__":
    unittest.main()
