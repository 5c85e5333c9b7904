"""A passkey-first enrollment keeps its new backup codes sealed, as the authenticator path does.

The attack: read the ``django_session`` row (or the Redis session entry) of a customer who
just chose a passkey as first second factor. Session data is signed, not encrypted: base64 of
JSON, readable without any key. The codes must not be there in clear.
"""

import json
import re

import pytest
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core.cache import caches
from django.db import connection
from django.test import Client

from tests.accounts.softkey import SoftAuthenticator

ORIGIN = "http://localhost:8000"
CODES = re.compile(r"<li><code>([^<]+)</code></li>")


@pytest.fixture(autouse=True)
def _relying_party(settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _raw_session_text(session_key: str) -> str:
    """What someone reading the session table and the cache sees, decoded without a key."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_data FROM django_session WHERE session_key = %s", [session_key]
        )
        row = cursor.fetchone()
    stored = [row[0] if row else ""]
    cached = caches["default"].get(SessionStore.cache_key_prefix + session_key)
    stored.append(repr(cached))
    # signed, not encrypted: the payload decodes with base64/zlib alone
    stored.append(repr(SessionStore().decode(row[0])) if row else "")
    return "\n".join(stored)


@pytest.mark.django_db
def test_a_passkey_first_enrollment_never_stores_the_backup_codes_in_clear(customer):
    # given a customer past the password step, with no second factor yet
    client = Client()
    client.force_login(customer.user)
    key = SoftAuthenticator(origin=ORIGIN)
    options = _post(client, "/security/passkeys/register/begin/", {}).json()
    # when the passkey becomes the first second factor
    done = _post(client, "/security/passkeys/register/complete/", key.create(options))
    assert done.status_code == 200
    # (what the session store holds while the codes wait to be shown and saved)
    raw = _raw_session_text(client.session.session_key)
    page = client.get(done.json()["redirect"])
    codes = CODES.findall(_codes_block(page.content.decode()))
    assert len(codes) == 10
    # then neither the session row nor the cache held one of them in clear
    assert not [code for code in codes if code in raw]
    # and the page is shown again on reload until the customer says they saved them
    again = CODES.findall(_codes_block(client.get("/login/backup-codes/").content.decode()))
    assert again == codes


def _codes_block(html: str) -> str:
    start = html.find('id="backup-codes"')
    return html[start : html.find("</ol>", start)] if start >= 0 else ""


@pytest.mark.django_db
def test_codes_a_session_held_in_clear_before_are_sealed_at_the_former_address(
    verified_client, customer
):
    # given a session from before the fix, holding its new codes in clear
    session = verified_client.session
    session["accounts_passkey_backup_codes"] = ["aaaa2222", "bbbb3333"]
    session.save()
    # when the customer follows the former address of the codes page
    response = verified_client.get("/login/enroll/codes/")
    # then the codes are shown on the codes page and no longer stored in clear
    assert response["Location"] == "/login/backup-codes/"
    page = verified_client.get("/login/backup-codes/").content.decode()
    assert CODES.findall(_codes_block(page)) == ["aaaa2222", "bbbb3333"]
    raw = _raw_session_text(verified_client.session.session_key)
    assert "aaaa2222" not in raw
