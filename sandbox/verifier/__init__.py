"""The sandbox platform's strict JWT verifier (docs/security.md items 11 to 19)."""

from .core import KeyProvider, StaticKeys, VerificationResult, Verifier, verify
from .jwks import JWKSClient, JWKSUnavailable, get_jwks_client, reset_jwks_clients
from .keys import ALGORITHMS, KeyRejected, KeySet, KeySetError, VerificationKey, key_from_jwk
from .profiles import PROFILES, Profile, get_profile, register
from .reasons import REASON_CODES, Reason
from .replay import CacheReplayStore

__all__ = [
    "ALGORITHMS",
    "PROFILES",
    "REASON_CODES",
    "CacheReplayStore",
    "JWKSClient",
    "JWKSUnavailable",
    "KeyProvider",
    "KeyRejected",
    "KeySet",
    "KeySetError",
    "Profile",
    "Reason",
    "StaticKeys",
    "VerificationKey",
    "VerificationResult",
    "Verifier",
    "get_jwks_client",
    "get_profile",
    "key_from_jwk",
    "register",
    "reset_jwks_clients",
    "verify",
]
