"""The profile interface and its registry."""

from datetime import datetime
from decimal import Decimal

from config.errors import DomainError

# Claims the issuer sets itself; a profile's attributes can never overwrite them.
REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "typ", "alg"})

_REGISTRY: dict[str, "ClaimProfile"] = {}


class UnknownProfile(DomainError):
    code = "unknown_profile"
    http_status = 503


class ClaimProfile:
    """What one platform needs. Subclasses set the class attributes and ``attribute_claims``.

    ``platform``     the ``Messenger.platform`` value it serves
    ``typ``          the JOSE header ``typ``
    ``algorithms``   algorithms the platform accepts, the first is the default
    ``source``       where the format comes from (vendor documentation), for reviewers
    """

    platform: str = ""
    typ: str = "JWT"
    algorithms: tuple[str, ...] = ("RS256",)
    source: str = ""

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
    ) -> dict:
        """All claims: registered ones from the issuer, then the profile's attributes."""
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
        return {
            "iss": messenger.brand.issuer_url,
            "sub": customer.customer_id,
            "aud": messenger.audience,
            "iat": int(issued_at.timestamp()),
            "nbf": int(not_before.timestamp()),
            "exp": int(expires_at.timestamp()),
            "jti": jti,
            **custom,
        }


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


def register(profile: ClaimProfile) -> ClaimProfile:
    _REGISTRY[profile.platform] = profile
    return profile


def get(platform: str) -> ClaimProfile:
    try:
        return _REGISTRY[platform]
    except KeyError:
        raise UnknownProfile(f"No claim profile for platform {platform!r}.") from None
