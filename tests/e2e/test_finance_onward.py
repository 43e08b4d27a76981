"""The finance API calls onward with an exchanged token (RFC 8693, issue 16): GET
/dart/finance/business/{bizNum}/ledger at finance-api reads the company from a second service,
the ledger (here another finance-api whose audience is "ledger-api"). The caller's token is
for finance-api and is refused at the ledger; finance-api exchanges it at Tessera, as the
client "finance-api" allowed to reach "ledger-api", and the ledger accepts the exchanged one.
"""

import os
import unittest

import harness
from finance_helpers import KNOWN, FinanceApi, assert_challenge, dataset_records
from oauth_helpers import (add_client, add_user, password_grant, revoke, wait_for,
                           wait_until_refused)

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
BOB, BOB_PASSWORD = "bob", "Bob-pass-12345"


def write_secret(directory, secret):
    path = os.path.join(directory, "finance-api.secret")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return path


class _OnwardCase(unittest.TestCase):
    """A Tessera with bob, the public client "app" (tokens for finance-api) and finance-api's
    own client, allowed to exchange tokens for "ledger-api", whose secret is in a file."""

    @classmethod
    def setUpClass(cls):
        cls.tessera = harness.Server.start()
        cls.addClassCleanup(cls.tessera.close)
        add_user(cls.tessera, BOB, BOB_PASSWORD, scope="finance:read")
        cls.app = add_client(cls.tessera, "app", public=True, scope="finance:read",
                             audience="finance-api")
        cls.finance_client = add_client(cls.tessera, "finance-api", grants=[EXCHANGE],
                                        scope="finance:read",
                                        extra=["--exchange-audience", "ledger-api"])
        cls.secret_file = write_secret(cls.tessera.workdir, cls.finance_client.secret)

    def login(self):
        r = password_grant(self.tessera.base, self.app, BOB, BOB_PASSWORD)
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()


class FinanceCallsOnward(_OnwardCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ledger = FinanceApi.start(cls.tessera.base, FINANCE_AUDIENCE="ledger-api")
        cls.addClassCleanup(cls.ledger.close)
        cls.api = FinanceApi.start(cls.tessera.base, FINANCE_ONWARD_URL=cls.ledger.base,
                                   FINANCE_ONWARD_AUDIENCE="ledger-api",
                                   FINANCE_CLIENT_ID="finance-api",
                                   FINANCE_CLIENT_SECRET_FILE=cls.secret_file)
        cls.addClassCleanup(cls.api.close)

    def ledger_of(self, token, biz_num=KNOWN):
        return self.api.get("/dart/finance/business/%s/ledger" % biz_num, token)

    def test_the_ledger_answers_through_finance_api_with_an_exchanged_token(self):
        user = self.login()
        r = self.ledger_of(user["access_token"])
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["newCompanyFinance"], dataset_records(KNOWN))
        # The user's own token is not for the ledger: forwarding it would not have worked.
        assert_challenge(self, self.ledger.get_company(KNOWN, user["access_token"]), 401,
                         "invalid_token")
        # Tessera logged the exchange: finance-api acting for bob (logs are written behind).
        wait_for(lambda: any(r.get("event") == "token_issued"
                             and r.get("grant_type") == "token_exchange"
                             and r.get("sub") == BOB and r.get("client_id") == "finance-api"
                             for r in self.tessera.log_records()),
                 5, "the exchange in Tessera's audit log")

    def test_without_a_token_or_with_a_bad_number_finance_api_answers_itself(self):
        assert_challenge(self, self.ledger_of(None), 401, None)
        r = self.ledger_of(self.login()["access_token"], biz_num="12345")
        self.assertEqual(r.status_code, 400, r.text)
        self.assertEqual(r.json()["error"], "invalid_request")

    def test_a_revoked_session_is_refused_at_the_exchange(self):
        user = self.login()
        self.assertEqual(revoke(self.tessera.base, self.app, user["refresh_token"]).status_code,
                         200)
        wait_until_refused(self, self.tessera.base, [user["access_token"]])
        # finance-api alone cannot know of the revocation; the exchange does.
        assert_challenge(self, self.ledger_of(user["access_token"]), 401, "invalid_token")

    def test_the_plain_route_is_unchanged(self):
        r = self.api.get_company(KNOWN, self.login()["access_token"])
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["newCompanyFinance"], dataset_records(KNOWN))


class FinanceOnwardFailures(_OnwardCase):
    def token(self):
        return self.login()["access_token"]

    def start_api(self, **env):
        api = FinanceApi.start(self.tessera.base, **env)
        self.addCleanup(api.close)
        return api

    def test_a_ledger_that_does_not_answer_is_a_bad_gateway(self):
        ledger = FinanceApi.start(self.tessera.base, FINANCE_AUDIENCE="ledger-api")
        gone = ledger.base
        ledger.close()
        api = self.start_api(FINANCE_ONWARD_URL=gone, FINANCE_ONWARD_AUDIENCE="ledger-api",
                             FINANCE_CLIENT_SECRET_FILE=self.secret_file)
        r = api.get("/dart/finance/business/%s/ledger" % KNOWN, self.token())
        self.assertEqual(r.status_code, 502, r.text)
        self.assertEqual(r.json()["error"], "bad_gateway")
        self.assertNotIn(self.finance_client.secret, api.stderr())

    def test_an_audience_the_client_may_not_reach_is_a_bad_gateway_and_logged(self):
        ledger = FinanceApi.start(self.tessera.base, FINANCE_AUDIENCE="ledger-api")
        self.addCleanup(ledger.close)
        api = self.start_api(FINANCE_ONWARD_URL=ledger.base, FINANCE_ONWARD_AUDIENCE="vault-api",
                             FINANCE_CLIENT_SECRET_FILE=self.secret_file)
        r = api.get("/dart/finance/business/%s/ledger" % KNOWN, self.token())
        self.assertEqual(r.status_code, 502, r.text)
        self.assertIn("invalid_target", api.stderr())
        self.assertNotIn(self.finance_client.secret, api.stderr())

    def test_settings_that_do_not_go_together_stop_the_start(self):
        cases = [
            ({"FINANCE_ONWARD_URL": "http://127.0.0.1:9"}, "FINANCE_ONWARD_AUDIENCE"),
            ({"FINANCE_ONWARD_URL": "http://127.0.0.1:9", "FINANCE_ONWARD_AUDIENCE": "x"},
             "FINANCE_CLIENT_SECRET_FILE"),
            ({"FINANCE_ONWARD_URL": "ftp://x", "FINANCE_ONWARD_AUDIENCE": "x",
              "FINANCE_CLIENT_SECRET_FILE": self.secret_file}, "FINANCE_ONWARD_URL"),
            ({"FINANCE_ONWARD_URL": "http://127.0.0.1:9", "FINANCE_ONWARD_AUDIENCE": "x",
              "FINANCE_CLIENT_SECRET_FILE": "/nonexistent/secret"}, "FINANCE_CLIENT_SECRET_FILE"),
        ]
        for env, named in cases:
            with self.subTest(named=named, env=env):
                api = FinanceApi.spawn(self.tessera.base, **env)
                rc, _, err = api.run_to_exit()
                self.assertEqual(rc, 1, err)
                self.assertIn(named, err)


if __name__ == "__main__":
    unittest.main()
