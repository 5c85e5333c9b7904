"""The signing algorithms a brand key can have: the one place they are spelled.

``Algorithm`` is the model field's choices (``SigningKey.Algorithm`` is this class) and the
names the key-material functions take; the families below group them. Importing this module
needs no app registry or database, so pure modules (``brands.keymaterial``) use it too.
"""

from django.db import models


class Algorithm(models.TextChoices):
    RS256 = "RS256", "RS256 (RSA PKCS#1 v1.5, SHA-256)"
    RS512 = "RS512", "RS512 (RSA PKCS#1 v1.5, SHA-512)"
    PS256 = "PS256", "PS256 (RSA-PSS, SHA-256)"
    ES256 = "ES256", "ES256 (ECDSA P-256, SHA-256)"
    EDDSA = "EdDSA", "EdDSA (Ed25519)"
    HS256 = "HS256", "HS256 (shared secret)"


RSA_ALGORITHMS = frozenset({Algorithm.RS256, Algorithm.RS512, Algorithm.PS256})
ASYMMETRIC = frozenset({*RSA_ALGORITHMS, Algorithm.ES256, Algorithm.EDDSA})
SYMMETRIC = frozenset({Algorithm.HS256})
DEFAULT = Algorithm.RS256
