"""Salesforce Messaging for In-App and Web (MIAW): user verification with a direct JWT.

Token: header ``alg`` RS256 by default, RS512 as an option (``--alg RS512``: Salesforce's
setup page supports both; the brand then keeps an RS512 key, one algorithm per key),
``kid``, ``typ: "JWT"``; claims ``iss`` (the brand's issuer: Salesforce matches it
against the keyset's issuer), ``sub`` (public customer id), ``iat``, ``exp``, ``jti``.
No ``aud``: Salesforce sends none in its own sample and checks none, so brands are kept apart
by a distinct issuer and keyset per brand. No custom claims: Salesforce uses the token for
identity only (certified attributes would have to reach the agent through a server-side
lookup, not hidden pre-chat fields, which the page can tamper with).
Keys: a keyset from a JWKS URL, or uploaded JWKs that carry ``kty``, ``kid``, ``alg`` and
``x5c`` with a certificate valid for at least 10 more days (``brands`` publishes ``x5c`` and
``rotate_signing_keys`` renews certificates before that).

Vendor settings (the Embedded Service deployment's code snippet):
- ``org_id``: the 15- or 18-character org id (starts with ``00D``).
- ``deployment_name``: the Embedded Service deployment's API name.
- ``site_url``: the Experience Cloud site URL of the deployment (https, e.g.
  ``https://acme.my.site.com/ESWWebMessaging1700000000000``); the bootstrap script is
  ``<site_url>/assets/js/bootstrap.min.js``.
- ``scrt2_url``: the ``scrt2URL`` of the snippet (``https://<org>.my.salesforce-scrt.com``).

Sources:
- https://developer.salesforce.com/docs/service/messaging-web/guide/user-verification.html
  (setIdentityToken, onEmbeddedMessagingIdentityTokenExpired, clearSession)
- https://help.salesforce.com/s/articleView?id=service.miaw_token_based_user_verification_setup.htm
  (keysets, JWKS URL or uploaded JWK with x5c valid for 10 more days, RS256/RS512, issuer)
- https://help.salesforce.com/apex/HTViewHelpDoc?id=service.user_verification_troubleshooting.htm
- Salesforce-Async-Messaging/key-command-line-utility ``JwtUtil.java`` (sample: kid, sub, iss,
  exp, iat; no aud)
- https://developer.salesforce.com/docs/service/messaging-web/guide/web-deployment-code.html
  (the snippet: ``embeddedservice_bootstrap.init(orgId, deploymentName, siteUrl,
  {scrt2URL})`` and the bootstrap script URL)
"""

from brands import conf as brands_conf
from brands.algorithms import Algorithm
from brands.models import SigningKey
from brands.platforms import VendorField, https_url, origin_of, text_matching
from messaging.profiles.base import ClaimProfile, setting

ORG_ID = text_matching(
    r"00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?",
    "must be a Salesforce org id: 15 or 18 letters and digits starting with 00D.",
    max_length=18,
)
DEPLOYMENT_NAME = text_matching(
    r"[A-Za-z](?:[A-Za-z0-9]|_(?!_)){0,79}(?<!_)",
    "must be the deployment's API name: letters, digits and single underscores, starting "
    "with a letter.",
    max_length=80,
)


class SalesforceProfile(ClaimProfile):
    identify_on_load = True  # the identity is set at every page load (static/adapter.js)
    x5c_required = True
    # its flows read tier, VIP flag and balance from the certified-attributes API (guide.md)
    attributes_api = True
    platform = "salesforce"
    label = "Salesforce"
    typ = "JWT"
    algorithms = (Algorithm.RS256, Algorithm.RS512)
    registered_claims = ("iss", "sub", "iat", "exp", "jti")
    vendor_fields = (
        VendorField(
            "org_id",
            "Org id",
            "Setup > Company Information > Salesforce.com Organization ID (00D...).",
            validate=ORG_ID,
            example="00D5g000004abcdEAA",
        ),
        VendorField(
            "deployment_name",
            "Embedded Service deployment API name",
            "Setup > Embedded Service Deployments > your deployment: API Name.",
            validate=DEPLOYMENT_NAME,
            example="Acme_Web_Messaging",
        ),
        VendorField(
            "site_url",
            "Site URL",
            "The site URL of the deployment's code snippet (https).",
            validate=https_url(),
            example="https://acme.my.site.com/ESWAcmeWebMessaging1700000000000",
        ),
        VendorField(
            "scrt2_url",
            "SCRT2 URL",
            "The scrt2URL of the code snippet, e.g. https://acme.my.salesforce-scrt.com.",
            validate=https_url(allow_path=False),
            example="https://acme.my.salesforce-scrt.com",
        ),
    )
    source = (
        "https://developer.salesforce.com/docs/service/messaging-web/guide/user-verification.html"
    )

    def attribute_claims(self, *, customer, attributes: set[str]) -> dict:
        return {}  # identity only (see the module docstring)

    def vendor_config(self, messenger) -> dict:
        site_url = setting(messenger, "site_url")
        return {
            "orgId": setting(messenger, "org_id"),
            "deploymentName": setting(messenger, "deployment_name"),
            "siteUrl": site_url,
            "scrt2Url": setting(messenger, "scrt2_url"),
            "scriptUrl": f"{site_url}/assets/js/bootstrap.min.js",
        }

    def origins(self, messenger) -> list[str]:
        found = []
        for name in ("site_url", "scrt2_url"):
            value = setting(messenger, name)
            if value and origin_of(value) not in found:
                found.append(origin_of(value))
        return found

    def setup_rows(self, messenger) -> list[tuple[str, str]]:
        rows = [
            ("Keyset issuer (must equal the token's iss)", messenger.issuer),
            ("Keyset type", "JWKS endpoint (recommended) or uploaded JWK with x5c"),
            ("JWKS endpoint URL", messenger.jwks_url),
            ("Signing algorithm", messenger.algorithm),
            ("Audience", "none: Salesforce checks no aud (brands are told apart by the issuer)"),
            ("Token lifetime", f"{int(messenger.token_ttl.total_seconds())} seconds"),
        ]
        # for an upload: each published key's JWK (from the JWKS URL), one key per upload
        keys = messenger.brand.signing_keys.filter(
            state__in=list(SigningKey.PUBLISHED_STATES), algorithm=messenger.algorithm
        ).order_by("created_at", "id")
        renewal = brands_conf.get("CERTIFICATE_RENEWAL").days
        for key in keys:
            label = f"Key {key.kid} ({key.state})"
            if key.certificate_not_after:
                rows.append(
                    (
                        label,
                        f"x5c certificate valid until {key.certificate_not_after:%Y-%m-%d} UTC; "
                        f"rotate_signing_keys renews it {renewal} days before",
                    )
                )
            else:
                rows.append((label, "NO x5c certificate: Salesforce refuses this key"))
        return rows


PROFILE = SalesforceProfile()
