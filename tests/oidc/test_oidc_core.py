"""OpenID Connect Core 1.0, exercised by an independent relying party (Authlib's client).

https://openid.net/specs/openid-connect-core-1_0.html — each test names its section.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from authlib.integrations.base_client import OAuthError
from django.urls import reverse
from django.utils import timezone

from accounts.assurance import ACR_OTP, ACR_PASSKEY
from accounts.models import Membership
from tests.oidc.relying_party import code_flow, query_of, sign_in, userinfo

pytestmark = pytest.mark.django_db


def _reauthenticate(browser, answer, code="again0001"):
    """The customer proves the second factor again where the provider sent them, and the
    browser follows the way back to authorize; returns the provider's final answer."""
    assert urlsplit(answer["Location"]).path == reverse("accounts:stepup")
    back = browser.post(answer["Location"], {"code": code}, secure=True)
    assert back.status_code == 302, back.content[:300]
    return browser.get(back["Location"], secure=True)


# --- 3.1: the authorization code flow ---------------------------------------------------------


def test_3_1_code_flow_with_pkce_yields_an_id_token_the_discovered_keys_verify(
    rp, browser, customer
):
    _session, token, remembered = code_flow(rp, browser)
    # 3.1.3.3: a Bearer access token, an id_token, and the refresh token offline_access asked for
    assert token["token_type"] == "Bearer" and token["refresh_token"]
    # 3.1.3.7: signature from jwks_uri, iss = discovery issuer, aud = client_id, nonce, at_hash
    claims = rp.verify_id_token(
        token["id_token"], nonce=remembered["nonce"], access_token=token["access_token"]
    )
    assert claims["sub"] == customer.customer_id
    assert claims["at_hash"] and claims["auth_time"] <= claims["iat"]
    assert claims["email"] == customer.email  # 5.4: the email scope was granted


def test_3_1_3_7_an_id_token_does_not_verify_for_another_client_id(rp, other_rp, browser):
    _session, token, remembered = code_flow(rp, browser)
    other_rp.metadata = rp.metadata  # the same issuer, but expecting its own client_id
    with pytest.raises(Exception) as refused:
        other_rp.verify_id_token(token["id_token"], nonce=remembered["nonce"])
    assert "aud" in str(refused.value)


# --- 3.1.2.1: prompt ---------------------------------------------------------------------------


def test_3_1_2_1_prompt_none_without_a_session_is_login_required_at_the_client(rp, client):
    _session, answer, remembered = sign_in(rp, client, prompt="none")
    assert answer.status_code == 302
    query = query_of(answer["Location"])
    assert answer["Location"].startswith(rp.redirect_uri)
    assert query["error"] == "login_required" and query["state"] == remembered["state"]


def test_3_1_2_1_prompt_none_with_a_verified_session_answers_without_interaction(rp, browser):
    session, answer, remembered = sign_in(rp, browser, prompt="none")
    assert "code" in query_of(answer["Location"])
    token = rp.redeem(session, answer["Location"], remembered)
    assert rp.verify_id_token(token["id_token"], nonce=remembered["nonce"])


def test_3_1_2_1_prompt_login_makes_the_customer_authenticate_again(rp, browser):
    asked_at = int(timezone.now().timestamp())
    session, answer, remembered = sign_in(rp, browser, prompt="login")
    # then no code yet: the customer is sent to prove the second factor again...
    assert "code=" not in answer["Location"]
    final = _reauthenticate(browser, answer)
    # ...and only then does the client get a code, whose id_token says so
    assert final["Location"].startswith(rp.redirect_uri)
    token = rp.redeem(session, final["Location"], remembered)
    claims = rp.verify_id_token(token["id_token"], nonce=remembered["nonce"])
    assert claims["auth_time"] >= asked_at


def test_3_1_2_1_prompt_login_cannot_be_skipped_by_dropping_it_from_the_way_back(rp, browser):
    _session, answer, _remembered = sign_in(rp, browser, prompt="login")
    way_back = query_of(answer["Location"])["next"]
    # when the browser goes straight back without proving anything
    again = browser.get(way_back, secure=True)
    # then it is sent to authenticate again, not given a code
    assert urlsplit(again["Location"]).path == reverse("accounts:stepup")


def test_3_1_2_1_prompt_none_with_login_is_invalid_request(rp, browser):
    _session, answer, _remembered = sign_in(rp, browser, prompt="none login")
    assert query_of(answer["Location"])["error"] == "invalid_request"


# --- 3.1.2.1 / 3.1.2.3: max_age -----------------------------------------------------------------


def test_3_1_2_1_max_age_older_than_the_session_proof_requires_authenticating_again(rp, browser):
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        session, answer, remembered = sign_in(rp, browser, max_age="300")
        assert "code=" not in answer["Location"]
        final = _reauthenticate(browser, answer)
        token = rp.redeem(session, final["Location"], remembered)
        # 3.1.2.1: auth_time is REQUIRED with max_age; Authlib's validator checks it is there
        claims = rp.verify_id_token(token["id_token"], nonce=remembered["nonce"], max_age=300)
        assert timezone.now().timestamp() - claims["auth_time"] <= 300


def test_3_1_2_1_max_age_with_prompt_none_is_login_required(rp, browser):
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        _session, answer, _remembered = sign_in(rp, browser, max_age="300", prompt="none")
    assert query_of(answer["Location"])["error"] == "login_required"


def test_3_1_2_1_a_fresh_enough_session_meets_max_age_directly(rp, browser):
    _session, answer, _remembered = sign_in(rp, browser, max_age="300")
    assert "code" in query_of(answer["Location"])


def test_3_1_2_1_a_malformed_max_age_is_invalid_request(rp, browser):
    _session, answer, _remembered = sign_in(rp, browser, max_age="soon")
    assert query_of(answer["Location"])["error"] == "invalid_request"


# --- 3.1.2.1 / 5.5.1.1: acr_values -------------------------------------------------------------


def test_3_1_2_1_acr_values_above_the_session_proof_require_stepping_up(rp, browser):
    _session, answer, _remembered = sign_in(rp, browser, acr_values=ACR_PASSKEY)
    assert urlsplit(answer["Location"]).path == reverse("accounts:stepup")
    _session, answer, _remembered = sign_in(rp, browser, acr_values=ACR_PASSKEY, prompt="none")
    assert query_of(answer["Location"])["error"] == "login_required"


def test_3_1_2_1_acr_values_the_session_meets_are_answered_with_that_acr(rp, browser):
    session, answer, remembered = sign_in(rp, browser, acr_values=f"{ACR_OTP} unknown:acr")
    token = rp.redeem(session, answer["Location"], remembered)
    claims = rp.verify_id_token(token["id_token"], nonce=remembered["nonce"])
    assert claims["acr"] == ACR_OTP


# --- 5.3 / 5.4: userinfo and scopes -----------------------------------------------------------


def test_5_3_userinfo_answers_the_claims_of_the_granted_scopes(rp, browser, customer):
    _session, token, _remembered = code_flow(rp, browser, scope="openid profile")
    response = userinfo(rp, token["access_token"])
    assert response.status_code == 200
    body = response.json()
    assert body["sub"] == customer.customer_id and body["given_name"] == customer.first_name
    assert "email" not in body  # 5.4: no email scope, no email claim


def test_5_4_a_refresh_narrowed_to_openid_reads_only_sub_at_userinfo(rp, browser, customer):
    session, token, _remembered = code_flow(rp, browser)
    narrowed = session.refresh_token(
        rp.metadata["token_endpoint"], refresh_token=token["refresh_token"], scope="openid"
    )
    assert narrowed["scope"] == "openid"
    assert userinfo(rp, narrowed["access_token"]).json() == {"sub": customer.customer_id}
    claims = rp.verify_id_token(narrowed["id_token"])
    assert "email" not in claims and "given_name" not in claims
    # the earlier access token keeps exactly what it was issued for
    assert userinfo(rp, token["access_token"]).json()["email"] == customer.email


def test_5_3_a_brands_access_token_is_unknown_at_another_brands_userinfo(rp, other_rp, browser):
    _session, token, _remembered = code_flow(rp, browser)
    response = userinfo(rp, token["access_token"], endpoint=other_rp.metadata["userinfo_endpoint"])
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "email" not in response.text


# --- 12: refresh and the authentication behind it ------------------------------------------


def test_12_2_refresh_is_refused_once_the_messengers_max_auth_age_has_passed(
    rp, browser, genesys_client
):
    messenger, _secret = genesys_client
    messenger.max_auth_age = timedelta(minutes=15)
    messenger.save(update_fields=["max_auth_age"])
    session, token, remembered = code_flow(rp, browser)
    # within the policy a refresh works and keeps the original auth_time (12.2)
    first = session.refresh_token(rp.metadata["token_endpoint"], token["refresh_token"])
    assert (
        rp.verify_id_token(first["id_token"])["auth_time"]
        == rp.verify_id_token(token["id_token"], nonce=remembered["nonce"])["auth_time"]
    )
    later = time_machine.travel(timezone.now() + timedelta(minutes=20))
    with later, pytest.raises(OAuthError) as refused:
        session.refresh_token(rp.metadata["token_endpoint"], first["refresh_token"])
    assert refused.value.error == "invalid_grant"


def test_12_2_refresh_is_refused_after_the_customer_logged_out_of_the_portal(rp, browser):
    session, token, _remembered = code_flow(rp, browser)
    browser.post(reverse("accounts:logout"), secure=True)
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(rp.metadata["token_endpoint"], token["refresh_token"])
    assert refused.value.error == "invalid_grant"
    assert userinfo(rp, token["access_token"]).status_code == 401


def test_12_2_refresh_is_refused_once_the_membership_was_removed(rp, browser, customer, brand):
    session, token, _remembered = code_flow(rp, browser)
    Membership.objects.filter(customer=customer, brand=brand).delete()
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(rp.metadata["token_endpoint"], token["refresh_token"])
    assert refused.value.error == "invalid_grant"
    assert userinfo(rp, token["access_token"]).status_code == 401


def test_3_1_2_1_max_age_zero_is_met_by_authenticating_again_once(rp, browser):
    # max_age=0 is a prompt=login by the clock: one new proof must be enough (no loop)
    session, answer, remembered = sign_in(rp, browser, max_age="0")
    final = _reauthenticate(browser, answer)
    assert final["Location"].startswith(rp.redirect_uri)
    token = rp.redeem(session, final["Location"], remembered)
    assert rp.verify_id_token(token["id_token"], nonce=remembered["nonce"])


def test_3_1_2_1_scope_values_not_understood_are_ignored(rp, browser, customer):
    _session, token, _remembered = code_flow(rp, browser, scope="openid phone address")
    assert token["scope"] == "openid"
    assert userinfo(rp, token["access_token"]).json() == {"sub": customer.customer_id}


def test_3_1_2_1_a_request_without_the_openid_scope_is_invalid_scope(rp, browser):
    _session, answer, _remembered = sign_in(rp, browser, scope="profile email")
    assert query_of(answer["Location"])["error"] == "invalid_scope"


def test_12_2_refresh_ends_with_the_portal_session_the_code_came_from(rp, browser, settings):
    # given a portal session that expires in an hour
    settings.SESSION_COOKIE_AGE = 3600
    session, token, _remembered = code_flow(rp, browser)
    # when Genesys refreshes after that session has ended (without a logout)
    later = time_machine.travel(timezone.now() + timedelta(minutes=61))
    with later, pytest.raises(OAuthError) as refused:
        session.refresh_token(rp.metadata["token_endpoint"], token["refresh_token"])
    # then the refresh is refused, so Genesys asks the page again (reAuthenticate)
    assert refused.value.error == "invalid_grant"
