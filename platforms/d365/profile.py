"""Microsoft Dynamics 365 Contact Center (Omnichannel live chat): authenticated chat, RS256.

Token: header ``alg`` RS256, ``kid``, ``typ: "JWT"``; claims ``iss``, ``sub``, ``iat``,
``exp``, ``nbf``, ``jti``, and ``lwicontexts``. ``sub`` is the customer's Dataverse contact (or
account) GUID when staff mapped one on the customer's membership of the brand (Microsoft
recommends it: Omnichannel then links the contact record to the conversation), else the
public customer id. ``lwicontexts`` holds the selected attributes
serialised as ONE JSON STRING of primitive values whose keys must exist as context variables
of the workstream: ``msdyn_isvip`` (vip), ``tier`` (tier), ``balance`` + ``currency``
(balance), ``firstname`` + ``lastname`` (names), ``email`` (email), ``customer_since``.
Decision: every value is a string, as in Microsoft's own sample
(``{"msdyn_cartvalue":"10000", "msdyn_isvip":"false"}``): context variables are Text or
Number, and money is never a float (docs/security.md 4).
Keys: the chat authentication setting holds a "public key URL", which Microsoft documents as
answering ONE PEM public key (``-----BEGIN PUBLIC KEY-----``), or, with several keys, a JSON
array of ``{"kid", "publicKey" (the PEM, base64), "expiry" (NumericDate)}`` whose ``kid`` the
token's header names. Not an RFC 7517 JWKS. ``key_document`` writes exactly that, served per
messenger at ``Messenger.public_key_url``: the PEM while the brand publishes one RS256 key, the
array while a rotation publishes two or more. ``expiry`` of a retired key is when it leaves
publication; of a pending or active key, the end of its planned signing period (rotation
period) plus the longest token lifetime and the retention, never sooner than the retention
from now. No ``aud``: Microsoft's sample has none.

Vendor settings (the chat widget snippet, Customer Service admin center > Channels > Chat):
- ``app_id`` (``data-app-id``) and ``org_id`` (``data-org-id``): UUIDs.
- ``org_url`` (``data-org-url``): https URL of the Omnichannel endpoint.
- ``script_url`` (optional): the snippet's ``src``; defaults to the public-cloud bootstrapper
  ``https://oc-cdn-ocprod.azureedge.net/livechatwidget/scripts/LiveChatBootstrapper.js``
  (other geographies use another CDN host).

Sources:
- https://learn.microsoft.com/dynamics365/customer-service/develop/send-auth-token-starting-chat
  (payload sub, lwicontexts serialized, iat, iss, exp, nbf; the provider answers in 10 s)
- https://learn.microsoft.com/dynamics365/customer-service/develop/reference/methods/setauthtokenprovider
  (primitive values only; keys are workstream context variables)
- https://learn.microsoft.com/dynamics365/customer-service/administer/create-chat-auth-settings
  ("Setup for custom portals": the public key endpoint, one PEM or the kid/publicKey/expiry
  array; the header kid with several keys; sub = contact or account GUID; the JavaScript
  client function answering within 10 seconds)
- https://learn.microsoft.com/dynamics365/customer-service/administer/add-chat-widget
  (the snippet: data-app-id, data-org-id, data-org-url, LiveChatBootstrapper.js)
"""

import base64
import json
from datetime import UTC, datetime

from django.db.models import Q

from brands import conf as brands_conf
from brands.algorithms import Algorithm
from brands.keymaterial import public_key_pem
from brands.models import SigningKey
from brands.platforms import VendorField, https_url, origin_of, uuid_string
from messaging.profiles.base import ClaimProfile, money, setting

DEFAULT_SCRIPT_URL = (
    "https://oc-cdn-ocprod.azureedge.net/livechatwidget/scripts/LiveChatBootstrapper.js"
)


class D365Profile(ClaimProfile):
    platform = "d365"
    label = "Dynamics 365"
    typ = "JWT"
    algorithms = (Algorithm.RS256,)
    registered_claims = ("iss", "sub", "iat", "exp", "nbf", "jti")
    key_format = "pem-or-kid-array"
    vendor_fields = (
        VendorField(
            "app_id",
            "Widget app id (data-app-id)",
            "The data-app-id of the chat widget's code snippet.",
            validate=uuid_string,
            example="7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
        ),
        VendorField(
            "org_id",
            "Organization id (data-org-id)",
            "The data-org-id of the chat widget's code snippet.",
            validate=uuid_string,
            example="2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091",
        ),
        VendorField(
            "org_url",
            "Organization URL (data-org-url)",
            "The data-org-url of the snippet, e.g. "
            "https://m-<org id>.eu.omnichannelengagementhub.com.",
            validate=https_url(allow_path=False),
            example="https://m-2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091.eu.omnichannelengagementhub.com",
        ),
        VendorField(
            "script_url",
            "Bootstrapper script URL",
            "The snippet's src; empty for the public-cloud default.",
            required=False,
            validate=https_url(),
            example=DEFAULT_SCRIPT_URL,
        ),
    )
    source = "https://learn.microsoft.com/dynamics365/customer-service/develop/send-auth-token-starting-chat"

    def subject(self, *, customer, messenger) -> str:
        """The contact GUID mapped on the customer's membership of the brand, if any."""
        mapped = (
            customer.memberships.filter(Q(brand_id=messenger.brand_id) & ~Q(crm_contact_id=""))
            .values_list("crm_contact_id", flat=True)
            .first()
        )
        return mapped or customer.customer_id

    def key_document(self, keys: list, *, now: datetime) -> tuple[str, bytes]:
        """One PEM for one key; the documented kid/publicKey/expiry array for several."""
        if len(keys) == 1:
            return "text/plain; charset=utf-8", public_key_pem(keys[0].public_jwk)
        entries = [
            {
                "kid": key.kid,
                "publicKey": base64.b64encode(public_key_pem(key.public_jwk)).decode(),
                "expiry": int(_expiry(key, now=now).timestamp()),
            }
            for key in keys
        ]
        return "application/json", json.dumps(entries, separators=(",", ":")).encode()

    def attribute_claims(self, *, customer, attributes: set[str]) -> dict:
        context: dict[str, str] = {}
        if "vip" in attributes:
            context["msdyn_isvip"] = "true" if customer.is_vip else "false"
        if "tier" in attributes:
            context["tier"] = customer.tier.code
        if "balance" in attributes:
            context["balance"] = money(customer.balance)
            context["currency"] = customer.currency
        if "names" in attributes:
            context["firstname"] = customer.first_name
            context["lastname"] = customer.last_name
        if "email" in attributes and customer.email:
            context["email"] = customer.email
        if "customer_since" in attributes:
            context["customer_since"] = customer.customer_since.isoformat()
        return {"lwicontexts": json.dumps(context, separators=(",", ":"), sort_keys=True)}

    def assurance_claims(self, *, claims: dict, assurance) -> dict:
        """Standard claims, and context variables the agent sees in the conversation's
        customer summary: ``auth_method``, ``auth_acr``, ``auth_time`` (ISO 8601 UTC)."""
        claims = super().assurance_claims(claims=claims, assurance=assurance)
        context = json.loads(claims.get("lwicontexts") or "{}")
        context.update(
            {
                "auth_method": assurance.method_label,
                "auth_acr": assurance.acr,
                "auth_time": assurance.auth_time.astimezone(UTC).isoformat(),
            }
        )
        return {
            **claims,
            "lwicontexts": json.dumps(context, separators=(",", ":"), sort_keys=True),
        }

    def _script_url(self, messenger) -> str:
        return setting(messenger, "script_url") or DEFAULT_SCRIPT_URL

    def vendor_config(self, messenger) -> dict:
        return {
            "appId": setting(messenger, "app_id"),
            "orgId": setting(messenger, "org_id"),
            "orgUrl": setting(messenger, "org_url"),
            "scriptUrl": self._script_url(messenger),
        }

    def origins(self, messenger) -> list[str]:
        found = [origin_of(self._script_url(messenger))]
        org_url = setting(messenger, "org_url")
        if org_url and origin_of(org_url) not in found:
            found.append(origin_of(org_url))
        return found

    def setup_rows(self, messenger) -> list[tuple[str, str]]:
        return [
            ("Authentication settings: Public key URL", messenger.public_key_url),
            ("JavaScript client function", "set by the portal (setAuthTokenProvider)"),
            ("Issuer (iss)", messenger.issuer),
            ("Signing algorithm", messenger.algorithm),
            (
                "Context variables (workstream)",
                "msdyn_isvip, tier, balance, currency, firstname, lastname, email, "
                "customer_since (Text; only those the messenger sends)",
            ),
            ("Token lifetime", f"{int(messenger.token_ttl.total_seconds())} seconds"),
        ]


def _expiry(key, *, now: datetime) -> datetime:
    """Until when Dynamics may trust ``key`` (the module docstring says how it is chosen)."""
    retention = brands_conf.get("RETENTION")
    if key.state == SigningKey.State.RETIRED and key.retired_at is not None:
        return key.retired_at + retention
    start = key.activated_at or key.created_at + brands_conf.get("PREPUBLICATION_PERIOD")
    planned = (
        start
        + brands_conf.get("ROTATION_PERIOD")
        + brands_conf.get("MAX_TOKEN_LIFETIME")
        + retention
    )
    return max(planned, now + retention)


PROFILE = D365Profile()
