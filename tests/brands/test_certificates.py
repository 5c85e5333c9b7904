"""Salesforce needs every published RSA key to carry an x5c certificate valid for at least 10
more days: rotate_signing_keys renews certificates before that, over frozen time."""

import base64
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from cryptography import x509
from django.core.management import call_command
from django.test import Client

from brands import services
from brands.models import SigningKey
from brands.platforms import vendor_settings_example

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _rotate() -> str:
    out = io.StringIO()
    call_command("rotate_signing_keys", stdout=out)
    return out.getvalue()


def _published_certificates(brand) -> dict[str, datetime | None]:
    """kid -> notAfter of the x5c certificate the JWKS publishes (None: no x5c)."""
    body = json.loads(Client().get(f"/brands/{brand.slug}/.well-known/jwks.json").content)
    found = {}
    for jwk in body["keys"]:
        assert {"kty", "kid", "alg", "use"} <= set(jwk)
        if "x5c" in jwk:
            cert = x509.load_der_x509_certificate(base64.b64decode(jwk["x5c"][0]))
            found[jwk["kid"]] = cert.not_valid_after_utc
        else:
            found[jwk["kid"]] = None
    return found


def _salesforce(brand):
    return services.messenger_create(
        brand=brand,
        slug="acme-sf",
        platform="salesforce",
        vendor_settings=vendor_settings_example("salesforce"),
    )


def test_rotation_renews_certificates_before_they_have_10_days_left(brand, settings):
    settings.BRANDS_CERTIFICATE_VALIDITY = timedelta(days=60)
    settings.BRANDS_ROTATION_PERIOD = timedelta(days=365)  # no key rotation in this test
    _salesforce(brand)
    with time_machine.travel(T0, tick=False) as clock:
        _rotate()  # an active key and a published next key, both certified for 60 days
        first = _published_certificates(brand)
        assert len(first) == 2 and all(v == T0 + timedelta(days=60) for v in first.values())

        clock.move_to(T0 + timedelta(days=29))  # 31 days left: nothing to renew yet
        assert _rotate() == "Nothing to do.\n"

        clock.move_to(T0 + timedelta(days=31))  # 29 days left: renew both, same kids
        out = _rotate()
        assert out.count("renew_certificate") == 4  # planned, then done
        renewed = _published_certificates(brand)
        assert set(renewed) == set(first)
        now = T0 + timedelta(days=31)
        assert all(v == now + timedelta(days=60) for v in renewed.values())

        # whatever day cron runs, no published key is ever under 10 days
        for day in range(32, 200, 7):
            clock.move_to(T0 + timedelta(days=day))
            _rotate()
            now = T0 + timedelta(days=day)
            for not_after in _published_certificates(brand).values():
                assert not_after - now >= timedelta(days=10)


def test_an_uncertified_key_of_a_salesforce_brand_gets_a_certificate(brand):
    key = services.signing_key_generate(
        brand=brand, algorithm="RS256", key_size=2048, certificate=False, activate=True
    )
    _salesforce(brand)
    assert _published_certificates(brand)[key.kid] is None
    out = _rotate()
    assert "no certificate (x5c) and the brand serves Salesforce" in out
    not_after = _published_certificates(brand)[key.kid]
    assert not_after is not None and not_after - datetime.now(UTC) > timedelta(days=300)
    key.refresh_from_db()
    assert key.state == SigningKey.State.ACTIVE  # same key, same kid, still signing


def test_brands_without_salesforce_keep_uncertified_keys_as_they_are(brand):
    key = services.signing_key_generate(
        brand=brand, algorithm="RS256", key_size=2048, certificate=False, activate=True
    )
    _rotate()
    assert _published_certificates(brand)[key.kid] is None
