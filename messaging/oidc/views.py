"""HTTP endpoints of each brand's OpenID Connect provider: authorize, token, userinfo.

Plain Django views rather than DRF: the token endpoint speaks form-encoded OAuth with RFC
6749 section 5.2 error bodies, not the portal API's ``{"error", "detail"}``. Nothing here
answers a 500: unexpected failures become ``server_error`` JSON (503).
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import re
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from accounts.assurance import ACR_LEVELS
from accounts.selectors import customer_for_user
from accounts.services import second_factor_assurance, second_factor_time
from brands.errors import UnknownBrand
from brands.models import OIDC_PLATFORMS, Brand, Messenger
from brands.selectors import brand_get, oidc_client_authenticate
from config import throttling
from config.security import client_address
from config.throttling import Bucket
from messaging import conf, events, stepup
from messaging.models import AuthorizationCode
from messaging.oidc import services
from messaging.oidc.errors import OAuthError, invalid_client, invalid_request

logger = logging.getLogger(__name__)

_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43,128}")
_MAX_PARAM = 2048


def endpoint_urls(brand: Brand) -> dict:
    """Absolute URLs of ``brand``'s endpoints, under PUBLIC_BASE_URL like its JWKS."""
    base = settings.PUBLIC_BASE_URL
    return {
        "authorization_endpoint": base + reverse("messaging:oidc-authorize", args=[brand.slug]),
        "token_endpoint": base + reverse("messaging:oidc-token", args=[brand.slug]),
        "userinfo_endpoint": base + reverse("messaging:oidc-userinfo", args=[brand.slug]),
    }


def discovery_metadata(brand: Brand) -> dict:
    """What the provider adds to the brand's discovery document: exactly what it implements."""
    return {
        **endpoint_urls(brand),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(services.SCOPES_SUPPORTED),
        "claims_supported": list(services.CLAIMS_SUPPORTED),
        "acr_values_supported": list(ACR_LEVELS),
        "authorization_response_iss_parameter_supported": True,
    }


# --- responses --------------------------------------------------------------------------------


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def oauth_error_response(exc: OAuthError, *, realm: str = "") -> JsonResponse:
    response = JsonResponse(
        {"error": exc.error, "error_description": exc.description}, status=exc.status
    )
    if exc.status == 401 and exc.error == "invalid_client":
        response["WWW-Authenticate"] = f'Basic realm="{realm or "oidc"}"'
    elif exc.status == 401:
        response["WWW-Authenticate"] = (
            f'Bearer realm="{realm or "oidc"}", error="{exc.error}", '
            f'error_description="{exc.description}"'
        )
    return _no_store(response)


def protocol_endpoint(view):
    """CSRF-exempt (clients authenticate themselves), JSON errors, never a 500."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, slug: str) -> HttpResponse:
        try:
            brand = brand_get(slug=slug)
        except UnknownBrand:
            return oauth_error_response(
                OAuthError("invalid_request", "Unknown issuer.", status=404)
            )
        try:
            return view(request, brand)
        except OAuthError as exc:
            return oauth_error_response(exc, realm=brand.issuer_url)
        except Exception:
            logger.exception("OIDC endpoint %s failed", request.path)
            return oauth_error_response(
                OAuthError("server_error", "Try again shortly.", status=503)
            )

    return csrf_exempt(wrapper)


def _form(request: HttpRequest) -> dict[str, str]:
    """The form body as single values; a repeated parameter is invalid (RFC 6749 3.2)."""
    content_type = request.content_type or ""
    if content_type != "application/x-www-form-urlencoded":
        raise invalid_request("The body must be application/x-www-form-urlencoded.")
    try:
        pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise invalid_request("The body is not a valid form.") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise invalid_request(f"Parameter {name[:40]!r} is repeated.")
        if len(value) > _MAX_PARAM:
            raise invalid_request(f"Parameter {name[:40]!r} is too long.")
        form[name] = value
    return form


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


def _authenticate_client(request: HttpRequest, form: dict[str, str], brand: Brand) -> Messenger:
    """``client_secret_basic`` or ``client_secret_post`` (exactly one); ``invalid_client``."""
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        if "client_secret" in form:
            raise invalid_request("Use one client authentication method, not two.")
        credentials = basic_credentials(header)
        if credentials is None:
            raise invalid_client("Malformed Basic credentials.")
        client_id, secret = credentials
        if form.get("client_id") not in (None, client_id):
            raise invalid_client("client_id does not match the authenticated client.")
    elif "client_secret" in form:
        client_id, secret = form.get("client_id", ""), form["client_secret"]
    else:
        raise invalid_client("Client authentication is required.")
    address = client_address(request)
    limit, window = throttling.parse_rate(conf.get("OIDC_RATE_PER_CLIENT"))
    try:
        throttling.reserve(
            [Bucket(key=f"throttle:oidc-client:{client_id[:300]}", limit=limit, window=window)]
        )
    except throttling.Throttled as exc:
        events.event_record(
            kind="throttled", brand=brand, reason="oidc-client", client_address=address
        )
        raise OAuthError(
            "slow_down",
            f"Too many requests for this client. {throttling.wait_text(exc.retry_after)}",
            status=429,
        ) from None
    messenger = oidc_client_authenticate(client_id=client_id, secret=secret)
    if messenger is None or messenger.brand_id != brand.pk:
        logger.info("client authentication failed brand=%s address=%s", brand.slug, address)
        raise invalid_client()
    return messenger


# --- token ------------------------------------------------------------------------------------


@protocol_endpoint
def token(request: HttpRequest, brand: Brand) -> HttpResponse:
    """POST: ``authorization_code`` and ``refresh_token`` grants (RFC 6749 4.1.3, 6)."""
    if request.method != "POST":
        response = oauth_error_response(invalid_request("Use POST."))
        response.status_code = 405
        response["Allow"] = "POST"
        return response
    form = _form(request)
    messenger = _authenticate_client(request, form, brand)
    grant_type = form.get("grant_type", "")
    address = client_address(request)
    if grant_type == "authorization_code":
        result = services.code_exchange(
            messenger=messenger,
            code=form.get("code", ""),
            redirect_uri=form.get("redirect_uri", ""),
            code_verifier=form.get("code_verifier"),
            client_address=address,
        )
    elif grant_type == "refresh_token":
        result = services.refresh_exchange(
            messenger=messenger,
            refresh_token=form.get("refresh_token", ""),
            scope=form.get("scope"),
            client_address=address,
        )
    elif not grant_type:
        raise invalid_request("The grant_type parameter is required.")
    else:
        raise OAuthError("unsupported_grant_type", "Supported: authorization_code, refresh_token.")
    return _no_store(JsonResponse(result.as_dict()))


# --- userinfo ---------------------------------------------------------------------------------


@protocol_endpoint
def userinfo(request: HttpRequest, brand: Brand) -> HttpResponse:
    """GET or POST with ``Authorization: Bearer <access token>`` (OIDC Core 5.3, RFC 6750)."""
    if request.method not in ("GET", "POST"):
        response = oauth_error_response(invalid_request("Use GET or POST."))
        response.status_code = 405
        response["Allow"] = "GET, POST"
        return response
    header = request.headers.get("Authorization", "")
    access_token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not access_token and request.method == "POST" and request.body:
        access_token = _form(request).get("access_token", "")
    if not access_token:
        response = _no_store(
            JsonResponse(
                {"error": "invalid_token", "error_description": "A bearer token is required."},
                status=401,
            )
        )
        response["WWW-Authenticate"] = f'Bearer realm="{brand.issuer_url}"'
        return response
    claims = services.userinfo(access_token=access_token)
    if claims.get("sub") is None:  # pragma: no cover - services always set sub
        raise OAuthError("invalid_token", "The access token is invalid.", status=401)
    return _no_store(JsonResponse(claims))


# --- authorize (browser) ----------------------------------------------------------------------


def _error_page(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    """Errors before the redirect URI is trusted are shown, never redirected (RFC 6749 4.1.2.1)."""
    return render(request, "oidc/error.html", {"message": message}, status=status)


def _redirect_with(redirect_uri: str, params: dict[str, str]) -> HttpResponse:
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend((k, v) for k, v in params.items() if v)
    response = HttpResponseRedirect(urlunsplit(parts._replace(query=urlencode(query))))
    return _no_store(response)


@csrf_exempt  # a relying party may POST here (OIDC Core 3.1.2.1); the code goes to its URI
@never_cache
def authorize(request: HttpRequest, slug: str) -> HttpResponse:
    """The browser authorization endpoint (OIDC Core 3.1.2): code flow, PKCE S256, nonce.

    An unknown client or an unregistered redirect URI is shown as an error page; every
    later error goes back to the redirect URI with ``error`` and ``state``. A customer who is
    not logged in (or has not passed the second factor) goes through login and MFA first and
    comes back here. There is no consent screen: the relying party is the brand's own
    contact center, which the customer chose to contact.
    """
    if request.method not in ("GET", "POST"):
        return _error_page(request, "Use GET or POST.", status=405)
    params = request.GET if request.method == "GET" else request.POST
    if any(len(params.getlist(name)) > 1 for name in params):
        return _error_page(request, "A parameter was repeated.")
    try:
        brand = brand_get(slug=slug)
    except UnknownBrand:
        return _error_page(request, "Unknown issuer.", status=404)
    client_id = params.get("client_id", "")[:300]
    redirect_uri = params.get("redirect_uri", "")[:_MAX_PARAM]
    messenger = (
        Messenger.objects.select_related("brand")
        .filter(audience=client_id, brand=brand, platform__in=OIDC_PLATFORMS, is_active=True)
        .first()
        if client_id
        else None
    )
    if messenger is None:
        return _error_page(request, "Unknown client.")
    if redirect_uri not in messenger.redirect_uris:
        return _error_page(request, "This redirect URI is not registered for the client.")

    state = params.get("state", "")[:_MAX_PARAM]

    def back(error: str, description: str) -> HttpResponse:
        return _redirect_with(
            redirect_uri,
            {
                "error": error,
                "error_description": description,
                "state": state,
                "iss": brand.issuer_url,
            },
        )

    if params.get("response_type") != "code":
        return back("unsupported_response_type", "Only response_type=code is supported.")
    try:
        scope = services.scope_parse(params.get("scope", ""))
    except OAuthError as exc:
        return back(exc.error, exc.description)
    nonce = params.get("nonce", "")
    if len(nonce) > 255:
        return back("invalid_request", "nonce is too long.")
    challenge = params.get("code_challenge", "")
    method = params.get("code_challenge_method", "")
    if challenge and (method != "S256" or not _CHALLENGE.fullmatch(challenge)):
        return back("invalid_request", "code_challenge must be S256 (43 to 128 characters).")
    if method and not challenge:
        return back("invalid_request", "code_challenge_method without code_challenge.")
    if messenger.require_pkce and not challenge:
        return back("invalid_request", "This client requires PKCE (code_challenge, S256).")

    user = request.user
    verified = user.is_authenticated and user.is_verified()
    if not verified:
        if params.get("prompt") == "none":
            return back("login_required", "The customer is not logged in.")
        step = "accounts:verify" if user.is_authenticated else "accounts:login"
        here = request.path + "?" + urlencode(list(params.items()))
        return HttpResponseRedirect(reverse(step) + "?" + urlencode({"next": here}))
    customer = customer_for_user(user)
    if customer is None or not customer.memberships.filter(brand=brand).exists():
        return back("access_denied", "This account is not a customer of the brand.")
    assurance = second_factor_assurance(request.session, user)
    try:
        stepup.step_up_check(messenger=messenger, customer=customer, assurance=assurance)
    except stepup.StepUpRequired:
        if params.get("prompt") == "none":
            return back("interaction_required", "The messenger needs a fresher or stronger proof.")
        here = request.path + "?" + urlencode(list(params.items()))
        return HttpResponseRedirect(reverse("accounts:stepup") + "?" + urlencode({"next": here}))
    issued = services.auth_code_issue(
        customer=customer,
        messenger=messenger,
        auth_time=second_factor_time(request.session, user),
        assurance=assurance,
        redirect_uri=redirect_uri,
        nonce=nonce,
        code_challenge=challenge,
        scope=scope,
        source=AuthorizationCode.Source.AUTHORIZE,
        client_address=client_address(request),
        session_key=request.session.session_key,
    )
    return _redirect_with(
        redirect_uri, {"code": issued.code, "state": state, "iss": brand.issuer_url}
    )
