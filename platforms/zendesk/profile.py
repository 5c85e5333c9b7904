"""Zendesk messaging (Web Widget and mobile SDKs): end-user authentication with HS256.

Token: header ``alg`` HS256, ``kid`` = the id of the signing key the Zendesk admin created
(``app_...``), ``typ: "JWT"``; claims ``scope: "user"``, ``external_id`` (a STRING: the public
customer id; a number is an error for Zendesk), ``name`` (names selected), ``email`` and
``email_verified`` (email selected), ``iat``, ``exp``, ``jti``. No ``iss``, ``sub`` or ``aud``:
Zendesk identifies the user by ``external_id`` and the key by ``kid``.
``email_verified`` is false: the customer record holds no evidence that the address was
verified, and Zendesk links identities on a verified email (an account-takeover path if the
issuer asserted it without proof).
Key: the shared secret of that signing key (at least 32 characters), given with
``create_messenger ... --platform zendesk --key-id ID --secret-stdin``; it belongs to the
messenger, is stored encrypted and is never shown or published.

Vendor settings:
- ``snippet_key``: the key in the Web Widget snippet
  (``https://static.zdassets.com/ekr/snippet.js?key=<snippet_key>``), a UUID.
- ``subdomain``: the account subdomain (``<subdomain>.zendesk.com``), which the widget calls.

Sources:
- https://developer.zendesk.com/documentation/zendesk-web-widget-sdks/sdks/web/enabling_auth_visitors/
  (JWT payload: scope "user", external_id string, name, email, email_verified; header kid)
- https://support.zendesk.com/hc/en-us/articles/4411666638746 (signing keys in Admin Center,
  external ids unique per user)
- https://developer.zendesk.com/api-reference/widget-messaging/web/authentication/
  (``zE("messenger", "loginUser", jwtCallback, loginCallback)``, ``logoutUser``)
- https://support.zendesk.com/hc/en-us/articles/4500748175258 (CSP: static.zdassets.com,
  ekr.zdassets.com, <subdomain>.zendesk.com, widget-mediator.zopim.com)
"""

from brands.algorithms import Algorithm
from brands.platforms import VendorField, text_matching, uuid_string
from messaging.profiles.base import ClaimProfile, setting

SUBDOMAIN = text_matching(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?",
    "must be the account subdomain only (the part before .zendesk.com).",
    max_length=63,
)


class ZendeskProfile(ClaimProfile):
    identify_on_load = True  # the identity is set at every page load (static/adapter.js)
    platform = "zendesk"
    label = "Zendesk"
    typ = "JWT"
    algorithms = (Algorithm.HS256,)
    registered_claims = ("iat", "exp", "jti")
    shared_secret = True
    key_id_required = True
    example_key_id = "app_64f1c8e2a3b4d4e5f8a9b0c1"
    vendor_fields = (
        VendorField(
            "snippet_key",
            "Web Widget snippet key",
            "Admin Center > Channels > Messaging > your Web Widget > Installation: "
            "the key= value.",
            validate=uuid_string,
            example="6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
        ),
        VendorField(
            "subdomain",
            "Zendesk subdomain",
            "The <subdomain> of <subdomain>.zendesk.com (the widget calls it).",
            validate=SUBDOMAIN,
            example="acme",
        ),
    )
    source = "https://developer.zendesk.com/documentation/zendesk-web-widget-sdks/sdks/web/enabling_auth_visitors/"

    def attribute_claims(self, *, customer, attributes: set[str]) -> dict:
        claims: dict = {"scope": "user", "external_id": str(customer.customer_id)}
        if "names" in attributes:
            claims["name"] = f"{customer.first_name} {customer.last_name}".strip()
        if "email" in attributes and customer.email:
            claims["email"] = customer.email
            claims["email_verified"] = False
        return claims

    def assurance_claims(self, *, claims: dict, assurance) -> dict:
        """Nothing: the vendor takes only its documented claims and shows agents none of
        these (docs/platforms). The portal still enforces the messenger's assurance policy."""
        return claims

    def vendor_config(self, messenger) -> dict:
        key = setting(messenger, "snippet_key")
        return {
            "snippetKey": key,
            "scriptUrl": f"https://static.zdassets.com/ekr/snippet.js?key={key}",
        }

    def origins(self, messenger) -> list[str]:
        found = [
            "https://static.zdassets.com",
            "https://ekr.zdassets.com",
            "https://widget-mediator.zopim.com",
        ]
        subdomain = setting(messenger, "subdomain")
        if subdomain:
            found.append(f"https://{subdomain}.zendesk.com")
        return found

    def setup_rows(self, messenger) -> list[tuple[str, str]]:
        return [
            ("Signing key id (JWT header kid)", messenger.shared_secret_key_id or "not set"),
            ("Shared secret", messenger.shared_secret_status()),
            ("Signing algorithm", Algorithm.HS256),
            ("Token lifetime", f"{int(messenger.token_ttl.total_seconds())} seconds"),
            ("Claims", "scope=user, external_id (string), name, email, email_verified"),
        ]


PROFILE = ZendeskProfile()
