"""The report's figures on hand-made event sets (empty, one event, percentile edges, filters)."""

from datetime import timedelta

import pytest

from reports.selectors import Scope, percentile, report_figures
from tests.reports.conftest import NOW, chat

pytestmark = pytest.mark.django_db


def _day(**kw):
    return Scope(since=NOW - timedelta(days=1), until=NOW, **kw)


def test_an_empty_period_shows_zeros_not_an_error():
    data = report_figures(_day()).as_dict()
    assert data["attempts"] == 0 and data["verified"] == 0
    assert data["success_rate"] == 0.0
    assert data["rejected"] == {}
    assert data["tokens_issued"] == 0
    assert data["gap_ms"] == {"p50": 0, "p95": 0, "p99": 0}
    assert data["gap_samples"] == 0
    assert data["unverified_fallbacks"] == 0
    assert {s["kind"]: s["count"] for s in data["fraud_signals"]} == {
        "replayed_jti": 0,
        "wrong_audience": 0,
        "revoked_or_retired_key": 0,
        "non_member_lookup": 0,
        "attributes_auth_failed": 0,
        "token_auth_failed": 0,
        "rejected_burst_address": 0,
        "rejected_burst_customer": 0,
    }


def test_one_click_alone_is_one_attempt_and_no_success(add_event):
    add_event("chat_opened")
    data = report_figures(_day()).as_dict()
    assert (data["attempts"], data["verified"], data["success_rate"]) == (1, 0, 0.0)


def test_one_verified_chat_gives_its_gap_as_every_percentile(add_event):
    chat(add_event, 1234)
    data = report_figures(_day()).as_dict()
    assert (data["attempts"], data["verified"], data["success_rate"]) == (1, 1, 1.0)
    assert data["gap_ms"] == {"p50": 1234, "p95": 1234, "p99": 1234}


def test_percentiles_are_nearest_rank_at_the_edges(add_event):
    for gap in range(1, 101):  # 1..100 ms
        chat(add_event, gap)
    assert report_figures(_day()).gap_ms == {"p50": 50, "p95": 95, "p99": 99}


def test_percentiles_of_two_samples_and_of_twenty():
    assert [percentile({100: 1, 200: 1}, p) for p in (0.5, 0.95, 0.99)] == [100, 200, 200]
    twenty = {v: 1 for v in range(1, 21)}
    assert [percentile(twenty, p) for p in (0.5, 0.95, 0.99)] == [10, 19, 20]
    assert percentile({7: 3}, 0.99) == 7
    assert percentile({}, 0.5) == 0


def test_a_reverification_of_the_same_chat_is_not_a_second_success(add_event):
    chat(add_event, 900)
    add_event("platform_verified")  # a token refresh later in the same conversation: no gap
    data = report_figures(_day()).as_dict()
    assert (data["attempts"], data["verified"], data["success_rate"]) == (1, 1, 1.0)


def test_gaps_over_the_five_second_target_are_counted_as_breaches(add_event):
    for gap in (4000, 5000, 5001, 9000):
        chat(add_event, gap)
    data = report_figures(_day()).as_dict()
    assert data["gap_breaches"] == 2
    assert data["gap_ms"]["p99"] == 9000


def test_period_bounds_include_since_and_exclude_until(add_event):
    add_event("chat_opened", minutes_ago=24 * 60)  # exactly at since: in
    add_event("chat_opened", minutes_ago=0)  # exactly at until: out
    add_event("chat_opened", minutes_ago=24 * 60 + 1)  # before since: out
    assert report_figures(_day()).attempts == 1


def test_rejections_are_counted_by_reason_and_tokens_by_every_kind(add_event):
    add_event("platform_rejected", reason="bad_signature")
    add_event("platform_rejected", reason="bad_signature")
    add_event("platform_rejected", reason="expired")
    for kind in ("token_issued", "code_exchanged", "refresh_used", "auth_code_issued"):
        add_event(kind)
    data = report_figures(_day()).as_dict()
    assert data["rejected"] == {"bad_signature": 2, "expired": 1}
    assert data["tokens_issued"] == 3
    assert data["auth_codes_issued"] == 1


def test_brand_and_messenger_filters_keep_other_brands_out(
    add_event, brand, messenger, other_messenger
):
    chat(add_event, 1000)
    chat(add_event, 3000, messenger=other_messenger, customer=None)
    assert report_figures(_day(brand=brand)).attempts == 1
    assert report_figures(_day(brand=brand)).gap_ms["p99"] == 1000
    assert report_figures(_day(messenger=other_messenger)).gap_ms["p50"] == 3000
    assert report_figures(_day()).attempts == 2


def test_fraud_signals_count_replays_audiences_keys_and_non_member_lookups(add_event):
    add_event("platform_rejected", minutes_ago=30, reason="replayed")
    add_event("platform_rejected", minutes_ago=10, reason="replayed")
    add_event("platform_rejected", reason="wrong_audience")
    add_event("platform_rejected", reason="unknown_key")
    add_event("attributes_looked_up", reason="not_a_member", customer=None)
    add_event("attributes_looked_up")  # a member: no signal
    signals = {s["kind"]: s for s in report_figures(_day()).as_dict()["fraud_signals"]}
    assert signals["replayed_jti"]["count"] == 2
    assert signals["replayed_jti"]["first_seen"] == (
        NOW - timedelta(minutes=30)
    ).isoformat().replace("+00:00", "Z")
    assert signals["replayed_jti"]["last_seen"].startswith("2026-11-25T11:50")
    assert signals["wrong_audience"]["count"] == 1
    assert signals["revoked_or_retired_key"]["count"] == 1
    assert signals["non_member_lookup"]["count"] == 1


def test_a_burst_is_five_rejections_from_one_address_within_an_hour(add_event, settings):
    settings.REPORTS_BURST_THRESHOLD = 5
    for minute in range(1, 6):  # 5 in one hour from 10.0.0.9
        add_event(
            "platform_rejected",
            minutes_ago=minute,
            reason="bad_signature",
            client_address="10.0.0.9",
            customer=None,
        )
    for minute in range(1, 5):  # only 4 from another address
        add_event(
            "platform_rejected",
            minutes_ago=minute,
            reason="expired",
            client_address="10.0.0.7",
            customer=None,
        )
    signals = {s["kind"]: s["count"] for s in report_figures(_day()).as_dict()["fraud_signals"]}
    assert signals["rejected_burst_address"] == 5
    assert signals["rejected_burst_customer"] == 0


def test_the_series_has_a_step_for_every_day_including_empty_ones(add_event):
    chat(add_event, 1000, minutes_ago=60 * 24 * 3)
    scope = Scope(since=NOW - timedelta(days=7), until=NOW)
    series = report_figures(scope).series
    assert len(series) == 8  # 7 days that straddle 8 calendar dates
    assert sum(s[1] for s in series) == 1 and sum(s[2] for s in series) == 1
    assert next(s for s in series if s[1])[0] == (NOW - timedelta(days=3)).date()
