"""Daily rollups of ``messaging.AuthEvent``: derived data that ``reports`` owns and rebuilds.

Reports over long periods read one row per day, brand, messenger and figure instead of every
event (docs/decisions/reports-rollups.md). A day is summarised only once it is closed
(``reports.rollups``), and every rollup row hangs off its ``RolledDay``: deleting that one row
drops the day's summary, and the next report that needs the day rebuilds it from the events.
The events stay the source of truth; nothing here is ever shown without them existing.
"""

from django.db import models


class RolledDay(models.Model):
    """A closed UTC day whose events are summarised below, and the settings it used."""

    day = models.DateField(primary_key=True)
    gap_anchor_ms = models.PositiveIntegerField(
        help_text="Click-to-verified target at rollup time: an exact edge of the gap buckets."
    )
    burst_threshold = models.PositiveIntegerField(
        help_text="Rejections per address or customer in one hour that made a burst."
    )
    rolled_at = models.DateTimeField()

    class Meta:
        ordering = ["day"]
        # The report pages list customer ids, client addresses and token ids: staff see them
        # only with this permission (a superuser has every permission).
        permissions = [("view_report", "Can view the authentication reports and their events")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"


class _DayRow(models.Model):
    day = models.ForeignKey(RolledDay, on_delete=models.CASCADE, related_name="+")
    brand = models.ForeignKey(
        "brands.Brand",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    messenger = models.ForeignKey(
        "brands.Messenger",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    n = models.PositiveBigIntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day_id:%Y-%m-%d}: {self.n}"


class DayCount(_DayRow):
    """Events of one day, brand and messenger by kind and reason."""

    kind = models.CharField(max_length=24)
    reason = models.CharField(
        max_length=64,
        blank=True,
        help_text="The event's reason; for kind attempt_outcome, how the attempts ended "
        "(reports.outcomes: verified, step_up_required, rejected:<code>, abandoned, ...).",
    )
    gaps = models.PositiveBigIntegerField(
        help_text="How many of them carry a click-to-verified time (verified attempts)."
    )

    class Meta:
        indexes = [models.Index(fields=["day", "kind"], name="daycount_day")]


class DayGap(_DayRow):
    """Verified attempts of one day, brand and messenger per click-to-verified bucket."""

    gap_ms = models.PositiveIntegerField(
        help_text="The bucket's upper edge: within 1 % above every gap it counts."
    )

    class Meta:
        indexes = [models.Index(fields=["day"], include=["gap_ms", "n"], name="daygap_day")]


class DaySignal(_DayRow):
    """One fraud signal of one day, at the level a report filters on.

    ``level`` says which filter the row answers: ``pair`` rows (one brand and messenger) add
    up for any filter; burst rows are computed per level, because a burst from one address
    across two messengers is a burst for the brand but for neither messenger.
    """

    class Level(models.TextChoices):
        PAIR = "pair", "Brand and messenger (additive)"
        ALL = "all", "All brands"
        BRAND = "brand", "One brand"
        MESSENGER = "messenger", "One messenger"

    level = models.CharField(max_length=10, choices=Level.choices)
    signal = models.CharField(max_length=32)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["day", "level"], name="daysignal_day")]


class ImportedConversation(models.Model):
    """One conversation from a platform's export (or the sandbox's), for the ROI figures.

    Imported by ``manage.py import_conversations`` (``reports.conversations``), which joins it
    to the portal's events once, on import: ``verified`` says whether the customer chatted as
    a verified customer. The report reads these rows only (average handle time, verified vs
    not). Re-importing the same conversation (brand, source, conversation id) replaces it.
    """

    brand = models.ForeignKey("brands.Brand", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(
        max_length=12,
        help_text="The export's format: a platform with a conversation export "
        "(platforms/<name>/export.py) or generic (the sandbox's CSV).",
    )
    conversation_id = models.CharField(max_length=255, help_text="The platform's own id.")
    jti = models.CharField(max_length=64, blank=True, help_text="The token it was verified with.")
    subject = models.CharField(max_length=255, blank=True, help_text="The customer id (sub).")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    handle_seconds = models.PositiveIntegerField(help_text="Agent handle time, in seconds.")
    verified = models.BooleanField(
        help_text="On import: its jti is a token the portal signed for this brand, or its "
        "customer was verified by the platform for this brand between 10 minutes before its "
        "start and its end."
    )
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "source", "conversation_id"], name="importedconversation_once"
            )
        ]
        indexes = [models.Index(fields=["brand", "started_at"], name="importedconv_brand_time")]

    def __str__(self) -> str:
        return f"{self.source}:{self.conversation_id}"
