"""Claim profiles: what each platform expects in a token, one module per platform.

A profile turns a customer record into claims for one messenger. ``get(platform)`` returns the
registered profile; a new platform is one module that subclasses ``ClaimProfile`` and calls
``register``. Profiles never see tokens, keys or requests: only the customer and the messenger.
"""

from messaging.profiles import generic  # noqa: F401  (registers itself)
from messaging.profiles.base import REGISTERED_CLAIMS, ClaimProfile, get, register

__all__ = ["REGISTERED_CLAIMS", "ClaimProfile", "get", "register"]
