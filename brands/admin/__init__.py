"""Staff screens (behind django-otp's OTPAdminSite): brands, signing keys, messengers.

Key material is write-only: the add form takes a PEM (or generates), the service encrypts it,
and no screen ever shows more than the kid, fingerprint and public JWK. Every life-cycle change
is an action that calls a service and reports success or the domain error.

One module per screen (``brand``, ``keys``, ``messengers``); importing them registers them.
"""

from brands.admin.brand import BrandAdmin, MessengerInline
from brands.admin.keys import SigningKeyAddForm, SigningKeyAdmin
from brands.admin.messengers import MessengerAdmin, MessengerAdminForm

__all__ = [
    "BrandAdmin",
    "MessengerAdmin",
    "MessengerAdminForm",
    "MessengerInline",
    "SigningKeyAddForm",
    "SigningKeyAdmin",
]
