"""Fixtures of the messaging tests."""

import pytest

from tests.messaging.oidc_helpers import auth_code


@pytest.fixture
def code(verified_client, genesys_client):
    """What the auth-code API answered the verified customer for ``acme-genesys``."""
    messenger, _ = genesys_client
    return auth_code(verified_client, messenger.slug).json()
