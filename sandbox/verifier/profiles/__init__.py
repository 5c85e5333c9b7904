"""Verification profiles: one small module per platform, registered here by name.

A new platform is a new module defining ``PROFILE`` and one line in ``_MODULES``.
"""

from importlib import import_module

from .base import Profile

_MODULES = ("generic", "genesys", "salesforce", "zendesk", "liveperson", "d365", "intercom")
PROFILES: dict[str, Profile] = {}


def register(profile: Profile) -> Profile:
    PROFILES[profile.name] = profile
    return profile


def get_profile(name: str) -> Profile:
    """The profile called ``name``; KeyError when there is none."""
    return PROFILES[name]


for _module in _MODULES:
    register(import_module(f"{__name__}.{_module}").PROFILE)

__all__ = ["PROFILES", "Profile", "get_profile", "register"]
