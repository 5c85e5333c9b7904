"""Domain errors of the brands app. Each ``code`` is stable; APIs and commands rely on it."""

from django.core.exceptions import ValidationError
from rest_framework import status

from config.errors import DomainError


class BrandsError(DomainError):
    """Bad input to a brands service (a form or command error). ``code`` says what."""

    code = "invalid"

    @classmethod
    def from_validation(cls, exc: ValidationError, code: str) -> "BrandsError":
        """A model's ``full_clean()`` errors as one message with ``code``: "field: messages"
        joined by "; " (or the messages alone for an error without fields)."""
        if hasattr(exc, "error_dict"):
            detail = "; ".join(
                f"{name}: {' '.join(m for e in errors for m in e.messages)}"
                for name, errors in exc.error_dict.items()
            )
        else:
            detail = " ".join(exc.messages)
        return cls(detail, code=code)


class UnknownBrand(BrandsError):
    code = "unknown_brand"
    http_status = status.HTTP_404_NOT_FOUND


class UnknownMessenger(BrandsError):
    code = "unknown_messenger"
    http_status = status.HTTP_404_NOT_FOUND


class InvalidKeyMaterial(BrandsError):
    """Offered key material is unusable.

    Codes: ``invalid_key`` (not a PEM private key), ``encrypted_key`` (password missing or
    wrong), ``wrong_key_type`` (e.g. an EC key offered for RS256), ``weak_key`` (RSA below the
    minimum, wrong curve), ``duplicate_key`` (this material or kid is already known),
    ``unsupported_algorithm``, ``wrong_store`` (material from outside a brand whose keys must
    be generated in its HSM).
    """

    code = "invalid_key"


class InvalidTransition(BrandsError):
    """A life-cycle change the key's state does not allow.

    Codes: ``key_revoked``, ``key_retired``, ``already_active``, ``not_active``,
    ``not_prepublished``, ``key_unusable``.
    """

    code = "invalid_transition"
    http_status = status.HTTP_409_CONFLICT


class KeySetUnavailable(BrandsError):
    """A key or brand change is refused because the shared cache (Redis), where every server
    learns of key changes, cannot be written: applied now, the change could go unseen by
    servers holding the old keys (``brands.keyset.changed``). Try again once it is back."""

    code = "keyset_unavailable"
    http_status = status.HTTP_503_SERVICE_UNAVAILABLE


class KeystoreUnavailable(BrandsError):
    """The key store that holds a brand's private key (a PKCS#11 token: an HSM) cannot be
    reached now: module missing, token absent, PIN refused, key object not found. Nothing is
    signed (fail closed) and the key is not marked unusable: the fault is the store's, and
    signing resumes by itself once it answers again (``brands.keystores.pkcs11``). The detail
    names the brand and the store, never the PIN."""

    code = "keystore_unavailable"
    http_status = status.HTTP_503_SERVICE_UNAVAILABLE


class NoSigningKey(DomainError):
    """The brand has no active, usable key for the algorithm: nothing can be signed now."""

    code = "no_signing_key"
    http_status = status.HTTP_503_SERVICE_UNAVAILABLE


class KeyDecryptionFailed(DomainError):
    """Stored private material no longer decrypts under the configured key-encryption keys.

    Codes: ``kek_missing`` (KEY_ENCRYPTION_KEYS empty), ``kek_invalid`` (a value there is not
    a key), ``no_material`` (nothing stored), ``not_decryptable`` (no configured key opens
    it), ``wrong_binding`` (the ciphertext belongs to another kid or context), ``damaged``,
    ``not_sealed``, ``key_mismatch`` (it decrypts to a key that is not the published one).
    """

    code = "key_undecryptable"
    http_status = status.HTTP_503_SERVICE_UNAVAILABLE


# Why a signing key is unusable (``SigningKey.unusable_code``). A key-encryption-key problem
# (the codes above) can be repaired by configuring the right key; re-encryption then clears
# the mark. A key that could not be loaded for another reason stays unusable.
KEY_LOAD_FAILED = "load_failed"
REPAIRABLE_BY_KEK = frozenset({"not_decryptable", "wrong_binding", "key_mismatch"})
