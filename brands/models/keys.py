"""A brand's signing keys and the key-set version every process watches."""

from django.db import models
from django.db.models import Q

from brands import conf
from brands.algorithms import Algorithm
from brands.keymaterial import certificate_x5c, certificate_x5t_s256
from brands.models.brand import Brand, KeyStore


class SigningKey(models.Model):
    """One key of a brand, with its life cycle.

    ``pending`` keys are published in the JWKS but do not sign; ``active`` keys sign (at most
    one per brand and algorithm, a database constraint); ``retired`` keys are still published
    so tokens they signed keep verifying; ``revoked`` keys are unpublished for good and their
    private material is erased. A ``kid`` is never reused: rows are never deleted.
    HS256 keys are shared secrets: never published, given to the platform out of band.
    """

    Algorithm = Algorithm

    class State(models.TextChoices):
        PENDING = "pending", "pending (published, not signing)"
        ACTIVE = "active", "active (signing)"
        RETIRED = "retired", "retired (published, not signing)"
        REVOKED = "revoked", "revoked (unpublished)"

    class Origin(models.TextChoices):
        GENERATED = "generated", "generated here"
        IMPORTED = "imported", "imported from PEM"

    PUBLISHED_STATES = (State.PENDING, State.ACTIVE, State.RETIRED)

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="signing_keys")
    kid = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        help_text="Key id in the JWT header: the RFC 7638 thumbprint (random for HS256). "
        "Unique forever.",
    )
    algorithm = models.CharField(
        max_length=8,
        choices=Algorithm.choices,
        default=Algorithm.RS256,
        help_text="The only algorithm this key signs with.",
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.GENERATED)
    store = models.CharField(
        max_length=10,
        choices=KeyStore.choices,
        default=KeyStore.DATABASE,
        editable=False,
        help_text="Where the private key lives: encrypted in this database, or in the HSM.",
    )
    store_handle = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="HSM keys: the key pair's CKA_ID in the token (hex), an identifier, not "
        "a secret. Emptied once the key has been destroyed in the token.",
    )
    key_size = models.PositiveIntegerField(help_text="Bits (RSA modulus, curve or secret size).")
    fingerprint = models.CharField(
        max_length=100,
        editable=False,
        help_text="SHA-256 of the public key (or of the shared secret): identifies, "
        "never reveals.",
    )
    public_jwk = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Public members only (kty, n/e or crv/x/y). Empty for HS256.",
    )
    private_key_ciphertext = models.TextField(
        blank=True,
        editable=False,
        help_text="PKCS#8 DER (or the HS256 secret) encrypted with KEY_ENCRYPTION_KEYS. "
        "Erased when the key is revoked. Empty for HSM keys.",
    )
    certificate_pem = models.TextField(
        blank=True,
        editable=False,
        help_text="Optional self-signed X.509 certificate, published as x5c.",
    )
    certificate_not_after = models.DateTimeField(null=True, blank=True, editable=False)
    unusable_reason = models.TextField(
        blank=True,
        help_text="Why this key cannot sign (e.g. its private key no longer decrypts). "
        "Empty when usable.",
    )
    unusable_code = models.CharField(
        max_length=32,
        blank=True,
        editable=False,
        help_text="Stable code of the unusable reason (brands.errors); empty when usable.",
    )
    revocation_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(
        auto_now_add=True, help_text="Created, hence pending and published, at this time."
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(
        null=True, blank=True, help_text="Revoked by policy once the retention had passed."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "algorithm"],
                condition=Q(state="active"),
                name="brands_signingkey_one_active_per_brand_algorithm",
                violation_error_message="This brand already has an active key for the algorithm.",
            ),
            models.CheckConstraint(
                condition=Q(state="pending")
                | Q(state="active", activated_at__isnull=False)
                | Q(state="retired", retired_at__isnull=False)
                | Q(state="revoked", revoked_at__isnull=False),
                name="brands_signingkey_state_has_timestamp",
            ),
            models.CheckConstraint(
                condition=Q(algorithm__in=Algorithm.values),
                name="brands_signingkey_algorithm_valid",
            ),
        ]
        indexes = [models.Index(fields=["brand", "state"], name="brands_key_brand_state")]

    def __str__(self) -> str:
        return f"{self.kid} ({self.algorithm}, {self.state})"

    @property
    def is_symmetric(self) -> bool:
        return self.algorithm == self.Algorithm.HS256

    @property
    def is_published(self) -> bool:
        return not self.is_symmetric and self.state in self.PUBLISHED_STATES

    @property
    def in_hsm(self) -> bool:
        return self.store == KeyStore.PKCS11

    @property
    def is_usable(self) -> bool:
        if self.unusable_reason or self.state == self.State.REVOKED:
            return False
        return bool(self.store_handle if self.in_hsm else self.private_key_ciphertext)

    @property
    def purge_due_at(self):
        if self.state != self.State.RETIRED or self.retired_at is None:
            return None
        return self.retired_at + conf.get("RETENTION")

    @property
    def activatable_at(self):
        """When a rotation may promote this pending key (published long enough)."""
        return self.created_at + conf.get("PREPUBLICATION_PERIOD") if self.created_at else None

    def jwk(self) -> dict:
        """The JWKS entry: public members, kid, alg, use, and x5c when there is a certificate."""
        entry = {**self.public_jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}
        if self.certificate_pem:
            entry["x5c"] = certificate_x5c(self.certificate_pem)
            entry["x5t#S256"] = certificate_x5t_s256(self.certificate_pem)
        return entry


class KeySetVersion(models.Model):
    """The key-set version (``brands.keyset``) when no shared cache is configured.

    One row. On the embedded default (no ``REDIS_URL``, an in-process cache) the version must
    still be seen by every process of the deployment (``manage.py`` commands, cron, other
    workers) at once, so it lives in the database they share.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.CharField(max_length=32, help_text="Random; replaced on every key change.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="brands_keysetversion_single_row")
        ]

    def __str__(self) -> str:
        return "key-set version"
