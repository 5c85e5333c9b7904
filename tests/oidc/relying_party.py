"""An independent relying party for the conformance tests: Authlib's client, not our code.

``OAuth2Session`` (authlib.integrations.requests_client) speaks to the provider over HTTP;
a ``requests`` transport adapter hands each request to Django's test client instead of a
socket, so nothing leaves the process and the provider sees real HTTP requests (headers,
form bodies, Basic credentials as Authlib encodes them). The id_token is verified with
joserfc (Authlib's JOSE library) against the JWKS that the discovery document points to,
and its claims with Authlib's ``CodeIDToken`` (OIDC Core 3.1.3.7).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from django.test import Client
from joserfc import jwt
from joserfc.jwk import KeySet
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

BASE = "https://testserver"  # the provider's PUBLIC_BASE_URL in these tests
RP_ADDRESS = "198.51.100.20"  # where the relying party's servers call from
ATTACKER_ADDRESS = "203.0.113.66"


class DjangoTransport(BaseAdapter):
    """A ``requests`` adapter that answers from Django's test client (no network)."""

    def __init__(self, remote_addr: str = RP_ADDRESS):
        super().__init__()
        self.client = Client()
        self.remote_addr = remote_addr

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        meta = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in request.headers.items()
            if name.lower() not in ("content-type", "content-length")
        }
        body = request.body or b""
        answer = self.client.generic(
            request.method,
            path,
            data=body.encode() if isinstance(body, str) else body,
            content_type=request.headers.get("Content-Type", ""),
            secure=url.scheme == "https",
            REMOTE_ADDR=self.remote_addr,
            **meta,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers = CaseInsensitiveDict(answer.headers.items())
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def http(remote_addr: str = RP_ADDRESS) -> requests.Session:
    session = requests.Session()
    session.mount(BASE, DjangoTransport(remote_addr))
    return session


@dataclass
class RelyingParty:
    """One OIDC client of one brand, as a contact center's servers would run it."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    auth_method: str = "client_secret_basic"
    remote_addr: str = RP_ADDRESS
    metadata: dict = field(default_factory=dict)

    def __post_init__(self):
        self.metadata = (
            http(self.remote_addr).get(f"{self.issuer}/.well-known/openid-configuration").json()
        )

    def session(self, **kwargs) -> OAuth2Session:
        session = OAuth2Session(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method=self.auth_method,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            **kwargs,
        )
        session.mount(BASE, DjangoTransport(self.remote_addr))
        return session

    def authorization_url(self, session: OAuth2Session, **params) -> tuple[str, dict]:
        """The URL to send the browser to, and what to remember (state, nonce, verifier)."""
        verifier = secrets.token_urlsafe(48)
        nonce = secrets.token_urlsafe(16)
        params.setdefault("scope", "openid profile email offline_access")
        url, state = session.create_authorization_url(
            self.metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **params
        )
        return url, {"state": state, "nonce": nonce, "code_verifier": verifier}

    def redeem(self, session: OAuth2Session, location: str, remembered: dict) -> dict:
        """Redeem the code of the authorization response ``location`` (RFC 6749 4.1.3)."""
        return session.fetch_token(
            self.metadata["token_endpoint"],
            authorization_response=location,
            state=remembered["state"],
            code_verifier=remembered["code_verifier"],
        )

    def verify_id_token(self, id_token: str, *, nonce: str | None = None, **params) -> dict:
        """OIDC Core 3.1.3.7: signature by a key of the discovered JWKS, iss, aud, exp, iat,
        nonce, at_hash (when the access token is passed as ``access_token``)."""
        jwks = http(self.remote_addr).get(self.metadata["jwks_uri"]).json()
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": self.metadata["issuer"]},
                "aud": {"essential": True, "value": self.client_id},
                "sub": {"essential": True},
            },
            params={"nonce": nonce, **params},
        )
        claims.validate(leeway=5)
        return dict(claims)


def browser_follow(browser: Client, url: str):
    """The customer's browser opening ``url`` (the provider's authorize endpoint)."""
    parts = urlsplit(url)
    return browser.get(f"{parts.path}?{parts.query}", secure=parts.scheme == "https")


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def sign_in(rp: RelyingParty, browser: Client, *, scope=None, **params):
    """The relying party sends the browser to authorize; returns (session, the provider's
    answer to the browser, what the relying party remembered)."""
    session = rp.session()
    if scope is not None:
        params["scope"] = scope
    url, remembered = rp.authorization_url(session, **params)
    return session, browser_follow(browser, url), remembered


def code_flow(rp: RelyingParty, browser: Client, **params) -> tuple[OAuth2Session, dict, dict]:
    """A whole authorization code flow with PKCE: (session, token response, remembered)."""
    session, answer, remembered = sign_in(rp, browser, **params)
    assert answer.status_code == 302, answer.content[:300]
    token = rp.redeem(session, answer["Location"], remembered)
    return session, dict(token), remembered


def token_post(rp: RelyingParty, form: dict, *, secret: str | None = None, remote_addr=None):
    """A raw token-endpoint request with HTTP Basic (as ``requests`` encodes it)."""
    return http(remote_addr or rp.remote_addr).post(
        rp.metadata["token_endpoint"],
        data=form,
        auth=(rp.client_id, rp.client_secret if secret is None else secret),
    )


def userinfo(rp: RelyingParty, access_token: str, *, endpoint: str | None = None):
    return http(rp.remote_addr).get(
        endpoint or rp.metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {access_token}"},
    )
