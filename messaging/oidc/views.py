"""HTTP endpoints of each brand's OpenID Connect provider: authorize, token, userinfo.

Thin Django views around the brand's Authlib server (``messaging.oidc.server``): they parse
and bound the request, authenticate the client (``messaging.oidc.clients``, with its failure
throttle), and hand the protocol to Authlib inside one transaction. Errors follow RFC 6749
section 5.2 / RFC 6750 section 3 (``{"error", "error_description"}``), not the portal API's
``{"error", "detail"}``. Nothing here answers a 500: unexpected failures become
``server_error`` JSON (503).
"""

from __future__ import annotations

import functools
import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from authlib.oauth2 import OAuth2Error
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from accounts.assurance import ACR_LEVELS
from accounts.selectors import customer_for_user
from accounts.services import second_factor_assurance, second_factor_time
from brands.errors import UnknownBrand
from brands.models import Brand
from brands.selectors import brand_get
from config.security import client_address
from messaging.oidc import clients, prompts, services
from messaging.oidc.errors import OAuthError, invalid_request
from messaging.oidc.server import BrandBearerValidator, BrandServer

logger = logging.getLogger(__name__)

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
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
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
    address = client_address(request)
    _method, client_id, secret = clients.presented_credentials(request.headers, form)
    messenger = clients.client_authenticate(
        brand=brand, client_id=client_id, secret=secret, address=address, endpoint="token"
    )
    clients.client_rate_reserve(messenger=messenger, brand=brand, address=address)
    if not form.get("grant_type"):
        raise invalid_request("The grant_type parameter is required.")
    server = BrandServer(brand, authenticated=messenger)
    request.oidc_address = address
    with transaction.atomic():
        # Authlib answers protocol errors itself (no exception leaves it), so what a failure
        # must leave behind (a family revoked after a reuse) is committed with the answer.
        response = server.create_token_response(request)
    return _no_store(response)


# --- userinfo ---------------------------------------------------------------------------------


@protocol_endpoint
def userinfo(request: HttpRequest, brand: Brand) -> HttpResponse:
    """GET or POST with ``Authorization: Bearer <access token>`` (OIDC Core 5.3, RFC 6750).

    Only this brand's access tokens are known here (another brand's is ``invalid_token``,
    401), and the answer holds only what the token's own scope releases.
    """
    if request.method not in ("GET", "POST"):
        response = oauth_error_response(invalid_request("Use GET or POST."))
        response.status_code = 405
        response["Allow"] = "GET, POST"
        return response
    header = request.headers.get("Authorization", "")
    access_token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not access_token and request.method == "POST" and request.body:
        access_token = _form(request).get("access_token", "")  # RFC 6750 2.2
    if not access_token:
        response = _no_store(
            JsonResponse(
                {"error": "invalid_token", "error_description": "A bearer token is required."},
                status=401,
            )
        )
        response["WWW-Authenticate"] = f'Bearer realm="{brand.issuer_url}"'
        return response
    validator = BrandBearerValidator(brand)
    record = validator.authenticate_token(access_token)
    try:
        validator.validate_token(record, None, request)
    except OAuth2Error as exc:
        response = _no_store(JsonResponse(dict(exc.get_body()), status=exc.status_code))
        for name, value in exc.get_headers():
            if name == "WWW-Authenticate":
                response[name] = value
        return response
    claims = services.userinfo_claims(
        customer=record.get_user(), scope=record.get_scope(), messenger=record.row.grant.messenger
    )
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
    """The browser authorization endpoint (OIDC Core 3.1.2): code flow, PKCE S256, nonce,
    ``prompt=none|login``, ``max_age`` and ``acr_values``.

    An unknown client or an unregistered redirect URI is shown as an error page; every
    later error goes back to the redirect URI with ``error``, ``state`` and ``iss``. A
    customer who is not logged in (or has not passed the second factor) goes through login
    and MFA first and comes back here; one whose proof is older than ``max_age``, weaker
    than the ``acr_values`` asked for or the messenger's policy, or who was asked to log in
    again (``prompt=login``), proves the second factor again first. With ``prompt=none``
    each of those is an error instead (``login_required``, ``interaction_required``). There
    is no consent screen: the relying party is the brand's own contact center.
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
    server = BrandServer(brand)
    client = server.query_client(client_id) if client_id else None
    if client is None:
        return _error_page(request, "Unknown client.")
    if not client.check_redirect_uri(redirect_uri):
        return _error_page(request, "This redirect URI is not registered for the client.")
    messenger = client.messenger
    state = params.get("state", "")[:_MAX_PARAM]

    def back(error: str, description: str) -> HttpResponse:
        return _redirect_with(
            redirect_uri,
            {
                "error": error,
                "error_description": description,
                "state": state,
                "iss": brand.issuer_url,  # RFC 9207 2: error responses too
            },
        )

    user = request.user
    verified = user.is_authenticated and user.is_verified()
    customer = customer_for_user(user) if verified else None
    if len(params.get("nonce", "")) > 255:
        return back("invalid_request", "nonce is too long.")
    try:
        prompts.max_age_of(params)
    except ValueError:
        return back("invalid_request", "max_age must be a number of seconds.")
    request.oidc_context = None
    try:
        grant = server.get_consent_grant(request, end_user=customer)
    except OAuth2Error as exc:
        return back(exc.error, exc.description or exc.error)

    if not verified:
        # prompt=login is met by the login about to happen
        here = prompts.return_url(
            request, params, reauthenticate="login" in (params.get("prompt") or "").split()
        )
        step = "accounts:verify" if user.is_authenticated else "accounts:login"
        return HttpResponseRedirect(reverse(step) + "?" + urlencode({"next": here}))
    if customer is None or not customer.memberships.filter(brand=brand).exists():
        return back("access_denied", "This account is not a customer of the brand.")
    assurance = second_factor_assurance(request.session, user)
    auth_time = assurance.auth_time if assurance else second_factor_time(request.session, user)
    verdict = prompts.authentication_verdict(
        request=request,
        params=params,
        messenger=messenger,
        customer=customer,
        assurance=assurance,
        auth_time=auth_time,
        now=timezone.now(),
    )
    if verdict.action == "error":
        return back(verdict.error, verdict.description)
    if verdict.action == "reauthenticate":
        query = urlencode({"next": verdict.next_url})
        return HttpResponseRedirect(reverse("accounts:stepup") + "?" + query)

    request.oidc_context = {
        "auth_time": auth_time,
        "assurance": assurance,
        "address": client_address(request),
        "session_key": request.session.session_key,
        "session_expires_at": request.session.get_expiry_date(),
    }
    grant.request.oidc_context = request.oidc_context
    with transaction.atomic():
        response = server.create_authorization_response(request, grant_user=customer, grant=grant)
    return _no_store(response)
