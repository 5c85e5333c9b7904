"""Who is calling: OIDC client authentication, with a failure throttle that cannot lock out.

The token endpoint and the certified-attributes API authenticate a Genesys messenger by its
client id and secret (``client_secret_basic`` or ``client_secret_post``, RFC 6749 2.3.1).
Authlib's own ``ClientAuthentication`` cannot be used as it is for three reasons, each a
small function here: our client ids are URLs full of ``:`` (Basic credentials split at the
last colon), a request that uses two methods at once is refused (RFC 6749 2.3), and failures
are throttled per client *and source address* without ever spending the real client's
allowance.

The throttle (docs/decisions/oidc-provider-library.md): a client id is public (it is in
the setup document), so counting failures per client id and refusing before the secret is
checked let anyone lock a brand's Genesys chats out with ~10 requests a second. Here the
secret is always checked first (two indexed reads and a SHA-256; the secret has 256 bits,
so the throttle is not what stops guessing), a right secret is always served, and only a
*wrong* one takes from two failure budgets: per (client id, address) and per address. Over
budget, a wrong secret is answered 429 ``slow_down`` instead of 401, one ``throttled`` event
per window is recorded instead of one event per attempt, and the caller is told when to try
again. Every failure within budget is recorded as a ``client_auth_failed`` event (reason:
the endpoint), which the reports count as a fraud signal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from dataclasses import dataclass
from urllib.parse import unquote_plus

from authlib.oauth2.rfc6749 import ClientMixin
from django.core.cache import cache
from django.db import transaction

from brands.models import OIDC_PLATFORMS, Brand, Messenger
from brands.selectors import oidc_client_authenticate
from config import throttling
from config.throttling import Bucket
from messaging import conf, events
from messaging.oidc.errors import OAuthError, invalid_client, invalid_request

logger = logging.getLogger(__name__)

GRANT_TYPES = ("authorization_code", "refresh_token")
AUTH_METHODS = ("client_secret_basic", "client_secret_post")


def basic_credentials(header: str) -> tuple[str, str] | None:
    """``(client_id, secret)`` of an ``Authorization: Basic`` header, or None when malformed.

    RFC 6749 2.3.1 form-encodes both before base64, but many clients (Python's requests,
    probably some vendors) do not, and our client ids are URLs full of ':'. Our secrets are
    base64url and never contain ':', so the split is at the LAST colon, and decoding a value
    without '%' or '+' changes nothing.
    """
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    raw_id, sep, raw_secret = decoded.rpartition(":")
    if not sep or not raw_id:
        return None
    return unquote_plus(raw_id), unquote_plus(raw_secret)


def presented_credentials(headers, form: dict) -> tuple[str, str, str]:
    """``(method, client_id, secret)`` from the Basic header or the form (exactly one).

    Raises ``invalid_request`` when both are used, ``invalid_client`` (401) when neither is or
    the header is malformed.
    """
    header = headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        if "client_secret" in form:
            raise invalid_request("Use one client authentication method, not two.")
        credentials = basic_credentials(header)
        if credentials is None:
            raise invalid_client("Malformed Basic credentials.")
        client_id, secret = credentials
        if form.get("client_id") not in (None, client_id):
            raise invalid_client("client_id does not match the authenticated client.")
        return "client_secret_basic", client_id, secret
    if "client_secret" in form:
        return "client_secret_post", form.get("client_id") or "", form["client_secret"]
    raise invalid_client("Client authentication is required.")


def _failure_buckets(client_id: str, address: str) -> list[Bucket]:
    limit, window = throttling.parse_rate(conf.get("OIDC_FAILURE_RATE"))
    client = hashlib.sha256(client_id.encode()).hexdigest()[:32]  # any text: a short, safe key
    return [
        Bucket(key=f"throttle:oidc-fail:{client}:{address}", limit=limit, window=window),
        Bucket(key=f"throttle:oidc-fail-address:{address}", limit=limit * 3, window=window),
    ]


def client_authenticate(
    *,
    brand: Brand,
    client_id: str,
    secret: str,
    address: str,
    endpoint: str,
    platforms=OIDC_PLATFORMS,
) -> Messenger:
    """The active OIDC messenger of ``brand`` these credentials belong to.

    ``endpoint`` (``token`` or ``attributes``) names where the attempt was made, for the
    event. Raises ``OAuthError`` ``invalid_client`` (401), or ``slow_down`` (429) once this
    address has spent its failure budget; a right secret is never refused by the budget.
    """
    messenger = oidc_client_authenticate(client_id=client_id, secret=secret, platforms=platforms)
    if messenger is not None and messenger.brand_id == brand.pk:
        return messenger
    buckets = _failure_buckets(client_id, address)
    waits = throttling.reserve_waits(buckets)
    wait = max(waits)
    with transaction.atomic():
        if not wait:
            events.event_record(
                kind="client_auth_failed", brand=brand, reason=endpoint, client_address=address
            )
        elif cache.add(f"{buckets[0].key}:noted", 1, timeout=wait):
            events.event_record(
                kind="throttled",
                brand=brand,
                reason=f"oidc-{endpoint}-failures",
                client_address=address,
            )
    # Over budget, a flood is logged at DEBUG: the one throttled event per window says it.
    logger.log(
        logging.DEBUG if wait else logging.INFO,
        "client authentication failed brand=%s endpoint=%s address=%s throttled=%s",
        brand.slug,
        endpoint,
        address,
        bool(wait),
    )
    if wait:
        raise OAuthError(
            "slow_down",
            f"Too many failed client authentications. {throttling.wait_text(wait)}",
            status=429,
            retry_after=wait,
        )
    raise invalid_client()


def client_rate_reserve(*, messenger: Messenger, brand: Brand, address: str) -> None:
    """Take one call from the authenticated client's own allowance (``OIDC_RATE_PER_CLIENT``).

    Counted after authentication, so only the client itself can spend it. Raises
    ``slow_down`` (429).
    """
    limit, window = throttling.parse_rate(conf.get("OIDC_RATE_PER_CLIENT"))
    try:
        throttling.reserve(
            [Bucket(key=f"throttle:oidc-client:{messenger.pk}", limit=limit, window=window)]
        )
    except throttling.Throttled as exc:
        events.event_record(
            kind="throttled", brand=brand, reason="oidc-client", client_address=address
        )
        raise OAuthError(
            "slow_down",
            f"Too many requests for this client. {throttling.wait_text(exc.retry_after)}",
            status=429,
            retry_after=exc.retry_after,
        ) from None


@dataclass(frozen=True)
class OidcClient(ClientMixin):
    """A Genesys messenger as Authlib's ``ClientMixin``: what the library asks of a client."""

    messenger: Messenger

    def get_client_id(self) -> str:
        return self.messenger.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.messenger.redirect_uris
        return uris[0] if uris else None

    def get_allowed_scope(self, scope: str) -> str:
        from messaging.oidc.services import SCOPES_SUPPORTED

        requested = (scope or "").split()
        return " ".join(s for s in SCOPES_SUPPORTED if s in requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.messenger.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:  # pragma: no cover - unused
        return oidc_client_authenticate(client_id=self.get_client_id(), secret=client_secret) == (
            self.messenger
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES
