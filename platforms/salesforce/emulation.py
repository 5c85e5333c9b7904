"""Salesforce Messaging for In-App and Web: user verification as Salesforce documents it.

RS256 (RS512 also accepted by Salesforce); ``iss`` must equal the keyset's issuer exactly;
``sub``, ``iat``, ``exp`` required; NO ``aud`` required (Salesforce checks none; a token that
carries one must still name ours). The key's JWK must carry an ``x5c`` certificate valid for
at least 10 more days, else the key is refused (``unknown_key``, with the remaining validity
in the detail).
Sources:
https://help.salesforce.com/s/articleView?id=service.miaw_token_based_user_verification_setup.htm
https://help.salesforce.com/apex/HTViewHelpDoc?id=service.user_verification_troubleshooting.htm
"""

from sandbox.verifier.profiles.base import Profile

TEN_DAYS = 10 * 24 * 3600

PROFILE = Profile(
    name="salesforce",
    algorithms=("RS256", "RS512"),
    typ="JWT",
    required_claims=("iss", "sub", "iat", "exp"),
    x5c_min_validity=TEN_DAYS,
)
