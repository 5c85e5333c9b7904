"""Hand-made event sets for the report tests."""

from datetime import UTC, datetime, timedelta

import pytest

from messaging.models import AuthEvent

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def add_event(messenger, customer):
    """``add_event(kind, minutes_ago=1, **fields)``: one event on ``messenger`` by ``customer``."""

    def add(kind, minutes_ago=1, **fields):
        fields.setdefault("messenger", messenger)
        fields.setdefault("customer", customer)
        fields.setdefault(
            "brand_id", fields["messenger"].brand_id if fields["messenger"] else None
        )
        return AuthEvent.objects.create(
            kind=kind, occurred_at=NOW - timedelta(minutes=minutes_ago), **fields
        )

    return add


def chat(add_event, gap_ms, minutes_ago=1, **fields):
    """A click answered by a verification ``gap_ms`` later."""
    add_event("chat_opened", minutes_ago, **fields)
    add_event("platform_verified", minutes_ago, gap_ms=gap_ms, **fields)
