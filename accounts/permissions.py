"""DRF permissions about the session's second factor.

DRF's authentication classes replace ``request.user`` with the user they resolved, so the
flag django-otp's middleware sets on the Django user is not guaranteed to survive. This class
re-checks the session's verified device explicitly: it reuses the device django-otp's
middleware already loaded (and bound to this user, confirmed) when DRF kept the middleware's
user object, and reads it otherwise.
"""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission

_UNSET = object()


class MfaRequired(PermissionDenied):
    default_detail = "This session has not completed two-step verification."
    error_code = "mfa_required"


def _session_device(request, user):
    """The verified device of this session, or None.

    ``OTPMiddleware`` sets ``otp_device`` on the Django user it wraps (after checking that
    the device belongs to that user and is confirmed). When DRF's session authentication
    kept that very object, its answer is reused (one query fewer per request); any other
    user object (another authentication class) gets the device read from the session.
    """
    django_user = getattr(request._request, "user", None)
    if user is django_user:
        device = getattr(django_user, "otp_device", _UNSET)
        if device is not _UNSET:
            return device
    persistent_id = request._request.session.get(DEVICE_ID_SESSION_KEY)
    return Device.from_persistent_id(persistent_id) if persistent_id else None


class IsVerifiedUser(BasePermission):
    """Authenticated and holding a verified OTP device of this very user in the session."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            raise NotAuthenticated("Log in to the portal first.")
        device = _session_device(request, user)
        if device is None or device.user_id != user.pk or not device.confirmed:
            raise MfaRequired()
        return True
