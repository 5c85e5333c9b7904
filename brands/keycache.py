"""Decrypted signing keys, cached per process.

Loading a private key costs about 27 ms (RSA 2048) against 0.2 ms to sign, so a request never
decrypts: ``signing_key`` answers from memory keyed by (kid, key-set version) and reads the
database only after a life-cycle change has bumped the version (``brands.keyset``), or every
``keyset.MAX_STALENESS_SECONDS`` as a safety net. Decrypted keys are held by (kid,
fingerprint), which names one exact material: when the active kid must be read from the
database (shared cache down, or inside a transaction that changed keys) that is one cheap
query, and the decrypted key still comes from memory.

Keys in an HSM (``SigningKey.store`` ``pkcs11``, ``brands.keystores.pkcs11``) are cached the
same way, except that what is held is a handle on the token's key object, not the key: the
first use per process finds the object and checks its public half against the published JWK;
every signature then goes to the token over the session the process keeps open (library
loaded, ``C_Login`` done and the session opened once per process; the session remembers the
key objects it found; calls are serialised per process, so workers scale it). A token that
cannot be reached
raises ``KeystoreUnavailable`` (503 ``keystore_unavailable``) and marks nothing unusable.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from brands import encryption, keyset, keystores
from brands.algorithms import Algorithm
from brands.errors import KEY_LOAD_FAILED, KeyDecryptionFailed, KeystoreUnavailable, NoSigningKey
from brands.models import Brand, Messenger, SigningKey

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedSigningKey:
    """A key ready to sign: ``jwt.encode(payload, k.key, algorithm=k.algorithm,
    headers={"kid": k.kid})``. ``key`` is a cryptography private key, or bytes for HS256."""

    kid: str
    algorithm: str
    key: object = field(repr=False)


_lock = threading.Lock()
_version: str | None = None
# (brand id, algorithm) -> ((kid, fingerprint), read at)
_active: dict[tuple[int, str], tuple[tuple[str, str], float]] = {}
# (kid, fingerprint) -> key. The fingerprint (a hash of the material) makes the entry name one
# exact material, so it is safe to reuse even for rows read inside an uncommitted transaction.
_loaded: dict[tuple[str, str], LoadedSigningKey] = {}


def _sync(version: str) -> None:
    """Forget everything derived from an older key-set version (revoked keys leave memory)."""
    global _version
    if _version != version:
        with _lock:
            if _version != version:
                _active.clear()
                _loaded.clear()
                _version = version


def clear() -> None:
    """Drop every cached key of this process (tests, KEK changes)."""
    global _version
    with _lock:
        _active.clear()
        _loaded.clear()
        _secrets.clear()
        _version = None


def signing_key(*, brand: Brand, algorithm: str) -> LoadedSigningKey:
    """The brand's active key for ``algorithm``, decrypted once per process and version.

    Raises ``NoSigningKey`` (503 ``no_signing_key``) when there is no active usable key, or when
    its ciphertext no longer decrypts; the key is then marked unusable with the reason. Call it
    outside a transaction that could roll back, or the unusable mark rolls back with it.
    Raises ``KeystoreUnavailable`` (503 ``keystore_unavailable``) when the key is in an HSM
    that cannot be reached now (nothing is marked: it signs again once the token answers).
    """
    version = keyset.current()
    if version is not None:
        _sync(version)
    # Which key is active is cached only for committed state; inside a transaction that changed
    # keys (or while the shared cache is down) it is read from the database each time (cheap),
    # while the decrypted material is still reused by (kid, fingerprint).
    mapping_cacheable = version is not None and not keyset.changed_in_transaction()
    slot = (brand.pk, algorithm)
    if mapping_cacheable:
        identity, read_at = _active.get(slot, (None, 0.0))
        fresh = time.monotonic() - read_at < keyset.MAX_STALENESS_SECONDS
        if identity is not None and fresh and identity in _loaded:
            return _loaded[identity]
    row = (
        SigningKey.objects.filter(
            brand_id=brand.pk, algorithm=algorithm, state=SigningKey.State.ACTIVE
        )
        .only(
            "id",
            "kid",
            "fingerprint",
            "algorithm",
            "private_key_ciphertext",
            "unusable_reason",
            "public_jwk",
            "store",
            "store_handle",
        )
        .first()
    )
    if row is None:
        raise NoSigningKey(f"Brand {brand.slug!r} has no active {algorithm} signing key.")
    if row.unusable_reason:
        raise NoSigningKey(f"The active {algorithm} key of brand {brand.slug!r} is unusable.")
    identity = (row.kid, row.fingerprint)
    loaded = _loaded.get(identity)
    if loaded is None:
        loaded = LoadedSigningKey(kid=row.kid, algorithm=row.algorithm, key=_load(brand, row))
    with _lock:
        if version is None or _version == version:
            _loaded[identity] = loaded
            if mapping_cacheable:
                _active[slot] = (identity, time.monotonic())
    return loaded


def _load(brand: Brand, row: SigningKey):
    """Load ``row``'s private key from its store (decrypt it, or find it in the HSM), or flag
    it unusable and raise NoSigningKey. An unreachable HSM raises ``KeystoreUnavailable``."""
    try:
        key = keystores.get(row.store).load(row=row, owner=f"brand {brand.slug!r}")
    except KeystoreUnavailable:
        raise
    except KeyDecryptionFailed as exc:
        reason, code = exc.detail, exc.code
    except Exception as exc:  # damaged material must never become a 500
        logger.exception("Signing key %s could not be loaded", row.kid)
        reason = f"The private key could not be loaded ({type(exc).__name__})."
        code = KEY_LOAD_FAILED
    else:
        return key
    mark_unusable(key_id=row.pk, reason=reason, code=code)
    raise NoSigningKey(f"The active {row.algorithm} key of brand {brand.slug!r} is unusable.")


def mark_unusable(*, key_id: int, reason: str, code: str) -> None:
    """Flag a key unusable with ``reason`` (shown in the admin) and ``code`` (what code
    compares, see ``brands.errors.REPAIRABLE_BY_KEK``), and invalidate caches."""
    logger.error("Signing key #%s marked unusable (%s): %s", key_id, code, reason)
    with transaction.atomic():
        SigningKey.objects.filter(pk=key_id, unusable_reason="").update(
            unusable_reason=reason, unusable_code=code, updated_at=timezone.now()
        )
        keyset.changed()


# (messenger id, secret fingerprint) -> key. The fingerprint names one exact secret, so a
# replaced secret is a new entry and the old one is never used again.
_secrets: dict[tuple[int, str], LoadedSigningKey] = {}


def messenger_secret(*, messenger: Messenger) -> LoadedSigningKey:
    """The HS256 key of a shared-secret messenger (Zendesk, Intercom): its own secret.

    ``kid`` is the vendor's key id (Zendesk) or the one generated when the secret was set.
    Raises ``NoSigningKey`` (503 ``no_signing_key``) when no secret is set or it no longer
    decrypts. Decrypting costs microseconds; the cache only avoids repeating it.
    """
    if not messenger.shared_secret_ciphertext:
        raise NoSigningKey(f"Messenger {messenger.slug!r} has no shared secret set.")
    identity = (messenger.pk, messenger.shared_secret_fingerprint)
    loaded = _secrets.get(identity)
    if loaded is not None:
        return loaded
    try:
        secret = encryption.decrypt(
            messenger.shared_secret_ciphertext, kid=messenger.shared_secret_binding
        )
    except KeyDecryptionFailed:
        logger.error("Shared secret of messenger %s does not decrypt", messenger.slug)
        raise NoSigningKey(
            f"The shared secret of messenger {messenger.slug!r} is unusable."
        ) from None
    loaded = LoadedSigningKey(
        kid=messenger.shared_secret_key_id, algorithm=Algorithm.HS256, key=secret
    )
    with _lock:
        if len(_secrets) > 1000:
            _secrets.clear()
        _secrets[identity] = loaded
    return loaded
