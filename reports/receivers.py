"""Keeping the daily rollups true to the events they summarise (``reports.services``)."""

from django.utils import timezone

from reports import services, tally


def event_saved(sender, instance, created, **kwargs):
    """An event recorded for a day that may already be rolled up drops that day's rollup.

    ``event_record`` stamps events with the time of recording, so on the live path this is
    one comparison and no query; only back-dated events (tests, imports) reach the delete.
    """
    if instance.occurred_at < timezone.now() - tally.rollup_settle():
        services.days_forget(instance.occurred_at, instance.occurred_at)


def events_rewritten(sender, since=None, until=None, **kwargs):
    services.days_forget(since, until)
