"""Dynamics 365 Contact Center authenticated chat: RS256 from the configured public key URL.

``iss`` exact; ``sub``, ``iat``, ``exp`` and ``nbf`` required (Microsoft's payload has all
four); no ``aud``. ``lwicontexts``, when present, must be a STRING holding a JSON object of
primitive values (the serialized custom context), else ``invalid_claim``.
Sources:
https://learn.microsoft.com/dynamics365/customer-service/develop/send-auth-token-starting-chat
https://learn.microsoft.com/dynamics365/customer-service/develop/reference/methods/setauthtokenprovider
"""

import json

from sandbox.verifier.profiles.base import Profile
from sandbox.verifier.rules import json_object_string


def certified_view(claims: dict) -> dict:
    """sub, and the custom context (msdyn_isvip, tier, balance, ...) of lwicontexts."""
    try:
        context = json.loads(claims.get("lwicontexts") or "{}")
    except ValueError:
        context = {}
    vip = context.get("msdyn_isvip")
    return {
        "sub": claims.get("sub"),
        "iss": claims.get("iss"),
        "firstName": context.get("firstname"),
        "lastName": context.get("lastname"),
        "accountTier": context.get("tier"),
        "isVip": {"true": True, "false": False, True: True, False: False}.get(vip),
        "accountBalance": context.get("balance"),
        "currency": context.get("currency"),
    }


PROFILE = Profile(
    name="d365",
    algorithms=("RS256",),
    typ="JWT",
    required_claims=("iss", "sub", "iat", "exp", "nbf"),
    claim_checks=(json_object_string("lwicontexts"),),
    certified_view=certified_view,
)
