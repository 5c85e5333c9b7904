"""Claim profiles: what each platform expects in a token, one module per platform.

A profile turns a customer record into claims for one messenger. ``get(platform)`` returns the
registered profile; a new platform is one module that subclasses ``ClaimProfile``, calls
``register`` and is imported here. Profiles never see tokens, keys or requests: only the
customer and the messenger. ``MessagingConfig.ready`` hands every profile's declarations to
``brands.platforms`` (platform choices and vendor-settings validation).
"""

from messaging.profiles import (  # noqa: F401  (each registers itself)
    d365,
    generic,
    genesys,
    intercom,
    liveperson,
    salesforce,
    zendesk,
)
from messaging.profiles.base import (
    REGISTERED_CLAIMS,
    ClaimProfile,
    UnknownProfile,
    all_profiles,
    get,
    register,
)

__all__ = [
    "REGISTERED_CLAIMS",
    "ClaimProfile",
    "UnknownProfile",
    "all_profiles",
    "get",
    "register",
]
