"""Key material for tests: private keys as PEM text, the way staff paste or upload them."""

from cryptography.hazmat.primitives import serialization


def private_pem(key, password: bytes | None = None, *, traditional: bool = False) -> str:
    """``key`` as a PEM private key: PKCS#8 (or the traditional OpenSSL format), encrypted
    with ``password`` when given."""
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    layout = (
        serialization.PrivateFormat.TraditionalOpenSSL
        if traditional
        else serialization.PrivateFormat.PKCS8
    )
    return key.private_bytes(serialization.Encoding.PEM, layout, encryption).decode()
