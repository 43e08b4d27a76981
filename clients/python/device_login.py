"""Signs a user in on this machine by the device authorization grant (RFC 8628): shows where
to approve the sign-in and the code to enter there, waits, then shows who signed in.

usage: python3 device_login.py --issuer URL --client-id ID [--scope SCOPE] [--secret-stdin]

For a public client (tessera client add tv --public --grant
urn:ietf:params:oauth:grant-type:device_code ...). A confidential client's secret comes from
TESSERA_CLIENT_SECRET or, with --secret-stdin, from the first line of standard input; never
from the command line, where `ps` would show it.

The instructions and progress go to stderr; on success the claims of the new access token
(GET ISSUER/users/me) go to stdout as JSON. Exits 0 when signed in, 1 when the user denied
the request, the code expired or anything else failed, 2 on bad usage.
"""

import argparse
import getpass
import json
import os
import sys

import requests

from tessera_client import DeviceFlow, TesseraError

FAILURES = {
    "access_denied": "the sign-in was denied (access_denied)",
    "expired_token": "the code expired before anyone approved it (expired_token); run again "
                     "for a new one",
}


def say(message):
    print(message, file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Sign in by the device flow (RFC 8628).")
    parser.add_argument("--issuer", required=True, help="Tessera's issuer URL")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--scope", help="space-separated; default: the client's scopes")
    parser.add_argument("--secret-stdin", action="store_true",
                        help="read a confidential client's secret from standard input")
    return parser.parse_args(argv)


def read_secret():
    if sys.stdin.isatty():
        return getpass.getpass("client secret: ")
    return sys.stdin.readline().rstrip("\r\n")


def sign_in(flow, scope):
    """The token response, after the user approved the code."""
    authorization = flow.start(scope)
    say("Open %s and enter %s" % (authorization.verification_uri, authorization.user_code))
    if authorization.verification_uri_complete:
        say("(or open %s)" % authorization.verification_uri_complete)
    say("Waiting for approval; the code expires in %d s..." % authorization.expires_in)
    return flow.poll(authorization)


def main(argv):
    args = parse_args(argv[1:])
    secret = (read_secret() if args.secret_stdin
              else os.environ.get("TESSERA_CLIENT_SECRET")) or None
    issuer = args.issuer.rstrip("/")
    try:
        with DeviceFlow(issuer, client_id=args.client_id, client_secret=secret) as flow:
            tokens = sign_in(flow, args.scope)
        me = requests.get(issuer + "/users/me", timeout=10,
                          headers={"Authorization": "Bearer " + tokens["access_token"]})
    except TesseraError as e:
        sys.exit(FAILURES.get(e.error, "sign-in failed: %s" % e))
    except requests.RequestException as e:
        sys.exit("request failed: %s" % e)
    except KeyboardInterrupt:
        sys.exit("cancelled")
    if me.status_code != 200:
        sys.exit("/users/me: HTTP %d %s" % (me.status_code, me.text))
    claims = me.json()
    say("Signed in as %s (client %s, scope %r)."
        % (claims.get("sub"), claims.get("client_id"), tokens.get("scope", "")))
    print(json.dumps(claims, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main(sys.argv)
