"""Rotation by policy over frozen-time steps: rotate_signing_keys carries a brand through a
full rotation, with the JWKS right at every step."""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from brands import conf, keycache, services
from brands.models import SigningKey
from brands.platforms import vendor_settings_example
from config.appconf import duration_text

pytestmark = pytest.mark.django_db
State = SigningKey.State
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _rotate(*args) -> str:
    out = io.StringIO()
    call_command("rotate_signing_keys", *args, stdout=out)
    return out.getvalue()


def _states(brand) -> dict[str, str]:
    return {k.kid: k.state for k in SigningKey.objects.filter(brand=brand, algorithm="RS256")}


def _published(brand) -> set[str]:
    body = Client().get(f"/brands/{brand.slug}/.well-known/jwks.json").content
    return {k["kid"] for k in json.loads(body)["keys"]}


def test_full_rotation_by_policy(brand):
    prepub, period, retention = (
        conf.get("PREPUBLICATION_PERIOD"),
        conf.get("ROTATION_PERIOD"),
        conf.get("RETENTION"),
    )
    with time_machine.travel(T0, tick=False) as clock:
        # day 0: a new brand gets an active key and a published next key
        out = _rotate("--brand", "acme")
        assert "generate" in out
        first = SigningKey.objects.get(brand=brand, state=State.ACTIVE)
        next_key = SigningKey.objects.get(brand=brand, state=State.PENDING)
        assert _published(brand) == {first.kid, next_key.kid}
        assert keycache.signing_key(brand=brand, algorithm="RS256").kid == first.kid

        # nothing more to do until the rotation period is over
        clock.move_to(T0 + period - timedelta(seconds=1))
        assert _rotate() == "Nothing to do.\n"

        # the period is over: the next key (published for months) becomes active, and the
        # command says why in words ("90 days", not Python's "90 days, 0:00:00")
        clock.move_to(T0 + period)
        out = _rotate()
        assert f"longer than the rotation period ({duration_text(period)})" in out
        assert "0:00" not in out
        assert _states(brand)[first.kid] == State.RETIRED
        assert _states(brand)[next_key.kid] == State.ACTIVE
        third = SigningKey.objects.get(brand=brand, state=State.PENDING)
        assert keycache.signing_key(brand=brand, algorithm="RS256").kid == next_key.kid
        # the retired key keeps verifying old tokens: still published
        assert _published(brand) == {first.kid, next_key.kid, third.kid}

        # retention not over yet: the retired key stays
        clock.move_to(T0 + period + retention - timedelta(seconds=1))
        assert _rotate() == "Nothing to do.\n"
        assert first.kid in _published(brand)

        # retention over: the retired key leaves the JWKS
        clock.move_to(T0 + period + retention)
        out = _rotate()
        assert "purge" in out
        assert f"longer ago than the retention ({duration_text(retention)})" in out
        assert "0:00" not in out
        assert _states(brand)[first.kid] == State.REVOKED
        assert _published(brand) == {next_key.kid, third.kid}
        first.refresh_from_db()
        assert first.purged_at == T0 + period + retention
    assert prepub < period


def test_a_fresh_next_key_waits_for_the_prepublication_period(brand):
    with time_machine.travel(T0, tick=False) as clock:
        active = services.signing_key_generate(brand=brand, activate=True)
        clock.move_to(T0 + conf.get("ROTATION_PERIOD"))
        _rotate()  # rotation due, but there is no next key yet: publish one first
        assert _states(brand)[active.kid] == State.ACTIVE
        pending = SigningKey.objects.get(brand=brand, state=State.PENDING)
        clock.move_to(
            pending.created_at + conf.get("PREPUBLICATION_PERIOD") - timedelta(seconds=1)
        )
        assert _rotate() == "Nothing to do.\n"
        clock.move_to(pending.created_at + conf.get("PREPUBLICATION_PERIOD"))
        _rotate()
        assert _states(brand)[pending.kid] == State.ACTIVE
        assert _states(brand)[active.kid] == State.RETIRED


def test_dry_run_prints_the_plan_and_changes_nothing(brand):
    out = _rotate("--dry-run")
    assert "Plan:" in out and "acme RS256: generate new key" in out
    assert "Dry run: nothing changed." in out
    assert not SigningKey.objects.exists()


def test_an_unusable_active_key_is_replaced_at_once(brand):
    with time_machine.travel(T0, tick=False):
        active = services.signing_key_generate(brand=brand, activate=True)
        pending = services.signing_key_generate(brand=brand)
        SigningKey.objects.filter(pk=active.pk).update(unusable_reason="does not decrypt")
        _rotate()
        assert _states(brand)[pending.kid] == State.ACTIVE
        assert _states(brand)[active.kid] == State.RETIRED


def test_messenger_algorithms_get_their_own_keys(brand):
    services.messenger_create(brand=brand, slug="web", algorithm="ES256")
    services.messenger_create(
        brand=brand,
        slug="zen",
        platform="zendesk",
        algorithm="HS256",
        vendor_settings=vendor_settings_example("zendesk"),
    )
    _rotate()
    active = set(
        SigningKey.objects.filter(brand=brand, state=State.ACTIVE).values_list(
            "algorithm", flat=True
        )
    )
    assert active == {"RS256", "ES256"}  # shared secrets are never rotated automatically


def test_inactive_brands_are_left_alone(brand):
    brand.is_active = False
    brand.save()
    assert _rotate() == "Nothing to do.\n"


def test_rotation_of_an_unknown_brand_exits_2(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as caught:
        _rotate("--brand", "nobody")
    assert caught.value.returncode == 2


def test_a_certificate_about_to_expire_triggers_a_rotation(brand, settings):
    """The backstop when certificates are not renewed in time (renewal set to 0 here)."""
    settings.BRANDS_CERTIFICATE_VALIDITY = timedelta(days=30)
    settings.BRANDS_CERTIFICATE_RENEWAL = timedelta(0)
    with time_machine.travel(T0, tick=False) as clock:
        _rotate()
        first = SigningKey.objects.get(brand=brand, state=State.ACTIVE)
        clock.move_to(first.certificate_not_after - timedelta(days=10, seconds=1))
        assert _rotate() == "Nothing to do.\n"
        clock.move_to(first.certificate_not_after - timedelta(days=10))
        _rotate()
        first.refresh_from_db()
        assert first.state == State.RETIRED


def test_rotation_period_equal_to_prepublication_rotates_each_period(brand, settings):
    """The literal policy: promote the next key as soon as it has been published long enough."""
    settings.BRANDS_ROTATION_PERIOD = conf.get("PREPUBLICATION_PERIOD")
    with time_machine.travel(T0, tick=False) as clock:
        _rotate()
        kids = []
        for step in range(1, 4):
            kids.append(SigningKey.objects.get(brand=brand, state=State.ACTIVE).kid)
            clock.move_to(T0 + step * conf.get("PREPUBLICATION_PERIOD"))
            _rotate()
        kids.append(SigningKey.objects.get(brand=brand, state=State.ACTIVE).kid)
    assert len(set(kids)) == 4
