"""``report``, ``purge_events`` and ``generate_events`` from the command line."""

import io
import json
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from messaging.models import AuthEvent
from tests.reports.conftest import chat

pytestmark = pytest.mark.django_db


def _report(*args) -> dict:
    out = io.StringIO()
    call_command("report", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_report_json_has_the_documented_keys_and_zeros_for_an_empty_period(brand):
    data = _report("--brand", brand.slug)
    for key in ("attempts", "verified", "success_rate", "rejected", "tokens_issued"):
        assert key in data
    assert data["attempts"] == 0 and data["success_rate"] == 0.0
    assert data["gap_ms"] == {"p50": 0, "p95": 0, "p99": 0}
    assert all(
        {"kind", "count", "first_seen", "last_seen"} <= set(s) for s in data["fraud_signals"]
    )


def test_report_json_counts_a_hand_made_set(add_event, messenger):
    chat(add_event, 800)
    chat(add_event, 2600)
    add_event("platform_rejected", reason="bad_signature")
    AuthEvent.objects.update(occurred_at=timezone.now() - timedelta(minutes=5))
    data = _report("--messenger", messenger.slug)
    assert (data["attempts"], data["verified"], data["success_rate"]) == (2, 2, 1.0)
    assert data["rejected"] == {"bad_signature": 1}
    assert data["gap_ms"] == {"p50": 800, "p95": 2600, "p99": 2600}


def test_report_text_output_names_the_figures(brand):
    out = io.StringIO()
    call_command("report", "--since", "2026-01-01", "--until", "2026-01-31", stdout=out)
    text = out.getvalue()
    assert "chat attempts         0" in text
    assert "success rate          - (no attempt)" in text
    assert "click-to-verified     - (no verified conversation)" in text


def test_report_text_output_gives_rate_and_times_when_there_were_chats(add_event, messenger):
    chat(add_event, 800)
    add_event("chat_opened")
    AuthEvent.objects.update(occurred_at=timezone.now() - timedelta(minutes=5))
    out = io.StringIO()
    call_command("report", "--messenger", messenger.slug, stdout=out)
    text = out.getvalue()
    assert "success rate          50.0 %" in text
    assert "p50 800 ms, p95 800 ms, p99 800 ms (1 samples, 0 over 5 s)" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--brand", "nope"], "Unknown brand"),
        (["--messenger", "nope"], "Unknown messenger"),
        (["--since", "2026-11-30", "--until", "2026-11-01"], "inverted"),
        (["--since", "last tuesday"], "not an ISO 8601"),
        (["--until", "2026-13-45"], "not an ISO 8601"),
    ],
)
def test_report_exits_2_on_bad_input(args, message, messenger):
    with pytest.raises(CommandError, match=message) as caught:
        call_command("report", *args, stdout=io.StringIO())
    assert caught.value.returncode == 2


def test_report_refuses_a_messenger_of_another_brand(brand, other_messenger):
    with pytest.raises(CommandError) as caught:
        call_command("report", "--brand", brand.slug, "--messenger", other_messenger.slug)
    assert caught.value.returncode == 2


def test_purge_deletes_only_older_events_in_batches(add_event, capsys):
    now = timezone.now()
    for days in (1, 399, 401, 500, 800):
        event = add_event("chat_opened")
        AuthEvent.objects.filter(pk=event.pk).update(occurred_at=now - timedelta(days=days))
    out = io.StringIO()
    call_command("purge_events", "--older-than", "400d", "--batch", "2", stdout=out)
    assert "Deleted 3 events" in out.getvalue()
    assert AuthEvent.objects.count() == 2
    assert "purging [" in capsys.readouterr().err  # the progress bar


@pytest.mark.parametrize("age", ["400", "0d", "forty days", "-3d"])
def test_purge_exits_2_on_a_bad_age(age):
    with pytest.raises(CommandError) as caught:
        call_command("purge_events", f"--older-than={age}")
    assert caught.value.returncode == 2


def test_generate_makes_about_count_events_of_a_realistic_mix(customer, messenger, capsys):
    call_command("generate_events", "--count", "3000", "--days", "30", stdout=io.StringIO())
    assert AuthEvent.objects.count() == 3000
    kinds = set(AuthEvent.objects.values_list("kind", flat=True))
    assert {"chat_opened", "token_issued", "platform_verified", "platform_rejected"} <= kinds
    assert "generating [" in capsys.readouterr().err
    # Spread evenly over the 30 days: no day holds more than a few times its share.
    per_day = Counter(AuthEvent.objects.values_list("occurred_at__date", flat=True))
    assert len(per_day) >= 29 and max(per_day.values()) < 3 * 3000 / 30
    data = _report("--since", (timezone.now() - timedelta(days=31)).date().isoformat())
    assert 0.9 < data["success_rate"] <= 1.0
    assert 1000 < data["gap_ms"]["p50"] < 2500


def test_generate_exits_2_without_messengers(db):
    with pytest.raises(CommandError) as caught:
        call_command("generate_events", "--count", "10")
    assert caught.value.returncode == 2


def test_generate_top_up_adds_only_the_uncovered_time_so_demo_runs_do_not_double_events(
    customer, messenger
):
    args = ("generate_events", "--count", "3000", "--days", "30", "--top-up", "--no-progress")
    call_command(*args, stdout=io.StringIO())
    assert AuthEvent.objects.count() == 3000  # an empty database gets the whole period
    call_command(*args, stdout=io.StringIO())  # again at once: the last hour at most
    assert 3000 <= AuthEvent.objects.count() <= 3000 + 3000 / 30 / 24
    # a week later: the week since the newest event is filled at the same rate
    AuthEvent.objects.update(occurred_at=F("occurred_at") - timedelta(days=7))
    newest = AuthEvent.objects.latest("occurred_at").occurred_at
    last_pk = AuthEvent.objects.latest("pk").pk
    call_command(*args, stdout=io.StringIO())
    added = AuthEvent.objects.filter(pk__gt=last_pk)
    assert 600 < added.count() < 800  # 7/30 of 3000 is 700
    assert not added.filter(occurred_at__lt=newest).exists()  # none in the covered days
    per_day = Counter(added.values_list("occurred_at__date", flat=True))
    assert len(per_day) >= 7
