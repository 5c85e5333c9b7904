"""The provider's rules: codes, grants, tokens, userinfo and certified attributes.

Codes, access tokens and refresh tokens are random (at least 256 bits), handed out once and
stored as SHA-256 hashes. Every write locks what it changes (the code row, or the refresh
token row) inside one transaction, so two concurrent redemptions of one code or one refresh
token cannot both succeed: the second sees ``used_at`` and revokes the family.

Errors are ``OAuthError`` with RFC 6749 codes. A failure that must leave a trace (revoking a
family after a reuse) commits that change first and raises afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from django.db import transaction
from django.utils import timezone

from accounts.models import Customer
from brands import keycache
from brands.algorithms import Algorithm
from brands.models import Messenger
from messaging import conf, events, profiles, stepup
from messaging.models import (
    AttributeLookup,
    AuthorizationCode,
    OidcGrant,
    OidcToken,
    TokenIssue,
)
from messaging.oidc.errors import OAuthError, invalid_grant, invalid_request
from messaging.selectors import NotAMember
from messaging.services import _ip_or_none, token_issue_audit

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
    "given_name",
    "family_name",
    "name",
    "email",
    "email_verified",
)
# What a code without a recorded assurance stands for: a password, then a one-time code.
AMR = ["pwd", "otp"]
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 4.1
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


def scope_parse(scope: str) -> str:
    """The supported scopes of ``scope`` in a stable order; ``invalid_scope`` without openid."""
    requested = set((scope or "").split())
    if "openid" not in requested:
        raise OAuthError("invalid_scope", "The openid scope is required.")
    return " ".join(s for s in SCOPES_SUPPORTED if s in requested)


# --- codes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    """What the AuthProvider plugin resolves ``getAuthCode`` with. ``__repr__`` hides the code."""

    code: str
    redirect_uri: str
    nonce: str
    code_verifier: str | None
    expires_at: datetime

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
) -> IssuedCode:
    """Mint a single-use code for ``customer`` on the OIDC messenger ``messenger``.

    From the auth-code API (``source=api``) the portal chooses everything: the first
    registered redirect URI, a fresh nonce and, when the messenger requires PKCE, a fresh
    code verifier that it returns for the platform to send back. From the ``authorize``
    endpoint the caller passes what the relying party asked for (already validated).
    ``assurance`` (``accounts.assurance.Assurance``) gives the id_token's ``amr`` and
    ``acr`` (and its ``auth_time`` wins over ``auth_time``). Raises ``OidcError`` when the
    messenger is not an OIDC client.
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
        client_address=_ip_or_none(client_address),
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
    )


# --- token endpoint ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenResponse:
    """The token endpoint's success body (RFC 6749 5.1 + OIDC Core 3.1.3.3)."""

    access_token: str
    expires_in: int
    id_token: str
    scope: str
    refresh_token: str | None = None

    def as_dict(self) -> dict:
        body = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "id_token": self.id_token,
            "scope": self.scope,
        }
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        return body

    def __repr__(self) -> str:
        return f"TokenResponse(scope={self.scope!r})"


def _still_entitled(customer: Customer, messenger: Messenger) -> bool:
    return (
        customer.user.is_active
        and messenger.is_active
        and messenger.brand.is_active
        and customer.memberships.filter(brand_id=messenger.brand_id).exists()
    )


def _revoke(grant: OidcGrant, reason: str) -> None:
    if grant.revoked_at is None:
        OidcGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason
        )
        logger.warning("oidc grant revoked grant=%s reason=%s", grant.pk, reason)


def _new_token(grant: OidcGrant, kind: str, now: datetime, expires_at: datetime) -> str:
    value = secrets.token_urlsafe(32)
    OidcToken.objects.create(
        kind=kind, token_hash=_hash(value), grant=grant, created_at=now, expires_at=expires_at
    )
    return value


# OIDC Core 5.4: which scope releases which of the Genesys profile's identity claims.
_SCOPE_ATTRIBUTES = {"profile": "names", "email": "email"}


def identity_claims(customer: Customer, scope: str) -> dict:
    """The standard claims ``scope`` allows (profile -> names, email -> email), as the Genesys
    claim profile writes them (``messaging.profiles.genesys``)."""
    attributes = {_SCOPE_ATTRIBUTES[s] for s in scope.split() if s in _SCOPE_ATTRIBUTES}
    return profiles.get("genesys").attribute_claims(customer=customer, attributes=attributes)


def _issue_tokens(
    *,
    grant: OidcGrant,
    nonce: str,
    kind: str,
    now: datetime,
    with_refresh: bool,
    client_address: str | None,
) -> TokenResponse:
    messenger, customer = grant.messenger, grant.customer
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
        **identity_claims(customer, grant.scope),
    }
    id_token = jwt.encode(
        claims, key.key, algorithm=key.algorithm, headers={"kid": key.kid, "typ": "JWT"}
    )
    access_ttl = conf.get("OIDC_ACCESS_TOKEN_TTL")
    access_token = _new_token(grant, OidcToken.Kind.ACCESS, now, now + access_ttl)
    refresh_token = (
        _new_token(grant, OidcToken.Kind.REFRESH, now, grant.expires_at) if with_refresh else None
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
    return TokenResponse(
        access_token=access_token,
        expires_in=int(access_ttl.total_seconds()),
        id_token=id_token,
        scope=grant.scope,
        refresh_token=refresh_token,
    )


def code_exchange(
    *,
    messenger: Messenger,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
    client_address: str | None = None,
) -> TokenResponse:
    """Redeem ``code`` for the authenticated client ``messenger`` (grant_type=authorization_code).

    Raises ``OAuthError`` ``invalid_grant`` for an unknown, expired, reused or foreign code, a
    redirect URI or PKCE verifier that does not match, or a customer no longer entitled; a
    reused code also revokes every token its first redemption issued.
    """
    if not code or len(code) > 256:
        raise invalid_request("The code parameter is required.")
    if not redirect_uri:
        raise invalid_request("The redirect_uri parameter is required.")
    now = timezone.now()
    failure: OAuthError | None = None
    with transaction.atomic():
        row = (
            AuthorizationCode.objects.select_for_update()
            .select_related("customer__user", "messenger__brand")
            .filter(code_hash=_hash(code))
            .first()
        )
        if row is None or row.messenger_id != messenger.pk:
            raise invalid_grant("The code is unknown, expired or was issued to another client.")
        if row.used_at is not None:
            grant = OidcGrant.objects.filter(code=row).first()
            if grant is not None:
                _revoke(grant, "code_reused")
            failure = invalid_grant("The code was already used; its tokens are revoked.")
        elif row.expires_at <= now:
            failure = invalid_grant(
                "The code is unknown, expired or was issued to another client."
            )
        elif not hmac.compare_digest(row.redirect_uri, redirect_uri):
            failure = invalid_grant("redirect_uri does not match the one the code was issued for.")
        elif row.code_challenge and not (
            code_verifier
            and _VERIFIER.fullmatch(code_verifier)
            and hmac.compare_digest(s256(code_verifier), row.code_challenge)
        ):
            failure = invalid_grant("The PKCE code_verifier does not match the code challenge.")
        elif not row.code_challenge and code_verifier:
            failure = invalid_grant("A code_verifier was sent for a code issued without PKCE.")
        elif not _still_entitled(row.customer, row.messenger):
            failure = invalid_grant("The customer can no longer use this client.")
        if failure is not None:
            if row.used_at is None and row.expires_at > now:
                # A wrong verifier or redirect burns the code: it cannot be retried by guessing.
                AuthorizationCode.objects.filter(pk=row.pk).update(used_at=now)
        else:
            AuthorizationCode.objects.filter(pk=row.pk).update(used_at=now)
            grant = OidcGrant.objects.create(
                code=row,
                messenger=row.messenger,
                customer=row.customer,
                scope=row.scope,
                auth_time=row.auth_time,
                amr=row.amr,
                acr=row.acr,
                session_hash=row.session_hash,
                created_at=now,
                expires_at=now + conf.get("OIDC_REFRESH_TTL"),
            )
            response = _issue_tokens(
                grant=grant,
                nonce=row.nonce,
                kind=TokenIssue.Kind.ID_TOKEN,
                now=now,
                with_refresh="offline_access" in row.scope.split(),
                client_address=client_address,
            )
    if failure is not None:
        logger.info("code exchange refused messenger=%s: %s", messenger.slug, failure.description)
        raise failure
    return response


def refresh_exchange(
    *,
    messenger: Messenger,
    refresh_token: str,
    scope: str | None = None,
    client_address: str | None = None,
) -> TokenResponse:
    """Rotate ``refresh_token`` (grant_type=refresh_token): a new access, refresh and id_token.

    A refresh token works once. Presenting a spent one again means it was copied: the
    whole family is revoked (RFC 9700 4.14.2) and ``invalid_grant`` is raised. A narrower
    ``scope`` may be asked for; a wider one is ``invalid_scope``.
    """
    if not refresh_token or len(refresh_token) > 256:
        raise invalid_request("The refresh_token parameter is required.")
    now = timezone.now()
    failure: OAuthError | None = None
    with transaction.atomic():
        row = (
            OidcToken.objects.select_for_update()
            .select_related("grant__customer__user", "grant__messenger__brand")
            .filter(token_hash=_hash(refresh_token), kind=OidcToken.Kind.REFRESH)
            .first()
        )
        if row is None or row.grant.messenger_id != messenger.pk:
            raise invalid_grant("The refresh token is unknown or was issued to another client.")
        grant = row.grant
        granted = set(grant.scope.split())
        if row.used_at is not None:
            _revoke(grant, "refresh_reused")
            failure = invalid_grant("The refresh token was already used; the grant is revoked.")
        elif grant.revoked_at is not None:
            failure = invalid_grant("The grant was revoked.")
        elif row.expires_at <= now:
            failure = invalid_grant("The refresh token has expired.")
        elif not _still_entitled(grant.customer, grant.messenger):
            _revoke(grant, "not_entitled")
            failure = invalid_grant("The customer can no longer use this client.")
        elif scope is not None and not set(scope.split()) <= granted:
            failure = OAuthError("invalid_scope", "The scope exceeds what was granted.")
        if failure is None:
            OidcToken.objects.filter(pk=row.pk).update(used_at=now)
            if scope is not None:
                grant.scope = scope_parse(scope)
            response = _issue_tokens(
                grant=grant,
                nonce="",
                kind=TokenIssue.Kind.ID_TOKEN_REFRESH,
                now=now,
                with_refresh=True,
                client_address=client_address,
            )
    if failure is not None:
        logger.info("refresh refused messenger=%s: %s", messenger.slug, failure.description)
        raise failure
    return response


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


def userinfo(*, access_token: str) -> dict:
    """The claims an access token may read (OIDC Core 5.3). ``invalid_token`` (401) otherwise."""
    row = (
        OidcToken.objects.select_related("grant__customer__user", "grant__messenger__brand")
        .filter(token_hash=_hash(access_token or ""), kind=OidcToken.Kind.ACCESS)
        .first()
        if access_token and len(access_token) <= 256
        else None
    )
    now = timezone.now()
    if (
        row is None
        or row.expires_at <= now
        or row.grant.revoked_at is not None
        or not _still_entitled(row.grant.customer, row.grant.messenger)
    ):
        raise OAuthError("invalid_token", "The access token is invalid or expired.", status=401)
    customer = row.grant.customer
    return {"sub": customer.customer_id, **identity_claims(customer, row.grant.scope)}


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
        client_address=_ip_or_none(client_address),
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
    the customer last proved the second factor to it (for an agent script, issue 15)."""
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
