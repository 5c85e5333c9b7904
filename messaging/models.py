"""The audit trail of issued tokens."""

from django.db import models


class TokenIssue(models.Model):
    """One token the portal signed: who, for which messenger, with which key, until when.

    Holds the ``jti`` and a SHA-256 fingerprint of the token, never the token itself, so the
    trail can be matched against a platform's logs without being a store of usable tokens.
    """

    jti = models.CharField(max_length=64, unique=True, help_text="The token's unique id.")
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the compact token (hex); the token is not stored."
    )
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="token_issues"
    )
    subject = models.CharField(max_length=40, help_text="The `sub` claim (public customer id).")
    brand = models.ForeignKey("brands.Brand", on_delete=models.PROTECT, related_name="+")
    messenger = models.ForeignKey(
        "brands.Messenger", on_delete=models.PROTECT, related_name="token_issues"
    )
    kid = models.CharField(max_length=100, help_text="Key id of the signing key.")
    algorithm = models.CharField(max_length=10)
    issued_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    client_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["messenger", "issued_at"], name="tokenissue_msgr_time")]

    def __str__(self) -> str:
        return f"{self.jti} for {self.subject}"
