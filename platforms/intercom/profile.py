"""Intercom Messenger security: a JWT signed HS256 with the workspace's Messenger secret.

Token: header ``alg`` HS256, ``typ: "JWT"`` (and a ``kid`` naming the secret in this portal;
Intercom ignores it); claims ``user_id`` (the public customer id, required by Intercom),
``email`` (email selected), ``name`` (names selected), ``iat``, ``exp``. Claims signed in the
JWT are protected: the page cannot change them through ``Intercom("update")``.
Key: the workspace's Messenger security secret (Settings > Workspace > Security > Messenger,
"Enforce user identity"), at least 32 characters, given with
``create_messenger ... --platform intercom --secret-stdin``; held encrypted by the messenger.

Vendor settings:
- ``app_id``: the workspace (app) id, e.g. ``abc123de``.
- ``region`` (optional): ``us`` (default), ``eu`` or ``au`` (regional data hosting changes the
  API host, ``api_base`` in the boot settings).

Sources:
- https://developers.intercom.com/installing-intercom/web/identity-verification (JWT, HS256,
  user_id required, protected attributes, ``intercom_user_jwt``)
- https://www.intercom.com/help/en/articles/10589769-authenticating-users-in-the-messenger-with-json-web-tokens-jwts
- https://developers.intercom.com/installing-intercom/web/methods (boot, update, shutdown)
- https://www.intercom.com/help/en/articles/3894-using-intercom-with-content-security-policy
  (CSP hosts: widget.intercom.io, js.intercomcdn.com, api-iam.intercom.io,
  nexus-websocket-a/b.intercom.io, ...)
- https://developers.intercom.com/installing-intercom/web/installation (regional api_base)
"""

from brands.algorithms import Algorithm
from brands.platforms import VendorField, text_matching
from messaging.profiles.base import ClaimProfile, setting

APP_ID = text_matching(
    r"[a-z0-9]{6,12}",
    "must be the Intercom app id (lower-case letters and digits).",
    max_length=12,
)
REGION = text_matching(r"us|eu|au", "must be us, eu or au.", max_length=2)
API_BASE = {
    "us": "https://api-iam.intercom.io",
    "eu": "https://api-iam.eu.intercom.io",
    "au": "https://api-iam.au.intercom.io",
}


class IntercomProfile(ClaimProfile):
    session_lifetime = True  # Intercom: token expiry that matches the app's session length
    platform = "intercom"
    label = "Intercom"
    typ = "JWT"
    algorithms = (Algorithm.HS256,)
    registered_claims = ("iat", "exp")
    shared_secret = True
    vendor_fields = (
        VendorField(
            "app_id",
            "Workspace (app) id",
            "Settings > Installation > Web: the app_id of the snippet.",
            validate=APP_ID,
            example="abc123de",
        ),
        VendorField(
            "region",
            "Data hosting region",
            "us (default), eu or au.",
            required=False,
            validate=REGION,
            example="us",
        ),
    )
    source = "https://developers.intercom.com/installing-intercom/web/identity-verification"

    def attribute_claims(self, *, customer, attributes: set[str]) -> dict:
        claims: dict = {"user_id": str(customer.customer_id)}
        if "email" in attributes and customer.email:
            claims["email"] = customer.email
        if "names" in attributes:
            claims["name"] = f"{customer.first_name} {customer.last_name}".strip()
        return claims

    def assurance_claims(self, *, claims: dict, assurance) -> dict:
        """Nothing: the vendor takes only its documented claims and shows agents none of
        these (docs/platforms). The portal still enforces the messenger's assurance policy."""
        return claims

    def vendor_config(self, messenger) -> dict:
        app_id = setting(messenger, "app_id")
        return {
            "appId": app_id,
            "apiBase": API_BASE[setting(messenger, "region") or "us"],
            "scriptUrl": f"https://widget.intercom.io/widget/{app_id}",
        }

    def origins(self, messenger) -> list[str]:
        api = API_BASE[setting(messenger, "region") or "us"]
        found = [
            "https://widget.intercom.io",
            "https://js.intercomcdn.com",
            api,
            "https://nexus-websocket-a.intercom.io",
            "https://nexus-websocket-b.intercom.io",
            "https://uploads.intercomcdn.com",
            "https://static.intercomassets.com",
        ]
        return list(dict.fromkeys(found))

    def setup_rows(self, messenger) -> list[tuple[str, str]]:
        return [
            ("Messenger security secret", messenger.shared_secret_status()),
            ("Signing algorithm", Algorithm.HS256),
            ("Token lifetime", f"{int(messenger.token_ttl.total_seconds())} seconds"),
            ("Claims", "user_id (required), email, name, iat, exp"),
        ]


PROFILE = IntercomProfile()
