"""The provider's rules that are ours: codes, grants, id_tokens, userinfo claims, attributes.

``messaging.oidc.server`` runs the protocol on Authlib and calls these. Codes, access tokens
and refresh tokens are random (at least 256 bits), handed out once and stored as SHA-256
hashes. A code or refresh token is locked while it is redeemed, so two concurrent
redemptions cannot both succeed: the second sees ``used_at`` and revokes the family.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from authlib.oidc.core.util import create_half_hash
from django.utils import timezone

from accounts.assurance import ACR_OTP, ACR_PASSKEY, Assurance
from accounts.models import Customer
from brands import keycache
from brands.algorithms import Algorithm
from brands.models import Messenger
from messaging import conf, events, profiles, stepup
from messaging.addresses import address_or_none
from messaging.models import AttributeLookup, AuthorizationCode, OidcGrant, TokenIssue
from messaging.selectors import NotAMember
from messaging.services import token_issue_audit

logger = logging.getLogger(__name__)

SCOPES_SUPPORTED = ("openid", "email", "profile", "offline_access")
# What a code minted by the auth-code API grants: Genesys's own blueprint asks for these.
DEFAULT_SCOPE = "openid email profile offline_access"
CLAIMS_SUPPORTED = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "acr",
    "jti",
    "at_hash",
    "given_name",
    "family_name",
    "name",
    "email",
    "email_verified",
)
# What a code without a recorded assurance stands for: a password, then a one-time code.
AMR = ["pwd", "otp"]
_NONCE_MAX = 255
MAX_CODE_TTL = timedelta(seconds=60)  # docs/security.md 20: whatever the setting says


class OidcError(Exception):
    """Not an OIDC client, or a request the auth-code API refuses (``code``, ``detail``)."""


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# --- codes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    """What the AuthProvider plugin resolves ``getAuthCode`` with. ``__repr__`` hides the code."""

    code: str
    redirect_uri: str
    nonce: str
    code_verifier: str | None
    expires_at: datetime
    issuer: str  # RFC 9207: the ``iss`` the plugin may hand on with the code

    def __repr__(self) -> str:
        return f"IssuedCode(redirect_uri={self.redirect_uri!r}, expires_at={self.expires_at})"


def auth_code_issue(
    *,
    customer: Customer,
    messenger: Messenger,
    auth_time: datetime,
    assurance=None,
    redirect_uri: str | None = None,
    nonce: str | None = None,
    code_challenge: str | None = None,
    scope: str = DEFAULT_SCOPE,
    source: str = AuthorizationCode.Source.API,
    client_address: str | None = None,
    session_key: str | None = None,
    session_expires_at: datetime | None = None,
) -> IssuedCode:
    """Mint a single-use code for ``customer`` on the OIDC messenger ``messenger``.

    From the auth-code API (``source=api``) the portal chooses everything: the first
    registered redirect URI, a fresh nonce and, when the messenger requires PKCE, a fresh
    code verifier that it returns for the platform to send back. From the ``authorize``
    endpoint the caller passes what the relying party asked for (already validated).
    ``assurance`` (``accounts.assurance.Assurance``) gives the id_token's ``amr`` and
    ``acr`` (and its ``auth_time`` wins over ``auth_time``). ``session_expires_at`` (when
    the portal session ends) bounds the lifetime of the grant the code leads to. Raises
    ``OidcError`` when the messenger is not an OIDC client.
    """
    if not messenger.is_oidc_client:
        raise OidcError("This messenger does not use OpenID Connect; ask for a token instead.")
    if source == AuthorizationCode.Source.API:
        stepup.step_up_check(messenger=messenger, customer=customer, assurance=assurance)
    verifier = None
    if source == AuthorizationCode.Source.API:
        redirect_uri = messenger.redirect_uris[0]
        nonce = secrets.token_urlsafe(24)
        if messenger.require_pkce:
            verifier = secrets.token_urlsafe(48)  # 64 characters, RFC 7636 allows 43 to 128
            code_challenge = s256(verifier)
    code = secrets.token_urlsafe(32)
    now = timezone.now()
    expires_at = now + min(conf.get("OIDC_CODE_TTL"), MAX_CODE_TTL)
    AuthorizationCode.objects.create(
        code_hash=_hash(code),
        messenger=messenger,
        customer=customer,
        redirect_uri=redirect_uri,
        scope=scope,
        nonce=nonce or "",
        code_challenge=code_challenge or "",
        auth_time=assurance.auth_time if assurance else auth_time,
        amr=list(assurance.amr) if assurance else list(AMR),
        acr=assurance.acr if assurance else "",
        source=source,
        session_hash=_hash(session_key) if session_key else "",
        session_expires_at=session_expires_at,
        client_address=address_or_none(client_address),
        created_at=now,
        expires_at=expires_at,
    )
    events.event_record(
        kind="auth_code_issued",
        messenger=messenger,
        customer=customer,
        session_key=session_key,
        client_address=client_address,
    )
    logger.info(
        "auth code issued sub=%s messenger=%s source=%s",
        customer.customer_id,
        messenger.slug,
        source,
    )
    return IssuedCode(
        code=code,
        redirect_uri=redirect_uri,
        nonce=nonce or "",
        code_verifier=verifier,
        expires_at=expires_at,
        issuer=messenger.brand.issuer_url,
    )


# --- grants and id_tokens (used by ``messaging.oidc.server``) ---------------------------------


def still_entitled(customer: Customer, messenger: Messenger) -> bool:
    """May ``customer`` still use ``messenger``: active account, messenger, brand, membership."""
    return (
        customer.user.is_active
        and messenger.is_active
        and messenger.brand.is_active
        and customer.memberships.filter(brand_id=messenger.brand_id).exists()
    )


def grant_revoke(*, grant: OidcGrant, reason: str) -> None:
    """Revoke one live grant: its access and refresh tokens stop at once."""
    if grant.revoked_at is None:
        OidcGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason[:40]
        )
        logger.warning("oidc grant revoked grant=%s reason=%s", grant.pk, reason)


def grant_assurance(grant: OidcGrant) -> Assurance:
    """The proof behind ``grant`` (from its code), for the messenger's step-up policy."""
    amr = list(grant.amr or AMR)
    method = "passkey" if grant.acr == ACR_PASSKEY else "totp"
    return Assurance(method=method, amr=amr, acr=grant.acr or ACR_OTP, auth_time=grant.auth_time)


# OIDC Core 5.4: which scope releases which of the platform profile's identity claims.
_SCOPE_ATTRIBUTES = {"profile": "names", "email": "email"}


def identity_claims(customer: Customer, scope: str, *, messenger: Messenger) -> dict:
    """The standard claims ``scope`` allows (profile -> names, email -> email), as the
    messenger's claim profile writes them (platforms/genesys/profile.py)."""
    attributes = {_SCOPE_ATTRIBUTES[s] for s in scope.split() if s in _SCOPE_ATTRIBUTES}
    profile = profiles.get(messenger.platform)
    return profile.attribute_claims(customer=customer, attributes=attributes)


def id_token_sign(
    *,
    grant: OidcGrant,
    scope: str,
    nonce: str,
    kind: str,
    client_address: str | None,
    access_token: str | None = None,
) -> str:
    """Sign the id_token of ``grant`` for ``scope`` with the brand's active key, and audit it.

    ``auth_time``, ``amr`` and ``acr`` are those of the proof behind the grant, never the
    time of a refresh (OIDC Core 2, 12.2). Identity claims follow ``scope`` (OIDC Core 5.4).
    ``at_hash`` binds the access token issued with it (OIDC Core 3.1.3.6).
    """
    messenger, customer = grant.messenger, grant.customer
    now = timezone.now()
    algorithm = messenger.algorithm or Algorithm.RS256
    key = keycache.signing_key(brand=messenger.brand, algorithm=algorithm)
    expires_at = now + messenger.token_ttl
    jti = secrets.token_urlsafe(24)
    claims = {
        "iss": messenger.brand.issuer_url,
        "sub": customer.customer_id,
        "aud": messenger.client_id,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "auth_time": int(grant.auth_time.timestamp()),
        "amr": grant.amr or AMR,
        **({"acr": grant.acr} if grant.acr else {}),
        "jti": jti,
        **({"nonce": nonce} if nonce else {}),
        **identity_claims(customer, scope, messenger=messenger),
    }
    at_hash = create_half_hash(access_token, key.algorithm) if access_token else None
    if at_hash is not None:
        claims["at_hash"] = at_hash.decode()
    id_token = jwt.encode(
        claims, key.key, algorithm=key.algorithm, headers={"kid": key.kid, "typ": "JWT"}
    )
    token_issue_audit(
        kind=kind,
        jti=jti,
        token=id_token,
        customer=customer,
        messenger=messenger,
        key=key,
        issued_at=now,
        expires_at=expires_at,
        client_address=client_address,
    )
    events.event_record(
        kind="code_exchanged" if kind == TokenIssue.Kind.ID_TOKEN else "refresh_used",
        messenger=messenger,
        customer=customer,
        jti=jti,
        client_address=client_address,
    )
    logger.info(
        "id_token issued kind=%s jti=%s sub=%s messenger=%s kid=%s grant=%s",
        kind,
        jti,
        customer.customer_id,
        messenger.slug,
        key.kid,
        grant.pk,
    )
    return id_token


def grants_revoke(*, grants, reason: str) -> int:
    """Revoke ``grants`` (a queryset) that are still live; their tokens stop at once."""
    revoked = grants.filter(revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:40]
    )
    if revoked:
        logger.info("oidc grants revoked count=%s reason=%s", revoked, reason)
    return revoked


def grants_revoke_for_session(*, session_key: str | None) -> int:
    """Revoke the grants that came from codes of this portal session (at logout).

    Genesys would otherwise keep refreshing for the customer until the grant's lifetime ends,
    after the customer logged out of the portal. Returns how many grants were revoked.
    """
    if not session_key:
        return 0
    return grants_revoke(
        grants=OidcGrant.objects.filter(session_hash=_hash(session_key)), reason="logout"
    )


# --- userinfo and attributes ------------------------------------------------------------------


def userinfo_claims(*, customer: Customer, scope: str, messenger: Messenger) -> dict:
    """What userinfo answers the bearer of an access token issued for ``scope`` (OIDC Core
    5.3.2, 5.4): ``sub`` and only the claims that token's own scope releases."""
    return {
        "sub": customer.customer_id,
        **identity_claims(customer, scope, messenger=messenger),
    }


def attributes_lookup(
    *, messenger: Messenger, subject: str, client_address: str | None = None
) -> dict:
    """The certified attributes of ``subject`` that ``messenger`` selects, audited.

    For Genesys Architect data actions: the flow knows the verified ``sub`` and asks the
    portal, server to server, for what the page must not be trusted with (tier, VIP flag,
    balance) and how the customer last proved the second factor to this messenger
    (``authTime``, ``amr``, ``acr`` of the latest live grant). Raises ``NotAMember`` (as
    ``unknown_customer``) when ``subject`` is not a customer of the messenger's brand, so
    other brands' customers cannot be probed.
    """
    customer = (
        Customer.objects.select_related("tier", "user")
        .filter(
            customer_id=subject,
            memberships__brand_id=messenger.brand_id,
            user__is_active=True,
        )
        .first()
        if subject and len(subject) <= 64
        else None
    )
    attributes = (
        profiles.get("generic").attribute_claims(
            customer=customer, attributes=set(messenger.attributes)
        )
        if customer
        else {}
    )
    AttributeLookup.objects.create(
        messenger=messenger,
        subject=(subject or "")[:64],
        customer=customer,
        found=customer is not None,
        attributes=sorted(attributes),
        client_address=address_or_none(client_address),
        created_at=timezone.now(),
    )
    events.event_record(
        kind="attributes_looked_up",
        messenger=messenger,
        customer=customer,
        reason="" if customer else "not_a_member",
        client_address=client_address,
    )
    if customer is None:
        raise NotAMember(
            "No customer with this id belongs to this brand.",
            code="unknown_customer",
            http_status=404,
        )
    return {"sub": customer.customer_id, **attributes, **_latest_assurance(messenger, customer)}


def _latest_assurance(messenger: Messenger, customer: Customer) -> dict:
    """``authTime``/``amr``/``acr`` of the customer's latest live grant on ``messenger``: how
    the customer last proved the second factor to it (for an agent script, step-up)."""
    grant = (
        OidcGrant.objects.filter(messenger=messenger, customer=customer, revoked_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if grant is None:
        return {}
    return {
        "authTime": int(grant.auth_time.timestamp()),
        "amr": list(grant.amr or AMR),
        **({"acr": grant.acr} if grant.acr else {}),
    }
