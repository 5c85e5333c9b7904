"""Zendesk messaging: HS256 with the signing key's shared secret, as Zendesk documents it.

The secret and its key id are what the Zendesk admin created in Admin Center; the sandbox
holds its copy in its credential store (``sandbox_credential SLUG --key-id ID --secret-stdin``).
Header ``kid`` must equal that key id (else ``unknown_key``); ``scope`` must be ``"user"`` and
``external_id`` a string (a number is ``invalid_claim``, as Zendesk refuses it); ``name`` and
``email`` are strings when present. No ``iss``/``aud`` required (Zendesk has none).
Sources:
https://developer.zendesk.com/documentation/zendesk-web-widget-sdks/sdks/web/enabling_auth_visitors/
https://support.zendesk.com/hc/en-us/articles/4411666638746
"""

from sandbox.verifier.profiles.base import Profile
from sandbox.verifier.rules import exact_claim, named_view, string_claim

PROFILE = Profile(
    name="zendesk",
    algorithms=("HS256",),
    typ="JWT",
    required_claims=("scope", "external_id", "iat", "exp"),
    shared_secret=True,
    kid_must_match=True,
    claim_checks=(
        exact_claim("scope", "user"),
        string_claim("external_id"),
        string_claim("name"),
        string_claim("email"),
    ),
    certified_view=named_view("external_id"),
)
