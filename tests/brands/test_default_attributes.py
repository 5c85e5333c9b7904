"""One default attribute selection, whichever way a messenger is made."""

import jwt
import pytest
from django.core.management import call_command

from brands.models import DEFAULT_ATTRIBUTES, Messenger
from messaging.services import token_issue

pytestmark = pytest.mark.django_db


def test_create_messenger_without_attributes_issues_tokens_with_the_default_attributes(
    customer, signing_key
):
    # given a messenger created by the command, without --attributes
    call_command("create_messenger", "acme", "plain", "--platform", "generic")
    messenger = Messenger.objects.get(slug="plain")
    # when a token is issued for it
    issued = token_issue(customer=customer, messenger=messenger)
    claims = jwt.decode(issued.token, options={"verify_signature": False})
    # then it carries names, tier, VIP flag and balance, as the model, admin and docs say
    assert messenger.attributes == list(DEFAULT_ATTRIBUTES)
    assert claims["firstName"] == customer.first_name
    assert claims["accountTier"] == customer.tier.code
    assert claims["isVip"] == customer.is_vip
    assert "accountBalance" in claims and "email" not in claims


def test_an_empty_attributes_option_still_sends_none(customer, signing_key):
    call_command("create_messenger", "acme", "bare", "--platform", "generic", "--attributes", "")
    assert Messenger.objects.get(slug="bare").attributes == []
