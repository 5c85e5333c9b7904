"""Where private signing keys live: one interface, two stores (``SigningKey.store``).

``database`` (the default, unchanged): the key is generated in this process, its PKCS#8 DER
sealed with KEY_ENCRYPTION_KEYS (``brands.encryption``) into ``private_key_ciphertext``, and
decrypted once per process by ``brands.keycache``.

``pkcs11`` (``brands.keystores.pkcs11``): the key pair is generated in an HSM, non-extractable;
the row holds the public JWK and the pair's ``CKA_ID`` (``store_handle``); signing is a call to
the token over sessions the process keeps open.

Both hand out objects with the interface of ``cryptography`` private keys (``sign``,
``public_key``, ``key_size``): ``brands.keymaterial`` (JWK, fingerprint, certificate), PyJWT
and the signer in ``messaging`` use either without a branch. A brand's ``key_store`` picks the
store of its new keys; a key stays in the store it was made in for life.
"""

import logging
from dataclasses import dataclass

from brands import encryption, keymaterial
from brands.algorithms import ASYMMETRIC
from brands.errors import KeyDecryptionFailed, KeystoreUnavailable
from brands.keystores import pkcs11
from brands.models import KeyStore, SigningKey

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    """What a store keeps on the key's row."""

    private_key_ciphertext: str = ""
    store_handle: str = ""


class DatabaseStore:
    """Private keys encrypted in the database (``brands.encryption``)."""

    name = KeyStore.DATABASE

    def generate(self, *, algorithm: str, key_size: int | None, label: str):
        return keymaterial.generate_private_key(algorithm, key_size)

    def stored(self, *, key, kid: str) -> Stored:
        return Stored(
            private_key_ciphertext=encryption.encrypt(keymaterial.private_bytes(key), kid=kid)
        )

    def load(self, *, row: SigningKey, owner: str = ""):
        """Decrypt and parse ``row``'s private key (the slow step: about 27 ms for RSA 2048).
        Raises ``KeyDecryptionFailed`` (the key is then unusable until repaired)."""
        material = encryption.decrypt(row.private_key_ciphertext, kid=row.kid)
        key = keymaterial.load_private_bytes(material, row.algorithm)
        if row.algorithm in ASYMMETRIC and (
            keymaterial.public_jwk(key, row.algorithm) != row.public_jwk
        ):
            raise KeyDecryptionFailed(
                "The decrypted private key does not match the public key.", code="key_mismatch"
            )
        return key

    def discard(self, *, key) -> None:
        """Nothing was stored outside the row."""

    def destroy(self, *, handle: str) -> bool:
        """The ciphertext is erased from the row by the revocation itself."""
        return True


class Pkcs11Store:
    """Private keys generated in, and never leaving, a PKCS#11 token."""

    name = KeyStore.PKCS11

    def generate(self, *, algorithm: str, key_size: int | None, label: str):
        size = keymaterial.generation_size(algorithm, key_size)
        return pkcs11.generate(algorithm=algorithm, key_size=size, label=label)

    def stored(self, *, key, kid: str) -> Stored:
        return Stored(store_handle=key.handle)

    def load(self, *, row: SigningKey, owner: str = ""):
        """The token's key object (``owner``, e.g. "brand 'acme'", is named in its errors).
        Raises ``KeystoreUnavailable`` (the key stays usable: the store is at fault) or
        ``KeyDecryptionFailed`` ``key_mismatch``."""
        return pkcs11.load(
            handle=row.store_handle,
            algorithm=row.algorithm,
            public_jwk=row.public_jwk,
            owner=owner,
        )

    def discard(self, *, key) -> None:
        """Destroy a pair generated for a row that was not saved (best effort)."""
        try:
            pkcs11.destroy(handle=key.handle)
        except KeystoreUnavailable:  # the orphan holds no published material
            logger.error("A key pair generated in the HSM (id %s) is left there", key.handle)

    def destroy(self, *, handle: str) -> bool:
        return pkcs11.destroy(handle=handle)


_STORES = {KeyStore.DATABASE: DatabaseStore(), KeyStore.PKCS11: Pkcs11Store()}


def get(name: str) -> DatabaseStore | Pkcs11Store:
    """The store called ``name`` (``SigningKey.store`` / ``Brand.key_store``)."""
    return _STORES[KeyStore(name)]
