"""Each vendor platform's demo messenger (seed_demo) issues a token
through POST /api/v1/messaging/token that the sandbox's profile for that platform accepts."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from brands.models import Messenger
from sandbox.platform import resolve_messenger
from tests import factories
from tests.conftest import login_verified

PLATFORMS = ("salesforce", "zendesk", "liveperson", "d365", "intercom")


@pytest.mark.django_db(transaction=True)
def test_every_demo_platform_messenger_issues_a_token_its_sandbox_profile_accepts(
    live_server, settings
):
    settings.PUBLIC_BASE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["*"]
    settings.SANDBOX_PORTAL_URL = live_server.url
    out = io.StringIO()
    call_command("seed_demo", "--allow-production-demo", stdout=out)
    assert "northwind-zendesk: shared secret entered into the sandbox" in out.getvalue()
    alice = User.objects.get(username="alice")
    client = login_verified(Client(), alice, factories.TOTPDeviceFactory(user=alice))
    for platform in PLATFORMS:
        messenger = Messenger.objects.get(slug=f"northwind-{platform}")
        assert messenger.platform == platform
        assert messenger.vendor_settings["sandbox"] is True
        response = client.post(
            "/api/v1/messaging/token",
            json.dumps({"messenger": messenger.slug}),
            content_type="application/json",
        )
        assert response.status_code == 200, (platform, response.content)
        token = response.json()["token"]
        verdict = resolve_messenger(messenger.slug).verifier().verify(token)
        assert verdict.valid, (platform, verdict.reason, verdict.detail)
        # the sandbox chat window opens a verified conversation; the agent sees who it is
        session = Client().post(
            "/sandbox/api/sessions",
            json.dumps({"messenger": messenger.slug, "token": token}),
            content_type="application/json",
        )
        assert session.status_code == 201, (platform, session.content)
        identity = session.json()["identity"]
        assert identity["sub"] == alice.customer.customer_id, platform
        if platform != "salesforce":  # Salesforce's token is identity only
            assert (identity["firstName"], identity["lastName"]) == ("Alice", "Martin"), platform
        if platform in ("liveperson", "d365"):
            assert identity["accountTier"] == "gold", platform
            assert identity["accountBalance"] == "2450.75", platform
        # and the same token cannot open a second conversation (one-time, even without jti)
        again = Client().post(
            "/sandbox/api/sessions",
            json.dumps({"messenger": messenger.slug, "token": token}),
            content_type="application/json",
        )
        assert (again.status_code, again.json()["reason"]) == (401, "replayed"), platform


@pytest.mark.django_db
def test_seed_demo_prints_no_shared_secret(settings):
    from brands import keycache

    out = io.StringIO()
    call_command("seed_demo", "--allow-production-demo", stdout=out)
    for slug in ("northwind-zendesk", "northwind-intercom"):
        secret = keycache.messenger_secret(messenger=Messenger.objects.get(slug=slug)).key
        assert len(secret) >= 32
        assert secret.decode() not in out.getvalue()
