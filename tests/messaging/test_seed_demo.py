"""seed_demo tells the truth and stays out of production."""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp

from accounts import services
from accounts.models import User
from brands.models import Brand

pytestmark = pytest.mark.django_db


def _seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _line(output: str, username: str) -> str:
    return next(line for line in output.splitlines() if line.strip().startswith(username + " "))


def test_seed_demo_reports_an_enrollment_made_since_the_last_run(settings):
    settings.DEBUG = True
    first = _seed()
    assert "no device yet" in _line(first, "dave")
    # given dave enrolled an authenticator app
    dave = User.objects.get(username="dave")
    device = services.totp_enrollment_start(user=dave)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}"
    services.totp_enrollment_confirm(user=dave, code=code)
    # when the demo is seeded again
    second = _seed()
    # then dave's line says what is true now
    assert "no device yet" not in _line(second, "dave")
    assert "authenticator app enrolled" in _line(second, "dave")


def test_seed_demo_prints_backup_codes_that_log_in(settings):
    settings.DEBUG = True
    output = _seed()
    code = re.search(r"backup code (\w+)", _line(output, "alice")).group(1)
    client = Client()
    client.post(reverse("accounts:login"), {"username": "alice", "password": "demo-password-2026"})
    assert client.post(reverse("accounts:verify"), {"code": code})["Location"] == "/"


def test_seed_demo_refuses_to_run_outside_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError) as excinfo:
        _seed()
    assert excinfo.value.returncode == 2
    assert "--allow-production-demo" in str(excinfo.value)
    assert not User.objects.exists() and not Brand.objects.exists()


def test_seed_demo_runs_outside_debug_when_explicitly_allowed(settings):
    settings.DEBUG = False
    output = _seed("--allow-production-demo")
    assert "Demo data is ready." in output
    assert User.objects.filter(username="alice").exists()
