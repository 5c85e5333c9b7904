"""The sandbox's platform profiles refuse what each vendor documents as a failure, with the
verifier's reason codes (docs/architecture.md)."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from brands.keymaterial import certificate_pem, certificate_x5c, self_signed_certificate
from sandbox.platform import SharedSecretKeys
from sandbox.verifier import KeySet, StaticKeys, Verifier
from tests.sandbox import helpers
from tests.sandbox.helpers import AUDIENCE, DROP, ISSUER, sign_raw

SECRET = b"zendesk-shared-secret-0123456789abcdef"


def _x5c(signer: helpers.SigningKey, *, valid_for: timedelta) -> list[str]:
    now = datetime.now(UTC)
    cert = self_signed_certificate(
        signer.private, common_name="test", now=now - timedelta(days=1), validity=valid_for
    )
    return certificate_x5c(certificate_pem(cert))


def _salesforce(jwk: dict, **options) -> Verifier:
    return Verifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        profile="salesforce",
        keys=StaticKeys(KeySet.from_jwks({"keys": [jwk]})),
        **options,
    )


def _sf_claims(**overrides) -> dict:
    return helpers.claims(
        aud=DROP,
        firstName=DROP,
        lastName=DROP,
        accountTier=DROP,
        isVip=DROP,
        accountBalance=DROP,
        currency=DROP,
        **overrides,
    )


# --- Salesforce ------------------------------------------------------------------------------


def test_salesforce_accepts_a_token_without_aud_when_the_certificate_has_11_days(rsa_key):
    jwk = {**rsa_key.public_jwk(), "x5c": _x5c(rsa_key, valid_for=timedelta(days=12))}
    result = _salesforce(jwk).verify(helpers.mint(rsa_key, _sf_claims()))
    assert result.valid, result.detail


def test_salesforce_refuses_a_key_whose_certificate_expires_within_10_days(rsa_key):
    jwk = {**rsa_key.public_jwk(), "x5c": _x5c(rsa_key, valid_for=timedelta(days=10))}
    result = _salesforce(jwk).verify(helpers.mint(rsa_key, _sf_claims()))
    assert (result.valid, result.reason) == (False, "unknown_key")
    assert "fewer than 10" in result.detail


def test_salesforce_refuses_the_same_key_once_time_brings_it_under_10_days(rsa_key):
    jwk = {**rsa_key.public_jwk(), "x5c": _x5c(rsa_key, valid_for=timedelta(days=30))}
    later = time.time() + 21 * 86400
    token = helpers.mint(rsa_key, _sf_claims(iat=int(later), exp=int(later) + 300))
    result = _salesforce(jwk, clock=lambda: later).verify(token)
    assert (result.valid, result.reason) == (False, "unknown_key")


@pytest.mark.parametrize(
    ("x5c", "why"),
    [
        (None, "no 'x5c'"),
        (["bm90IGEgY2VydA=="], "does not parse"),
        ("other-key", "another key"),
    ],
)
def test_salesforce_refuses_a_key_without_a_usable_certificate(rsa_key, attacker_key, x5c, why):
    jwk = rsa_key.public_jwk()
    if x5c == "other-key":
        x5c = _x5c(attacker_key, valid_for=timedelta(days=300))
    if x5c is not None:
        jwk["x5c"] = x5c
    result = _salesforce(jwk).verify(helpers.mint(rsa_key, _sf_claims()))
    assert (result.valid, result.reason) == (False, "unknown_key")
    assert why in result.detail


def test_salesforce_refuses_another_issuer(rsa_key):
    jwk = {**rsa_key.public_jwk(), "x5c": _x5c(rsa_key, valid_for=timedelta(days=90))}
    token = helpers.mint(rsa_key, _sf_claims(iss="https://portal.example/brands/globex"))
    assert _salesforce(jwk).verify(token).reason == "wrong_issuer"


def test_salesforce_needs_iat(rsa_key):
    jwk = {**rsa_key.public_jwk(), "x5c": _x5c(rsa_key, valid_for=timedelta(days=90))}
    assert _salesforce(jwk).verify(helpers.mint(rsa_key, _sf_claims(iat=DROP))).reason == (
        "missing_claim"
    )


# --- Zendesk ---------------------------------------------------------------------------------


def _zendesk_token(claims: dict, *, kid="app_42", secret=SECRET, alg="HS256") -> str:
    return sign_raw({"alg": alg, "kid": kid, "typ": "JWT"}, claims, secret, alg)


def _zd_claims(**overrides) -> dict:
    now = int(time.time())
    claims = {
        "scope": "user",
        "external_id": "cus_7f3a",
        "name": "Ada Lovelace",
        "iat": now,
        "exp": now + 300,
        "jti": "j1",
    }
    for name, value in overrides.items():
        if value is DROP:
            claims.pop(name)
        else:
            claims[name] = value
    return claims


def _zendesk() -> Verifier:
    return Verifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        profile="zendesk",
        keys=SharedSecretKeys(SECRET, key_id="app_42", kid_must_match=True),
    )


def test_zendesk_accepts_its_documented_token():
    result = _zendesk().verify(_zendesk_token(_zd_claims()))
    assert result.valid, result.detail


# tokens are minted inside the tests: a parameter built at collection time could expire
# before a slow run reaches it
ZENDESK_FAILURES = {
    "external_id as a number": (
        lambda: _zendesk_token(_zd_claims(external_id=12345)),
        "invalid_claim",
    ),
    "scope not user": (lambda: _zendesk_token(_zd_claims(scope="admin")), "invalid_claim"),
    "no external_id": (lambda: _zendesk_token(_zd_claims(external_id=DROP)), "missing_claim"),
    "no scope": (lambda: _zendesk_token(_zd_claims(scope=DROP)), "missing_claim"),
    "kid is not the key id": (
        lambda: _zendesk_token(_zd_claims(), kid="app_other"),
        "unknown_key",
    ),
    "wrong secret": (
        lambda: _zendesk_token(_zd_claims(), secret=b"another-secret-0123456789abcdefghij"),
        "bad_signature",
    ),
    "HS512": (
        lambda: _zendesk_token(_zd_claims(), alg="HS512", secret=SECRET * 2),
        "unsupported_algorithm",
    ),
    "expired": (
        lambda: _zendesk_token(_zd_claims(exp=int(time.time()) - 3600)),
        "expired",
    ),
}


@pytest.mark.parametrize(
    ("make_token", "reason"), ZENDESK_FAILURES.values(), ids=ZENDESK_FAILURES.keys()
)
def test_zendesk_refuses_documented_failures(make_token, reason):
    result = _zendesk().verify(make_token())
    assert (result.valid, result.reason) == (False, reason)


def test_zendesk_refuses_an_rs256_token(rsa_key):
    token = helpers.mint(rsa_key, _zd_claims())
    assert _zendesk().verify(token).reason == "unsupported_algorithm"


# --- Intercom --------------------------------------------------------------------------------


def _intercom() -> Verifier:
    return Verifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        profile="intercom",
        keys=SharedSecretKeys(SECRET, kid_must_match=False),
    )


def _ic_claims(**overrides) -> dict:
    now = int(time.time())
    claims = {"user_id": "cus_7f3a", "email": "ada@example.com", "iat": now, "exp": now + 300}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not DROP}


def test_intercom_accepts_user_id_whatever_the_kid():
    token = sign_raw(
        {"alg": "HS256", "kid": "hs-anything", "typ": "JWT"}, _ic_claims(), SECRET, "HS256"
    )
    assert _intercom().verify(token).valid


@pytest.mark.parametrize(
    ("overrides", "secret", "reason"),
    [
        ({"user_id": DROP}, SECRET, "missing_claim"),
        ({"user_id": 42}, SECRET, "invalid_claim"),
        ({}, b"not-the-workspace-secret-0123456789", "bad_signature"),
    ],
    ids=["no user_id", "numeric user_id", "wrong secret"],
)
def test_intercom_refuses_documented_failures(overrides, secret, reason):
    token = sign_raw({"alg": "HS256", "typ": "JWT"}, _ic_claims(**overrides), secret, "HS256")
    assert _intercom().verify(token).reason == reason


# --- LivePerson ------------------------------------------------------------------------------


def _sdes(**info) -> list:
    return [
        {"type": "ctmrinfo", "info": {"customerId": "cus_7f3a", "ctype": "gold", **info}},
        {"type": "personal", "personal": {"firstname": "Ada", "contacts": [{"email": "a@x"}]}},
    ]


def test_liveperson_accepts_aud_and_sdes(make_verifier, rsa_key):
    token = helpers.mint(rsa_key, helpers.claims(lp_sdes=_sdes(balance=12.5)))
    assert make_verifier(profile="liveperson").verify(token).valid


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": DROP}, "missing_claim"),
        ({"aud": "https://portal.example/brands/acme/messengers/other"}, "wrong_audience"),
        ({"lp_sdes": {"type": "ctmrinfo"}}, "invalid_claim"),
        ({"lp_sdes": [{"type": "ctmrinfo", "info": "vip"}]}, "invalid_claim"),
        ({"lp_sdes": _sdes(customerId=7)}, "invalid_claim"),
        ({"lp_sdes": _sdes(balance=True)}, "invalid_claim"),
        # LivePerson types balance as a number (double): a decimal string is refused
        ({"lp_sdes": _sdes(balance="12.50")}, "invalid_claim"),
    ],
    ids=[
        "no aud",
        "other aud",
        "sdes not a list",
        "info not an object",
        "numeric id",
        "bool",
        "string balance",
    ],
)
def test_liveperson_refuses_documented_failures(make_verifier, rsa_key, overrides, reason):
    token = helpers.mint(rsa_key, helpers.claims(**overrides))
    result = make_verifier(profile="liveperson").verify(token)
    assert (result.valid, result.reason) == (False, reason)


# --- Dynamics 365 ----------------------------------------------------------------------------


def _d365_claims(**overrides) -> dict:
    now = int(time.time())
    context = json.dumps({"msdyn_isvip": "true", "tier": "gold"})
    return helpers.claims(**{"aud": DROP, "nbf": now - 5, "lwicontexts": context, **overrides})


def test_d365_accepts_nbf_and_a_serialized_context(make_verifier, rsa_key):
    assert make_verifier(profile="d365").verify(helpers.mint(rsa_key, _d365_claims())).valid


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"nbf": DROP}, "missing_claim"),
        ({"lwicontexts": {"msdyn_isvip": "true"}}, "invalid_claim"),
        ({"lwicontexts": "{not json"}, "invalid_claim"),
        ({"lwicontexts": json.dumps({"nested": {"a": 1}})}, "invalid_claim"),
        ({"nbf": "in an hour"}, "not_yet_valid"),
    ],
    ids=["no nbf", "context as an object", "not JSON", "nested value", "nbf in the future"],
)
def test_d365_refuses_documented_failures(make_verifier, rsa_key, overrides, reason):
    if overrides.get("nbf") == "in an hour":
        overrides = {"nbf": int(time.time()) + 3600}
    result = make_verifier(profile="d365").verify(helpers.mint(rsa_key, _d365_claims(**overrides)))
    assert (result.valid, result.reason) == (False, reason)
