"""Each brand's authorization server, built on Authlib (docs/decisions/oidc-provider-library.md).

Authlib runs the protocol: the authorization code grant (RFC 6749 4.1) with its PKCE
extension (RFC 7636, S256 only), OpenID Connect's ``id_token`` and ``nonce`` and ``prompt``
handling (OIDC Core 3.1), the refresh token grant (RFC 6749 6) with scope narrowing, and the
bearer-token resource check of userinfo (RFC 6750). This module gives it what it asks of an
application: the brand's clients, codes and tokens from our models, and the brand's signing
key for the id_token. One server per brand (built per request, cheap: no I/O) is how the
per-brand issuer is expressed; every token is bound to its brand.

What stays ours, because the library leaves it to the application: codes and tokens stored
as SHA-256 hashes and locked while redeemed; a reused code or refresh token revoking its
whole family (RFC 9700 4.14.2); a refresh refused once the customer is no longer entitled or
the messenger's step-up policy (``max_auth_age``, ``min_acr``) is no longer met by the proof
behind the grant; the id_token signed by ``brands.keycache`` and audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from authlib.common.urls import add_params_to_uri
from authlib.integrations.django_oauth2 import AuthorizationServer
from authlib.integrations.django_oauth2.requests import DjangoOAuth2Payload, DjangoOAuth2Request
from authlib.oauth2.rfc6749 import (
    InsecureTransportError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    grants,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from django.conf import settings
from django.utils import timezone

from brands.models import OIDC_PLATFORMS, Brand, Messenger
from messaging import conf, stepup
from messaging.models import AuthorizationCode, OidcGrant, OidcToken, TokenIssue
from messaging.oidc import services
from messaging.oidc.clients import OidcClient


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _new_secret(**_) -> str:
    return secrets.token_urlsafe(32)  # 256 bits


# --- what Authlib reads from our rows ---------------------------------------------------------


@dataclass
class CodeRecord(AuthorizationCodeMixin):
    """An ``AuthorizationCode`` row as Authlib's OIDC ``AuthorizationCodeMixin``."""

    row: AuthorizationCode

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce or None

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> str | None:
        return self.row.acr or None

    def get_amr(self) -> list[str]:
        return list(self.row.amr or services.AMR)

    @property
    def code_challenge(self) -> str:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str | None:
        return "S256" if self.row.code_challenge else None


@dataclass
class TokenRecord:
    """An ``OidcToken`` row as Authlib's ``TokenMixin`` (refresh and bearer validation)."""

    row: OidcToken

    def check_client(self, client: OidcClient) -> bool:
        return self.row.grant.messenger_id == client.messenger.pk

    def get_scope(self) -> str:
        return self.row.scope or self.row.grant.scope

    def get_expires_in(self) -> int:
        return int((self.row.expires_at - self.row.created_at).total_seconds())

    def is_expired(self) -> bool:
        return self.row.expires_at <= timezone.now()

    def is_revoked(self) -> bool:
        grant = self.row.grant
        return grant.revoked_at is not None or not services.still_entitled(
            grant.customer, grant.messenger
        )

    def get_user(self):
        return self.row.grant.customer

    def get_client(self) -> OidcClient:
        return OidcClient(self.row.grant.messenger)


def _tokens_store(*, grant: OidcGrant, token: dict, refresh_scope: str) -> None:
    """Keep the hashes of what Authlib generated: the access token with the scope it was
    issued for, the refresh token with its own scope (RFC 6749 6: unchanged by narrowing)."""
    now = timezone.now()
    OidcToken.objects.create(
        kind=OidcToken.Kind.ACCESS,
        token_hash=_hash(token["access_token"]),
        grant=grant,
        scope=token.get("scope") or grant.scope,
        created_at=now,
        expires_at=now + conf.get("OIDC_ACCESS_TOKEN_TTL"),
    )
    if token.get("refresh_token"):
        OidcToken.objects.create(
            kind=OidcToken.Kind.REFRESH,
            token_hash=_hash(token["refresh_token"]),
            grant=grant,
            scope=refresh_scope,
            created_at=now,
            expires_at=grant.expires_at,
        )


# --- grants -----------------------------------------------------------------------------------


class S256Challenge(CodeChallenge):
    """PKCE with S256 only: ``plain`` (or a challenge without a method) is refused."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        request = grant.request
        challenge = request.payload.data.get("code_challenge")
        method = request.payload.data.get("code_challenge_method")
        super().validate_code_challenge(grant, redirect_uri)
        if challenge and method != "S256":
            raise InvalidRequestError(
                "code_challenge_method must be S256.", redirect_uri=redirect_uri
            )
        if not challenge and grant.request.client.messenger.require_pkce:
            raise InvalidRequestError(
                "This client requires PKCE (code_challenge, S256).", redirect_uri=redirect_uri
            )


class CodeGrant(grants.AuthorizationCodeGrant):
    """``grant_type=authorization_code`` over ``AuthorizationCode`` rows."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def generate_token(self, user=None, scope=None, include_refresh_token=True, **kwargs):
        """A refresh token only for ``offline_access`` (OIDC Core 11)."""
        offline = "offline_access" in (scope or "").split()
        return super().generate_token(
            user=user,
            scope=scope,
            include_refresh_token=include_refresh_token and offline,
            **kwargs,
        )

    def create_authorization_response(self, redirect_uri: str, grant_user):
        """Mint the code through ``services.auth_code_issue`` (shared with the auth-code API)
        and send it back with ``state`` and ``iss`` (RFC 9207 2)."""
        context = self.request.oidc_context
        issued = services.auth_code_issue(
            customer=grant_user,
            messenger=self.request.client.messenger,
            auth_time=context["auth_time"],
            assurance=context["assurance"],
            redirect_uri=redirect_uri,
            nonce=self.request.payload.data.get("nonce", ""),
            code_challenge=self.request.payload.data.get("code_challenge", ""),
            scope=self.request.scope,
            source=AuthorizationCode.Source.AUTHORIZE,
            client_address=context["address"],
            session_key=context["session_key"],
            session_expires_at=context["session_expires_at"],
        )
        params = [("code", issued.code)]
        if self.request.payload.state:
            params.append(("state", self.request.payload.state))
        params.append(("iss", self.server.brand.issuer_url))
        return 302, "", [("Location", add_params_to_uri(redirect_uri, params))]

    def query_authorization_code(self, code: str, client: OidcClient):
        """The live code issued to ``client``, burnt at once (locked: one redemption wins).

        A spent code revokes the grant its first redemption created (RFC 6749 4.1.2). A
        redemption that fails later on (redirect URI, PKCE) leaves the code burnt too, so a
        verifier cannot be guessed against it.
        """
        if not code or len(code) > 256:
            return None
        row = (
            AuthorizationCode.objects.select_for_update()
            .select_related("customer__user", "messenger__brand")
            .filter(code_hash=_hash(code), messenger=client.messenger)
            .first()
        )
        if row is None:
            return None
        now = timezone.now()
        if row.used_at is not None:
            grant = OidcGrant.objects.filter(code=row).first()
            if grant is not None:
                services.grant_revoke(grant=grant, reason="code_reused")
            raise InvalidGrantError("The code was already used; its tokens are revoked.")
        if row.expires_at <= now:
            return None
        AuthorizationCode.objects.filter(pk=row.pk).update(used_at=now)
        return CodeRecord(row)

    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        """Nothing left to do: ``query_authorization_code`` burnt it."""

    def authenticate_user(self, authorization_code: CodeRecord):
        row = authorization_code.row
        if not services.still_entitled(row.customer, row.messenger):
            raise InvalidGrantError("The customer can no longer use this client.")
        return row.customer

    def save_token(self, token: dict) -> None:
        row = self.request.authorization_code.row
        now = timezone.now()
        # No refresh beyond the absolute lifetime, nor beyond the portal session the code came
        # from: a customer whose session ended is asked again (Genesys's reAuthenticate).
        expires_at = now + conf.get("OIDC_REFRESH_TTL")
        if row.session_expires_at is not None:
            expires_at = min(expires_at, row.session_expires_at)
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
            expires_at=expires_at,
        )
        _tokens_store(grant=grant, token=token, refresh_scope=row.scope)
        self.request.oidc_grant = grant


class RefreshGrant(grants.RefreshTokenGrant):
    """``grant_type=refresh_token``: rotation, reuse detection, entitlement and step-up."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str):
        if not refresh_token or len(refresh_token) > 256:
            return None
        row = (
            OidcToken.objects.select_for_update()
            .select_related("grant__customer__user", "grant__messenger__brand")
            .filter(token_hash=_hash(refresh_token), kind=OidcToken.Kind.REFRESH)
            .first()
        )
        if row is None or row.grant.messenger_id != self.request.client.messenger.pk:
            return None
        grant = row.grant
        if row.used_at is not None:
            services.grant_revoke(grant=grant, reason="refresh_reused")
            raise InvalidGrantError("The refresh token was already used; the grant is revoked.")
        if grant.revoked_at is not None:
            raise InvalidGrantError("The grant was revoked.")
        if row.expires_at <= timezone.now():
            raise InvalidGrantError("The refresh token has expired.")
        if not services.still_entitled(grant.customer, grant.messenger):
            services.grant_revoke(grant=grant, reason="not_entitled")
            raise InvalidGrantError("The customer can no longer use this client.")
        try:
            stepup.step_up_check(
                messenger=grant.messenger,
                customer=grant.customer,
                assurance=services.grant_assurance(grant),
            )
        except stepup.StepUpRequired:
            # The proof behind the grant is older (or weaker) than the messenger accepts: a
            # fresh id_token would claim an authentication the policy no longer counts.
            raise InvalidGrantError(
                "The customer's authentication is too old or too weak for this client; "
                "a new authorization is needed."
            ) from None
        scope = self.request.payload.scope
        if scope is not None and "openid" not in scope.split():
            raise InvalidScopeError("The openid scope is required.")
        return TokenRecord(row)

    def authenticate_user(self, refresh_token: TokenRecord):
        return refresh_token.row.grant.customer

    def save_token(self, token: dict) -> None:
        presented = self.request.refresh_token.row
        _tokens_store(grant=presented.grant, token=token, refresh_scope=presented.scope)
        self.request.oidc_grant = presented.grant

    def revoke_old_credential(self, refresh_token: TokenRecord) -> None:
        OidcToken.objects.filter(pk=refresh_token.row.pk).update(used_at=timezone.now())


class BrandIdToken(OpenIDCode):
    """The id_token (OIDC Core 2, 3.1.3.6): the brand's issuer and signing key, audited.

    Authlib decides when one is due (an ``openid`` scope) and checks the authorization
    request's ``nonce`` and ``prompt``; the claims and the signature are the brand's.
    """

    def __init__(self, kind: str):
        super().__init__(require_nonce=False)
        self.kind = kind

    def exists_nonce(self, nonce: str, request) -> bool:
        """A nonce a live code of this client already carries is a replay (OIDC Core 15.5.2)."""
        return AuthorizationCode.objects.filter(
            messenger=request.client.messenger,
            nonce=nonce,
            expires_at__gt=timezone.now(),
        ).exists()

    def encode_id_token(self, token: dict, request) -> str:
        code = request.authorization_code
        return services.id_token_sign(
            grant=request.oidc_grant,
            scope=token["scope"],
            nonce=code.row.nonce if code is not None else "",
            kind=self.kind,
            client_address=request.oidc_address,
            access_token=token.get("access_token"),
        )


class BrandRequest(DjangoOAuth2Request):
    """Authlib's Django request, addressed by the endpoint's public URL (PUBLIC_BASE_URL).

    Authlib refuses a plain-http URI unless a process-wide environment variable says
    otherwise. Transport security is the deployment's here (an https PUBLIC_BASE_URL turns
    on the HTTPS redirect and HSTS, ``manage.py check --deploy``), and the embedded default
    and the tests run on http, so the check is made only when the public URL is https.
    """

    def __init__(self, request):
        uri = settings.PUBLIC_BASE_URL + request.get_full_path()
        if uri.startswith("https://"):
            InsecureTransportError.check(uri)
        self.method = request.method
        self.uri = uri
        self.headers = request.headers
        self._body = None
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None
        self.payload = DjangoOAuth2Payload(request)
        self._request = request


# --- the server -------------------------------------------------------------------------------


class BrandServer(AuthorizationServer):
    """One brand's authorization server. ``authenticated`` is the client the view already
    authenticated (``clients.client_authenticate``, with its failure throttle)."""

    def __init__(self, brand: Brand, *, authenticated: Messenger | None = None):
        self.brand = brand
        self.authenticated = authenticated
        super().__init__(client_model=None, token_model=None)
        self.scopes_supported = list(services.SCOPES_SUPPORTED)
        ttl = int(conf.get("OIDC_ACCESS_TOKEN_TTL").total_seconds())
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=_new_secret,
                refresh_token_generator=_new_secret,
                expires_generator=lambda client, grant_type: ttl,
            ),
        )
        self.register_grant(
            CodeGrant, [S256Challenge(required=False), BrandIdToken(TokenIssue.Kind.ID_TOKEN)]
        )
        self.register_grant(RefreshGrant, [BrandIdToken(TokenIssue.Kind.ID_TOKEN_REFRESH)])

    def load_config(self, config):  # no AUTHLIB_OAUTH2_PROVIDER setting: configured above
        self.config = {}

    def create_oauth2_request(self, request):
        """Authlib's request, carrying what our hooks need from the view: the caller's
        address and, at the authorization endpoint, the session's proof."""
        oauth_request = BrandRequest(request)
        oauth_request.oidc_address = getattr(request, "oidc_address", None)
        oauth_request.oidc_context = getattr(request, "oidc_context", None)
        oauth_request.oidc_grant = None
        return oauth_request

    def query_client(self, client_id: str) -> OidcClient | None:
        messenger = (
            Messenger.objects.select_related("brand")
            .filter(
                audience=client_id or "",
                brand=self.brand,
                platform__in=OIDC_PLATFORMS,
                is_active=True,
            )
            .first()
        )
        return OidcClient(messenger) if messenger else None

    def authenticate_client(self, request, methods, endpoint="token") -> OidcClient:
        if self.authenticated is None:  # pragma: no cover - the view authenticates first
            raise InvalidGrantError("Client authentication is required.")
        return OidcClient(self.authenticated)

    def validate_requested_scope(self, scope):
        """``openid`` is required; scopes we do not know are ignored, not refused (OIDC Core
        3.1.2.1: "Scope values used that are not understood ... SHOULD be ignored"), and
        ``OidcClient.get_allowed_scope`` leaves them out of the grant."""
        if "openid" not in (scope or "").split():
            raise InvalidScopeError("The openid scope is required.")

    def save_token(self, token, request):  # pragma: no cover - each grant saves its own
        raise NotImplementedError

    def send_signal(self, name, *args, **kwargs) -> None:
        """No Django signals: the services record events and the audit trail themselves."""


class BrandBearerValidator(BearerTokenValidator):
    """RFC 6750 bearer tokens of ONE brand: another brand's access token is unknown here."""

    def __init__(self, brand: Brand):
        super().__init__(realm=brand.issuer_url)
        self.brand = brand

    def authenticate_token(self, token_string: str) -> TokenRecord | None:
        if not token_string or len(token_string) > 256:
            return None
        row = (
            OidcToken.objects.select_related("grant__customer__user", "grant__messenger__brand")
            .filter(
                token_hash=_hash(token_string),
                kind=OidcToken.Kind.ACCESS,
                grant__messenger__brand=self.brand,
            )
            .first()
        )
        return TokenRecord(row) if row else None
