"""New signing keys: generated here or in the HSM, or imported (PEM, platform-issued shared
secret), each with a side-effect-free ``*_check`` for forms."""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from brands import keymaterial, keyset, keystores
from brands.algorithms import ASYMMETRIC, SYMMETRIC, Algorithm
from brands.errors import InvalidKeyMaterial
from brands.models import Brand, KeyStore, SigningKey
from brands.services.key_lifecycle import certify, lock_brand_keys, signing_key_activate

logger = logging.getLogger(__name__)

State = SigningKey.State


_KNOWN_KEY = "This key is already known (same kid): a kid is never reused."


def _store_new_key(
    *,
    brand: Brand,
    algorithm: str,
    key,
    origin: str,
    certificate: bool,
    now: datetime,
    kid: str | None = None,
    store: str = KeyStore.DATABASE,
) -> SigningKey:
    """Save ``key`` as a pending key of ``brand``, under the brand's locks (call it inside a
    transaction), kept by ``store`` (``brands.keystores``). Raises ``InvalidKeyMaterial``
    ``duplicate_key`` for known material."""
    lock_brand_keys(brand.pk, algorithm)
    if algorithm in SYMMETRIC:
        kid, jwk = kid or keymaterial.random_kid(), {}
    else:
        jwk = keymaterial.public_jwk(key, algorithm)
        kid = keymaterial.jwk_thumbprint(jwk)
    if SigningKey.objects.filter(kid=kid).exists():
        raise InvalidKeyMaterial(_KNOWN_KEY, code="duplicate_key")
    row = SigningKey(
        brand=brand,
        kid=kid,
        algorithm=algorithm,
        state=State.PENDING,
        origin=origin,
        key_size=keymaterial.key_size(key),
        fingerprint=keymaterial.fingerprint(key),
        public_jwk=jwk,
        store=store,
        **vars(keystores.get(store).stored(key=key, kid=kid)),
    )
    if certificate and algorithm in ASYMMETRIC:
        certify(row, key, brand=brand, now=now)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:
        raise InvalidKeyMaterial(_KNOWN_KEY, code="duplicate_key") from exc
    keyset.changed()
    return row


def _check_algorithm(algorithm: str) -> None:
    if algorithm not in Algorithm.values:
        raise InvalidKeyMaterial(
            f"Unsupported algorithm {algorithm!r}; choose one of {', '.join(Algorithm.values)}.",
            code="unsupported_algorithm",
        )


def signing_key_generate(
    *,
    brand: Brand,
    algorithm: str = Algorithm.RS256,
    key_size: int | None = None,
    certificate: bool = True,
    activate: bool = False,
    force: bool = False,
    now: datetime | None = None,
    store: str | None = None,
) -> SigningKey:
    """Generate a pending key for ``brand`` (published at once unless HS256).

    RSA keys have ``key_size`` bits (default BRANDS_RSA_KEY_SIZE; 2048, 3072 or 4096).
    ``certificate`` adds a self-signed certificate (``x5c``). With ``activate`` the key is
    activated in the same transaction (see ``signing_key_activate`` for ``force``): on error
    nothing is saved. ``store`` (default: the brand's ``key_store``; HS256 secrets always in
    the database) is where the private key is made and kept: ``pkcs11`` generates it in the
    HSM, where it stays (RS256, PS256, ES256; a pair made for a row that is then not saved
    is destroyed again). Raises ``InvalidKeyMaterial``, ``InvalidTransition`` or
    ``KeystoreUnavailable`` (503 ``keystore_unavailable``: the HSM cannot be reached).
    """
    _check_algorithm(algorithm)
    now = now or timezone.now()
    if store is None:
        store = KeyStore.DATABASE if algorithm in SYMMETRIC else brand.key_store
    if store not in KeyStore.values:
        raise InvalidKeyMaterial(
            f"Unknown key store {store!r}; choose one of {', '.join(KeyStore.values)}.",
            code="unknown_store",
        )
    keeper = keystores.get(store)
    key = keeper.generate(
        algorithm=algorithm, key_size=key_size, label=f"portal {brand.slug} {algorithm}"
    )
    try:
        with transaction.atomic():
            row = _store_new_key(
                brand=brand,
                algorithm=algorithm,
                key=key,
                origin=SigningKey.Origin.GENERATED,
                certificate=certificate,
                now=now,
                store=store,
            )
            if activate:
                row = signing_key_activate(key=row, force=force, now=now)
    except BaseException:
        keeper.discard(key=key)
        raise
    logger.info("Generated %s key %s for brand %s in %s", algorithm, row.kid, brand.slug, store)
    return row


def signing_key_import_check(
    *, pem: bytes | str, password: bytes | str | None = None, algorithm: str = Algorithm.RS256
) -> None:
    """Refuse a PEM that ``signing_key_import`` would refuse (same codes), without side effect:
    forms call it while validating. Reads the database only to refuse known material."""
    _check_algorithm(algorithm)
    key = keymaterial.load_private_key_pem(pem, password=password, algorithm=algorithm)
    kid = keymaterial.jwk_thumbprint(keymaterial.public_jwk(key, algorithm))
    if SigningKey.objects.filter(kid=kid).exists():
        raise InvalidKeyMaterial(_KNOWN_KEY, code="duplicate_key")


def signing_key_import_secret_check(*, secret: bytes | str, kid: str = "") -> None:
    """Refuse a shared secret (or kid) that ``signing_key_import_secret`` would refuse (same
    codes), without side effect. The secret never appears in a message."""
    keymaterial.check_shared_secret(secret.encode() if isinstance(secret, str) else secret)
    if kid:
        keymaterial.check_kid(kid)
        if SigningKey.objects.filter(kid=kid).exists():
            raise InvalidKeyMaterial(_KNOWN_KEY, code="duplicate_key")


def _check_import_allowed(brand: Brand) -> None:
    """A brand whose keys are generated in its HSM takes no material made elsewhere."""
    if brand.key_store == KeyStore.PKCS11:
        raise InvalidKeyMaterial(
            f"Brand {brand.slug!r} keeps its signing keys in the HSM: they are generated "
            "there and never leave it, so a PEM key made elsewhere is refused. Generate one.",
            code="wrong_store",
        )


def signing_key_import(
    *,
    brand: Brand,
    pem: bytes | str,
    password: bytes | str | None = None,
    algorithm: str = Algorithm.RS256,
    certificate: bool = True,
    now: datetime | None = None,
) -> SigningKey:
    """Import a PEM private key as a pending key of ``brand``.

    Refuses (``InvalidKeyMaterial``) garbage (``invalid_key``), an encrypted PEM without its
    password (``encrypted_key``), a key of the wrong type for ``algorithm`` (``wrong_key_type``),
    RSA below 2048 bits or with a small exponent (``weak_key``), known material
    (``duplicate_key``), and any PEM for a brand whose keys live in its HSM (``wrong_store``).
    The PEM is never stored or logged: only its encryption.
    """
    _check_algorithm(algorithm)
    _check_import_allowed(brand)
    key = keymaterial.load_private_key_pem(pem, password=password, algorithm=algorithm)
    with transaction.atomic():
        row = _store_new_key(
            brand=brand,
            algorithm=algorithm,
            key=key,
            origin=SigningKey.Origin.IMPORTED,
            certificate=certificate,
            now=now or timezone.now(),
        )
    logger.info("Imported %s key %s for brand %s", algorithm, row.kid, brand.slug)
    return row


def signing_key_import_secret(
    *,
    brand: Brand,
    secret: bytes | str,
    kid: str = "",
    now: datetime | None = None,
) -> SigningKey:
    """Import a platform-issued HS256 shared secret (Zendesk and Intercom issue their own) as
    a pending key of ``brand``. ``kid`` is the key id the platform expects (random if empty).

    Raises ``InvalidKeyMaterial``: ``weak_key`` (under 256 bits), ``invalid_key``,
    ``invalid_kid``, ``duplicate_key``. The secret is stored encrypted, never logged.
    """
    data = secret.encode() if isinstance(secret, str) else bytes(secret)
    keymaterial.check_shared_secret(data)
    if kid:
        keymaterial.check_kid(kid)
    with transaction.atomic():
        row = _store_new_key(
            brand=brand,
            algorithm=Algorithm.HS256,
            key=data,
            origin=SigningKey.Origin.IMPORTED,
            certificate=False,
            now=now or timezone.now(),
            kid=kid or None,
        )
    logger.info("Imported HS256 secret %s for brand %s", row.kid, brand.slug)
    return row
