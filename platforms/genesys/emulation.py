"""Genesys Cloud: an OpenID Connect id_token obtained by Genesys's servers in a code exchange.

What Genesys checks, per its documentation (docs/platforms.md, Genesys section):
- https://help.mypurecloud.com/?p=253395 (OpenID Connect Messenger Configuration: discovery
  URI, client id, client secret; keys come from the discovery document's ``jwks_uri``);
- MyPureCloud/genesys-messenger-transport-mobile-sdk ``authorization_code_flow.puml`` (the
  code is redeemed server side with the stored client secret).
Assumptions [INF]: RS256 (the OIDC default; Genesys documents none), ``aud`` is exactly the
client id (OIDC Core 3.1.3.7 allows a list only with ``azp``, which this provider never
sends), ``nonce`` equal to the one the page plugin gave (checked by ``sandbox.genesys``).
"""

from sandbox.verifier.profiles.base import Profile

PROFILE = Profile(
    name="genesys",
    algorithms=("RS256",),
    typ="JWT",
    required_claims=("iss", "aud", "sub", "exp", "iat", "auth_time"),
    audience_mode="single",
    code_flow=True,
    # Genesys's own session lasts at most 15 minutes or our token's lifetime.
    max_lifetime=3600,
)
