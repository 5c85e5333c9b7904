"""What the vendor-adapter tests share: an isolated page, stand-in vendor SDKs, token checks.

Each stand-in (tests/browser/standins/<vendor>.js) implements the vendor's documented command
API and is served by Playwright on the vendor's real script URL, so the adapter under test loads
exactly the URL it would load in production while nothing leaves the machine: every request
that is not to the live test server is answered by a stand-in or aborted.

A stand-in reports each call through ``window.standinRecord(name, args)`` (a Playwright binding
that survives navigations), so a test can still see what the widget was told right before the
page posted the logout form.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import jwt

STANDINS = Path(__file__).parent / "standins"
LOOPBACK = {"localhost", "127.0.0.1", "[::1]"}


class Recorder:
    """The calls a stand-in reported, across page loads."""

    def __init__(self):
        self.calls: list[tuple[str, object]] = []

    def __call__(self, name, args):
        self.calls.append((name, args))

    def named(self, name: str) -> list:
        return [args for call, args in self.calls if call == name]

    def wait_for(self, page, name: str, count: int = 1, timeout: float = 15.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.named(name)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} was called {len(self.named(name))}x, not {count}x")
            page.wait_for_timeout(50)
        return self.named(name)


def isolate(page) -> Recorder:
    """Abort every request that is not to the loopback test server; record stand-in calls."""

    def guard(route):
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.fallback()
        else:
            route.abort()

    page.route("**/*", guard)
    recorder = Recorder()
    page.expose_function("standinRecord", recorder)
    return recorder


def serve_standin(page, url: str, name: str, config: dict | None = None) -> None:
    """Serve tests/browser/standins/<name>.js (after the shared ``_recorder.js``) on the
    vendor's real ``url``.

    ``config`` becomes ``window.__standinConfig`` before any script of the page runs.
    """
    body = (STANDINS / "_recorder.js").read_text() + (STANDINS / f"{name}.js").read_text()
    page.route(
        url,
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=body),
    )
    if config is not None:
        page.add_init_script(f"window.__standinConfig = {json.dumps(config)};")


def token_responses(page) -> list:
    """The token API's answers to this page, in order."""
    seen = []
    page.on(
        "response",
        lambda r: seen.append(r) if r.url.endswith("/api/v1/messaging/token") else None,
    )
    return seen


def verify_rs256(portal, token: str, *, issuer: str, audience: str | None = None) -> dict:
    """PyJWT, an independent verifier: the token against the live server's published JWKS."""
    client = jwt.PyJWKClient(f"{portal.url}/.well-known/jwks.json", cache_keys=False)
    key = client.get_signing_key_from_jwt(token)
    options = {"require": ["exp", "iat", "sub", "iss"]}
    if audience is None:
        options["verify_aud"] = False
    return jwt.decode(
        token, key.key, algorithms=["RS256"], issuer=issuer, audience=audience, options=options
    )


def verify_hs256(token: str, secret: str, **kwargs) -> dict:
    """PyJWT with the shared secret the vendor's admin created."""
    return jwt.decode(token, secret, algorithms=["HS256"], **kwargs)


def csp_directives(response) -> dict[str, str]:
    csp = response.headers["content-security-policy"]
    return dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())


def standin_page(page, script: str, name: str, config: dict | None = None):
    """``page`` with outside traffic recorded and vendor ``name``'s stand-in served at
    ``script``; returns the page and the recorder."""
    recorder = isolate(page)
    serve_standin(page, script, name, config)
    return page, recorder


def open_chat(page, state: str) -> None:
    """Click Chat with support and wait until the glue reports ``state``."""
    page.click("#chat-button")
    page.wait_for_selector(f"#chat-status[data-state={state}]", timeout=20000)


SALESFORCE_SITE = "https://acme.my.site.com/ESWAcmeWebMessaging1700000000000"
SALESFORCE_SCRT2 = "https://acme.my.salesforce-scrt.com"


def salesforce_messenger(brand, **vendor):
    """Brand's Salesforce messenger ``acme-salesforce`` with a complete vendor setup
    (``vendor`` adds or overrides settings, e.g. ``sandbox=True``)."""
    from brands import services

    return services.messenger_create(
        brand=brand,
        slug="acme-salesforce",
        platform="salesforce",
        algorithm="RS256",
        vendor_settings={
            "org_id": "00D5g000004abcdEAA",
            "deployment_name": "Acme_Web_Messaging",
            "site_url": SALESFORCE_SITE,
            "scrt2_url": SALESFORCE_SCRT2,
            **vendor,
        },
    )


def load_home_untouched(page, recorder, tokens):
    """Open the portal home; at page load nothing is minted, no vendor call is made and no
    page names the sandbox. Returns the response."""
    response = page.goto("/")
    page.wait_for_load_state("networkidle")
    assert tokens == [] and recorder.calls == []
    assert "/sandbox/" not in page.content()
    return response
