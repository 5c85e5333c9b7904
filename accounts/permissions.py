"""DRF permissions about the session's second factor.

DRF's authentication classes replace ``request.user`` with the user they resolved, so the
flag django-otp's middleware sets on the Django user is not guaranteed to survive. This class
re-checks the session's verified device explicitly.
"""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission


class MfaRequired(PermissionDenied):
    default_detail = "This session has not completed two-step verification."
    error_code = "mfa_required"


class IsVerifiedUser(BasePermission):
    """Authenticated and holding a verified OTP device of this very user in the session."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            raise NotAuthenticated("Log in to the portal first.")
        persistent_id = request._request.session.get(DEVICE_ID_SESSION_KEY)
        device = Device.from_persistent_id(persistent_id) if persistent_id else None
        if device is None or device.user_id != user.pk or not device.confirmed:
            raise MfaRequired()
        return True
