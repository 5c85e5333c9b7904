"""Genesys Cloud Web Messaging: declarations and the identity claims of an id_token.

Genesys authenticates web messaging with OpenID Connect, not with a token the page hands over:
the AuthProvider plugin answers ``getAuthCode`` with a code that Genesys's servers redeem at
the brand's token endpoint for an id_token (built by the OIDC provider). This module
declares the browser side (adapter ``genesys``, vendor settings, the public config, the CSP
origins) and the identity part of that id_token (``attribute_claims``); the OIDC provider adds
``iss``, ``sub``, ``aud`` (the client id), ``iat``, ``exp``, ``nonce``.

Vendor settings:
- ``deployment_id``: the Messenger deployment id (a UUID), Admin > Message > Messenger
  Deployments.
- ``environment``: the region code the deployment snippet passes (e.g. ``prod-euw1``).
- ``domain``: the region's domain (e.g. ``mypurecloud.ie``); the snippet loads
  ``https://apps.<domain>/genesys-bootstrap/genesys.min.js``.
Identity claims: ``given_name``, ``family_name``, ``name`` (names), ``email``,
``email_verified`` (email). ``email_verified`` is false: the customer record holds no evidence
that the address was verified, and a verifier may link accounts on a verified email.

Sources:
- https://developer.genesys.cloud/commdigital/digital/webmessaging/messengersdk/authenticatedMessenger
- https://help.mypurecloud.com/articles/authenticated-web-messaging-attributes/ (what reaches
  agents: sub, email, given_name + family_name / name)
- https://developer.genesys.cloud/commdigital/digital/webmessaging/messengersdk/ (the
  deployment snippet: ``environment``, ``deploymentId``, the bootstrap script URL)
- https://help.mypurecloud.com/articles/regions/ (CSP: apps., api. and webmessaging.<domain>)
Assumption [INF]: the Messenger connects to ``api.<domain>`` and ``webmessaging.<domain>``
(wss); a CSP ``https://`` source also matches ``wss://`` on the same host (CSP3).
"""

from django.conf import settings
from django.urls import reverse

from brands.algorithms import Algorithm
from brands.platforms import VendorField, hostname, text_matching, uuid_string
from messaging.profiles.base import ClaimProfile, setting

GENESYS_ENVIRONMENT = text_matching(
    r"[a-z]+(-[a-z0-9]+){1,3}", "must be a region code such as prod-euw1 or prod.", max_length=40
)


def _environment(value):
    if value == "prod":  # the original US East region is called plain "prod"
        return value
    return GENESYS_ENVIRONMENT(value)


class GenesysProfile(ClaimProfile):
    platform = "genesys"
    label = "Genesys Cloud"
    typ = "JWT"
    algorithms = (Algorithm.RS256,)
    registered_claims = ("iss", "sub", "aud", "iat", "exp", "jti")
    direct_token = False  # the token API refuses: Genesys redeems auth codes
    oidc = True
    attributes_api = True
    vendor_fields = (
        VendorField(
            "deployment_id",
            "Messenger deployment id",
            "Admin > Message > Messenger Deployments > your deployment: the UUID in the snippet.",
            validate=uuid_string,
            example="0f3c2a9e-5b1d-4c8e-9a7f-2d6e8b1c4a3f",
        ),
        VendorField(
            "environment",
            "Environment (region code)",
            "The 'environment' value of the deployment snippet, e.g. prod-euw1.",
            validate=_environment,
            example="prod-euw1",
        ),
        VendorField(
            "domain",
            "Region domain",
            "The region's domain, e.g. mypurecloud.ie (the snippet's script host without apps.).",
            validate=hostname,
            example="mypurecloud.ie",
        ),
    )
    source = "https://developer.genesys.cloud/commdigital/digital/webmessaging/messengersdk/authenticatedMessenger"

    def attribute_claims(self, *, customer, attributes: set[str]) -> dict:
        """The id_token's and userinfo's identity claims (``messaging.oidc`` maps scopes to
        ``names``/``email``). ``email_verified`` is false: the customer record does not say
        the address was verified, and a relying party must not be told more than we know."""
        claims: dict = {}
        if "names" in attributes:
            claims["given_name"] = customer.first_name
            claims["family_name"] = customer.last_name
            claims["name"] = f"{customer.first_name} {customer.last_name}".strip()
        if "email" in attributes and customer.email:
            claims["email"] = customer.email
            claims["email_verified"] = False
        return claims

    def vendor_config(self, messenger) -> dict:
        domain = setting(messenger, "domain")
        return {
            "environment": setting(messenger, "environment"),
            "deploymentId": setting(messenger, "deployment_id"),
            "scriptUrl": f"https://apps.{domain}/genesys-bootstrap/genesys.min.js",
        }

    def origins(self, messenger) -> list[str]:
        domain = setting(messenger, "domain")
        return [
            f"https://apps.{domain}",
            f"https://api.{domain}",
            f"https://webmessaging.{domain}",
        ]

    def setup_rows(self, messenger) -> list[tuple[str, str]]:
        """The OpenID Connect Messenger Configuration and the attributes data action
        (platforms/genesys/guide.md)."""
        attributes = reverse("messaging:customer-attributes", args=[messenger.brand.slug, "SUB"])
        return [
            ("Discovery URI", messenger.brand.discovery_url),
            ("Client ID", messenger.client_id),
            ("Client secret", "shown once at creation or rotation; never again"),
            ("Scopes", "openid email profile offline_access"),
            ("Redirect URI(s) the page uses", ", ".join(messenger.redirect_uris)),
            ("PKCE", "required (S256)" if messenger.require_pkce else "optional (S256)"),
            ("Token endpoint authentication", "client_secret_basic or client_secret_post"),
            ("Max Refresh Token Lifetime", "15 minutes to the portal's refresh lifetime"),
            (
                "Data action (certified attributes)",
                f"GET {settings.PUBLIC_BASE_URL}{attributes.replace('SUB', '${input.sub}')} "
                "with Basic Auth: client id and secret",
            ),
            ("Signing algorithm", messenger.algorithm or Algorithm.RS256),
            ("id_token lifetime", f"{int(messenger.token_ttl.total_seconds())} seconds"),
        ]


PROFILE = GenesysProfile()
