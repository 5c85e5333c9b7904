"""Which events a report covers: brand, messenger and period, from the page or the command."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.utils import timezone

from brands.models import Brand, Messenger
from reports import conf
from reports.selectors import Scope

PERIODS = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days", "custom": "Custom"}


class BadPeriod(ValueError):
    """An unparsable or inverted period (the message is shown as it is)."""


def moment_parse(text: str, *, end: bool = False) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime.

    A date alone means its start (``end=False``) or the start of the next day (``end=True``,
    so ``--until 2026-11-25`` includes the 25th). A time without offset is UTC.
    """
    text = (text or "").strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1 if end else 0), time.min)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadPeriod(f"{text!r} is not an ISO 8601 date or date-time.") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def period_bounds(period: str, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[since, until) of a named period ending now; "today" starts at 00:00 UTC."""
    now = now or timezone.now()
    if period == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0), now
    days = {"7d": 7, "30d": 30}.get(period)
    if days is None:
        raise BadPeriod(f"Unknown period {period!r}.")
    return now - timedelta(days=days), now


def period_check(since: datetime, until: datetime) -> None:
    if since >= until:
        raise BadPeriod("The period is inverted or empty: 'since' must be before 'until'.")


def period_cap(since: datetime, until: datetime) -> None:
    """A page's period is at most ``REPORTS_MAX_PERIOD_DAYS`` long.

    A report over years rebuilt a rollup per day inside one web request (68 s for ten years,
    which gunicorn's worker timeout does not stop in a gthread worker); the events are kept
    400 days anyway. The ``report`` command, run by an operator, has no cap.
    """
    limit = int(conf.get("MAX_PERIOD_DAYS"))
    if until - since > timedelta(days=limit):
        days = (until - since) / timedelta(days=1)
        raise BadPeriod(
            f"The period covers {days:.0f} days; a report page covers at most {limit} days "
            "(events are kept 400 days). Choose a shorter period, or run manage.py report."
        )


class ReportForm(forms.Form):
    """The filter of the report pages (GET). ``scope()`` once valid."""

    brand = forms.ModelChoiceField(
        queryset=Brand.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="All brands",
    )
    messenger = forms.ModelChoiceField(
        queryset=Messenger.objects.select_related("brand").order_by("slug"),
        to_field_name="slug",
        required=False,
        empty_label="All messengers",
    )
    period = forms.ChoiceField(choices=list(PERIODS.items()), initial="7d", required=False)
    since = forms.CharField(
        label="Since (custom)",
        required=False,
        max_length=40,
        help_text="Custom period: ISO 8601 date or date-time (UTC).",
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM-DD"}),
    )
    until = forms.CharField(
        label="Until (custom)",
        required=False,
        max_length=40,
        help_text="Inclusive when a date.",
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM-DD"}),
    )

    def clean(self):
        data = super().clean()
        brand, messenger = data.get("brand"), data.get("messenger")
        if brand and messenger and messenger.brand_id != brand.pk:
            self.add_error("messenger", f"{messenger.slug} is not a messenger of {brand.name}.")
        period = data.get("period") or "7d"
        data["period"] = period
        try:
            if period == "custom":
                if not data.get("since") or not data.get("until"):
                    raise BadPeriod("A custom period needs both 'since' and 'until'.")
                since = moment_parse(data["since"])
                until = moment_parse(data["until"], end=True)
            else:
                since, until = period_bounds(period)
            period_check(since, until)
            period_cap(since, until)
        except BadPeriod as exc:
            raise forms.ValidationError(str(exc), code="bad_period") from exc
        data["since_at"], data["until_at"] = since, until
        return data

    def scope(self) -> Scope:
        data = self.cleaned_data
        return Scope(
            since=data["since_at"],
            until=data["until_at"],
            brand=data.get("brand"),
            messenger=data.get("messenger"),
        )
