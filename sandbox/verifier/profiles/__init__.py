"""Verification profiles: how each vendor verifies, one per platform package.

Each platform's emulation is ``platforms/<name>/emulation.py`` (``PROFILE``), written from the
vendor's documentation and discovered by ``platforms.load``; nothing here names a platform.
"""

import platforms

from .base import Profile

PROFILES: dict[str, Profile] = {}


def register(profile: Profile) -> Profile:
    PROFILES[profile.name] = profile
    return profile


def get_profile(name: str) -> Profile:
    """The profile called ``name``; KeyError when there is none."""
    return PROFILES[name]


for _profile in platforms.load("emulation").values():
    register(_profile)

__all__ = ["PROFILES", "Profile", "get_profile", "register"]
