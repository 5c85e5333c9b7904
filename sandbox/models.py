"""The sandbox platform's own records: conversations, their messages, rejected tokens.

Nothing here points at the portal's tables: identities are snapshots of verified claims,
brands and messengers are slugs, as a vendor's cloud would hold them.
"""

import hashlib
import hmac
import secrets
import uuid

from django.db import models
from django.utils import timezone

from .verifier import REASON_CODES


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Conversation(models.Model):
    class Status(models.TextChoices):
        VERIFIED = "verified", "Verified"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VERIFIED)
    messenger = models.CharField(max_length=100)
    brand = models.CharField(max_length=100)
    platform = models.CharField(max_length=32)

    # Verified identity: a snapshot of the signed claims at verification time.
    subject = models.CharField("customer id (sub)", max_length=255)
    issuer = models.CharField(max_length=512)
    kid = models.CharField("key id", max_length=255)
    alg = models.CharField(max_length=16)
    jti = models.CharField(max_length=256)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    account_tier = models.CharField(max_length=64, blank=True)
    is_vip = models.BooleanField(null=True)
    account_balance = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=8, blank=True)
    identity = models.JSONField(default=dict)
    token_issued_at = models.DateTimeField(null=True)
    token_expires_at = models.DateTimeField()

    # What the page declared about itself: shown apart, labelled untrusted.
    page_attributes = models.JSONField(default=dict, blank=True)

    # Timing: the widget's Chat click (declared) and the server's own clock.
    clicked_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    verified_at = models.DateTimeField()
    gap_ms = models.BigIntegerField("verification-to-inquiry gap (ms)", null=True)
    client_address = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # Assurance (step-up): how the customer proved the second factor, from the verified token
    # (standard claims auth_time, amr, acr); renewed when a step-up brings a fresh token.
    auth_time = models.DateTimeField("second factor proven at (auth_time)", null=True, blank=True)
    acr = models.CharField("assurance level (acr)", max_length=64, blank=True)
    amr = models.JSONField("methods (amr)", default=list, blank=True)
    assurance_verified_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the token carrying the current assurance was verified.",
    )
    stepup_requested_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="An agent asked the customer to verify again; cleared by a token whose "
        "auth_time is not older than the request.",
    )
    agent_read_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When an agent last saw the conversation in the console; customer messages "
        "after it (or a conversation never opened) show as unread in the queue.",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.brand}/{self.messenger} {self.subject} ({self.status})"

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    def check_secret(self, secret: str) -> bool:
        return bool(secret) and hmac.compare_digest(self.secret_hash, hash_secret(secret))

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.subject


class Message(models.Model):
    class Sender(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.CharField(max_length=16, choices=Sender.choices)
    agent_name = models.CharField(max_length=150, blank=True)
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.sender} message {self.pk}"

    def as_dict(self) -> dict:
        return {
            "id": self.pk,
            "sender": self.sender,
            "agent": self.agent_name or None,
            "body": self.body,
            "created_at": self.created_at.isoformat(),
        }


class Rejection(models.Model):
    """A token the platform refused (for the agent console and the reports)."""

    reason = models.CharField(max_length=32, choices=[(c, c) for c in REASON_CODES], db_index=True)
    detail = models.CharField(max_length=255, blank=True)
    brand = models.CharField(max_length=100, blank=True)
    messenger = models.CharField(max_length=100, blank=True)
    kid = models.CharField("key id", max_length=255, blank=True)
    alg = models.CharField(max_length=32, blank=True)
    # sha256 of the token, never the token itself
    token_fingerprint = models.CharField(max_length=64, blank=True)
    client_address = models.CharField(max_length=64, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    page_attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.reason} ({self.brand}/{self.messenger})"


class VendorCredential(models.Model):
    """What a platform administrator types into the vendor's console for one messenger.

    Genesys: the OIDC client id and client secret the portal printed at creation; Zendesk:
    the key id and shared secret; Intercom: the Messenger security secret. The sandbox keeps
    them in its own table (a vendor's cloud never reads the portal's database); the secret is
    sealed under the key-encryption keys and bound to the slug (see ``sandbox.credentials``).
    """

    messenger = models.CharField(max_length=100, unique=True, help_text="Messenger slug.")
    client_id = models.CharField(max_length=300, blank=True, help_text="OIDC client id.")
    key_id = models.CharField(max_length=255, blank=True, help_text="Shared-secret key id.")
    secret_ciphertext = models.TextField(editable=False)
    secret_fingerprint = models.CharField(
        max_length=16, editable=False, help_text="First hex digits of SHA-256(secret)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["messenger"]

    def __str__(self) -> str:
        return f"credential for {self.messenger}"
