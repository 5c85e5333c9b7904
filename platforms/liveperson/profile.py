"""LivePerson Conversational Cloud: authenticated messaging with an RS256 JWT.

Token: header ``alg`` RS256, ``kid``, ``typ: "JWT"``; claims ``iss``, ``sub`` (public customer
id), ``aud`` (the messenger's audience), ``iat``, ``exp``, ``jti``, and the certified
attributes as ``lp_sdes`` (Structured Data Entities), each entry only when selected:
- ``{"type": "ctmrinfo", "info": {"customerId", "ctype", "balance", "currency"}}``:
  ``customerId`` always; ``ctype`` "vip" when the VIP flag is selected and set, else the tier
  code when the tier is selected; ``balance`` (with ``currency``) when the balance is.
- ``{"type": "personal", "personal": {"firstname", "lastname", "contacts": [{"email"}]}}``:
  names and/or email.
Types follow LivePerson's SDE reference: ``balance`` is a number (type double), written as a
JSON number with exactly the record's two decimal places (``2450.75``; never a rounded float:
``messaging.profiles.base.ClaimsEncoder``); ``customerId``, ``ctype`` and ``currency`` are
strings. ``cstatus`` (the customer's account status, e.g. "cancelled") is not sent: the
customer record has no such status, and the proof of login travels in the standard ``acr``,
``amr`` and ``auth_time`` claims instead of free text in a typed field.

Identity on every authenticated page: LivePerson targets authenticated engagements only
when the page pushes an identity function, ``lpTag.identities.push(fn)`` with
``fn(callback)`` answering ``callback({iss, acr: "loa1", sub})``: ``iss`` the issuer the
account's authentication connector knows (the brand's), ``sub`` the token's subject
(``page_identity``). No token is minted for it.

Vendor settings:
- ``account_id``: the LivePerson account (site) id, digits.
- ``auth_method``: the name of the page's JavaScript method LivePerson calls for a token
  ("JS method" authentication); default ``lpGetAuthenticationToken``.

Sources:
- https://developers.liveperson.com/messaging-window-api-tutorials-authentication.html
  (claims sub, iss, aud, exp, iat; "JWT Public Key" / JWKS)
- https://developers.liveperson.com/authenticated-consumer-flow.html (JS method
  ``lpGetAuthenticationToken(callback)``, ``lp_sdes`` inside the JWT)
- https://developers.liveperson.com/engagement-attributes-types-of-engagement-attributes.html
  (ctmrinfo: cstatus, ctype, customerId, balance, currency; personal: firstname, lastname,
  contacts)
- https://developers.liveperson.com/messaging-interactions-api-engagement-attributes.html
  (balance: v1 alphanumeric, v2 double)
- https://developers.liveperson.com/web-tag-overview.html (``lptag.liveperson.net/tag/tag.js``)
- https://developers.liveperson.com/consumer-authentication-detailed-api-authentication-implementation-guide.html
  (``lpTag.identities.push(identityFn)``, ``callback({iss, acr: "loa1", sub})``)
Assumption [INF]: the web tag and messaging window use lptag.liveperson.net,
lpcdn.lpsnmedia.net, accdn.lpsnmedia.net and the account's *.liveperson.net domains; CSP lists
the fixed ones (LivePerson documents wildcards, which origins here do not allow).
"""

from decimal import Decimal

from brands.algorithms import Algorithm
from brands.platforms import VendorField, text_matching
from messaging.profiles.base import ClaimProfile, setting

ACCOUNT_ID = text_matching(
    r"[0-9]{4,12}", "must be the LivePerson account id (digits).", max_length=12
)
JS_METHOD = text_matching(
    r"[A-Za-z_$][A-Za-z0-9_$]{0,63}",
    "must be a JavaScript function name such as lpGetAuthenticationToken.",
    max_length=64,
)
DEFAULT_AUTH_METHOD = "lpGetAuthenticationToken"


class LivePersonProfile(ClaimProfile):
    platform = "liveperson"
    label = "LivePerson"
    typ = "JWT"
    algorithms = (Algorithm.RS256,)
    registered_claims = ("iss", "sub", "aud", "iat", "exp", "jti")
    vendor_fields = (
        VendorField(
            "account_id",
            "Account id",
            "Your LivePerson account (site) number, shown at login and in the web tag.",
            validate=ACCOUNT_ID,
            example="12345678",
        ),
        VendorField(
            "auth_method",
            "JS method name",
            "The page method LivePerson calls for a token (authentication: JS method). "
            f"Default {DEFAULT_AUTH_METHOD}.",
            required=False,
            validate=JS_METHOD,
            example=DEFAULT_AUTH_METHOD,
        ),
    )
    source = "https://developers.liveperson.com/authenticated-consumer-flow.html"

    def attribute_claims(self, *, customer, attributes: set[str]) -> dict:
        info: dict = {"customerId": customer.customer_id}
        if "vip" in attributes and customer.is_vip:
            info["ctype"] = "vip"
        elif "tier" in attributes:
            info["ctype"] = customer.tier.code
        if "balance" in attributes:
            info["balance"] = customer.balance.quantize(Decimal("0.01"))
            info["currency"] = customer.currency
        sdes: list[dict] = [{"type": "ctmrinfo", "info": info}]
        personal: dict = {}
        if "names" in attributes:
            personal["firstname"] = customer.first_name
            personal["lastname"] = customer.last_name
        if "email" in attributes and customer.email:
            personal["contacts"] = [{"email": customer.email}]
        if personal:
            sdes.append({"type": "personal", "personal": personal})
        return {"lp_sdes": sdes}

    def page_identity(self, *, customer, messenger) -> dict:
        return {
            "iss": messenger.brand.issuer_url,
            "acr": "loa1",
            "sub": self.subject(customer=customer, messenger=messenger),
        }

    def vendor_config(self, messenger) -> dict:
        account = setting(messenger, "account_id")
        return {
            "accountId": account,
            "authMethod": setting(messenger, "auth_method") or DEFAULT_AUTH_METHOD,
            "scriptUrl": f"https://lptag.liveperson.net/tag/tag.js?site={account}",
        }

    def origins(self, messenger) -> list[str]:
        return [
            "https://lptag.liveperson.net",
            "https://lpcdn.lpsnmedia.net",
            "https://accdn.lpsnmedia.net",
            "https://lo.v.liveperson.net",
            "https://va.v.liveperson.net",
        ]

    def setup_rows(self, messenger) -> list[tuple[str, str]]:
        method = setting(messenger, "auth_method") or DEFAULT_AUTH_METHOD
        return [
            ("Authentication type", f"JS method, method name {method}"),
            ("Issuer (iss)", messenger.issuer),
            ("Audience (aud)", messenger.audience),
            ("JWT public key / JWKS URL", messenger.jwks_url),
            ("Signing algorithm", messenger.algorithm),
            ("Token lifetime", f"{int(messenger.token_ttl.total_seconds())} seconds"),
        ]


PROFILE = LivePersonProfile()
