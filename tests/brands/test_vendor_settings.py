"""Vendor settings are validated by the platform's declarations: clear field errors in the
services and the admin, exit code 2 with the same message from create_messenger."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from brands import services
from brands.errors import BrandsError
from brands.models import Messenger
from brands.platforms import vendor_settings_example
from tests.admin import MESSENGER_ADD, messenger_add_payload

pytestmark = pytest.mark.django_db


def _with(platform: str, **changes) -> dict:
    settings = vendor_settings_example(platform)
    for name, value in changes.items():
        if value is None:
            settings.pop(name)
        else:
            settings[name] = value
    return settings


CASES = {
    "salesforce bad org id": ("salesforce", {"org_id": "12345"}, "org_id (Org id)"),
    "salesforce http site": (
        "salesforce",
        {"site_url": "http://acme.my.site.com/ESW"},
        "site_url (Site URL): must use https",
    ),
    "salesforce scrt2 with a path": (
        "salesforce",
        {"scrt2_url": "https://acme.my.salesforce-scrt.com/x"},
        "without a path",
    ),
    "salesforce missing deployment": (
        "salesforce",
        {"deployment_name": None},
        "deployment_name (Embedded Service deployment API name) is required",
    ),
    "zendesk snippet key not a uuid": ("zendesk", {"snippet_key": "abc"}, "must be a UUID"),
    "zendesk subdomain with domain": (
        "zendesk",
        {"subdomain": "acme.zendesk.com"},
        "subdomain only",
    ),
    "liveperson account letters": ("liveperson", {"account_id": "acme"}, "digits"),
    "liveperson js method": (
        "liveperson",
        {"auth_method": "alert(1)"},
        "JavaScript function name",
    ),
    "d365 org url http": ("d365", {"org_url": "http://m-x.omnichannelengagementhub.com"}, "https"),
    "d365 app id": ("d365", {"app_id": "not-a-uuid"}, "app_id (Widget app id (data-app-id))"),
    "intercom app id": ("intercom", {"app_id": "A B"}, "Intercom app id"),
    "genesys environment": ("genesys", {"environment": "Prod EU"}, "region code"),
    "unknown setting": ("intercom", {"appid": "x"}, "Unknown Intercom setting(s): appid"),
    "sandbox not a bool": ("zendesk", {"sandbox": "yes"}, "sandbox: must be true or false"),
}


@pytest.mark.parametrize(("platform", "changes", "message"), CASES.values(), ids=CASES.keys())
def test_bad_vendor_settings_are_field_errors(brand, platform, changes, message):
    with pytest.raises(BrandsError) as caught:
        services.messenger_create(
            brand=brand, slug="m", platform=platform, vendor_settings=_with(platform, **changes)
        )
    assert caught.value.code == "invalid_messenger"
    assert caught.value.detail.startswith("vendor_settings:")
    assert message in caught.value.detail
    assert not Messenger.objects.exists()


@pytest.mark.parametrize(
    ("platform", "changes", "message"),
    [
        CASES["salesforce bad org id"],
        CASES["salesforce http site"],
        CASES["liveperson account letters"],
    ],
)
def test_create_messenger_exits_2_with_the_field_error(brand, platform, changes, message):
    with pytest.raises(CommandError) as caught:
        call_command(
            "create_messenger",
            "acme",
            "m",
            "--platform",
            platform,
            "--vendor-settings",
            json.dumps(_with(platform, **changes)),
            stdout=io.StringIO(),
        )
    assert caught.value.returncode == 2
    assert message in str(caught.value)


def test_settings_are_cleaned_and_the_sandbox_flag_is_kept(brand):
    messenger = services.messenger_create(
        brand=brand,
        slug="sf",
        platform="salesforce",
        vendor_settings=_with(
            "salesforce", site_url="https://acme.my.site.com/ESW/", sandbox=True
        ),
    )
    assert messenger.vendor_settings["site_url"] == "https://acme.my.site.com/ESW"
    assert messenger.vendor_settings["sandbox"] is True


def test_an_unregistered_platform_is_not_offered_by_the_command(brand):
    with pytest.raises(CommandError):
        call_command("create_messenger", "acme", "m", "--platform", "freshchat")


def test_the_admin_shows_vendor_setting_errors_on_the_field(staff_client, brand):
    response = staff_client.post(
        MESSENGER_ADD,
        messenger_add_payload(
            brand,
            "sf",
            "salesforce",
            attributes="[]",
            allowed_origins="[]",
            vendor_settings=json.dumps(_with("salesforce", org_id="00Dbad")),
        ),
    )
    assert response.status_code == 200
    assert "org_id (Org id): must be a Salesforce org id" in response.content.decode()
    assert not Messenger.objects.exists()


def test_the_algorithm_must_be_one_the_platform_accepts(brand):
    with pytest.raises(BrandsError) as caught:
        services.messenger_create(
            brand=brand,
            slug="zen",
            platform="zendesk",
            algorithm="RS256",
            vendor_settings=vendor_settings_example("zendesk"),
        )
    assert "Zendesk tokens are signed with HS256, not RS256" in caught.value.detail
