"""System checks report an inconsistent key policy."""

from datetime import timedelta

import pytest

from brands.checks import check_key_encryption_keys, check_key_policy


def _ids(errors) -> set[str]:
    return {e.id for e in errors}


def test_the_defaults_are_consistent():
    assert check_key_policy() == []
    assert check_key_encryption_keys() == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"BRANDS_PREPUBLICATION_PERIOD": timedelta(seconds=300)}, "brands.E002"),
        ({"BRANDS_JWKS_MAX_AGE": timedelta(hours=2)}, "brands.E002"),
        ({"BRANDS_RETENTION": timedelta(minutes=30)}, "brands.E003"),
        ({"BRANDS_MAX_TOKEN_LIFETIME": timedelta(hours=3)}, "brands.E003"),
        ({"BRANDS_LEEWAY": timedelta(minutes=10)}, "brands.E004"),
        ({"BRANDS_ROTATION_PERIOD": timedelta(minutes=30)}, "brands.E005"),
        ({"BRANDS_RSA_KEY_SIZE": 1024}, "brands.E006"),
        ({"BRANDS_JWKS_MAX_AGE": "300"}, "brands.E001"),
        ({"BRANDS_LEEWAY": timedelta(seconds=-1)}, "brands.E001"),
        ({"BRANDS_CERTIFICATE_VALIDITY": timedelta(days=30)}, "brands.W002"),
        ({"BRANDS_CERTIFICATE_RENEWAL": timedelta(days=10)}, "brands.E007"),
        ({"BRANDS_CERTIFICATE_RENEWAL": timedelta(days=400)}, "brands.E008"),
    ],
)
def test_inconsistent_policies_are_reported(settings, overrides, expected):
    for name, value in overrides.items():
        setattr(settings, name, value)
    assert expected in _ids(check_key_policy())


def test_seconds_are_accepted_as_durations(settings):
    settings.BRANDS_JWKS_MAX_AGE = 120
    assert check_key_policy() == []


@pytest.mark.parametrize(
    "keys", [[], ["not-a-fernet-key"], ["p6Rz0lRW2hB1bqbWzX0Vv6wXr3Xw8CkN3Wcq5sQe3mE=", "short"]]
)
def test_bad_key_encryption_keys_are_reported(settings, keys):
    settings.KEY_ENCRYPTION_KEYS = keys
    assert _ids(check_key_encryption_keys()) == {"brands.E010"}
