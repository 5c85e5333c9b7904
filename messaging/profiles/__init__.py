"""Claim profiles: what each platform expects in a token, one per platform package.

A profile turns a customer record into claims for one messenger. ``get(platform)`` returns the
registered profile. Each platform's profile is ``platforms/<name>/profile.py`` (``PROFILE``),
discovered by ``platforms.load``; nothing here names a platform. Profiles never see tokens,
keys or requests: only the customer and the messenger. ``MessagingConfig.ready`` hands every
profile to ``brands.platforms`` (platform choices and vendor-settings validation).
"""

import platforms
from messaging.profiles.base import (
    REGISTERED_CLAIMS,
    ClaimProfile,
    UnknownProfile,
    all_profiles,
    get,
    register,
)

for _profile in platforms.load("profile").values():
    register(_profile)

__all__ = [
    "REGISTERED_CLAIMS",
    "ClaimProfile",
    "UnknownProfile",
    "all_profiles",
    "get",
    "register",
]
