"""Issuing tokens: claims from the customer record, signed with the brand's active key."""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

import jwt
from django.utils import timezone

from accounts.models import Customer
from brands import conf as brands_conf
from brands import keycache
from brands.models import Messenger
from config import fastpath
from messaging import conf, events, profiles, stepup
from messaging.addresses import address_or_none
from messaging.models import TokenIssue
from messaging.profiles.base import ClaimsEncoder, DirectTokenRefused

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedToken:
    """A signed token and what the caller may show about it. ``__repr__`` hides the token."""

    token: str
    jti: str
    kid: str
    brand: str
    messenger: str
    issued_at: datetime
    expires_at: datetime

    @property
    def expires_in(self) -> int:
        return int((self.expires_at - self.issued_at).total_seconds())

    def __repr__(self) -> str:
        return f"IssuedToken(jti={self.jti!r}, kid={self.kid!r}, messenger={self.messenger!r})"


def token_issue(
    *,
    customer: Customer,
    messenger: Messenger,
    client_address: str | None = None,
    user_agent: str = "",
    assurance=None,
    session_expires_at: datetime | None = None,
) -> IssuedToken:
    """Sign a fresh token for ``customer`` on ``messenger`` and audit it, together or not at all.

    The token lasts the messenger's ``token_ttl``; for a platform that asks for tokens lasting
    the app session (``profile.session_lifetime``, Intercom) it lasts until
    ``session_expires_at``, the portal session's end, but never less than ``token_ttl`` nor more
    than ``BRANDS_MAX_TOKEN_LIFETIME`` (what key retention is computed from).

    The key comes from the per-process key cache (no database read or decryption on the hot
    path). Shared-secret platforms (Zendesk, Intercom) sign HS256 with the messenger's own
    secret, never with a brand key. ``assurance`` (the session's ``Assurance``, see
    accounts/assurance.py) adds ``auth_time``, ``amr`` and ``acr`` as the profile maps them.
    Raises ``brands.errors.NoSigningKey`` (503) when the brand has no usable key, or the
    messenger no secret; ``DirectTokenRefused`` (400 ``use_auth_code``) for platforms that
    take no token from the page (Genesys); ``messaging.stepup.StepUpRequired`` (403
    ``step_up_required``) when the session's proof does not meet the messenger's policy.
    """
    stepup.step_up_check(messenger=messenger, customer=customer, assurance=assurance)
    profile = profiles.get(messenger.platform)
    if not profile.direct_token:
        raise DirectTokenRefused(
            f"{profile.label} messengers authenticate with an auth code "
            "(POST /api/v1/messaging/auth-code), not a token from the page."
        )
    algorithm = messenger.algorithm or profile.algorithms[0]
    if profile.shared_secret:
        key = keycache.messenger_secret(messenger=messenger)
    else:
        key = keycache.signing_key(brand=messenger.brand, algorithm=algorithm)
    now = timezone.now().replace(microsecond=0)
    expires_at = now + messenger.token_ttl
    if profile.session_lifetime and session_expires_at is not None:
        longest = now + brands_conf.get("MAX_TOKEN_LIFETIME")
        expires_at = max(expires_at, min(session_expires_at.replace(microsecond=0), longest))
    jti = secrets.token_urlsafe(24)  # 192 random bits
    claims = profile.claims(
        customer=customer,
        messenger=messenger,
        issued_at=now,
        expires_at=expires_at,
        not_before=now - conf.get("CLOCK_SKEW"),
        jti=jti,
        assurance=assurance,
    )
    token = jwt.encode(
        claims,
        key.key,
        algorithm=key.algorithm,
        headers={"kid": key.kid, "typ": profile.typ},
        json_encoder=ClaimsEncoder,
    )
    # The audit row and its event go in together (one statement on PostgreSQL) before the
    # token leaves this function: a token exists outside the process only once both rows are
    # committed.
    fastpath.rows_insert_together(
        _token_issue_values(
            kind=TokenIssue.Kind.TOKEN,
            jti=jti,
            token=token,
            customer=customer,
            messenger=messenger,
            key=key,
            issued_at=now,
            expires_at=expires_at,
            client_address=client_address,
            user_agent=user_agent,
        ),
        events.event_values(
            kind="token_issued",
            messenger=messenger,
            customer=customer,
            jti=jti,
            client_address=client_address,
        ),
    )
    logger.info(
        "token issued jti=%s sub=%s messenger=%s kid=%s",
        jti,
        customer.customer_id,
        messenger.slug,
        key.kid,
    )
    return IssuedToken(
        token=token,
        jti=jti,
        kid=key.kid,
        brand=messenger.brand.slug,
        messenger=messenger.slug,
        issued_at=now,
        expires_at=expires_at,
    )


def token_issue_audit(**fields) -> TokenIssue:
    """Record a signed token in the audit trail: its jti and SHA-256, never the token.

    Keyword arguments as ``_token_issue_values``.
    """
    model, values = _token_issue_values(**fields)
    row = model(**values)
    row.save(force_insert=True)
    return row


def _token_issue_values(
    *,
    kind: str,
    jti: str,
    token: str,
    customer: Customer,
    messenger: Messenger,
    key,
    issued_at: datetime,
    expires_at: datetime,
    client_address: str | None = None,
    user_agent: str = "",
) -> tuple[type[TokenIssue], dict]:
    """The audit row of a signed token, as (model, field values by attribute name)."""
    return TokenIssue, {
        "kind": kind,
        "jti": jti,
        "fingerprint": hashlib.sha256(token.encode()).hexdigest(),
        "customer_id": customer.pk,
        "subject": customer.customer_id,
        "brand_id": messenger.brand_id,
        "messenger_id": messenger.pk,
        "kid": key.kid,
        "algorithm": key.algorithm,
        "issued_at": issued_at,
        "expires_at": expires_at,
        "client_address": address_or_none(client_address),
        "user_agent": user_agent[:300],
    }
