"""Per platform: the token from POST /api/v1/messaging/token, checked by an independent library
(PyJWT) against the issuer's rules, then by the sandbox's profile for that platform, which
knows only the portal's public setup document, the JWKS over HTTP and the secret an
administrator entered into the sandbox.
"""

import base64
import io
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography import x509
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from brands import services as brand_services
from brands.platforms import vendor_settings_example
from tests.conftest import login_verified
from tests.platforms.conftest import make_messenger, sandbox_verdict

live = pytest.mark.django_db(transaction=True)

ZENDESK_SECRET = "zd-" + "Q7w9e8r7t6y5u4i3o2p1a0s9d8f7g6h5"  # 35 characters
INTERCOM_SECRET = "ic-" + "M1n2b3v4c5x6z7l8k9j0h1g2f3d4s5a6p7"

ASSURANCE = ("auth_time", "amr", "acr")


@pytest.fixture
def client_of(portal, customer, totp_device):
    return login_verified(Client(), customer.user, totp_device)


def _issue(client: Client, slug: str) -> dict:
    response = client.post(
        "/api/v1/messaging/token", json.dumps({"messenger": slug}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _jwks_client(portal, brand) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(f"{portal.url}/brands/{brand.slug}/.well-known/jwks.json")


def _verify_rs256(portal, brand, token: str, *, required: list[str], audience=None):
    """The claims, checked as the platform would with the brand's JWKS over HTTP (no ``aud``
    check when ``audience`` is None), and the JWK that verified them."""
    signing = _jwks_client(portal, brand).get_signing_key_from_jwt(token)
    options = {"require": required} | ({} if audience else {"verify_aud": False})
    claims = jwt.decode(
        token,
        signing.key,
        algorithms=["RS256"],
        issuer=brand.issuer_url,
        audience=audience,
        options=options,
    )
    return claims, signing


@live
def test_salesforce_token_has_no_aud_and_its_key_carries_a_fresh_x5c(
    portal, client_of, brand, rsa_key, customer
):
    messenger = make_messenger(brand, "salesforce")
    body = _issue(client_of, messenger.slug)
    header = jwt.get_unverified_header(body["token"])
    assert header == {"alg": "RS256", "kid": rsa_key.kid, "typ": "JWT"}
    claims, signing = _verify_rs256(
        portal, brand, body["token"], required=["iss", "sub", "iat", "exp", "jti"]
    )
    # no aud, no custom claims; the assurance of the session (accounts.assurance)
    assert set(claims) == {"iss", "sub", "iat", "exp", "jti", "auth_time", "amr", "acr"}
    assert claims["iss"] == f"{portal.url}/brands/acme"
    assert claims["sub"] == customer.customer_id
    # the published JWK is what Salesforce uploads: kty, kid, alg, use and a valid x5c
    jwk = signing._jwk_data
    assert {"kty", "kid", "alg", "use", "x5c"} <= set(jwk)
    assert (jwk["kty"], jwk["alg"], jwk["use"]) == ("RSA", "RS256", "sig")
    cert = x509.load_der_x509_certificate(base64.b64decode(jwk["x5c"][0]))
    assert cert.not_valid_after_utc - datetime.now(UTC) >= timedelta(days=10)
    verdict = sandbox_verdict(messenger.slug, body["token"])
    assert verdict["valid"] is True, verdict


@live
def test_zendesk_token_is_hs256_with_the_key_id_and_a_string_external_id(
    portal, client_of, brand, customer
):
    messenger = make_messenger(
        brand, "zendesk", secret=ZENDESK_SECRET, key_id="app_6512bd43d9caa6"
    )
    body = _issue(client_of, messenger.slug)
    header = jwt.get_unverified_header(body["token"])
    assert header == {"alg": "HS256", "kid": "app_6512bd43d9caa6", "typ": "JWT"}
    assert body["kid"] == "app_6512bd43d9caa6"
    claims = jwt.decode(
        body["token"],
        ZENDESK_SECRET,
        algorithms=["HS256"],
        options={"require": ["iat", "exp", "jti"], "verify_aud": False},
    )
    assert claims["scope"] == "user"
    assert claims["external_id"] == customer.customer_id
    assert isinstance(claims["external_id"], str)
    assert claims["name"] == f"{customer.first_name} {customer.last_name}"
    assert claims["email"] == customer.email and claims["email_verified"] is False
    assert set(claims) == {
        "scope",
        "external_id",
        "name",
        "email",
        "email_verified",
        "iat",
        "exp",
        "jti",
    }
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(body["token"], "x" * 40, algorithms=["HS256"])
    verdict = sandbox_verdict(messenger.slug, body["token"])
    assert verdict["valid"] is True, verdict


@live
def test_liveperson_token_carries_aud_and_certified_sdes(
    portal, client_of, brand, rsa_key, customer
):
    messenger = make_messenger(brand, "liveperson")
    body = _issue(client_of, messenger.slug)
    claims, _ = _verify_rs256(
        portal,
        brand,
        body["token"],
        required=["iss", "sub", "aud", "iat", "exp", "jti"],
        audience=messenger.audience,
    )
    assert set(claims) == {"iss", "sub", "aud", "iat", "exp", "jti", "lp_sdes", *ASSURANCE}
    ctmrinfo, personal = claims["lp_sdes"]
    assert ctmrinfo == {
        "type": "ctmrinfo",
        "info": {
            "customerId": customer.customer_id,
            "ctype": customer.tier.code,  # not a VIP: the tier
            "balance": 1234.56,  # LivePerson types it a number (double)
            "currency": "EUR",
        },
    }
    # the JSON number carries exactly the record's decimals (no float rounding on the way)
    payload = jwt.utils.base64url_decode(body["token"].split(".")[1]).decode()
    assert '"balance":1234.56,' in payload
    assert personal == {
        "type": "personal",
        "personal": {
            "firstname": customer.first_name,
            "lastname": customer.last_name,
            "contacts": [{"email": customer.email}],
        },
    }
    verdict = sandbox_verdict(messenger.slug, body["token"])
    assert verdict["valid"] is True, verdict


@live
def test_d365_token_has_nbf_and_lwicontexts_as_a_json_string(
    portal, client_of, brand, rsa_key, customer
):
    customer.is_vip = True
    customer.save()
    messenger = make_messenger(brand, "d365")
    body = _issue(client_of, messenger.slug)
    claims, _ = _verify_rs256(
        portal, brand, body["token"], required=["iss", "sub", "iat", "exp", "nbf", "jti"]
    )
    assert set(claims) == {"iss", "sub", "iat", "exp", "nbf", "jti", "lwicontexts", *ASSURANCE}
    assert claims["nbf"] <= claims["iat"] <= time.time() + 1
    assert isinstance(claims["lwicontexts"], str)
    context = json.loads(claims["lwicontexts"])
    assert context["msdyn_isvip"] == "true"
    assert context["tier"] == customer.tier.code
    assert context["balance"] == "1234.56" and context["currency"] == "EUR"
    assert context["auth_method"] == "authenticator code"
    assert context["auth_acr"] == "urn:portal:acr:otp"
    assert all(isinstance(v, str) for v in context.values())
    verdict = sandbox_verdict(messenger.slug, body["token"])
    assert verdict["valid"] is True, verdict


@live
def test_intercom_token_is_hs256_with_user_id(portal, client_of, brand, customer):
    messenger = make_messenger(brand, "intercom", secret=INTERCOM_SECRET)
    body = _issue(client_of, messenger.slug)
    assert jwt.get_unverified_header(body["token"])["alg"] == "HS256"
    claims = jwt.decode(
        body["token"], INTERCOM_SECRET, algorithms=["HS256"], options={"require": ["iat", "exp"]}
    )
    # Intercom asks for an expiry that matches the app session: the portal session (8 hours)
    # outlasts BRANDS_MAX_TOKEN_LIFETIME (1 hour), which caps it
    assert claims == {
        "user_id": customer.customer_id,
        "email": customer.email,
        "name": f"{customer.first_name} {customer.last_name}",
        "iat": claims["iat"],
        "exp": claims["iat"] + 3600,
    }
    verdict = sandbox_verdict(messenger.slug, body["token"])
    assert verdict["valid"] is True, verdict


@live
def test_a_shared_secret_messenger_without_a_secret_answers_503(portal, client_of, brand):
    messenger = brand_services.messenger_create(
        brand=brand,
        slug="acme-zendesk",
        platform="zendesk",
        vendor_settings=vendor_settings_example("zendesk"),
    )
    response = client_of.post(
        "/api/v1/messaging/token",
        json.dumps({"messenger": messenger.slug}),
        content_type="application/json",
    )
    assert response.status_code == 503
    assert response.json()["error"] == "no_signing_key"


@live
def test_the_sandbox_refuses_a_zendesk_token_signed_with_another_secret(portal, client_of, brand):
    messenger = make_messenger(brand, "zendesk", secret=ZENDESK_SECRET, key_id="app_1")
    call_command(
        "sandbox_credential",
        messenger.slug,
        "--key-id",
        "app_1",
        "--secret-stdin",
        stdin=io.StringIO("another-secret-of-the-same-length-0123"),
        stdout=io.StringIO(),
    )
    body = _issue(client_of, messenger.slug)
    verdict = sandbox_verdict(messenger.slug, body["token"])
    assert (verdict["valid"], verdict["reason"]) == (False, "bad_signature")


@live
def test_the_sandbox_refuses_a_salesforce_token_of_another_brand_issuer(
    portal, client_of, brand, rsa_key
):
    messenger = make_messenger(brand, "salesforce")
    body = _issue(client_of, messenger.slug)
    brand.issuer = "https://elsewhere.example/brands/acme"
    brand.save()  # the keyset's issuer in Salesforce no longer matches the token's iss
    cache.clear()  # the sandbox's cached copy of the setup document
    verdict = sandbox_verdict(messenger.slug, body["token"])
    assert (verdict["valid"], verdict["reason"]) == (False, "wrong_issuer")


@live
def test_salesforce_rs512_is_an_option_with_its_own_key(portal, client_of, brand, rsa_key):
    rs512 = brand_services.signing_key_generate(
        brand=brand, algorithm="RS512", key_size=2048, activate=True
    )
    messenger = brand_services.messenger_create(
        brand=brand,
        slug="acme-sf512",
        platform="salesforce",
        algorithm="RS512",
        vendor_settings=vendor_settings_example("salesforce"),
    )
    body = _issue(client_of, messenger.slug)
    assert jwt.get_unverified_header(body["token"]) == {
        "alg": "RS512",
        "kid": rs512.kid,
        "typ": "JWT",
    }
    signing = _jwks_client(portal, brand).get_signing_key_from_jwt(body["token"])
    assert signing._jwk_data["alg"] == "RS512" and "x5c" in signing._jwk_data
    claims = jwt.decode(
        body["token"], signing.key, algorithms=["RS512"], options={"verify_aud": False}
    )
    assert "aud" not in claims
    verdict = sandbox_verdict(messenger.slug, body["token"])
    assert verdict["valid"] is True, verdict


@pytest.mark.django_db
def test_the_token_api_gives_genesys_messengers_no_direct_token(verified_client, brand):
    from messaging.models import TokenIssue

    messenger = brand_services.messenger_create(
        brand=brand,
        slug="acme-genesys",
        platform="genesys",
        vendor_settings=vendor_settings_example("genesys"),
        redirect_uris=["https://contact.acme.example/support"],
    )
    response = verified_client.post(
        "/api/v1/messaging/token",
        json.dumps({"messenger": messenger.slug}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "use_auth_code"
    assert "auth-code" in response.json()["detail"]
    assert not TokenIssue.objects.exists()
