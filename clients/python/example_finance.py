"""Calls the finance API with a token from Tessera (the client_credentials grant).

usage: python3 example_finance.py ISSUER FINANCE_URL CLIENT_ID [CLIENT_SECRET] BIZNUM
The secret may come from the environment as TESSERA_CLIENT_SECRET instead of the command
line, which keeps it out of `ps`. Prints the finance API's JSON; exits 0 on success.
"""

import json
import os
import sys

import requests

from tessera_client import TesseraClient, TesseraError


def main(argv):
    args = argv[1:]
    if len(args) == 4 and os.environ.get("TESSERA_CLIENT_SECRET"):
        args.insert(3, os.environ["TESSERA_CLIENT_SECRET"])
    if len(args) != 5:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    issuer, finance_url, client_id, client_secret, biz_num = args

    url = "%s/dart/finance/business/%s" % (finance_url.rstrip("/"), biz_num)
    with TesseraClient(issuer, client_id=client_id, client_secret=client_secret,
                       scope="finance:read") as client:
        try:
            response = client.get(url)
        except TesseraError as e:
            sys.exit("token request failed: %s" % e)
        except requests.RequestException as e:
            sys.exit("request failed: %s" % e)
    if response.status_code != 200:
        sys.exit("finance API: HTTP %d %s" % (response.status_code, response.text))
    print(json.dumps(response.json(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main(sys.argv)
