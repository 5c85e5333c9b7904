"""RFC 7636 (PKCE) as an independent relying party (Authlib's client) uses it.

https://www.rfc-editor.org/rfc/rfc7636
"""

import pytest
from authlib.integrations.base_client import OAuthError

from tests.oidc.relying_party import browser_follow, query_of, sign_in

pytestmark = pytest.mark.django_db


def test_4_6_a_wrong_verifier_is_invalid_grant_and_burns_the_code(rp, browser):
    session, answer, remembered = sign_in(rp, browser)
    with pytest.raises(OAuthError) as wrong:
        rp.redeem(session, answer["Location"], {**remembered, "code_verifier": "w" * 64})
    assert wrong.value.error == "invalid_grant"
    # the right verifier cannot be tried after a wrong one (no guessing against one code)
    with pytest.raises(OAuthError) as burnt:
        rp.redeem(rp.session(), answer["Location"], remembered)
    assert burnt.value.error == "invalid_grant"


def test_4_5_a_code_issued_with_a_challenge_needs_the_verifier(rp, browser):
    session, answer, remembered = sign_in(rp, browser)
    with pytest.raises(OAuthError) as missing:
        session.fetch_token(
            rp.metadata["token_endpoint"],
            authorization_response=answer["Location"],
            state=remembered["state"],
        )
    assert missing.value.error == "invalid_request"


def test_4_3_the_plain_method_is_refused(rp, browser):
    session = rp.session()
    url, _state = session.create_authorization_url(
        rp.metadata["authorization_endpoint"],
        scope="openid",
        code_challenge="p" * 43,
        code_challenge_method="plain",
    )
    answer = browser_follow(browser, url)
    assert query_of(answer["Location"])["error"] == "invalid_request"


def test_discovery_announces_s256_only(rp):
    assert rp.metadata["code_challenge_methods_supported"] == ["S256"]
