"""What brands knows of the platforms a messenger may target (filled by the messaging app).

``brands`` must not import ``messaging`` (docs/architecture.md: dependencies point one way), yet a
messenger's ``platform`` choices and its ``vendor_settings`` validation come from the platform
packages' claim profiles (``platforms/<name>/profile.py``), which ``messaging`` loads. So
``messaging.apps.MessagingConfig.ready`` registers each profile here, and brands reads it
through the ``PlatformSpec`` protocol. A platform without a registered profile is not offered
and not accepted. Flags on the profile (``oidc``, ``shared_secret``, ``key_id_required``,
``attributes_api``) are how brands tells platforms apart: no platform name is written here.

``VendorField`` is the declaration of one vendor setting (``Messenger.vendor_settings`` key):
its label and help for the admin, whether it is required, and a ``validate`` callable that
returns the cleaned value or raises ``django.core.exceptions.ValidationError``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

# Every platform accepts ``"sandbox": true|false`` (docs/architecture.md, "Browser
# interfaces" 1): with the sandbox served and the flag on, the Chat button uses the sandbox
# chat window for that messenger.
SANDBOX_FLAG = "sandbox"


@dataclass(frozen=True)
class VendorField:
    """One declared vendor setting. ``validate(value) -> cleaned`` raises ValidationError."""

    name: str
    label: str
    help: str = ""
    required: bool = True
    validate: Callable[[object], object] | None = None
    example: str = ""


class PlatformSpec(Protocol):
    """What brands reads of one platform. ``messaging.profiles.base.ClaimProfile`` is one:
    ``MessagingConfig.ready`` registers each platform's profile itself (no mirror of it)."""

    platform: str
    label: str
    algorithms: tuple[str, ...]
    vendor_fields: tuple[VendorField, ...]
    # HS256 platforms: the messenger holds a shared secret issued by the vendor
    shared_secret: bool
    # the vendor's key id goes into the JWT header ``kid`` and must be given
    key_id_required: bool
    # free-form settings besides the declared ones (still never secrets)
    open_vendor_settings: bool
    # the platform is an OpenID Connect relying party of the brand (client id + secret,
    # redirect URIs, auth codes instead of tokens in the page)
    oidc: bool
    # the platform's servers may call the certified-attributes API with the messenger's
    # client id and secret (HTTP Basic)
    attributes_api: bool
    # how the vendor reads the brand's public keys: "jwks", or the profile's own format
    key_format: str
    # the brand's JWKS must carry an x5c certificate on every RSA key (Salesforce uploads)
    x5c_required: bool

    def setup_rows(self, messenger) -> list[tuple[str, str]]:
        """What to type into the vendor's console, as (label, value) rows."""

    def key_document(self, keys: list, *, now) -> tuple[str, bytes] | None:
        """The brand's public keys in the vendor's own format, when it fetches no JWKS."""


_REGISTRY: dict[str, PlatformSpec] = {}


def platform_register(spec: PlatformSpec) -> PlatformSpec:
    _REGISTRY[spec.platform] = spec
    return spec


def platform_get(name: str) -> PlatformSpec | None:
    return _REGISTRY.get(name)


def platforms_where(flag: str) -> frozenset[str]:
    """Names of the registered platforms whose ``flag`` (e.g. ``"oidc"``) is true."""
    return frozenset(name for name, spec in _REGISTRY.items() if getattr(spec, flag, False))


class PlatformsWhere:
    """A live set of platform names with ``flag``, usable as ``platform__in=...`` and with
    ``in`` before the registry is filled (module import time)."""

    def __init__(self, flag: str):
        self.flag = flag

    def __contains__(self, name: object) -> bool:
        return name in platforms_where(self.flag)

    def __iter__(self):
        return iter(sorted(platforms_where(self.flag)))

    def __len__(self) -> int:
        return len(platforms_where(self.flag))

    def __repr__(self) -> str:
        return f"PlatformsWhere({self.flag!r})"


def vendor_settings_example(name: str) -> dict:
    """Plausible settings for platform ``name`` from its declared examples (docs, demo, tests)."""
    spec = platform_get(name)
    return {f.name: f.example for f in spec.vendor_fields if f.example} if spec else {}


def platform_names() -> list[str]:
    return sorted(_REGISTRY)


def platform_choices() -> list[tuple[str, str]]:
    """``Messenger.platform`` choices: only platforms with a registered profile."""
    return [(spec.platform, spec.label) for spec in sorted(_REGISTRY.values(), key=_order)]


def _order(spec: PlatformSpec) -> tuple[int, str]:
    return (0 if spec.open_vendor_settings else 1, spec.label.lower())


def vendor_settings_clean(platform: str | PlatformSpec, settings: dict) -> dict:
    """The cleaned vendor settings of ``platform``, or ``ValidationError`` keyed by setting.

    Unknown keys are refused (a typo must not silently disable a setting); ``sandbox`` must be
    a boolean; each declared field is required unless it says otherwise and is validated by
    its own ``validate``. Messages name the setting and its label.
    """
    spec = platform_get(platform) if isinstance(platform, str) else platform
    if spec is None:
        raise ValidationError({"platform": f"No claim profile is registered for {platform!r}."})
    if not isinstance(settings, dict):
        raise ValidationError({"vendor_settings": "Must be a JSON object."})
    fields = {f.name: f for f in spec.vendor_fields}
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    unknown = sorted(set(settings) - set(fields) - {SANDBOX_FLAG})
    if spec.open_vendor_settings:
        cleaned.update({name: settings[name] for name in unknown})
    elif unknown:
        allowed = ", ".join([*fields, SANDBOX_FLAG])
        errors.setdefault("vendor_settings", []).append(
            f"Unknown {spec.label} setting(s): {', '.join(unknown)}. Allowed: {allowed}."
        )
    if SANDBOX_FLAG in settings:
        if isinstance(settings[SANDBOX_FLAG], bool):
            cleaned[SANDBOX_FLAG] = settings[SANDBOX_FLAG]
        else:
            errors[SANDBOX_FLAG] = ["sandbox: must be true or false."]
    for name, declared in fields.items():
        value = settings.get(name)
        if value is None or value == "":
            if declared.required:
                errors[name] = [f"{name} ({declared.label}) is required for {spec.label}."]
            continue
        try:
            cleaned[name] = declared.validate(value) if declared.validate else value
        except ValidationError as exc:
            errors[name] = [f"{name} ({declared.label}): {m}" for m in exc.messages]
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- validators the profiles share ------------------------------------------------------------


def text_matching(pattern: str, message: str, *, max_length: int = 200) -> Callable:
    """A validator accepting a string that fully matches ``pattern``."""
    compiled = re.compile(pattern)

    def validate(value):
        if not isinstance(value, str) or len(value) > max_length or not compiled.fullmatch(value):
            raise ValidationError(message)
        return value

    return validate


def uuid_string(value):
    """A UUID in its canonical lower-case 8-4-4-4-12 form."""
    if not isinstance(value, str):
        raise ValidationError("must be a UUID such as 0f3c2a9e-5b1d-4c8e-9a7f-2d6e8b1c4a3f.")
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise ValidationError(
            "must be a UUID such as 0f3c2a9e-5b1d-4c8e-9a7f-2d6e8b1c4a3f."
        ) from None
    if str(parsed) != value.lower() or len(value) != 36:
        raise ValidationError("must be a UUID in the 8-4-4-4-12 form.")
    return str(parsed)


def https_url(*, allow_path: bool = True, host_suffixes: tuple[str, ...] = ()) -> Callable:
    """A validator for an absolute https URL (no credentials, query or fragment).

    ``host_suffixes`` restricts the host to a vendor's domains (e.g. ``.my.site.com``).
    A trailing slash is removed so ``url + "/path"`` composes.
    """

    def validate(value):
        if not isinstance(value, str) or len(value) > 300 or value != value.strip():
            raise ValidationError("must be an https URL.")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises ValueError on a bad port)
        except ValueError:
            raise ValidationError("must be an https URL.") from None
        host = (parts.hostname or "").lower()
        if parts.scheme != "https":
            raise ValidationError(f"must use https, not {parts.scheme or 'no scheme'}.")
        if not host or "." not in host or parts.username or parts.password:
            raise ValidationError("must be an https URL with a host name.")
        if parts.query or parts.fragment:
            raise ValidationError("must not have a query or fragment.")
        if not allow_path and parts.path not in ("", "/"):
            raise ValidationError("must be an origin (https://host), without a path.")
        if host_suffixes and not any(host.endswith(s) for s in host_suffixes):
            raise ValidationError(f"the host must end with {' or '.join(host_suffixes)}.")
        return value.rstrip("/")

    return validate


def hostname(value):
    """A DNS host name such as ``mypurecloud.ie``."""
    if (
        not isinstance(value, str)
        or len(value) > 253
        or not re.fullmatch(
            r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", value
        )
    ):
        raise ValidationError("must be a lower-case host name such as mypurecloud.ie.")
    return value


def origin_of(url: str) -> str:
    """``https://host[:port]`` of an https URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"
