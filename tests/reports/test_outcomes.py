"""Every chat attempt ends verified or with the reason it did not, through real requests.

The attempts are made as the chat glue makes them (messaging/static/messaging/chat.js): a
``chat_opened`` beacon on the click, then the token API, then the platform's verdict beacon.
"""

import csv
import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Membership
from messaging.models import AuthEvent

pytestmark = pytest.mark.django_db
BEACON, TOKEN = "/api/v1/messaging/events", "/api/v1/messaging/token"


def _post(client, url, **body):
    return client.post(url, body, content_type="application/json")


def _click(client, messenger):
    assert _post(client, BEACON, kind="chat_opened", messenger=messenger.slug).status_code == 204


def _token(client, messenger):
    return _post(client, TOKEN, messenger=messenger.slug)


def _report_json(**options) -> dict:
    out = io.StringIO()
    args = [f"--{k}={v}" for k, v in options.items()]
    call_command("report", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_a_chat_that_needs_step_up_is_explained_as_step_up_required(verified_client, messenger):
    # given a chat that needs a passkey, and a customer who logged in with a TOTP code
    messenger.min_acr = "urn:portal:acr:passkey"
    messenger.save()
    # when the customer clicks Chat and the glue asks for a token
    _click(verified_client, messenger)
    assert _token(verified_client, messenger).json()["error"] == "step_up_required"
    # then the report explains the attempt
    data = _report_json(messenger=messenger.slug)
    assert (data["attempts"], data["verified"]) == (1, 0)
    assert data["not_verified"] == {"step_up_required": 1}


def test_a_customer_whose_membership_ended_after_the_click_is_not_a_member(
    verified_client, customer, messenger
):
    _click(verified_client, messenger)
    Membership.objects.filter(customer=customer).delete()
    assert _token(verified_client, messenger).json()["error"] == "not_a_member"
    assert _report_json(messenger=messenger.slug)["not_verified"] == {"not_a_member": 1}


def test_a_throttled_token_request_writes_nothing_and_the_chats_beacon_counts_it(
    verified_client, messenger, settings
):
    # given a customer allowed one token a minute
    settings.MESSAGING_TOKEN_RATE_PER_CUSTOMER = "1/min"
    _click(verified_client, messenger)
    assert _token(verified_client, messenger).status_code == 200
    assert _post(verified_client, BEACON, kind="platform_verified", messenger=messenger.slug)
    # when the customer clicks again and the token API refuses (429)
    _click(verified_client, messenger)
    before = AuthEvent.objects.count()
    assert _token(verified_client, messenger).status_code == 429
    assert AuthEvent.objects.count() == before  # the 429 itself wrote nothing
    # the chat glue reports it; the reason is the server's, whatever the browser sends
    _post(verified_client, BEACON, kind="throttled", messenger=messenger.slug, reason="x")
    # then one attempt verified, one throttled
    data = _report_json(messenger=messenger.slug)
    assert (data["attempts"], data["verified"], data["success_rate"]) == (2, 1, 0.5)
    assert data["not_verified"] == {"throttled": 1}
    assert AuthEvent.objects.get(kind="throttled").reason == "token-beacon"


def test_a_platform_rejection_then_a_verified_retry_is_one_verified_attempt(
    verified_client, messenger
):
    # the glue's automatic retry: rejected, a fresh token, verified
    _click(verified_client, messenger)
    _token(verified_client, messenger)
    _post(
        verified_client,
        BEACON,
        kind="platform_rejected",
        messenger=messenger.slug,
        reason="expired",
    )
    _token(verified_client, messenger)
    _post(verified_client, BEACON, kind="platform_verified", messenger=messenger.slug)
    # and a second attempt rejected for good
    _click(verified_client, messenger)
    _token(verified_client, messenger)
    _post(
        verified_client,
        BEACON,
        kind="platform_rejected",
        messenger=messenger.slug,
        reason="bad_signature",
    )
    data = _report_json(messenger=messenger.slug)
    assert (data["attempts"], data["verified"]) == (2, 1)
    assert data["not_verified"] == {"rejected:bad_signature": 1}
    assert data["rejected"] == {"bad_signature": 1, "expired": 1}  # every rejection event


def test_a_click_never_verified_is_pending_then_abandoned_after_ten_minutes(
    verified_client, messenger
):
    _click(verified_client, messenger)
    _token(verified_client, messenger)
    assert _report_json(messenger=messenger.slug)["not_verified"] == {"pending": 1}
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert _report_json(messenger=messenger.slug)["not_verified"] == {"abandoned": 1}


def test_a_token_asked_of_an_auth_code_messenger_is_explained(verified_client, genesys_client):
    messenger, _secret = genesys_client
    _click(verified_client, messenger)
    assert _token(verified_client, messenger).json()["error"] == "use_auth_code"
    assert _report_json(messenger=messenger.slug)["not_verified"] == {"use_auth_code": 1}


def test_refusals_before_the_throttles_or_without_a_session_write_nothing(
    password_only_client, client, messenger
):
    # a session without its second factor, and no session at all: 403 before the throttles
    assert _token(password_only_client, messenger).status_code in (401, 403)
    assert _token(client, messenger).status_code in (401, 403)
    assert not AuthEvent.objects.exists()


def test_the_page_csv_json_and_metrics_add_up(verified_client, staff_client, messenger, settings):
    # given four attempts: verified, step-up, throttled, abandoned
    settings.MESSAGING_TOKEN_RATE_PER_CUSTOMER = "2/min"
    settings.REPORTS_METRICS_TOKEN = "m" * 32
    _click(verified_client, messenger)
    _token(verified_client, messenger)
    _post(verified_client, BEACON, kind="platform_verified", messenger=messenger.slug)
    _click(verified_client, messenger)
    _token(verified_client, messenger)  # never verified
    _click(verified_client, messenger)
    assert _token(verified_client, messenger).status_code == 429
    _post(verified_client, BEACON, kind="throttled", messenger=messenger.slug)
    messenger.min_acr = "urn:portal:acr:passkey"
    messenger.save()
    _click(verified_client, messenger)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert _token(verified_client, messenger).json()["error"] == "step_up_required"
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        # then the JSON adds up
        data = _report_json(messenger=messenger.slug)
        expected = {"abandoned": 1, "step_up_required": 1, "throttled": 1}
        assert data["not_verified"] == expected
        assert data["attempts"] == data["verified"] + sum(data["not_verified"].values()) == 4
        assert data["success_rate"] == 0.25
        # the page: the tiles and the outcome table
        page = staff_client.get("/admin/reports/", {"period": "today"}).content.decode()
        assert 'id="tile-success"><span class="value">25&nbsp;%<' in page
        assert 'id="outcomes-total">4<' in page
        for label in ("Step-up required", "Throttled", "Abandoned"):
            assert label in page
        # the CSV
        rows = list(
            csv.reader(
                io.StringIO(
                    staff_client.get(
                        "/admin/reports/", {"period": "today", "format": "csv"}
                    ).content.decode()
                )
            )
        )
        assert {r[1]: int(r[2]) for r in rows if r[0] == "not_verified"} == expected
        # Prometheus: attempts clicked in the last hour by outcome
        metrics = staff_client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "m" * 32)
        text = metrics.content.decode()
    brand = messenger.brand.slug
    for outcome in ("verified", "abandoned", "step_up_required", "throttled"):
        assert f'portal_chat_attempts_last_hour{{brand="{brand}",outcome="{outcome}"}} 1' in text
