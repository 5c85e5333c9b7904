"""RFC 6750 (bearer tokens) at userinfo, as a relying party sees it.

https://www.rfc-editor.org/rfc/rfc6750
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.oidc.relying_party import code_flow, http, userinfo

pytestmark = pytest.mark.django_db


def test_3_a_request_without_a_token_is_401_with_a_bearer_challenge(rp):
    response = http().get(rp.metadata["userinfo_endpoint"])
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_3_1_an_unknown_token_is_invalid_token(rp):
    response = userinfo(rp, "not-a-token")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_3_1_an_expired_access_token_is_invalid_token(rp, browser):
    _session, token, _remembered = code_flow(rp, browser)
    with time_machine.travel(timezone.now() + timedelta(seconds=token["expires_in"] + 1)):
        response = userinfo(rp, token["access_token"])
    assert response.status_code == 401


def test_2_2_the_token_may_come_in_a_form_body(rp, browser, customer):
    _session, token, _remembered = code_flow(rp, browser)
    response = http().post(
        rp.metadata["userinfo_endpoint"], data={"access_token": token["access_token"]}
    )
    assert response.status_code == 200 and response.json()["sub"] == customer.customer_id
