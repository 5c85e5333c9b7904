"""The admin site: django-otp's ``OTPAdminSite`` without its own login form.

Staff log in like customers, through the portal's two steps (``accounts.views``), so they
share its throttle, its session rotation and its second step, and never see django-otp's
"OTP device" drop-down or type their password twice. ``/admin/login/`` only redirects there,
keeping ``next`` (docs/decisions/login-and-second-factor.md).
"""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.admin import OTPAdminSite


def with_tooltip(shown, whole) -> str:
    """``shown`` in a change-list column, ``whole`` in its tooltip (a choice's code and its
    label, a brand's slug and its name)."""
    return format_html('<span title="{}">{}</span>', whole, shown)


def abbreviated(value, keep: int = 12) -> str:
    """A long identifier (kid, jti, customer id) for a change-list column: its first ``keep``
    characters and an ellipsis, the whole value in the tooltip (and on the object's page), so
    the list's columns fit at 1280 px."""
    value = "" if value is None else str(value)
    short = value if len(value) <= keep + 2 else f"{value[:keep]}…"
    return format_html('<code title="{}">{}</code>', value, short)


class PortalAdminSite(OTPAdminSite):
    """Staff need a verified second factor (``OTPAdminSite.has_permission``)."""

    def login(self, request, extra_context=None):
        target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("admin:index", current_app=self.name)
        user = request.user
        if user.is_authenticated and not user.is_verified():
            step = "accounts:verify"  # the password is done: only the second step is missing
        else:
            step = "accounts:login"
        return redirect(f"{reverse(step)}?{urlencode({'next': target})}")
