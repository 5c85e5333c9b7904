"""Long reports read whole closed days from daily rollups and give the events' own figures."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brands import services as brand_services
from reports import daily, services, tally
from reports.models import RolledDay
from reports.selectors import Scope, report_figures
from tests.reports.conftest import NOW, chat

pytestmark = pytest.mark.django_db
DAY = 24 * 60  # minutes
GAP_KEYS = ("gap_ms", "gap_precision", "gap_breaches")


@pytest.fixture
def history(add_event, brand, messenger, other_messenger):
    """Sixty days of chats, rejections, signals and bursts, today and the edges included."""
    second = brand_services.messenger_create(brand=brand, slug="acme-app", platform="generic")
    for day in range(0, 60, 3):
        for i, gap in enumerate((300 + day * 37, 1500 + day * 11, 5000, 5001, 7321 + day)):
            chat(add_event, gap, minutes_ago=day * DAY + i * 7 + 1)
        chat(add_event, 2222 + day, minutes_ago=day * DAY + 90, messenger=other_messenger)
        add_event("platform_rejected", day * DAY + 5, reason="expired")
        add_event("token_issued", day * DAY + 6)
    add_event("platform_rejected", 10 * DAY + 30, reason="replayed")
    add_event("platform_rejected", 40 * DAY + 30, reason="replayed")
    add_event("attributes_looked_up", 20 * DAY, reason="not_a_member", customer=None)
    # One address: three rejections on each of two messengers of one brand within one hour:
    # a burst of six for the brand and for all brands, for neither messenger alone.
    for i in range(3):
        for m in (messenger, second):
            add_event(
                "platform_rejected",
                30 * DAY + 10 + i,
                messenger=m,
                reason="bad_signature",
                client_address="10.9.9.9",
                customer=None,
            )
    return second


def _scope(**kw):
    # 59.5 days: starts mid-day, so both ends are partial days read from the events.
    return Scope(since=NOW - timedelta(days=59, hours=12), until=NOW, **kw)


def _roll():
    call_command("rollup_events", "--no-progress", stdout=io.StringIO())


def _figures(settings, scope, *, rolled: bool) -> dict:
    settings.REPORTS_ROLLUP_AFTER_DAYS = 31 if rolled else 100000
    if rolled:
        _roll()
    return report_figures(scope).as_dict()


@pytest.mark.parametrize("owner", ["all", "brand", "messenger", "second", "other"])
def test_rolled_up_days_give_the_same_figures_as_the_events(
    settings, history, owner, brand, messenger, other_messenger
):
    kw = {
        "all": {},
        "brand": {"brand": brand},
        "messenger": {"messenger": messenger},
        "second": {"messenger": history},
        "other": {"messenger": other_messenger},
    }[owner]
    exact = _figures(settings, _scope(**kw), rolled=False)
    rolled = _figures(settings, _scope(**kw), rolled=True)
    assert RolledDay.objects.count() >= 57
    assert rolled["gap_precision"] == "1%" and exact["gap_precision"] == "exact"
    assert {k: v for k, v in rolled.items() if k not in GAP_KEYS} == {
        k: v for k, v in exact.items() if k not in GAP_KEYS
    }
    assert rolled["gap_breaches"] == exact["gap_breaches"]  # the target is an exact edge
    for name, value in exact["gap_ms"].items():
        assert value <= rolled["gap_ms"][name] <= value * 1.01 + 1, name
    series_exact = report_figures(_scope(**kw)).series  # still rolled: settings as last set
    settings.REPORTS_ROLLUP_AFTER_DAYS = 100000
    assert report_figures(_scope(**kw)).series == series_exact


def test_the_burst_across_two_messengers_counts_for_the_brand_only(settings, history, brand):
    settings.REPORTS_ROLLUP_AFTER_DAYS = 31
    _roll()
    burst = {}
    for name, kw in (("all", {}), ("brand", {"brand": brand}), ("app", {"messenger": history})):
        signals = report_figures(_scope(**kw)).as_dict()["fraud_signals"]
        burst[name] = next(s["count"] for s in signals if s["kind"] == "rejected_burst_address")
    assert burst == {"all": 6, "brand": 6, "app": 0}


def test_a_back_dated_event_drops_its_days_rollup(settings, history, add_event):
    settings.REPORTS_ROLLUP_AFTER_DAYS = 31
    _roll()
    before = report_figures(_scope()).attempts
    day = (NOW - timedelta(days=20)).date()
    assert RolledDay.objects.filter(day=day).exists()
    add_event("chat_opened", 20 * DAY)
    assert not RolledDay.objects.filter(day=day).exists()
    assert report_figures(_scope()).attempts == before + 1


def test_purge_and_generate_drop_the_rollups_of_the_days_they_touch(settings, history, capsys):
    settings.REPORTS_ROLLUP_AFTER_DAYS = 31
    _roll()
    call_command("purge_events", "--older-than", "400d", "--no-progress")
    assert RolledDay.objects.count() >= 57  # nothing that old: the rollups stand
    cutoff_days = (services.timezone.now() - (NOW - timedelta(days=30))).days
    call_command("purge_events", "--older-than", f"{cutoff_days}d", "--no-progress")
    oldest = RolledDay.objects.order_by("day").first()
    assert oldest.day >= (NOW - timedelta(days=30)).date()
    call_command("generate_events", "--count", "50", "--days", "2", "--no-progress")
    assert not RolledDay.objects.filter(
        day__gte=(services.timezone.now() - timedelta(days=2)).date()
    ).exists()


def test_a_new_target_rebuilds_the_rollups_with_it_as_an_edge(settings, history):
    settings.REPORTS_ROLLUP_AFTER_DAYS = 31
    _roll()
    settings.REPORTS_GAP_TARGET_MS = 7000
    exact_breaches = _figures(settings, _scope(), rolled=False)["gap_breaches"]
    assert _figures(settings, _scope(), rolled=True)["gap_breaches"] == exact_breaches
    assert set(RolledDay.objects.values_list("gap_anchor_ms", flat=True)) == {7000}


def test_short_periods_and_todays_events_are_read_exactly(settings, history, add_event):
    settings.REPORTS_ROLLUP_AFTER_DAYS = 31
    thirty = Scope(since=NOW - timedelta(days=30), until=NOW)
    assert report_figures(thirty).gap_precision == "exact"
    assert daily.rollup_days(thirty) is None
    first, last = daily.rollup_days(_scope())
    assert first == (NOW - timedelta(days=59)).date()
    assert last <= tally.closed_until()


@pytest.mark.parametrize("value", [1, 99, 100, 101, 999, 4950, 4999, 5000, 5001, 60000, 599999])
def test_a_gap_bucket_edge_is_at_most_one_percent_above_the_gap(value):
    edge = services.gap_bucket(value, 5000)
    assert value <= edge <= value * 1.01 + 1
    if value <= 100:
        assert edge == value
    assert (edge > 5000) == (value > 5000)


def test_rollup_events_rolls_every_closed_day_once(history, capsys):
    call_command("rollup_events", "--no-progress")
    out = capsys.readouterr().out
    assert out.startswith("Rolled up ") and "(0 were current)" in out
    call_command("rollup_events", "--no-progress")
    assert "Rolled up 0 of" in capsys.readouterr().out
    call_command("rollup_events", "--rebuild", "--no-progress")
    assert "(0 were current)" in capsys.readouterr().out


def test_rollup_events_without_events_and_with_a_bad_date(db, capsys):
    call_command("rollup_events", "--no-progress")
    assert "Nothing to roll up" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not an ISO 8601 date") as exc:
        call_command("rollup_events", "--since", "yesterday")
    assert exc.value.returncode == 2


def test_the_page_says_when_percentiles_come_from_rollups(staff_client, history):
    _roll()
    long = staff_client.get(
        "/admin/reports/", {"period": "custom", "since": "2026-09-01", "until": "2026-11-24"}
    )
    assert long.status_code == 200
    assert "within 1 % above the exact value" in long.content.decode()
    short = staff_client.get("/admin/reports/", {"period": "7d"})
    assert "within 1 % above" not in short.content.decode()


def _writes(queries) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


def test_reading_a_long_report_writes_nothing_and_reads_missing_days_from_the_events(
    settings, history, staff_client
):
    # given half the days rolled up and the others not (a new day, a dropped rollup)
    settings.REPORTS_ROLLUP_AFTER_DAYS = 31
    exact = _figures(settings, _scope(), rolled=False)
    _roll()
    RolledDay.objects.filter(day__gte=(NOW - timedelta(days=30)).date()).delete()
    rolled_before = RolledDay.objects.count()
    # when the page, its CSV, the JSON of the command and the metrics are read
    settings.REPORTS_METRICS_TOKEN = "t" * 32
    long = {"period": "custom", "since": "2026-09-26", "until": "2026-11-25"}
    with CaptureQueriesContext(connection) as queries:
        figures = report_figures(_scope()).as_dict()
        assert staff_client.get("/admin/reports/", long).status_code == 200
        assert staff_client.get("/admin/reports/", {**long, "format": "csv"}).status_code == 200
        call_command("report", "--since", "2026-09-26", "--json", stdout=io.StringIO())
        metrics = staff_client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "t" * 32)
        assert metrics.status_code == 200
    # then nothing was written, no rollup was built, and the figures are the events' own
    assert _writes(queries.captured_queries) == []
    assert RolledDay.objects.count() == rolled_before
    assert {k: v for k, v in figures.items() if k not in GAP_KEYS} == {
        k: v for k, v in exact.items() if k not in GAP_KEYS
    }
