"""A browser without JavaScript for the sign-in tests: a cookie jar, redirects followed by
hand (so that a test sees each one), and the forms of a page read from its HTML.

    browser = Browser(server.base)
    page = browser.get("/authorize", params=authorize_params(...))
    page = browser.submit(page, {"username": "bob", "password": "..."})
    code = browser.code_from(page)          # the redirect to the client, read
"""

import base64
import hashlib
import html.parser
import secrets
import urllib.parse

import requests

from harness import HTTP_TIMEOUT

REDIRECT_URI = "https://app.example.test/callback"


class _Forms(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.labels = {}
        self._label_for = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get"),
                               "fields": [], "buttons": [], "inputs": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append(a)
            if a.get("type") == "hidden":
                self.forms[-1]["fields"].append((a.get("name"), a.get("value", "")))
        elif tag == "button" and self.forms:
            self.forms[-1]["buttons"].append((a.get("name"), a.get("value")))
        elif tag == "label":
            self._label_for = a.get("for")

    def handle_data(self, data):
        if self._label_for and data.strip():
            self.labels[self._label_for] = data.strip()
            self._label_for = None


def forms_of(text):
    parser = _Forms()
    parser.feed(text)
    return parser


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_params(client_id, challenge, scope="openid", state="st-1", **extra):
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
              "scope": scope, "state": state, "code_challenge": challenge,
              "code_challenge_method": "S256", "nonce": "n-1"}
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


class Browser:
    def __init__(self, base):
        self.base = base
        self.session = requests.Session()

    def get(self, path, params=None):
        return self.session.get(self.base + path, params=params, allow_redirects=False,
                                timeout=HTTP_TIMEOUT)

    def submit(self, page, values, form_index=0, drop=()):
        """Posts the page's form with its hidden fields, `values` added; `drop` leaves out
        hidden fields by name."""
        form = forms_of(page.text).forms[form_index]
        data = [(k, v) for k, v in form["fields"] if k not in drop]
        data += list(values.items())
        url = urllib.parse.urljoin(page.url, form["action"])
        return self.session.post(url, data=data, allow_redirects=False, timeout=HTTP_TIMEOUT)

    @staticmethod
    def redirect_params(response):
        location = response.headers["Location"]
        parsed = urllib.parse.urlsplit(location)
        return location, dict(urllib.parse.parse_qsl(parsed.query))
