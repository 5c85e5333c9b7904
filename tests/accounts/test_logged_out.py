"""After logging out the customer reads that they are logged out, with a way back in; the
browser's /favicon.ico request finds the portal's icon."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse


@pytest.mark.django_db
def test_logging_out_lands_on_a_you_are_logged_out_page(verified_client):
    response = verified_client.post(reverse("accounts:logout"), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("accounts:logged-out")
    assert "You are logged out" in page
    assert f'href="{reverse("accounts:login")}"' in page and "Log in again" in page
    # and the session is really gone
    assert verified_client.get("/").status_code == 302


@pytest.mark.django_db
def test_the_logged_out_page_sends_a_logged_in_visitor_home(verified_client):
    response = verified_client.get(reverse("accounts:logged-out"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:home")


@pytest.mark.django_db
def test_favicon_ico_is_served(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert finders.find("favicon.svg")
