"""The profile interface and its registry.

A claim profile says, for one platform: which registered claims a token carries
(``registered_claims``: Salesforce sends no ``aud``, Zendesk no ``iss``...), which custom claims
come from the customer record (``attribute_claims``), which algorithms and ``typ`` apply, which
browser adapter drives the vendor widget (``adapter``), which vendor settings a messenger must
declare (``vendor_fields``, validated by ``vendor_validate``), what of them the browser may see
(``vendor_config``) and which origins its script and frames need (``origins``, for the CSP).

The vendor-field declarations are plain ``brands.platforms.VendorField`` data so that brands
(which must not import messaging) can validate ``Messenger.vendor_settings`` and list the
platforms: ``messaging.apps.MessagingConfig.ready`` registers every profile with
``brands.platforms``, which reads it through its ``PlatformSpec`` protocol.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

from brands.algorithms import Algorithm
from brands.platforms import VendorField, vendor_settings_clean
from config.errors import DomainError

# Claims the issuer sets itself; a profile's attributes can never overwrite them. The
# assurance claims (accounts.assurance: auth_time, amr, acr) come from the session, not the
# customer record.
REGISTERED_CLAIMS = frozenset(
    {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "typ", "alg", "auth_time", "amr", "acr"}
)

_REGISTRY: dict[str, "ClaimProfile"] = {}


class UnknownProfile(DomainError):
    code = "unknown_profile"
    http_status = 503


class DirectTokenRefused(DomainError):
    """The platform does not take a token from the page (Genesys: OpenID Connect codes)."""

    code = "use_auth_code"
    http_status = 400


class ClaimProfile:
    """What one platform needs. Subclasses set the class attributes and ``attribute_claims``.

    ``platform``           the ``Messenger.platform`` value it serves
    ``label``              its name for people (admin, commands)
    ``adapter``            the browser adapter: always the platform's own
                           (platforms/<platform>/static/adapter.js)
    ``typ``                the JOSE header ``typ``
    ``algorithms``         algorithms the platform accepts, the first is the default
    ``registered_claims``  which registered claims the issuer puts in, in this order
    ``vendor_fields``      declared ``Messenger.vendor_settings`` (brands.platforms.VendorField)
    ``shared_secret``      HS256 with a secret the vendor issued, held by the messenger
    ``key_id_required``    the vendor's key id is the header ``kid`` and must be given
    ``open_vendor_settings`` free-form vendor settings besides the declared ones (generic)
    ``direct_token``       the page may fetch a token for it from the token API (False for
                           Genesys: an id_token-shaped token in the page could be replayed
                           into an implicit flow; Genesys gets auth codes instead)
    ``oidc``               the platform is an OpenID Connect relying party of the brand (client
                           id and secret, redirect URIs; the page hands it auth codes)
    ``attributes_api``     the platform's servers may look up certified attributes by ``sub``
                           with the messenger's client id and secret (HTTP Basic)
    ``x5c_required``       the brand's JWKS must carry an x5c certificate on every RSA key
    ``identify_on_load``   the vendor documents setting the identity on every page load of a
                           logged-in customer (conversation continuity across reloads)
    ``session_lifetime``   the vendor asks for a token that lasts as long as the app session
                           (``exp`` at the portal session's expiry, refreshed before it)
    ``key_format``         how the vendor reads the brand's public keys: ``"jwks"`` (RFC 7517,
                           the default) or the name of the profile's own ``key_document``
                           format, served per messenger at ``Messenger.public_key_url``
    ``example_key_id``     a plausible vendor key id (demo data, tests) when ``key_id_required``
    ``source``             where the format comes from (vendor documentation), for reviewers
    """

    platform: str = ""
    label: str = ""
    typ: str = "JWT"
    algorithms: tuple[str, ...] = (Algorithm.RS256,)
    registered_claims: tuple[str, ...] = ("iss", "sub", "aud", "iat", "nbf", "exp", "jti")
    vendor_fields: tuple[VendorField, ...] = ()
    shared_secret: bool = False
    key_id_required: bool = False
    open_vendor_settings: bool = False
    direct_token: bool = True
    oidc: bool = False
    attributes_api: bool = False
    x5c_required: bool = False
    identify_on_load: bool = False
    session_lifetime: bool = False
    key_format: str = "jwks"
    example_key_id: str = ""
    source: str = ""

    @property
    def adapter(self) -> str:
        return self.platform

    # --- tokens -------------------------------------------------------------------------------

    def attribute_claims(self, *, customer, attributes: set[str]) -> dict:
        """Custom claims from the customer record; ``attributes`` is the messenger's selection."""
        raise NotImplementedError

    def claims(
        self,
        *,
        customer,
        messenger,
        issued_at: datetime,
        expires_at: datetime,
        jti: str,
        not_before: datetime,
        assurance=None,
    ) -> dict:
        """All claims: the profile's registered ones from the issuer, the assurance of the
        session's second factor (``assurance_claims``), then its attributes."""
        custom = self.attribute_claims(customer=customer, attributes=set(messenger.attributes))
        clash = REGISTERED_CLAIMS.intersection(custom)
        if clash:
            raise DomainError(
                f"Profile {self.platform!r} tried to set registered claims {sorted(clash)}.",
                code="profile_error",
                http_status=500,
            )
        for value in custom.values():
            _refuse_float(value)
        values = {
            "iss": lambda: messenger.brand.issuer_url,
            "sub": lambda: self.subject(customer=customer, messenger=messenger),
            "aud": lambda: messenger.audience,
            "iat": lambda: int(issued_at.timestamp()),
            "nbf": lambda: int(not_before.timestamp()),
            "exp": lambda: int(expires_at.timestamp()),
            "jti": lambda: jti,
        }
        claims = {**{name: values[name]() for name in self.registered_claims}, **custom}
        if assurance is not None:
            claims = self.assurance_claims(claims=claims, assurance=assurance)
        return claims

    def page_identity(self, *, customer, messenger) -> dict | None:
        """What a vendor's page script needs to know of the logged-in customer before any
        token (LivePerson's identity function: ``{iss, acr, sub}``); None for most vendors.
        Public values only: never a token or a secret."""
        return None

    def subject(self, *, customer, messenger) -> str:
        """The token's ``sub``: the customer's stable public id (a profile whose vendor links
        records by its own id may map it, e.g. Dynamics 365's contact GUID)."""
        return customer.customer_id

    def assurance_claims(self, *, claims: dict, assurance) -> dict:
        """``claims`` plus how the customer proved the second factor, as the platform carries it.

        ``assurance`` is an ``accounts.assurance.Assurance``. Every profile keeps the standard
        claims: ``auth_time`` (NumericDate of the second factor), ``amr`` (RFC 8176) and
        ``acr`` (the portal's scale, docs/assurance.md); a profile whose platform shows agents
        only certain fields adds a copy there (LivePerson SDEs, D365 ``lwicontexts``).
        """
        return {
            **claims,
            "auth_time": int(assurance.auth_time.timestamp()),
            "amr": list(assurance.amr),
            "acr": assurance.acr,
        }

    # --- vendor settings and the browser side (docs/architecture.md, "Browser interfaces" 1) --

    def vendor_validate(self, settings: dict) -> dict:
        """The cleaned vendor settings; ``ValidationError`` keyed by setting name otherwise."""
        return vendor_settings_clean(self, settings)

    def vendor_config(self, messenger) -> dict:
        """PUBLIC settings the browser adapter needs (camelCase, always with ``scriptUrl``)."""
        return {"scriptUrl": ""}

    def origins(self, messenger) -> list[str]:
        """https origins the vendor's script, frames and XHR need (CSP), for this messenger."""
        return []

    def key_document(self, keys: list, *, now: datetime) -> tuple[str, bytes] | None:
        """The brand's published public keys in the vendor's own format, as (content type,
        body), for a vendor that fetches no RFC 7517 JWKS; None (the default) when the vendor
        reads the JWKS. ``keys`` are the brand's published ``SigningKey`` rows usable with this
        platform's algorithms, newest first."""
        return None

    def setup_rows(self, messenger) -> list[tuple[str, str]]:
        """What an administrator types into the vendor's console, as (label, value) rows."""
        return [
            ("Issuer (iss)", messenger.issuer),
            ("Audience (aud)", messenger.audience),
            ("JWKS URL", messenger.jwks_url),
            ("Discovery URL", messenger.brand.discovery_url),
            ("Signing algorithm", messenger.algorithm),
            ("Token lifetime", f"{int(messenger.token_ttl.total_seconds())} seconds"),
        ]


class ClaimsEncoder(json.JSONEncoder):
    """JSON for claims: a ``Decimal`` (money a vendor types as a number, LivePerson's SDE
    ``balance``) is written as a JSON number with exactly its decimal digits. Python writes a
    float as the shortest text that reads back the same, so a float is used only when it reads
    back as exactly the decimal; anything else is refused, never rounded."""

    def default(self, o):
        if isinstance(o, Decimal):
            as_float = float(o)
            if Decimal(repr(as_float)) != o:
                raise ValueError(f"{o} has no exact JSON number representation")
            return as_float
        return super().default(o)


def _refuse_float(value) -> None:
    if isinstance(value, float):
        raise DomainError("Money and numbers in claims must not be floats.", code="profile_error")
    if isinstance(value, dict):
        for v in value.values():
            _refuse_float(v)
    if isinstance(value, list):
        for v in value:
            _refuse_float(v)


def money(amount: Decimal) -> str:
    """A decimal string with exactly two places, e.g. ``"1234.50"``."""
    return f"{amount.quantize(Decimal('0.01'))}"


def setting(messenger, name: str, default: str = "") -> str:
    """One vendor setting of ``messenger`` as a string (validated when the messenger was saved)."""
    value = (messenger.vendor_settings or {}).get(name, default)
    return value if isinstance(value, str) else default


def register(profile: ClaimProfile) -> ClaimProfile:
    _REGISTRY[profile.platform] = profile
    return profile


def get(platform: str) -> ClaimProfile:
    try:
        return _REGISTRY[platform]
    except KeyError:
        raise UnknownProfile(f"No claim profile for platform {platform!r}.") from None


def all_profiles() -> list[ClaimProfile]:
    return list(_REGISTRY.values())


def assurance_text(assurance) -> str:
    """One line for an agent: ``passkey at 2026-11-25T18:50:00Z``."""
    when = assurance.auth_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{assurance.method_label} at {when}"
