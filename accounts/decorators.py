"""View guards: a page of the portal needs a password and a verified second factor."""

from functools import wraps

from django.shortcuts import redirect


def verified_required(view):
    """Allow only sessions that passed both steps; others go to the step they still need.

    Unlike ``otp_required(if_configured=True)`` this never lets a user without a device in:
    they are sent to enrollment.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect("accounts:login")
        if not user.is_verified():
            return redirect("accounts:verify")
        return view(request, *args, **kwargs)

    return wrapper
