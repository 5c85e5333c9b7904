"""The chat picker offers each brand's customer-facing chats; the others open from a link."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from brands import services as brand_services
from brands.models import Messenger
from tests import factories
from tests.conftest import login_verified


def _config(page: str) -> dict:
    start = page.index('<script id="chat-config" type="application/json">') + 49
    return json.loads(page[start : page.index("</script>", start)])


@pytest.mark.django_db
def test_a_messenger_kept_out_of_the_picker_still_opens_from_a_link(
    verified_client, brand, messenger
):
    # given a second chat of the brand kept out of the picker
    brand_services.messenger_create(brand=brand, slug="acme-lab", platform="generic")
    Messenger.objects.filter(slug="acme-lab").update(in_chat_picker=False)
    # when the customer opens the portal
    page = verified_client.get("/").content.decode()
    # then the picker is gone (one chat: just the button) and the config still knows it
    assert '<select id="chat-messenger"' not in page
    assert '<input type="hidden" id="chat-messenger" name="messenger" value="acme-web">' in page
    assert [m["slug"] for m in _config(page)["messengers"]] == ["acme-lab", "acme-web"]


@pytest.mark.django_db
def test_a_brand_that_offers_no_chat_lists_all_of_its_own(verified_client, messenger):
    Messenger.objects.filter(pk=messenger.pk).update(in_chat_picker=False)
    page = verified_client.get("/").content.decode()
    assert 'value="acme-web"' in page and "Chat is not available" not in page


@pytest.mark.django_db
def test_seed_demo_offers_each_brand_one_chat_and_names_the_others(settings):
    call_command("seed_demo", "--allow-production-demo", stdout=io.StringIO())
    offered = Messenger.objects.filter(in_chat_picker=True).values_list("slug", flat=True)
    assert sorted(offered) == ["harbor-web", "northwind-web"]
    hidden = dict(Messenger.objects.filter(in_chat_picker=False).values_list("slug", "label"))
    assert hidden["northwind-salesforce"] == "Salesforce integration test"
    assert hidden["northwind-secure"] == "secure chat (passkey)"
    # alice (Northwind) sees one chat; bob (Northwind and Harbor) one per brand
    for username, expected in (("alice", None), ("bob", ["harbor-web", "northwind-web"])):
        user = User.objects.get(username=username)
        client = login_verified(Client(), user, factories.TOTPDeviceFactory(user=user))
        page = client.get("/").content.decode()
        if expected is None:
            assert '<select id="chat-messenger"' not in page
            assert 'name="messenger" value="northwind-web"' in page
        else:
            assert page.count("<option ") == len(expected)
            for slug in expected:
                assert f'<option value="{slug}">' in page
    # a second run changes nothing
    call_command("seed_demo", "--allow-production-demo", stdout=io.StringIO())
    assert Messenger.objects.filter(in_chat_picker=True).count() == 2
