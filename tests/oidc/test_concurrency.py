"""Concurrent redemptions on PostgreSQL: the row lock lets exactly one win (RFC 6749 4.1.2:
a code is used once; RFC 9700 4.14.2: a refresh token is used once), and the losers are
treated as the reuse they are."""

import threading

import pytest
from django.db import connection, connections

from messaging.models import OidcGrant
from tests.conftest import GENESYS_REDIRECT
from tests.oidc.relying_party import code_flow, query_of, sign_in, token_post

pytestmark = pytest.mark.django_db(transaction=True)


def _race(rp, form: dict, n: int = 4) -> list[tuple[int, str]]:
    barrier = threading.Barrier(n)
    outcomes: list[tuple[int, str]] = []

    def redeem():
        try:
            barrier.wait()
            response = token_post(rp, form)
            outcomes.append((response.status_code, response.json().get("error", "")))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


def test_4_1_2_one_code_redeemed_four_times_at_once_is_granted_once(rp, browser):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (DATABASE_URL=postgres://...)")
    _session, answer, remembered = sign_in(rp, browser)
    form = {
        "grant_type": "authorization_code",
        "code": query_of(answer["Location"])["code"],
        "redirect_uri": GENESYS_REDIRECT,
        "code_verifier": remembered["code_verifier"],
    }
    outcomes = _race(rp, form)
    assert outcomes == [(200, "")] + [(400, "invalid_grant")] * 3
    assert OidcGrant.objects.get().revoked_reason == "code_reused"


def test_rfc9700_one_refresh_token_used_four_times_at_once_rotates_once(rp, browser):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (DATABASE_URL=postgres://...)")
    _session, token, _remembered = code_flow(rp, browser)
    form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    outcomes = _race(rp, form)
    assert outcomes == [(200, "")] + [(400, "invalid_grant")] * 3
    assert OidcGrant.objects.get().revoked_reason == "refresh_reused"
