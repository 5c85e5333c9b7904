"""Intercom Messenger security: HS256 with the workspace's Messenger secret.

The secret is the one the Intercom admin copied from Settings > Security; the sandbox holds
its copy in its credential store. Intercom ignores the header ``kid``. ``user_id`` is required
and must be a string; ``email`` and ``name`` are strings when present; ``iat`` and ``exp``
required (the sandbox is strict: Intercom makes ``exp`` optional). Intercom's token has no
``jti``: the sandbox's one-time check keys on the token's signature instead.
Source: https://developers.intercom.com/installing-intercom/web/identity-verification
"""

from sandbox.verifier.profiles.base import Profile
from sandbox.verifier.rules import named_view, string_claim

PROFILE = Profile(
    name="intercom",
    algorithms=("HS256",),
    typ="JWT",
    required_claims=("user_id", "iat", "exp"),
    shared_secret=True,
    kid_must_match=False,
    claim_checks=(string_claim("user_id"), string_claim("email"), string_claim("name")),
    certified_view=named_view("user_id"),
    jti_optional=True,
)
