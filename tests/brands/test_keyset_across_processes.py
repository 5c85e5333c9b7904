"""On the embedded default (no Redis), a key revoked by a command or
another worker is gone from the running server's JWKS, and never signs, within 1 s."""

import io
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache.backends.locmem import LocMemCache
from django.core.management import call_command
from django.db import connection

from brands import keyset
from messaging.services import token_issue

ROOT = Path(__file__).resolve().parents[2]
TOKEN_API = "/api/v1/messaging/token"


def _kids(client, brand) -> list[str]:
    return [
        k["kid"] for k in client.get(f"/brands/{brand.slug}/.well-known/jwks.json").json()["keys"]
    ]


@pytest.mark.skipif(
    not keyset.cache_is_process_local(), reason="the embedded default has no shared cache"
)
@pytest.mark.django_db(transaction=True)
def test_a_key_revoked_in_another_process_leaves_this_servers_jwks_at_once(
    client, verified_client, brand, signing_key, messenger, monkeypatch
):
    # given this server has served (and cached) the JWKS and signed with the key
    assert _kids(client, brand) == [signing_key.kid]
    assert (
        verified_client.post(
            TOKEN_API, json.dumps({"messenger": messenger.slug}), content_type="application/json"
        ).status_code
        == 200
    )
    # when another process, with its own in-process cache, revokes it
    monkeypatch.setattr("brands.keyset.cache", LocMemCache("another-process", {}))
    call_command("revoke_signing_key", "--", signing_key.kid, stdout=io.StringIO())
    monkeypatch.undo()
    # then this server's next JWKS and signing attempt already know
    assert _kids(client, brand) == []
    refused = verified_client.post(
        TOKEN_API, json.dumps({"messenger": messenger.slug}), content_type="application/json"
    )
    assert refused.status_code == 503 and refused.json()["error"] == "no_signing_key"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a second process needs a database file or server"
)
@pytest.mark.django_db(transaction=True)
def test_a_key_revoked_by_the_command_in_a_subprocess_is_gone_within_one_second(
    live_server, brand, signing_key, customer, messenger, settings
):
    # given the embedded default's store in this server (the subprocess has no Redis either)
    settings.BRANDS_KEYSET_STORE = "database"
    url = f"{live_server.url}/brands/{brand.slug}/.well-known/jwks.json"

    def kids() -> list[str]:
        with urllib.request.urlopen(url, timeout=5) as response:
            return [k["kid"] for k in json.loads(response.read())["keys"]]

    assert kids() == [signing_key.kid]
    token_issue(customer=customer, messenger=messenger)
    db = django_settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    # when an operator revokes it from the command line
    subprocess.run(
        [sys.executable, "manage.py", "revoke_signing_key", "--", signing_key.kid],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    revoked_at = time.monotonic()
    # then within 1 s the running server publishes it no more and cannot sign with it
    while kids() and time.monotonic() - revoked_at < 1:
        time.sleep(0.05)
    assert kids() == []
    with pytest.raises(Exception, match="no active"):
        token_issue(customer=customer, messenger=messenger)


@pytest.mark.django_db
def test_revoke_signing_key_with_an_unknown_kid_exits_2():
    with pytest.raises(Exception) as excinfo:
        call_command("revoke_signing_key", "no-such-kid")
    assert excinfo.value.returncode == 2
