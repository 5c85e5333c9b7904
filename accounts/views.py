"""Portal pages: login (password, then TOTP or backup code), enrollment, home, logout."""

import base64
from urllib.parse import urlencode

import segno
from django.contrib.auth import login, logout
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from accounts import otp_secrets, panels, selectors, services
from accounts.decorators import verified_required
from accounts.forms import BackupCodesSavedForm, CodeForm, EnrollForm, LoginForm
from accounts.selectors import user_has_passkey
from brands.models import DEFAULT_HEADER_COLOR, DEFAULT_PRIMARY_COLOR, Brand
from config.errors import DomainError
from config.security import client_address


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    """Step one: username and password. Errors never tell whether the username exists."""
    if request.user.is_authenticated and request.user.is_verified():
        return redirect("accounts:home")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_authenticate(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                address=client_address(request),
            )
        except DomainError as exc:
            form.add_error(None, exc.detail)
            status = exc.http_status
        else:
            login(request, user)  # rotates the session key
            step = "accounts:verify" if services.user_has_mfa(user) else "accounts:enroll"
            nxt = _next_url(request)
            response = redirect(step)
            if nxt:
                response["Location"] += "?" + urlencode({"next": nxt})
            return response
    elif request.method == "POST":
        status = 400
    return render(
        request, "accounts/login.html", {"form": form, "next": _next_url(request)}, status=status
    )


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def verify_view(request):
    """Step two: a TOTP code or a backup code. Success rotates the session key again."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if user.is_verified():
        return redirect("accounts:home")
    if not services.user_has_mfa(user):
        return redirect("accounts:enroll")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = services.mfa_verify(
                user=user, code=form.cleaned_data["code"], address=client_address(request)
            )
        except DomainError as exc:
            form.add_error("code", exc.detail)
            status = exc.http_status
        else:
            services.second_factor_login(request, device)
            return redirect(_next_url(request) or "accounts:home")
    elif request.method == "POST":
        status = 400
    context = {"form": form, "next": _next_url(request), "has_passkey": user_has_passkey(user)}
    return render(request, "accounts/verify.html", context, status=status)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def enroll_view(request):
    """Set up an authenticator (QR code + manual key), then show ten backup codes once."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if services.user_has_mfa(user):
        return redirect("accounts:home" if user.is_verified() else "accounts:verify")
    device = services.totp_enrollment_start(user=user)
    form = EnrollForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            enrollment = services.totp_enrollment_confirm(
                user=user, code=form.cleaned_data["code"]
            )
        except services.AccountsError as exc:
            form.add_error("code", exc.detail)
            status = 400
        else:
            services.second_factor_login(request, enrollment.device)
            # shown until the customer says they saved them (a reload shows them again)
            request.session[BACKUP_CODES_SESSION_KEY] = otp_secrets.unsaved_codes_seal(
                enrollment.backup_codes, user_id=user.pk
            )
            return redirect("accounts:backup-codes")
    elif request.method == "POST":
        status = 400
    qr_svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, title="QR code for your authenticator app"
    )
    manual_key = _b32(device.bin_key)
    return render(
        request,
        "accounts/enroll.html",
        {"form": form, "qr_svg": qr_svg, "manual_key": manual_key},
        status=status,
    )


def _b32(raw: bytes) -> str:
    key = base64.b32encode(raw).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


BACKUP_CODES_SESSION_KEY = "accounts_unsaved_backup_codes"


@csrf_protect
@never_cache
@verified_required
def backup_codes_view(request):
    """The new backup codes, with copy / download / print, until "I have saved them".

    Until that confirmation the codes stay in the session, sealed under the key-encryption
    key (``otp_secrets.unsaved_codes_seal``); the portal home sends the customer back here
    while they are unconfirmed.
    """
    sealed = request.session.get(BACKUP_CODES_SESSION_KEY)
    codes = otp_secrets.unsaved_codes_open(sealed, user_id=request.user.pk) if sealed else []
    if not codes:
        request.session.pop(BACKUP_CODES_SESSION_KEY, None)
        return redirect("accounts:home")
    form = BackupCodesSavedForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            del request.session[BACKUP_CODES_SESSION_KEY]
            return redirect("accounts:home")
        status = 400
    return render(
        request, "accounts/backup_codes.html", {"codes": codes, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
@csrf_protect
@never_cache
def logout_view(request):
    """POST logs out and lands on "You are logged out"; GET (a typed or bookmarked /logout/)
    asks for confirmation first, or goes to the login when there is no session."""
    if request.method == "GET":
        if not request.user.is_authenticated:
            return redirect("accounts:login")
        return render(request, "accounts/logout.html")
    logout(request)
    return redirect("accounts:logged-out")


@require_GET
@never_cache
def logged_out_view(request):
    """GET /logged-out/: says the session ended, with a link to log in again.

    A visitor who still has a session (another tab logged in again) is sent home instead."""
    if request.user.is_authenticated:
        return redirect("accounts:home")
    return render(request, "accounts/logged_out.html")


@require_GET
def favicon_view(request):
    """GET /favicon.ico: browsers ask for it whatever the page links; it is a static file."""
    response = redirect(static("favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def brand_theme_view(request, slug: str):
    """GET /theme/<brand>.css: the brand's colours as CSS custom properties (public).

    The portal's Content-Security-Policy allows no inline styles, so the colours a brand set
    in the admin arrive as this small stylesheet. They were validated on save (hex, AA
    contrast); anything else falls back to the portal's own colours.
    """
    brand = get_object_or_404(Brand, slug=slug, is_active=True)
    primary = brand.primary_color or DEFAULT_PRIMARY_COLOR
    header = brand.header_color or DEFAULT_HEADER_COLOR
    css = (
        f":root {{ --accent: {primary}; --topbar-bg: {header}; "
        f"--topbar-fg: {brand.header_text_color}; }}\n"
    )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


@never_cache
@verified_required
def home_view(request):
    """The customer's portal home: name, tier, brands, and the Chat with support button."""
    if request.session.get(BACKUP_CODES_SESSION_KEY):
        return redirect("accounts:backup-codes")
    customer = selectors.customer_for_user(request.user)
    brands = list(selectors.brands_of_customer(customer)) if customer else []
    context = {"customer": customer, "brands": brands}
    if customer:
        context["panels"] = panels.home_panels_render(request, customer)
    return render(request, "accounts/home.html", context)
