"""Signing keys in a PKCS#11 token: an HSM (Thales Luna, AWS CloudHSM, YubiHSM 2) or SoftHSM2.

Configuration (``config.env``): ``PKCS11_MODULE`` (the vendor's shared library),
``PKCS11_TOKEN_LABEL`` and ``PKCS11_PIN`` (the crypto user's PIN; ``PKCS11_PIN_FILE`` reads it
from a file). Read lazily, so ``override_settings`` works.

What lives where: the key pair is generated in the token (``C_GenerateKeyPair``) as token
objects with ``CKA_SENSITIVE`` true and ``CKA_EXTRACTABLE`` false, so the private key never
exists outside the HSM; the public key is read back (``CKA_MODULUS``/``CKA_EC_POINT``) to
publish in the JWKS. The database row keeps the public JWK and the pair's ``CKA_ID`` (hex,
``SigningKey.store_handle``). Signing is one ``C_Sign`` in the token: RS256
``CKM_SHA256_RSA_PKCS`` (RS512 ``CKM_SHA512_RSA_PKCS``, for Salesforce), PS256
``CKM_SHA256_RSA_PKCS_PSS`` (SHA-256, MGF1-SHA-256, 32-byte salt: RFC 7518 section 3.5),
ES256 ``CKM_ECDSA`` over the SHA-256 digest computed here (the mechanism every HSM has;
SoftHSM2 2.6 lacks ``CKM_ECDSA_SHA256``), giving R || S as JWS wants.

Speed (the contract ``brands.keycache`` relies on): one library load, one ``C_Login`` and one
open session per process, kept for the life of the process; the session remembers the
private-key objects it has found (``C_FindObjects`` once per key), so a signature costs one
``C_SignInit`` + ``C_Sign``: about 2 ms for RSA 3072 in SoftHSM2 (software), plus the network
round trip to a network HSM (docs/benchmarks.md). The calls of one process are serialised
(``_lock``: the module is initialised without locking); throughput scales with processes
(gunicorn workers), each with its own session. After a fork the child reinitialises the
library and logs in again: PKCS#11 state is never shared across processes.

Failure: any PKCS#11 error drops the whole per-process state (sessions, found objects) and the
operation is tried once more from scratch (a network HSM that failed over, a session the token
closed); if that fails too, ``KeystoreUnavailable`` (503 ``keystore_unavailable``). Nothing is
signed with anything else: the path fails closed. The PIN never appears in a message or log.
"""

import hashlib
import logging
import os
import secrets
import threading
from collections.abc import Callable
from typing import TypeVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings

from brands.algorithms import Algorithm
from brands.errors import InvalidKeyMaterial, KeyDecryptionFailed, KeystoreUnavailable

logger = logging.getLogger(__name__)

ALGORITHMS = (Algorithm.RS256, Algorithm.RS512, Algorithm.PS256, Algorithm.ES256)
ID_BYTES = 16
_P256_OID_DER = bytes.fromhex("06082a8648ce3d030107")  # ecParameters: namedCurve prime256v1
_T = TypeVar("_T")


def _pkcs11():
    """The python-pkcs11 package, imported on first use: a deployment without an HSM never
    loads it."""
    import pkcs11

    return pkcs11


# --- per-process state --------------------------------------------------------------------


class _Session:
    """An open session and the private-key objects found in it (object handles are per
    session in python-pkcs11)."""

    def __init__(self, session) -> None:
        self.session = session
        self.keys: dict[str, object] = {}

    def private_key(self, handle: str):
        key = self.keys.get(handle)
        if key is None:
            pkcs11 = _pkcs11()
            try:
                key = self.session.get_key(
                    object_class=pkcs11.ObjectClass.PRIVATE_KEY, id=bytes.fromhex(handle)
                )
            except pkcs11.exceptions.NoSuchKey as exc:
                raise _KeyNotFound(handle) from exc
            self.keys[handle] = key
        return key


class _KeyNotFound(Exception):
    """No private key with this CKA_ID in the token (destroyed, or another token)."""


class _NotConfigured(Exception):
    """PKCS11_MODULE or PKCS11_TOKEN_LABEL is empty."""


class _Token:
    """The configured token of this process: the library and one logged-in session."""

    def __init__(self, module: str, label: str, pin: str) -> None:
        self.identity = (module, label, pin)
        self.pid = os.getpid()
        self.token = _library(module).get_token(token_label=label)
        # C_Login applies to every session of the application: the first session logs in and
        # stays open for the life of this state (closing it would log every session out).
        self.login = self.token.open(rw=True, user_pin=pin)
        self.entry = _Session(self.login)

    def close(self) -> None:
        """Close this state's session (logging the application out); errors ignored."""
        if self.pid != os.getpid():
            return  # the parent's session: not ours to close
        try:
            self.login.close()
        except Exception as exc:  # gone with the token: nothing left to close
            logger.debug("PKCS#11 session not closed: %s", _describe(exc))


_libraries: dict[str, tuple[object, int]] = {}
_state: _Token | None = None
# Every PKCS#11 call of this process, one at a time. python-pkcs11 calls C_Initialize with
# NULL_PTR arguments, which tells the module that the application will not call it from
# several threads at once (PKCS#11 base specification, C_Initialize); SoftHSM2 then turns
# its own locks off, and two threads signing at once fail with CKR_GENERAL_ERROR (measured
# under gunicorn's threads). Concurrency comes from processes, each with its own session.
_lock = threading.RLock()


def _library(module: str):
    """The loaded PKCS#11 library (``C_Initialize`` once per process; again after a fork)."""
    loaded = _libraries.get(module)
    if loaded is not None:
        lib, pid = loaded
        if pid != os.getpid():
            lib.reinitialize()
            _libraries[module] = (lib, os.getpid())
        return lib
    if not os.path.isfile(module):
        raise FileNotFoundError(f"PKCS11_MODULE {module} does not exist")
    lib = _pkcs11().lib(module)
    _libraries[module] = (lib, os.getpid())
    return lib


def _config() -> tuple[str, str, str]:
    module = getattr(settings, "PKCS11_MODULE", "") or ""
    label = getattr(settings, "PKCS11_TOKEN_LABEL", "") or ""
    pin = getattr(settings, "PKCS11_PIN_SECRET", "") or ""
    if not module or not label:
        raise _NotConfigured()
    return module, label, pin


def _token() -> _Token:
    """This process's state for the configured token (call with ``_lock`` held)."""
    global _state
    module, label, pin = _config()
    identity = (module, label, pin)
    state = _state
    if state is not None and state.identity == identity and state.pid == os.getpid():
        return state
    if state is not None:
        state.close()
        _state = None
    _state = _Token(module, label, pin)
    return _state


def reset() -> None:
    """Close this process's session and forget the token (tests; after a failure)."""
    global _state
    with _lock:
        state, _state = _state, None
        if state is not None:
            state.close()


def _describe(exc: BaseException) -> str:
    """A safe description of a PKCS#11 failure (the exception's class: never a PIN)."""
    name = type(exc).__name__
    hints = {
        "PinIncorrect": "the PIN was refused",
        "PinLocked": "the PIN is locked",
        "NoSuchToken": "no token with this label",
        "TokenNotPresent": "the token is absent",
        "DeviceRemoved": "the token was removed",
        "FileNotFoundError": "the PKCS#11 module file does not exist",
        "_KeyNotFound": "the key object is not in the token",
        "_NotConfigured": "no HSM is configured (PKCS11_MODULE, PKCS11_TOKEN_LABEL)",
    }
    return hints.get(name, name)


def _final_errors() -> tuple[type[BaseException], ...]:
    """Failures a second attempt cannot cure: a missing module or key, a refused PIN (a
    second wrong try would bring the token closer to locking the PIN)."""
    errors = _pkcs11().exceptions
    return (
        _KeyNotFound,
        _NotConfigured,
        FileNotFoundError,
        errors.PinIncorrect,
        errors.PinLocked,
        errors.PinExpired,
        errors.PinInvalid,
        errors.PinLenRange,
    )


# Operations that run while serving a request: their errors reach customers, who learn that
# the service is unavailable and nothing about the HSM (the log has the token and the reason).
_REQUEST_PATH = frozenset({"signing", "loading a key", "the readiness probe"})


def _run(operation: Callable[[_Session], _T], *, what: str, owner: str = "") -> _T:
    """``operation`` on this process's session; one retry on a fresh state; fail closed.
    ``owner`` (e.g. "brand 'acme'") names whose key it is in the error."""
    with _lock:
        return _attempt(operation, what=what, owner=owner)


def _attempt(operation: Callable[[_Session], _T], *, what: str, owner: str) -> _T:
    failure: BaseException | None = None
    for attempt in (1, 2):
        try:
            return operation(_token().entry)
        except KeystoreUnavailable:
            raise
        except (InvalidKeyMaterial, KeyDecryptionFailed):
            raise
        except Exception as exc:  # PKCS11Error and OS errors alike: the store is unreachable
            failure = exc
            reset()
            if isinstance(exc, _final_errors()):
                break  # retrying cannot help (and a wrong PIN must not be tried twice)
            logger.warning("PKCS#11 %s failed (attempt %s): %s", what, attempt, _describe(exc))
    label = getattr(settings, "PKCS11_TOKEN_LABEL", "")
    reason = _describe(failure)
    logger.error("PKCS#11 token %r unavailable for %s (%s): %s", label, what, owner, reason)
    whose = f" holding the key of {owner}" if owner else ""
    if what in _REQUEST_PATH:
        detail = f"The HSM{whose} cannot be reached now; nothing was signed. Try again shortly."
    else:  # staff and operators (admin, commands): the reason helps them act
        detail = f"The HSM (PKCS#11 token {label!r}) cannot be used for {what}: {reason}."
    raise KeystoreUnavailable(detail) from failure


# --- keys in the token --------------------------------------------------------------------


def _rsa_public(public) -> rsa.RSAPublicKey:
    attr = _pkcs11().Attribute
    n = int.from_bytes(public[attr.MODULUS], "big")
    e = int.from_bytes(public[attr.PUBLIC_EXPONENT], "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def _ec_public(public) -> ec.EllipticCurvePublicKey:
    attr = _pkcs11().Attribute
    if bytes(public[attr.EC_PARAMS]) != _P256_OID_DER:
        raise KeyDecryptionFailed("The token's EC key is not on P-256.", code="key_mismatch")
    point = bytes(public[attr.EC_POINT])
    # CKA_EC_POINT is a DER OCTET STRING holding the point (some modules give the bare point)
    if len(point) == 67 and point[:2] == b"\x04\x41":
        point = point[2:]
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)


class _TokenKey:
    """A private key that stays in the token: the interface of a ``cryptography`` private key
    (``sign``, ``public_key``, ``key_size``) so PyJWT and certificate issuance use it as they
    use a key in memory; ``private_bytes`` and ``private_numbers`` refuse."""

    in_token = True

    def __init__(self, *, handle: str, algorithm: str, public, owner: str = "") -> None:
        self.handle = handle
        self.algorithm = algorithm
        self.owner = owner
        self._public = public

    def public_key(self):
        return self._public

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def _sign(self, data: bytes, mechanism, param=None) -> bytes:
        def operation(entry: _Session) -> bytes:
            key = entry.private_key(self.handle)
            if param is None:
                return key.sign(data, mechanism=mechanism)
            return key.sign(data, mechanism=mechanism, mechanism_param=param)

        return _run(operation, what="signing", owner=self.owner)

    def private_bytes(self, *args, **kwargs):
        raise TypeError("This key is in the HSM and cannot be extracted.")

    def private_numbers(self):
        raise TypeError("This key is in the HSM and cannot be extracted.")

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.algorithm} id={self.handle}>"


class TokenRSAPrivateKey(_TokenKey, rsa.RSAPrivateKey):
    """An RSA key in the token. Signs PKCS#1 v1.5 with SHA-256 or SHA-512 (RS256, RS512, the
    self-signed certificate) or PSS with SHA-256 and a 32-byte salt (PS256)."""

    def sign(self, data: bytes, padding_: padding.AsymmetricPadding, algorithm) -> bytes:
        pkcs11 = _pkcs11()
        if isinstance(padding_, padding.PKCS1v15) and isinstance(algorithm, hashes.SHA512):
            return self._sign(data, pkcs11.Mechanism.SHA512_RSA_PKCS)
        if not isinstance(algorithm, hashes.SHA256):
            raise ValueError("Keys in the HSM sign with SHA-256 (or RS512) only.")
        if isinstance(padding_, padding.PSS):
            # RFC 7518 3.5: PS256 is MGF1 with SHA-256 and a salt as long as the digest.
            param = (pkcs11.Mechanism.SHA256, pkcs11.MGF.SHA256, 32)
            return self._sign(data, pkcs11.Mechanism.SHA256_RSA_PKCS_PSS, param)
        if isinstance(padding_, padding.PKCS1v15):
            return self._sign(data, pkcs11.Mechanism.SHA256_RSA_PKCS)
        raise ValueError("Keys in the HSM sign with PKCS#1 v1.5 or PSS padding only.")

    def decrypt(self, ciphertext: bytes, padding_) -> bytes:
        raise TypeError("Signing keys in the HSM do not decrypt.")


class TokenECPrivateKey(_TokenKey, ec.EllipticCurvePrivateKey):
    """A P-256 key in the token. ``sign`` returns DER, as ``cryptography`` does."""

    @property
    def curve(self) -> ec.EllipticCurve:
        return ec.SECP256R1()

    def sign(self, data: bytes, signature_algorithm: ec.EllipticCurveSignatureAlgorithm) -> bytes:
        if not isinstance(signature_algorithm, ec.ECDSA) or not isinstance(
            signature_algorithm.algorithm, hashes.SHA256
        ):
            raise ValueError("Keys in the HSM sign with ECDSA and SHA-256 only.")
        digest = hashlib.sha256(data).digest()
        raw = self._sign(digest, _pkcs11().Mechanism.ECDSA)
        return encode_dss_signature(
            int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        )

    def exchange(self, algorithm, peer_public_key) -> bytes:
        raise TypeError("Signing keys in the HSM do not derive secrets.")


def _wrap(handle: str, algorithm: str, public_object, owner: str = "") -> _TokenKey:
    if algorithm == Algorithm.ES256:
        cls, public = TokenECPrivateKey, _ec_public(public_object)
    else:
        cls, public = TokenRSAPrivateKey, _rsa_public(public_object)
    return cls(handle=handle, algorithm=algorithm, public=public, owner=owner)


def generate(*, algorithm: str, key_size: int | None, label: str) -> _TokenKey:
    """Generate a key pair for ``algorithm`` in the token; returns it (the private half is
    sensitive, non-extractable and stays there). RSA keys have ``key_size`` bits.

    Raises ``InvalidKeyMaterial`` ``unsupported_algorithm`` (EdDSA, HS256) and
    ``KeystoreUnavailable``.
    """
    if algorithm not in ALGORITHMS:
        raise InvalidKeyMaterial(
            f"{algorithm} keys cannot be generated in the HSM; it holds "
            f"{', '.join(ALGORITHMS)} keys.",
            code="unsupported_algorithm",
        )
    pkcs11 = _pkcs11()
    attr, flag = pkcs11.Attribute, pkcs11.MechanismFlag
    key_id = secrets.token_bytes(ID_BYTES)
    private_template = {
        attr.TOKEN: True,
        attr.PRIVATE: True,
        attr.SENSITIVE: True,
        attr.EXTRACTABLE: False,
        attr.SIGN: True,
        attr.DECRYPT: False,
        attr.UNWRAP: False,
        attr.DERIVE: False,
    }
    public_template = {attr.TOKEN: True, attr.VERIFY: True, attr.ENCRYPT: False, attr.WRAP: False}

    def operation(entry: _Session):
        common = {
            "id": key_id,
            "label": label[:64],
            "store": True,
            "capabilities": flag.SIGN | flag.VERIFY,
            "public_template": public_template,
            "private_template": private_template,
        }
        if algorithm == Algorithm.ES256:
            params = entry.session.create_domain_parameters(
                pkcs11.KeyType.EC, {attr.EC_PARAMS: _P256_OID_DER}, local=True
            )
            return params.generate_keypair(**common)
        return entry.session.generate_keypair(pkcs11.KeyType.RSA, key_size, **common)

    public, _private = _run(operation, what="key generation")
    return _wrap(key_id.hex(), algorithm, public)


def load(*, handle: str, algorithm: str, public_jwk: dict, owner: str = "") -> _TokenKey:
    """The token's key ``handle`` (CKA_ID hex) for signing, after checking that its public
    half is the published one. ``owner`` (e.g. "brand 'acme'") is named in its errors.

    Raises ``KeystoreUnavailable`` (token unreachable, PIN refused, no such object) or
    ``KeyDecryptionFailed`` ``key_mismatch`` (the object holds other material).
    """
    from brands import keymaterial

    def operation(entry: _Session):
        pkcs11 = _pkcs11()
        entry.private_key(handle)  # found once per session, kept for signing
        public = entry.session.get_key(
            object_class=pkcs11.ObjectClass.PUBLIC_KEY, id=bytes.fromhex(handle)
        )
        return _wrap(handle, algorithm, public, owner)

    key = _run(operation, what="loading a key", owner=owner)
    if keymaterial.public_jwk(key, algorithm) != public_jwk:
        raise KeyDecryptionFailed(
            "The HSM's key object does not match the published public key.", code="key_mismatch"
        )
    return key


def destroy(*, handle: str) -> bool:
    """Destroy the key pair ``handle`` in the token (``C_DestroyObject``); ``False`` when it
    was not there. Raises ``KeystoreUnavailable``."""

    def operation(entry: _Session) -> bool:
        pkcs11 = _pkcs11()
        found = list(entry.session.get_objects({pkcs11.Attribute.ID: bytes.fromhex(handle)}))
        for obj in found:
            obj.destroy()
        entry.keys.pop(handle, None)
        return bool(found)

    return _run(operation, what="destroying a key")


def probe(*, handle: str) -> None:
    """Prove the token answers and holds ``handle`` (readiness): one ``C_FindObjects`` on a
    session of the pool (the found object is then reused). Raises ``KeystoreUnavailable``."""

    def operation(entry: _Session) -> None:
        entry.keys.pop(handle, None)  # find it again: a round trip to the token
        entry.private_key(handle)

    _run(operation, what="the readiness probe")


def objects(*, handle: str) -> int:
    """How many objects (private and public halves) with CKA_ID ``handle`` the token holds:
    2 while the pair exists, 0 once destroyed. Raises ``KeystoreUnavailable``."""

    def operation(entry: _Session) -> int:
        found = entry.session.get_objects({_pkcs11().Attribute.ID: bytes.fromhex(handle)})
        return len(list(found))

    return _run(operation, what="counting objects")


def attributes(*, handle: str) -> dict[str, bool]:
    """Security attributes of the private key ``handle`` (sensitive, extractable, ...)."""

    def operation(entry: _Session) -> dict[str, bool]:
        attr = _pkcs11().Attribute
        key = entry.private_key(handle)
        return {
            "sensitive": bool(key[attr.SENSITIVE]),
            "extractable": bool(key[attr.EXTRACTABLE]),
            "always_sensitive": bool(key[attr.ALWAYS_SENSITIVE]),
            "never_extractable": bool(key[attr.NEVER_EXTRACTABLE]),
            "local": bool(key[attr.LOCAL]),
        }

    return _run(operation, what="reading key attributes")
