"""The audit trail of issued tokens, and the OpenID Connect provider's codes and grants.

Nothing here stores a usable credential: tokens, codes, access and refresh tokens are kept
as SHA-256 hashes (they are 192+ random bits, so a fast hash cannot be reversed by guessing).
"""

import uuid

from django.db import models


class TokenIssue(models.Model):
    """One token the portal signed: who, for which messenger, with which key, until when.

    Holds the ``jti`` and a SHA-256 fingerprint of the token, never the token itself, so the
    trail can be matched against a platform's logs without being a store of usable tokens.
    """

    class Kind(models.TextChoices):
        TOKEN = "token", "Direct token (token API)"
        ID_TOKEN = "id_token", "OpenID Connect id_token (code exchange)"
        ID_TOKEN_REFRESH = "id_token_refresh", "OpenID Connect id_token (refresh)"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TOKEN)
    # Unique through a constraint (Meta), not ``unique=True``: no second, LIKE-pattern index.
    jti = models.CharField(max_length=64, help_text="The token's unique id.")
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the compact token (hex); the token is not stored."
    )
    # No database-level foreign keys on this append-only trail (nor on AuthEvent): each
    # checked its row FOR KEY SHARE on every token, and concurrent tokens of one brand queued
    # on that row's lock (docs/decisions/audit-trail.md). PROTECT still holds in the ORM.
    customer = models.ForeignKey(
        "accounts.Customer",
        on_delete=models.PROTECT,
        related_name="token_issues",
        db_constraint=False,
    )
    subject = models.CharField(max_length=40, help_text="The `sub` claim (public customer id).")
    brand = models.ForeignKey(
        "brands.Brand", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    # Indexed by ``tokenissue_msgr_time``, which leads with it.
    messenger = models.ForeignKey(
        "brands.Messenger",
        on_delete=models.PROTECT,
        related_name="token_issues",
        db_constraint=False,
        db_index=False,
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
        constraints = [models.UniqueConstraint(fields=["jti"], name="tokenissue_jti_unique")]

    def __str__(self) -> str:
        return f"{self.jti} for {self.subject}"


class AuthorizationCode(models.Model):
    """A one-time OpenID Connect authorization code for one customer on one OIDC messenger.

    Minted by the auth-code API (Genesys's AuthProvider plugin) or the ``authorize`` endpoint;
    bound to the client, the redirect URI, the customer, the nonce and the PKCE challenge;
    lives at most ``MESSAGING_OIDC_CODE_TTL`` (60 s); redeemed once (``used_at``). A second
    redemption revokes the grant the first one created.
    """

    class Source(models.TextChoices):
        API = "api", "Auth-code API (page plugin)"
        AUTHORIZE = "authorize", "Authorization endpoint (browser redirect)"

    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    messenger = models.ForeignKey("brands.Messenger", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="+")
    redirect_uri = models.CharField(max_length=2000)
    scope = models.CharField(max_length=200, help_text="Granted scopes, space-separated.")
    nonce = models.CharField(max_length=255, blank=True)
    code_challenge = models.CharField(max_length=128, blank=True, help_text="PKCE S256.")
    auth_time = models.DateTimeField(help_text="When the customer last proved the second factor.")
    amr = models.JSONField(
        default=list, blank=True, help_text="RFC 8176 methods of that proof (accounts.assurance)."
    )
    acr = models.CharField(max_length=60, blank=True, help_text="Assurance level of that proof.")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    session_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the portal session key it came from."
    )
    session_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When that portal session expires (as known then): its grant ends no later.",
    )
    client_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"authorization code {self.pk} ({self.messenger_id})"


class OidcGrant(models.Model):
    """What one code exchange granted: a family of access and refresh tokens.

    Refresh tokens rotate on every use inside the family; the reuse of a spent refresh token,
    or of the code that created the family, revokes the whole family (RFC 9700 4.14.2).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.OneToOneField(
        AuthorizationCode, on_delete=models.PROTECT, related_name="grant", null=True
    )
    messenger = models.ForeignKey("brands.Messenger", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=200)
    auth_time = models.DateTimeField()
    amr = models.JSONField(default=list, blank=True, help_text="RFC 8176 methods (from the code).")
    acr = models.CharField(max_length=60, blank=True, help_text="Assurance level (from the code).")
    session_hash = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="SHA-256 of the portal session key; logging out of it revokes the grant.",
    )
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField(help_text="No refresh after this (absolute lifetime).")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "OIDC grant"

    def __str__(self) -> str:
        return f"grant {self.pk}"


class OidcToken(models.Model):
    """An opaque access or refresh token of a grant, stored as a SHA-256 hash."""

    class Kind(models.TextChoices):
        ACCESS = "access", "Access token"
        REFRESH = "refresh", "Refresh token"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    grant = models.ForeignKey(OidcGrant, on_delete=models.CASCADE, related_name="tokens")
    scope = models.CharField(
        max_length=200,
        blank=True,
        help_text="What this token grants (space-separated): a refresh may narrow an access "
        "token's scope below the grant's (RFC 6749 section 6); userinfo answers only this.",
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True, help_text="Refresh tokens: rotated.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} token {self.pk}"


class AttributeLookup(models.Model):
    """One server-to-server read of a customer's certified attributes (audit trail)."""

    messenger = models.ForeignKey("brands.Messenger", on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=64, help_text="The `sub` that was asked for.")
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    found = models.BooleanField(help_text="False: not a member of the client's brand.")
    attributes = models.JSONField(default=list, help_text="Names of the attributes returned.")
    client_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"attribute lookup {self.subject} by {self.messenger_id}"


class AuthEvent(models.Model):
    """One step of a customer's way into a verified chat, for the reports (append-only).

    Written by the messaging services in the same transaction as their own audit row (one
    INSERT), and by the widget glue's beacons (``event_beacon_record``) for what only the
    browser sees: the Chat click and the platform's verdict. Never updated; deleted only by
    ``purge_events``. Holds no token, code or secret: a ``jti`` and hashes at most. The
    ``reports`` app reads it and nothing else writes it (docs/decisions/reports-events.md).
    """

    class Kind(models.TextChoices):
        CHAT_OPENED = "chat_opened", "Chat opened (click)"
        TOKEN_ISSUED = "token_issued", "Token issued"
        AUTH_CODE_ISSUED = "auth_code_issued", "Auth code issued"
        CODE_EXCHANGED = "code_exchanged", "Code exchanged"
        REFRESH_USED = "refresh_used", "Refresh token used"
        PLATFORM_VERIFIED = "platform_verified", "Platform verified"
        PLATFORM_REJECTED = "platform_rejected", "Platform rejected"
        UNVERIFIED_FALLBACK = "unverified_fallback", "Unverified fallback"
        ATTRIBUTES_LOOKED_UP = "attributes_looked_up", "Attributes looked up"
        THROTTLED = "throttled", "Throttled"
        CLIENT_AUTH_FAILED = "client_auth_failed", "OIDC client authentication failed"
        TOKEN_REFUSED = "token_refused", "Token refused before signing"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    occurred_at = models.DateTimeField(help_text="Server time of the event (UTC).")
    # No single-column indexes: the composite indexes below lead with brand and messenger.
    # No database-level foreign keys: see TokenIssue.customer.
    brand = models.ForeignKey(
        "brands.Brand",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    messenger = models.ForeignKey(
        "brands.Messenger",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    customer = models.ForeignKey(
        "accounts.Customer",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_constraint=False,
    )
    session_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the portal session key it belongs to."
    )
    reason = models.CharField(
        max_length=40,
        blank=True,
        help_text="Rejections: the verifier's reason; lookups: not_a_member; throttles: scope; "
        "client authentication failures: the endpoint (token, attributes); token refusals: "
        "the API's error code (step_up_required, not_a_member, ...).",
    )
    jti = models.CharField(max_length=64, blank=True, help_text="Issued tokens: their jti.")
    gap_ms = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Platform verified: milliseconds since the Chat click it answers (first "
        "verification of that click only).",
    )
    client_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        # The report's grouped reads are index-only scans on PostgreSQL: each index leads with
        # what a report filters on and carries what it groups by (docs/benchmarks.md).
        indexes = [
            models.Index(
                fields=["occurred_at"],
                include=["kind", "reason", "gap_ms"],
                name="authevent_time",
            ),
            models.Index(
                fields=["brand", "occurred_at"],
                include=["kind", "reason", "gap_ms"],
                name="authevent_brand_time",
            ),
            models.Index(
                fields=["messenger", "occurred_at"],
                include=["kind", "reason", "gap_ms"],
                name="authevent_msgr_time",
            ),
            models.Index(
                fields=["kind", "reason", "occurred_at"],
                include=["client_address", "customer"],
                name="authevent_kind_time",
            ),
            models.Index(
                fields=["session_hash", "messenger", "kind", "occurred_at"],
                name="authevent_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"
