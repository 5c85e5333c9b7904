"""The widget's beacons: authenticated, session-bound, rate-limited, unable to forge events."""

import time_machine
from django.test import Client

from messaging.events import session_hash
from messaging.models import AuthEvent
from tests import factories
from tests.conftest import login_verified

URL = "/api/v1/messaging/events"


def _beacon(client, **body):
    return client.post(URL, body, content_type="application/json")


def test_a_beacon_records_the_click_for_the_callers_own_session(
    verified_client, customer, messenger
):
    response = _beacon(verified_client, kind="chat_opened", messenger=messenger.slug)
    assert response.status_code == 204
    event = AuthEvent.objects.get()
    assert (event.kind, event.customer, event.messenger, event.brand_id) == (
        "chat_opened",
        customer,
        messenger,
        messenger.brand_id,
    )
    assert event.session_hash == session_hash(verified_client.session.session_key)


def test_a_beacon_cannot_name_another_customer_or_session(
    verified_client, customer, messenger, tier, brand
):
    # given another customer of the same brand with their own session
    victim = factories.CustomerFactory(tier=tier)
    factories.MembershipFactory(customer=victim, brand=brand)
    victim_client = login_verified(
        Client(), victim.user, factories.TOTPDeviceFactory(user=victim.user)
    )
    # when the attacker names the victim and the victim's session in the body
    response = _beacon(
        verified_client,
        kind="platform_rejected",
        messenger=messenger.slug,
        reason="bad_signature",
        customer=victim.pk,
        customer_id=victim.customer_id,
        session=victim_client.session.session_key,
        session_hash=session_hash(victim_client.session.session_key),
    )
    # then the event is the attacker's own, in the attacker's session
    assert response.status_code == 204
    event = AuthEvent.objects.get()
    assert event.customer == customer
    assert event.session_hash == session_hash(verified_client.session.session_key)
    assert not AuthEvent.objects.filter(customer=victim).exists()


def test_a_verification_gets_no_gap_from_another_sessions_click(
    verified_client, customer, totp_device, messenger
):
    # the same customer, a second browser (another session) clicked Chat
    other_session = login_verified(Client(), customer.user, totp_device)
    _beacon(other_session, kind="chat_opened", messenger=messenger.slug)
    _beacon(verified_client, kind="platform_verified", messenger=messenger.slug)
    verified = AuthEvent.objects.get(kind="platform_verified")
    assert verified.gap_ms is None  # not a verified attempt: no click in this session


def test_click_to_verified_time_is_measured_on_the_server(verified_client, messenger):
    with time_machine.travel("2026-11-25 12:00:00Z", tick=False) as clock:
        _beacon(verified_client, kind="chat_opened", messenger=messenger.slug)
        clock.shift(2.5)
        _beacon(verified_client, kind="platform_verified", messenger=messenger.slug)
        clock.shift(60)
        _beacon(verified_client, kind="platform_verified", messenger=messenger.slug)
    gaps = list(
        AuthEvent.objects.filter(kind="platform_verified")
        .order_by("pk")
        .values_list("gap_ms", flat=True)
    )
    assert gaps == [2500, None]  # the second one re-verifies an answered click


def test_only_a_messenger_of_the_customers_brands_is_accepted(verified_client, other_messenger):
    response = _beacon(verified_client, kind="chat_opened", messenger=other_messenger.slug)
    assert response.status_code == 403 and response.json()["error"] == "not_a_member"
    assert not AuthEvent.objects.exists()


def test_server_side_kinds_and_bad_reasons_are_refused(verified_client, messenger):
    for body in (
        {"kind": "token_issued", "messenger": messenger.slug},
        {"kind": "platform_rejected", "messenger": messenger.slug},
        {"kind": "platform_rejected", "messenger": messenger.slug, "reason": "<script>"},
    ):
        response = _beacon(verified_client, **body)
        assert response.status_code == 400, body
        assert response.json()["error"] in {"invalid_request", "invalid_beacon"}
    assert not AuthEvent.objects.exists()


def test_beacons_need_a_session_a_second_factor_and_csrf(
    customer, totp_device, password_only_client, messenger
):
    assert _beacon(Client(), kind="chat_opened", messenger=messenger.slug).status_code == 401
    response = _beacon(password_only_client, kind="chat_opened", messenger=messenger.slug)
    assert response.status_code == 403 and response.json()["error"] == "mfa_required"
    strict = login_verified(Client(enforce_csrf_checks=True), customer.user, totp_device)
    response = _beacon(strict, kind="chat_opened", messenger=messenger.slug)
    assert response.status_code == 403 and response.json()["error"] == "csrf_failed"
    assert not AuthEvent.objects.exists()


def test_beacons_are_rate_limited_per_session(verified_client, messenger, settings):
    settings.MESSAGING_BEACON_RATE_PER_SESSION = "3/min"
    codes = [
        _beacon(verified_client, kind="chat_opened", messenger=messenger.slug).status_code
        for _ in range(5)
    ]
    assert codes == [204, 204, 204, 429, 429]
    assert AuthEvent.objects.filter(kind="chat_opened").count() == 3
