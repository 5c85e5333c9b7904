"""A NUL character anywhere a request carries text is a clear 400, on PostgreSQL as on SQLite.

The attack: ``%00`` in a path, a form field, a JSON string, a cookie, a header or an HTTP Basic
credential. PostgreSQL's text types cannot hold U+0000 (the driver refuses the query), which
the portal answered with 503 "unavailable" and an ERROR traceback; SQLite stored it or
answered 4xx. PostgreSQL documents the limit: "The character with the code zero cannot be in
a string constant" (https://www.postgresql.org/docs/current/datatype-character.html).
"""

import base64
import json
import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _no_traceback(caplog) -> bool:
    return not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def _refused_as_json(response) -> bool:
    return (response.status_code, response.json()["error"]) == (400, "invalid_text")


@pytest.mark.parametrize(
    "path",
    [
        "/brands/northwind%00/.well-known/jwks.json",
        "/brands/a%00b/oidc/userinfo",
        "/api/v1/messaging/token%00",
        "/.well-known/jwks.json?kid=%00",
    ],
)
def test_a_nul_in_an_api_path_or_query_is_a_json_400(path, caplog, brand):
    response = Client().get(path)
    assert _refused_as_json(response)
    assert _no_traceback(caplog)


@pytest.mark.parametrize("path", ["/admin/accounts/user/1%00/change/", "/login/?next=/%00"])
def test_a_nul_in_a_page_path_is_a_plain_400(path, caplog, db):
    response = Client().get(path)
    assert response.status_code == 400 and b"NUL" in response.content
    assert _no_traceback(caplog)


def test_a_nul_in_a_login_form_field_is_a_400(customer, caplog):
    client = Client()
    response = client.post("/login/", {"username": "alice\x00", "password": "x"})
    assert response.status_code == 400 and b"NUL" in response.content
    assert _no_traceback(caplog)


def test_a_nul_in_a_basic_credential_is_a_json_400(brand, caplog):
    # RFC 6749 section 2.3.1: client_secret_basic is "id:secret", each form-urlencoded
    for raw in (b"client\x00:secret", b"client%00:secret", b"client:se%00cret"):
        header = "Basic " + base64.b64encode(raw).decode()
        response = Client().post(
            f"/brands/{brand.slug}/oidc/token",
            {"grant_type": "authorization_code", "code": "x"},
            HTTP_AUTHORIZATION=header,
        )
        assert _refused_as_json(response), raw
    assert _no_traceback(caplog)


def test_a_nul_in_a_passkey_name_is_a_json_400(verified_client, caplog):
    response = verified_client.post(
        "/security/passkeys/register/complete/",
        json.dumps({"name": "phone\u0000", "id": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_text"
    assert _no_traceback(caplog)


def test_a_nul_in_a_json_api_body_is_a_json_400(verified_client, messenger, caplog):
    response = verified_client.post(
        "/api/v1/messaging/token",
        json.dumps({"messenger": messenger.slug + "\u0000"}),
        content_type="application/json",
    )
    assert _refused_as_json(response)
    assert _no_traceback(caplog)


def test_a_nul_in_the_session_cookie_is_a_400_not_a_database_error(db, caplog):
    client = Client()
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    assert client.get("/login/").status_code == 400
    assert _no_traceback(caplog)


def test_a_nul_in_a_header_stored_with_the_audit_is_a_json_400(verified_client, messenger):
    response = verified_client.post(
        "/api/v1/messaging/token",
        json.dumps({"messenger": messenger.slug}),
        content_type="application/json",
        HTTP_USER_AGENT="agent\x00",
    )
    assert _refused_as_json(response)


def test_text_without_nul_is_untouched(verified_client, messenger):
    response = verified_client.post(
        "/api/v1/messaging/token",
        json.dumps({"messenger": messenger.slug}),
        content_type="application/json",
        HTTP_USER_AGENT="Mozilla/5.0 %2500 \\u0041",
    )
    assert response.status_code == 200, response.content
