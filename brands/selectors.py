"""Reads of the brands app: JWKS and discovery documents, brands, messengers, timelines."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from brands import conf, keyset
from brands.errors import UnknownBrand, UnknownMessenger
from brands.models import (
    OIDC_PLATFORMS,
    Brand,
    Messenger,
    SigningKey,
    client_secret_hash,
)
from brands.platforms import platform_get


@dataclass(frozen=True)
class JwksDocument:
    """A serialised JWKS: the exact response body and its strong ETag (quoted)."""

    body: bytes
    etag: str
    version: str
    built_at: float = field(default=0.0, repr=False, compare=False)

    @property
    def keys(self) -> list[dict]:
        return json.loads(self.body)["keys"]


_lock = threading.Lock()
# (key-set version, slug or None) -> (value, built at): see ``_per_key_set_version``.
_documents: dict[tuple[str, str | None], tuple[JwksDocument, float]] = {}
_discovery_bodies: dict[tuple[str, str], tuple[bytes, float]] = {}


def brand_get(*, slug: str, active_only: bool = True) -> Brand:
    """The brand ``slug``; ``UnknownBrand`` when missing (or inactive with ``active_only``)."""
    qs = Brand.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    brand = qs.filter(slug=slug).first() if isinstance(slug, str) and len(slug) <= 50 else None
    if brand is None:
        raise UnknownBrand(f"There is no brand {str(slug)[:50]!r}.")
    return brand


def messenger_get(*, slug: str, active_only: bool = True) -> Messenger:
    """The messenger ``slug`` with its brand; ``UnknownMessenger`` when missing or inactive."""
    qs = Messenger.objects.select_related("brand")
    if active_only:
        qs = qs.filter(is_active=True, brand__is_active=True)
    messenger = qs.filter(slug=slug).first() if isinstance(slug, str) and len(slug) <= 50 else None
    if messenger is None:
        raise UnknownMessenger(f"There is no messenger {str(slug)[:50]!r}.")
    return messenger


@dataclass(frozen=True)
class KeyDocument:
    """A messenger's keys in its vendor's own format: body, content type, strong ETag."""

    body: bytes
    content_type: str
    etag: str


def messenger_key_document(*, brand: str, messenger: str) -> KeyDocument:
    """The published keys of ``brand`` usable by ``messenger``'s algorithm, newest first, in
    the format its platform profile writes (``key_document``). ``UnknownMessenger`` when the
    messenger is not the brand's or its vendor reads the JWKS (code ``no_key_document``)."""
    found = messenger_get(slug=messenger)
    if found.brand.slug != brand:
        raise UnknownMessenger(f"There is no messenger {str(messenger)[:50]!r} in {brand[:50]!r}.")
    spec = platform_get(found.platform)
    keys = list(
        published_keys(brand=found.brand)
        .filter(algorithm=found.algorithm)
        .order_by("-created_at", "-id")
    )
    document = spec.key_document(keys, now=timezone.now()) if spec is not None else None
    if document is None:
        raise UnknownMessenger(
            f"{found.slug}: its platform reads the brand's JWKS ({found.jwks_url}).",
            code="no_key_document",
        )
    content_type, body = document
    return KeyDocument(
        body=body, content_type=content_type, etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    )


def published_keys(*, brand: Brand | None = None):
    """Keys in the JWKS: pending, active and retired asymmetric keys of active brands."""
    qs = SigningKey.objects.filter(
        state__in=SigningKey.PUBLISHED_STATES, brand__is_active=True
    ).exclude(algorithm=SigningKey.Algorithm.HS256)
    if brand is not None:
        qs = qs.filter(brand=brand)
    return qs.select_related("brand").order_by("brand__slug", "created_at", "id")


def _render(keys) -> bytes:
    return json.dumps({"keys": [k.jwk() for k in keys]}, separators=(",", ":")).encode()


def _per_key_set_version(store: dict, key, build):
    """``build(version)``, computed once per process, key-set version and ``key``, then
    served from ``store`` (at most ``keyset.MAX_STALENESS_SECONDS`` old, entries of older
    versions dropped). Built fresh and not kept inside an uncommitted key change, nor when the
    shared cache is unreachable (no version to tag it with). The version may be up to
    ``keyset.PUBLISHED_LAG_SECONDS`` old (``keyset.recent``)."""
    version = keyset.recent()
    cacheable = version is not None and not keyset.changed_in_transaction()
    entry = store.get((version, key)) if cacheable else None
    if entry is not None and time.monotonic() - entry[1] < keyset.MAX_STALENESS_SECONDS:
        return entry[0]
    try:
        value = build(version)
    except DatabaseError:
        # The database is unreachable (an outage, a failover) when an entry of this very
        # version is due for its periodic re-read: the copy is still the current version's,
        # so it is served (stale-if-error) rather than a 503 to every verifier.
        if entry is not None:
            return entry[0]
        raise
    if cacheable:
        with _lock:
            for stale in [k for k in store if k[0] != version]:
                store.pop(stale, None)
            store[(version, key)] = (value, time.monotonic())
    return value


def jwks_document(*, brand: Brand | str | None = None) -> JwksDocument:
    """The JWKS of ``brand`` (a Brand or a slug), or of every active brand when ``None``.

    Computed once per process and key-set version, then served from memory. Raises
    ``UnknownBrand`` for an unknown or inactive brand.
    """
    slug = brand.slug if isinstance(brand, Brand) else brand

    def build(version: str | None) -> JwksDocument:
        if slug is None:
            keys = published_keys()
        else:
            active = isinstance(brand, Brand) and brand.is_active
            keys = published_keys(brand=brand if active else brand_get(slug=slug))
        body = _render(keys)
        return JwksDocument(
            body=body,
            etag=f'"{hashlib.sha256(body).hexdigest()}"',
            version=version or "",
            built_at=time.monotonic(),
        )

    return _per_key_set_version(_documents, slug, build)


def discovery_body(*, slug: str) -> bytes:
    """The brand's discovery document (``discovery_document``) as served, built once per
    process and key-set version like the JWKS: everything in it comes from the brand row and
    its keys, whose every change replaces the version. ``UnknownBrand`` as ``brand_get``."""

    def build(version: str | None) -> bytes:
        document = discovery_document(brand=brand_get(slug=slug))
        return json.dumps(document, separators=(",", ":")).encode()

    return _per_key_set_version(_discovery_bodies, slug, build)


_DISCOVERY_EXTENSIONS: list = []


def discovery_extend(extension):
    """Register ``extension(brand) -> dict`` whose keys join every brand's discovery document.

    The messaging app adds its OpenID Connect endpoints this way (brands knows keys, not
    endpoints, and imports nothing from messaging).
    """
    if extension not in _DISCOVERY_EXTENSIONS:
        _DISCOVERY_EXTENSIONS.append(extension)
    return extension


def discovery_document(*, brand: Brand) -> dict:
    """The brand's OpenID configuration: issuer and keys, plus what extensions add."""
    algorithms = sorted(
        set(
            published_keys(brand=brand)
            .filter(state=SigningKey.State.ACTIVE)
            .values_list("algorithm", flat=True)
        )
    ) or [SigningKey.Algorithm.RS256.value]
    document = {
        "issuer": brand.issuer_url,
        "jwks_uri": brand.jwks_url,
        "id_token_signing_alg_values_supported": algorithms,
        "subject_types_supported": ["public"],
    }
    for extension in _DISCOVERY_EXTENSIONS:
        document.update(extension(brand))
    return document


@dataclass(frozen=True)
class TimelineEntry:
    key: SigningKey
    published: bool
    next_event: str
    next_event_at: datetime | None


def rotation_timeline(*, brand: Brand, now: datetime | None = None) -> list[TimelineEntry]:
    """Every key of ``brand`` (newest first) with what happens to it next under the policy."""
    now = now or timezone.now()
    entries = []
    for key in brand.signing_keys.all().order_by("-created_at", "-id"):
        event, when = "", None
        if key.state == SigningKey.State.PENDING:
            if key.is_symmetric:
                event = "activate by hand once the platform has the secret"
            else:
                event, when = "may be activated (published long enough)", key.activatable_at
        elif key.state == SigningKey.State.ACTIVE and key.activated_at:
            event, when = "rotation due", key.activated_at + conf.get("ROTATION_PERIOD")
        elif key.state == SigningKey.State.RETIRED:
            event, when = "leaves the JWKS (purge)", key.purge_due_at
        entries.append(
            TimelineEntry(
                key=key, published=key.is_published, next_event=event, next_event_at=when
            )
        )
    return entries


def oidc_client_authenticate(
    *, client_id: str, secret: str, platforms=OIDC_PLATFORMS
) -> Messenger | None:
    """The active OpenID Connect messenger whose client id and secret these are, or None.

    ``platforms`` widens it for the certified-attributes API to every platform with client
    credentials (``ATTRIBUTE_API_PLATFORMS``); the token endpoint keeps OpenID Connect clients.

    Compares hashes in constant time; an unknown client, an inactive messenger or brand, and
    an expired or wrong secret all look the same to the caller.
    """
    if not client_id or not secret or len(client_id) > 300 or len(secret) > 512:
        return None
    messenger = (
        Messenger.objects.select_related("brand")
        .filter(
            audience=client_id,
            platform__in=list(platforms),
            is_active=True,
            brand__is_active=True,
        )
        .first()
    )
    if messenger is None:
        return None
    digest = client_secret_hash(secret)
    now = timezone.now()
    live = messenger.client_secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    matched = False
    for stored in live.values_list("secret_hash", flat=True):
        matched |= hmac.compare_digest(stored, digest)
    return messenger if matched else None
