"""What a verification profile fixes for one platform."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sandbox.verifier.keys import KeySet


@dataclass(frozen=True)
class Profile:
    name: str
    # JWS algorithms this platform accepts (case-sensitive). A messenger may narrow them.
    algorithms: tuple[str, ...]
    # Exact "typ" header value required.
    typ: str = "JWT"
    required_claims: tuple[str, ...] = ("iss", "aud", "sub", "exp", "iat", "jti")
    # "contains": aud is ours or a list containing ours; "single": exactly ours (or [ours]).
    audience_mode: Literal["contains", "single"] = "contains"
    # Refuse a second use of the same jti before the token expires.
    one_time: bool = False
    # Longest accepted exp - iat, seconds (None: no limit).
    max_lifetime: int | None = 3600
    # Seconds; None: SANDBOX_LEEWAY (30). Always capped at SANDBOX_MAX_LEEWAY (300).
    default_leeway: int | None = None
    # Shared-secret platforms verify with a configured secret (never from a JWKS).
    shared_secret: bool = False
    # Shared secret: the token's header kid must equal the configured key id (Zendesk); when
    # False the one configured secret verifies whatever the kid (Intercom ignores it).
    kid_must_match: bool = True
    # The key's x5c certificate (in the trusted JWKS) must stay valid this many more seconds
    # (Salesforce: 10 days); None: x5c is not looked at.
    x5c_min_validity: int | None = None
    # Platform rules on the claims, after the registered-claim checks; each raises Rejected.
    claim_checks: tuple[Callable[[dict], None], ...] = ()
    # Where this platform puts the customer id and certified attributes: verified claims ->
    # the generic names (sub, firstName, lastName, accountTier, isVip, accountBalance,
    # currency) the agent console shows. None: the claims already use them.
    certified_view: Callable[[dict], dict] | None = None
    # Tokens without a jti (Intercom documents none): a one-time check keys on the token's
    # SHA-256 instead of refusing the token.
    jti_optional: bool = False
    # A vendor that reads no JWKS: ``key_document(body, content_type, default_alg) -> KeySet``
    # reads the document at the messenger's public key URL (what its admin typed into the
    # vendor's console). None: the brand's JWKS.
    key_document: Callable[[bytes, str, str | None], KeySet] | None = None
    # The vendor signs the customer in with an OpenID Connect code exchange of its own
    # (Genesys: sandbox.genesys) rather than taking a token from the page.
    code_flow: bool = False

    def certified(self, claims: dict) -> dict:
        """The customer id and certified attributes in the generic names."""
        return self.certified_view(claims) if self.certified_view else dict(claims)
