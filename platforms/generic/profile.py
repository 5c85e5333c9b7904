"""The generic profile: the reference token format of this product.

Header ``alg``, ``kid``, ``typ: "JWT"`` (what the platforms and common JWT libraries expect).
Claims: ``iss``, ``sub`` (public customer id), ``aud``, ``iat``, ``nbf``, ``exp``, ``jti``,
then the certified attributes, each only when the messenger selects it (data minimisation;
a messenger's default selection is names, tier, VIP and balance): ``firstName`` and
``lastName`` ("names"), ``accountTier`` ("tier"), ``isVip`` ("vip"), ``accountBalance`` as a
decimal string with ``currency`` ("balance"), ``email`` ("email"), ``customerSince``
("customer_since").
Vendor settings: free-form (never secrets), plus ``sandbox``. No vendor script: the browser
adapter ``generic`` has nothing to load, so ``vendor_config`` is ``{"scriptUrl": ""}`` and
``origins`` is empty.
Source: docs/platforms.md and docs/security.md items 3-4.
"""

from brands.algorithms import Algorithm
from messaging.profiles.base import ClaimProfile, money


class GenericProfile(ClaimProfile):
    platform = "generic"
    label = "Generic JWT"
    typ = "JWT"
    algorithms = (Algorithm.RS256, Algorithm.PS256, Algorithm.ES256, Algorithm.EDDSA)
    registered_claims = ("iss", "sub", "aud", "iat", "nbf", "exp", "jti")
    open_vendor_settings = True  # a custom widget may need its own settings
    source = "docs/platforms.md; RFC 7519; RFC 8725"

    def attribute_claims(self, *, customer, attributes: set[str]) -> dict:
        claims: dict = {}
        if "names" in attributes:
            claims["firstName"] = customer.first_name
            claims["lastName"] = customer.last_name
        if "tier" in attributes:
            claims["accountTier"] = customer.tier.code
        if "vip" in attributes:
            claims["isVip"] = bool(customer.is_vip)
        if "balance" in attributes:
            claims["accountBalance"] = money(customer.balance)
            claims["currency"] = customer.currency
        if "email" in attributes:
            claims["email"] = customer.email
        if "customer_since" in attributes:
            claims["customerSince"] = customer.customer_since.isoformat()
        return claims


PROFILE = GenericProfile()
