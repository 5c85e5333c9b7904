"""Fixtures of the conformance tests: the provider at an https public URL, and relying
parties (Authlib clients) of two brands."""

import pytest
from django.test import Client

from tests import factories
from tests.conftest import GENESYS_REDIRECT, genesys_client_create, login_verified
from tests.oidc.relying_party import BASE, RelyingParty


@pytest.fixture(autouse=True)
def _https_provider(settings):
    settings.PUBLIC_BASE_URL = BASE


@pytest.fixture
def rp(genesys_client, brand) -> RelyingParty:
    """Brand acme's Genesys client, run by an independent relying party."""
    messenger, secret = genesys_client
    return RelyingParty(
        issuer=brand.issuer_url,
        client_id=messenger.client_id,
        client_secret=secret,
        redirect_uri=GENESYS_REDIRECT,
    )


@pytest.fixture
def other_rp(other_brand) -> RelyingParty:
    """Brand globex's Genesys client (another issuer, another key)."""
    messenger, secret = genesys_client_create(other_brand, "globex-genesys")
    return RelyingParty(
        issuer=other_brand.issuer_url,
        client_id=messenger.client_id,
        client_secret=secret,
        redirect_uri=GENESYS_REDIRECT,
    )


@pytest.fixture
def browser(customer, totp_device) -> Client:
    """The customer's browser: logged into the portal with password and TOTP, and holding
    backup codes to prove the second factor again when asked."""
    factories.backup_device(customer.user, codes=("again0001", "again0002", "again0003"))
    return login_verified(Client(), customer.user, totp_device)
