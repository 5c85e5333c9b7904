"""Friendly 404/500 pages: no URL list, even in DEBUG; the 500 page needs no database."""

import pytest
from django.test import RequestFactory, override_settings

from config.api_guard import server_error


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_address_shows_the_plain_404_page(client, debug):
    with override_settings(DEBUG=debug):
        response = client.get("/does-not-exist/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We can't find that page" in html and 'href="/"' in html
    # never Django's technical page with the URL patterns
    assert "URLconf" not in html and "admin/" not in html and "Using the" not in html
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_view_404_in_debug_is_the_same_plain_page(staff_client):
    url = "/sandbox/console/conversations/00000000-0000-0000-0000-000000000000/"
    with override_settings(DEBUG=True):
        response = staff_client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert "We can't find that page" in html
    assert "No Conversation matches" not in html and "Raised by" not in html


@pytest.mark.django_db
def test_api_paths_keep_their_json_errors_in_debug(client):
    with override_settings(DEBUG=True):
        response = client.post(
            "/api/v1/messaging/token", {"messenger": "nope"}, content_type="application/json"
        )
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_the_500_page_renders_without_the_database():
    # no django_db mark: any query here would fail the test
    response = server_error(RequestFactory().get("/some/page/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "Traceback" not in html and 'href="/"' in html


def test_the_500_page_of_an_api_path_is_json():
    response = server_error(RequestFactory().get("/api/v1/messaging/token"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
