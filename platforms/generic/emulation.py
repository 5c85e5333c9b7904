"""The generic platform: asymmetric keys from the brand's JWKS, aud must contain ours."""

from sandbox.verifier.profiles.base import Profile

PROFILE = Profile(
    name="generic",
    algorithms=("RS256", "PS256", "ES256", "EdDSA"),
    typ="JWT",
    audience_mode="contains",
)
