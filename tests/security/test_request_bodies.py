"""Body cap, nesting limit, and no HTML 500 on any API path."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.test import Client, override_settings

TOKEN_API = "/api/v1/messaging/token"
SANDBOX_SESSIONS = "/sandbox/api/sessions"


def _nested(depth: int) -> str:
    return '{"messenger": ' + "[" * depth + "]" * depth + "}"


def test_a_body_over_64_kib_is_refused_with_413_before_authentication(db):
    # given an anonymous caller and a 1 MiB body (no session needed to send it)
    body = json.dumps({"messenger": "x" * (1024 * 1024)})
    for path in (TOKEN_API, SANDBOX_SESSIONS, "/brands/acme/oidc/token"):
        response = Client().post(path, body, content_type="application/json")
        # then
        assert response.status_code == 413, path
        assert response.json()["error"] == "request_too_large"


def test_a_form_encoded_body_over_the_cap_is_refused_too(db):
    response = Client().post(
        "/brands/acme/oidc/token",
        "grant_type=authorization_code&code=" + "a" * (70 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": "request_too_large",
        "detail": f"The request body is {70 * 1024 + 35} bytes; the limit is 65536 bytes.",
    }


def test_a_body_just_under_the_cap_still_reaches_the_api(verified_client, messenger):
    padding = "x" * (60 * 1024)
    body = json.dumps({"messenger": messenger.slug, "padding": padding})
    response = verified_client.post(TOKEN_API, body, content_type="application/json")
    assert response.status_code == 200


def test_deeply_nested_json_is_a_400_not_a_recursion_error(verified_client, messenger):
    for depth in (6, 100_000 // 2):
        response = verified_client.post(
            TOKEN_API, _nested(depth)[: 64 * 1024], content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"


def test_deeply_nested_json_on_the_open_sandbox_endpoint_is_a_400(db):
    response = Client().post(SANDBOX_SESSIONS, _nested(30_000), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_brackets_inside_strings_do_not_count_as_nesting(verified_client, messenger):
    body = json.dumps({"messenger": messenger.slug, "note": "[[[[[[[[[[{{{{{{{{"})
    response = verified_client.post(TOKEN_API, body, content_type="application/json")
    assert response.status_code == 200


def test_an_unexpected_failure_in_an_api_is_a_json_500(verified_client, messenger, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("messaging.services.token_issue", broken)
    verified_client.raise_request_exception = False
    response = verified_client.post(
        TOKEN_API, json.dumps({"messenger": messenger.slug}), content_type="application/json"
    )
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "server_error", "detail": "An unexpected error occurred."}


def test_a_database_outage_in_an_api_is_a_json_503(verified_client, messenger, monkeypatch):
    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("messaging.services.token_issue", down)
    verified_client.raise_request_exception = False
    response = verified_client.post(
        TOKEN_API, json.dumps({"messenger": messenger.slug}), content_type="application/json"
    )
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"


@pytest.mark.parametrize("length", ["abc", "-5"])
def test_a_nonsense_content_length_is_a_400(db, length):
    response = Client().generic(
        "POST", TOKEN_API, b"{}", content_type="application/json", CONTENT_LENGTH=length
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here",
        "/api/v1/messaging/messengers/%C3%A9/setup",  # not a slug: no pattern matches
        "/brands/acme/oidc/nothing",
        "/sandbox/api/nothing",
    ],
)
def test_an_api_address_no_pattern_matches_is_a_json_404(db, path, debug):
    with override_settings(DEBUG=debug):
        response = Client().get(path)
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "detail": "There is no API endpoint at this address.",
    }
    # never Django's technical page, which lists the URL patterns
    assert b"URLconf" not in response.content


def test_a_multipart_body_django_cannot_parse_is_a_json_400_not_a_500(brand):
    # found by fuzzing: the authorize endpoint reads request.POST, and Django's multipart
    # parser raised on a body with no part headers
    response = Client().generic(
        "POST",
        f"/brands/{brand.slug}/oidc/authorize",
        b"x" * 2000,
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "malformed_request",
        "detail": "The request could not be read.",
    }


def test_a_permission_denied_raised_by_a_plain_view_on_an_api_path_is_a_json_403(
    brand, monkeypatch
):
    def refuse(**kwargs):
        raise PermissionDenied("the view says no")

    monkeypatch.setattr("messaging.oidc.views.brand_get", refuse)
    response = Client().get(f"/brands/{brand.slug}/oidc/authorize")
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    assert b"the view says no" not in response.content


def test_a_host_outside_allowed_hosts_is_a_json_400_on_api_paths(db):
    for path in (TOKEN_API, "/.well-known/jwks.json", SANDBOX_SESSIONS):
        response = Client().post(
            path, b"{}", content_type="application/json", HTTP_HOST="evil.example"
        )
        assert response.status_code == 400, path
        assert response.json() == {
            "error": "invalid_request",
            "detail": "The Host header names no address this service answers.",
        }
