"""RFC 6749 (OAuth 2.0) and RFC 9700 (OAuth 2.0 Security BCP) at the token endpoint, as an
independent relying party (Authlib's client) sees them.

https://www.rfc-editor.org/rfc/rfc6749 , https://www.rfc-editor.org/rfc/rfc9700
"""

import pytest
from authlib.integrations.base_client import OAuthError

from tests.conftest import GENESYS_REDIRECT, genesys_client_create
from tests.oidc.relying_party import (
    ATTACKER_ADDRESS,
    RelyingParty,
    code_flow,
    query_of,
    sign_in,
    token_post,
    userinfo,
)

pytestmark = pytest.mark.django_db


# --- 2.3.1 / 5.2: client authentication --------------------------------------------------------


def test_2_3_1_client_secret_post_is_accepted_as_well_as_basic(rp, browser):
    rp.auth_method = "client_secret_post"
    _session, token, remembered = code_flow(rp, browser)
    assert rp.verify_id_token(token["id_token"], nonce=remembered["nonce"])


def test_5_2_a_wrong_secret_is_401_invalid_client_with_www_authenticate(rp):
    response = token_post(rp, {"grant_type": "refresh_token", "refresh_token": "x"}, secret="no")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("flood_from", [ATTACKER_ADDRESS, None], ids=["elsewhere", "same-address"])
def test_2_3_1_a_flood_of_wrong_secrets_never_locks_the_real_client_out(
    settings, rp, browser, flood_from
):
    # given an attacker who knows the public client_id and floods the token endpoint
    settings.MESSAGING_OIDC_FAILURE_RATE = "5/min"
    answers = [
        token_post(
            rp,
            {"grant_type": "authorization_code", "code": "x", "redirect_uri": GENESYS_REDIRECT},
            secret=f"guess-{n}",
            remote_addr=flood_from,
        )
        for n in range(40)
    ]
    # then the flood is answered 401 while its budget lasts, then 429 slow_down
    codes = [a.status_code for a in answers]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    assert answers[-1].json()["error"] == "slow_down" and answers[-1].headers["Retry-After"]
    # and the real client's very next request is served (from the flood's address too)
    rp.remote_addr = flood_from or rp.remote_addr
    _session, token, remembered = code_flow(rp, browser)
    assert rp.verify_id_token(token["id_token"], nonce=remembered["nonce"])


# --- 4.1.2 / 4.1.3 / 10.5: the authorization code -------------------------------------------


def test_4_1_2_a_replayed_code_is_refused_and_revokes_what_its_first_use_issued(rp, browser):
    session, answer, remembered = sign_in(rp, browser)
    first = rp.redeem(session, answer["Location"], remembered)
    with pytest.raises(OAuthError) as replay:
        rp.redeem(rp.session(), answer["Location"], remembered)
    assert replay.value.error == "invalid_grant"
    # 4.1.2: "SHOULD revoke (when possible) all tokens previously issued based on that code"
    assert userinfo(rp, first["access_token"]).status_code == 401
    with pytest.raises(OAuthError) as refresh:
        session.refresh_token(rp.metadata["token_endpoint"], first["refresh_token"])
    assert refresh.value.error == "invalid_grant"


def test_4_1_3_a_code_is_bound_to_the_client_it_was_issued_to(rp, browser, brand):
    _messenger, secret = genesys_client_create(brand, "acme-genesys-two")
    thief = RelyingParty(
        issuer=rp.issuer,
        client_id=_messenger.client_id,
        client_secret=secret,
        redirect_uri=GENESYS_REDIRECT,
    )
    _session, answer, remembered = sign_in(rp, browser)
    with pytest.raises(OAuthError) as refused:
        thief.redeem(thief.session(), answer["Location"], remembered)
    assert refused.value.error == "invalid_grant"


def test_4_1_3_the_redirect_uri_must_be_the_one_the_code_was_issued_for(rp, browser):
    session, answer, remembered = sign_in(rp, browser)
    session.redirect_uri = GENESYS_REDIRECT + "/other"
    with pytest.raises(OAuthError) as refused:
        rp.redeem(session, answer["Location"], remembered)
    assert refused.value.error == "invalid_grant"


def test_5_1_the_token_response_is_not_cached(rp, browser):
    _session, answer, remembered = sign_in(rp, browser)
    form = {
        "grant_type": "authorization_code",
        "code": query_of(answer["Location"])["code"],
        "redirect_uri": GENESYS_REDIRECT,
        "code_verifier": remembered["code_verifier"],
    }
    response = token_post(rp, form)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


# --- 6 and RFC 9700 4.14.2: refresh tokens -----------------------------------------------------


def test_6_refresh_tokens_rotate_and_a_reused_one_revokes_the_family(rp, browser):
    session, token, _remembered = code_flow(rp, browser)
    rotated = session.refresh_token(rp.metadata["token_endpoint"], token["refresh_token"])
    assert rotated["refresh_token"] != token["refresh_token"]
    assert userinfo(rp, rotated["access_token"]).status_code == 200
    # when the spent refresh token is presented again (someone copied it)
    with pytest.raises(OAuthError) as reuse:
        rp.session().refresh_token(rp.metadata["token_endpoint"], token["refresh_token"])
    assert reuse.value.error == "invalid_grant"
    # then the whole family is dead, the legitimate holder's newest tokens included
    with pytest.raises(OAuthError) as family:
        session.refresh_token(rp.metadata["token_endpoint"], rotated["refresh_token"])
    assert family.value.error == "invalid_grant"
    assert userinfo(rp, rotated["access_token"]).status_code == 401


def test_6_a_scope_wider_than_granted_is_invalid_scope(rp, browser):
    session, token, _remembered = code_flow(rp, browser, scope="openid offline_access")
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(
            rp.metadata["token_endpoint"], token["refresh_token"], scope="openid email"
        )
    assert refused.value.error == "invalid_scope"


def test_6_a_refresh_token_of_another_brand_is_invalid_grant(rp, other_rp, browser):
    _session, token, _remembered = code_flow(rp, browser)
    with pytest.raises(OAuthError) as refused:
        other_rp.session().refresh_token(
            other_rp.metadata["token_endpoint"], token["refresh_token"]
        )
    assert refused.value.error == "invalid_grant"


def test_3_2_unsupported_grant_types_are_refused(rp):
    response = token_post(rp, {"grant_type": "password", "username": "a", "password": "b"})
    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")
