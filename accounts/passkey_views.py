"""Passkey pages and their JSON ceremony endpoints (accounts/static/accounts/passkeys.js).

- ``/login/passkey/begin|complete``: the second login step with a passkey; also the
  re-verification (step-up) of an already verified session, which renews ``auth_time``.
- ``/security/passkeys/register/begin|complete``: add a passkey, from the security page (a
  verified session) or as the first second factor right after the password (no factor yet).
- ``/security/``: the customer's (or staff member's) second factors; rename, remove.

Every refusal is JSON ``{"error", "detail"}`` with a 4xx status (the page shows ``detail``),
logged by ``accounts.passkeys``; the ceremonies never answer 500.
"""

import json

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import otp_secrets, passkeys, services
from accounts.assurance import Method, method_of
from accounts.decorators import verified_required
from accounts.forms import CodeForm
from accounts.views import BACKUP_CODES_SESSION_KEY, _next_url
from config.errors import DomainError
from config.security import client_address

# Where sessions created before the codes were sealed hold them, in clear.
LEGACY_CLEAR_CODES_SESSION_KEY = "accounts_passkey_backup_codes"


def _error(exc: DomainError) -> JsonResponse:
    response = JsonResponse({"error": exc.code, "detail": exc.detail}, status=exc.http_status)
    retry = getattr(exc, "retry_after", None)
    if retry:
        response["Retry-After"] = str(retry)
    return response


def _refused(code: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail}, status=status)


def _body(request):
    try:
        return json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None


# --- second step / step-up ----------------------------------------------------------------------


@require_POST
@csrf_protect
@never_cache
def authenticate_begin(request):
    user = request.user
    if not user.is_authenticated:
        return _refused("not_authenticated", "Log in with your password first.", 401)
    try:
        return JsonResponse(passkeys.passkey_authentication_begin(request=request, user=user))
    except DomainError as exc:
        return _error(exc)


@require_POST
@csrf_protect
@never_cache
def authenticate_complete(request):
    user = request.user
    if not user.is_authenticated:
        return _refused("not_authenticated", "Log in with your password first.", 401)
    try:
        device = passkeys.passkey_authentication_complete(
            request=request, user=user, data=_body(request)
        )
    except DomainError as exc:
        return _error(exc)
    services.second_factor_login(request, device)
    return JsonResponse({"redirect": _next_url(request) or reverse("accounts:home")})


# --- registration -------------------------------------------------------------------------------


def _may_register(request):
    """A verified session, or a password-only session of a user with no second factor yet."""
    user = request.user
    if not user.is_authenticated:
        return _refused("not_authenticated", "Log in with your password first.", 401)
    if not user.is_verified() and services.user_has_mfa(user):
        return _refused(
            "mfa_required", "Verify with your existing second factor before adding a passkey.", 403
        )
    return None


@require_POST
@csrf_protect
@never_cache
def register_begin(request):
    refused = _may_register(request)
    if refused:
        return refused
    return JsonResponse(passkeys.passkey_registration_begin(request=request, user=request.user))


@require_POST
@csrf_protect
@never_cache
def register_complete(request):
    refused = _may_register(request)
    if refused:
        return refused
    user = request.user
    body = _body(request)
    name = body.pop("name", "") if isinstance(body, dict) else ""
    first = not user.is_verified()
    try:
        device = passkeys.passkey_registration_complete(
            request=request, user=user, data=body, name=name if isinstance(name, str) else ""
        )
    except DomainError as exc:
        return _error(exc)
    if first:
        # The passkey is the account's first second factor: it verifies this session, and
        # backup codes are created for the day the passkey is lost. They wait in the session,
        # sealed under the key-encryption key as on the authenticator-app path, until the
        # customer says they saved them: the session table and Redis never hold them in clear.
        services.second_factor_login(request, device)
        codes = passkeys.passkey_first_factor_backup_codes(user=user)
        if codes:
            request.session[BACKUP_CODES_SESSION_KEY] = otp_secrets.unsaved_codes_seal(
                codes, user_id=user.pk
            )
        return JsonResponse({"id": device.pk, "redirect": reverse("accounts:backup-codes")})
    messages.success(request, f"Passkey “{device.name}” added.")
    return JsonResponse({"id": device.pk, "redirect": reverse("accounts:security")})


@never_cache
@verified_required
def backup_codes_once(request):
    """The former address of the passkey path's codes page: the one codes page now. Codes a
    session still holds in clear from before (the former key) are sealed on the way."""
    clear = request.session.pop(LEGACY_CLEAR_CODES_SESSION_KEY, None)
    if clear and isinstance(clear, list):
        request.session[BACKUP_CODES_SESSION_KEY] = otp_secrets.unsaved_codes_seal(
            clear, user_id=request.user.pk
        )
    return redirect("accounts:backup-codes")


# --- security page ------------------------------------------------------------------------------


@never_cache
@verified_required
def security_view(request):
    """The signed-in user's second factors, with their last use; add, rename, remove passkeys."""
    user = request.user
    current = services.second_factor_assurance(request.session, user)
    others = [f for f in services.user_second_factors(user) if method_of(f) != Method.PASSKEY]
    context = {
        "passkeys": list(passkeys.passkeys_of(user)),
        "other_factors": [(Method(method_of(f)).label, f) for f in others],
        "assurance": current,
    }
    return render(request, "accounts/security.html", context)


@require_POST
@csrf_protect
@verified_required
def passkey_rename_view(request, passkey_id: int):
    try:
        device = passkeys.passkey_rename(
            user=request.user, passkey_id=passkey_id, name=request.POST.get("name", "")
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Passkey renamed to “{device.name}”.")
    return redirect("accounts:security")


@require_POST
@csrf_protect
@verified_required
def passkey_remove_view(request, passkey_id: int):
    try:
        passkeys.passkey_remove(user=request.user, passkey_id=passkey_id)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Passkey removed.")
    return redirect("accounts:security")


# --- step-up: verify again while logged in ------------------------------------------------------


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@verified_required
def stepup_view(request):
    """Prove the second factor again (a messenger's policy asked for a fresher or stronger one).

    HTML: a page with the passkey prompt and a code form; success goes back to ``next``.
    JSON (the chat's inline prompt, ``{"code": "..."}``): ``{"redirect"}`` or the error shape.
    A passkey is proven through ``/login/passkey/complete/``, which works for verified
    sessions too.
    """
    user = request.user
    as_json = request.content_type == "application/json"
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        code = (_body(request) or {}).get("code") if as_json else None
        if as_json and not isinstance(code, str):
            return _refused("invalid_request", 'Send the code as {"code": "..."}.', 400)
        if not as_json and form.is_valid():
            code = form.cleaned_data["code"]
        if code is not None:
            try:
                device = services.mfa_verify(user=user, code=code, address=client_address(request))
            except DomainError as exc:
                if as_json:
                    return _error(exc)
                form.add_error("code", exc.detail)
                status = exc.http_status
            else:
                services.second_factor_login(request, device)
                target = _next_url(request) or reverse("accounts:home")
                return JsonResponse({"redirect": target}) if as_json else redirect(target)
        else:
            status = 400
    context = {
        "form": form,
        "next": _next_url(request),
        "has_passkey": passkeys.passkeys_of(user).exists(),
        "has_codes": any(
            method_of(f) != Method.PASSKEY for f in services.user_second_factors(user)
        ),
    }
    return render(request, "accounts/stepup.html", context, status=status)
