"""A messenger's PUBLIC settings, fetched from the portal over HTTP as a vendor would.

``resolve_messenger(slug)`` GETs ``{SANDBOX_PORTAL_URL}/api/v1/messaging/messengers/<slug>/setup``
and caches the answer briefly (``SANDBOX_SETUP_CACHE_SECONDS``) in the shared cache. The
sandbox never reads the portal's database: this document is all it knows.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from urllib.parse import quote

from django.core.cache import cache

from . import conf
from .credentials import credential_get
from .fetch import FetchError, http_get
from .verifier import PROFILES, Verifier
from .verifier.encoding import DecodeError, strict_json_object
from .verifier.jwks import get_jwks_client
from .verifier.keys import ALGORITHMS, VerificationKey

_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _optional_text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


_CACHE_PREFIX = "sandbox:setup:"


class PlatformError(Exception):
    """Base class; ``str()`` is safe to show."""


class UnknownMessenger(PlatformError):
    pass


class PlatformUnavailable(PlatformError):
    """The portal could not be asked, or answered something unusable."""


@dataclass(frozen=True)
class PlatformConfig:
    messenger: str
    brand: str
    platform: str
    issuer: str
    audience: str
    jwks_uri: str
    algorithms: tuple[str, ...]
    # What the vendor's admin typed as the "public key URL" when the vendor reads no JWKS
    # (Dynamics 365); empty when the portal publishes none for this messenger.
    public_key_url: str = ""
    token_type: str = "JWT"
    token_lifetime: int | None = None
    # OpenID Connect platforms (Genesys): where the provider is discovered, and the
    # certified-attributes API a Genesys data action would call (``{sub}`` filled in).
    discovery_uri: str = ""
    attributes_url: str = ""
    # What the chat window's header shows (the widget branding a vendor's console holds).
    brand_name: str = ""
    brand_color: str = ""

    @classmethod
    def from_document(cls, doc: dict) -> PlatformConfig:
        def text(name: str, required: bool = True) -> str:
            value = doc.get(name)
            if not isinstance(value, str) or (required and not value):
                raise PlatformUnavailable(f"setup field {name!r} missing or not a string")
            return value

        algorithms = doc.get("algorithms")
        if (
            not isinstance(algorithms, list)
            or not algorithms
            or not all(isinstance(a, str) for a in algorithms)
        ):
            raise PlatformUnavailable("setup field 'algorithms' is not a list of names")
        token_type = doc.get("token_type")
        token_type = token_type if isinstance(token_type, str) and token_type else "JWT"
        color = _optional_text(doc.get("brand_color"), 7)
        lifetime = doc.get("token_lifetime")
        if lifetime is not None and (isinstance(lifetime, bool) or not isinstance(lifetime, int)):
            lifetime = None
        return cls(
            messenger=text("messenger"),
            brand=text("brand"),
            platform=text("platform"),
            issuer=text("issuer"),
            audience=text("audience"),
            jwks_uri=text("jwks_uri"),
            algorithms=tuple(algorithms),
            public_key_url=(
                text("public_key_url", required=False) if doc.get("public_key_url") else ""
            ),
            token_type=token_type,
            token_lifetime=lifetime,
            discovery_uri=text("discovery_uri", required=False) if "discovery_uri" in doc else "",
            attributes_url=(
                text("attributes_url", required=False) if doc.get("attributes_url") else ""
            ),
            brand_name=_optional_text(doc.get("brand_name"), 120),
            brand_color=color if _COLOR.fullmatch(color) else "",
        )

    def verifier_profile(self):
        """The verification profile of this messenger's platform (generic if not simulated)."""
        return PROFILES.get(self.platform) or PROFILES["generic"]

    def verifier(self, **overrides) -> Verifier:
        """A verifier for this messenger; raises PlatformUnavailable for an unknown platform.

        Shared-secret platforms (Zendesk, Intercom) verify with the secret an administrator
        entered into the sandbox (``sandbox_credential``), never with anything from the portal.
        """
        profile_name = overrides.get("profile") or self.platform
        if profile_name not in PROFILES:
            raise PlatformUnavailable(f"platform {self.platform[:32]!r} is not simulated")
        if PROFILES[profile_name].shared_secret and overrides.get("keys") is None:
            overrides["keys"] = SharedSecretKeys.for_messenger(
                self.messenger, kid_must_match=PROFILES[profile_name].kid_must_match
            )
        key_document = PROFILES[profile_name].key_document
        if key_document is not None and overrides.get("keys") is None:
            # The vendor fetches the URL its admin typed: the portal's public key URL, or,
            # where the portal offers none, the JWKS URL (which that vendor cannot read).
            overrides["keys"] = get_jwks_client(
                self.public_key_url or self.jwks_uri,
                default_alg=self.algorithms[0] if len(self.algorithms) == 1 else None,
                parse=key_document,
            )
        options = {
            "issuer": self.issuer,
            "audience": self.audience,
            "jwks_url": self.jwks_uri,
            "profile": self.platform,
            "algorithms": self.algorithms,
            "typ": self.token_type,
        }
        options.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return Verifier(**options)
        except ValueError as exc:
            raise PlatformUnavailable(f"unusable messenger setup: {exc}") from None


class SharedSecretKeys:
    """The one HS256 secret entered for a messenger in the sandbox's credential store.

    With ``kid_must_match`` (Zendesk) the token's ``kid`` must equal the stored key id;
    otherwise (Intercom) the secret verifies whatever the ``kid``.
    """

    def __init__(self, secret: bytes, *, key_id: str = "", kid_must_match: bool = True):
        spec = ALGORITHMS["HS256"]
        if len(secret) < spec.min_secret_bytes:
            raise PlatformUnavailable("the stored shared secret is shorter than 32 bytes")
        self._key = VerificationKey(key_id or None, "HS256", "oct", secret)
        self._key_id = key_id
        self._kid_must_match = kid_must_match

    @classmethod
    def for_messenger(cls, slug: str, *, kid_must_match: bool) -> SharedSecretKeys:
        credential = credential_get(slug)
        if credential is None:
            raise PlatformUnavailable(
                f"no shared secret entered for {slug!r}: run sandbox_credential {slug} "
                "--secret-stdin (as the vendor's admin console would hold it)"
            )
        if kid_must_match and not credential.key_id:
            raise PlatformUnavailable(f"the sandbox credential of {slug!r} has no key id")
        return cls(
            credential.secret.encode(), key_id=credential.key_id, kid_must_match=kid_must_match
        )

    def get_key(self, kid: str | None) -> VerificationKey | None:
        if self._kid_must_match and kid != self._key_id:
            return None
        return self._key


def setup_url(slug: str) -> str:
    return f"{conf.portal_url()}/api/v1/messaging/messengers/{quote(slug, safe='')}/setup"


def resolve_messenger(slug: str) -> PlatformConfig:
    """The messenger's public setup; UnknownMessenger or PlatformUnavailable otherwise."""
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        raise UnknownMessenger("not a messenger slug")
    key = _CACHE_PREFIX + slug
    cached = cache.get(key)
    if isinstance(cached, dict):
        failure = cached.get("failure")
        if failure == "unknown":
            raise UnknownMessenger(cached.get("detail", "unknown messenger"))
        if failure == "unavailable":
            raise PlatformUnavailable(cached.get("detail", "portal setup unavailable"))
        try:
            return PlatformConfig(**{**cached, "algorithms": tuple(cached["algorithms"])})
        except (TypeError, KeyError):
            pass
    try:
        config = _fetch_setup(slug)
    except UnknownMessenger as exc:
        # Short negative caches: the public sessions endpoint must not turn every request
        # for a bogus slug, or every request while the portal is down, into a fetch.
        cache.set(key, {"failure": "unknown", "detail": str(exc)}, _NEGATIVE_TTL["unknown"])
        raise
    except PlatformUnavailable as exc:
        cache.set(
            key, {"failure": "unavailable", "detail": str(exc)}, _NEGATIVE_TTL["unavailable"]
        )
        raise
    cache.set(key, asdict(config), int(conf.seconds("SETUP_CACHE_SECONDS")))
    return config


_NEGATIVE_TTL = {"unknown": 10, "unavailable": 5}


def _fetch_setup(slug: str) -> PlatformConfig:
    try:
        response = http_get(setup_url(slug), max_bytes=int(conf.get("SETUP_MAX_BYTES")))
    except FetchError as exc:
        raise PlatformUnavailable(f"portal setup unavailable: {exc}") from None
    if response.status == 404:
        raise UnknownMessenger(f"unknown messenger {slug!r}")
    if response.status != 200:
        raise PlatformUnavailable(f"portal setup answered HTTP {response.status}")
    try:
        config = PlatformConfig.from_document(strict_json_object(response.body))
    except DecodeError as exc:
        raise PlatformUnavailable(f"portal setup is not JSON: {exc}") from None
    if config.messenger != slug:
        raise PlatformUnavailable("portal setup is for another messenger")
    return config
