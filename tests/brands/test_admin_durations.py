"""Durations in the admin read as staff say them: "90 days", never Python's "90 days, 0:00:00"."""

from datetime import timedelta

import pytest
from django.urls import reverse

from config.appconf import duration_text
from tests import factories


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (timedelta(days=90), "90 days"),
        (timedelta(days=1), "1 day"),
        (timedelta(hours=1, minutes=30), "1 hour, 30 minutes"),
        (timedelta(seconds=300), "5 minutes"),
        (timedelta(seconds=30), "30 seconds"),
        (timedelta(days=2, seconds=1), "2 days, 1 second"),
        (timedelta(0), "0 seconds"),
        (timedelta(seconds=-90), "minus 1 minute, 30 seconds"),
        (300, "5 minutes"),  # a number is seconds
        ("RS256", "RS256"),  # anything else as it is
    ],
)
def test_a_duration_is_written_in_words(value, shown):
    assert duration_text(value) == shown


@pytest.mark.django_db
def test_the_rotation_timeline_states_its_policy_in_words(staff_client, settings):
    # given the default policy and one longer than a day with hours in it
    settings.BRANDS_RETENTION = timedelta(days=1, hours=2)
    brand = factories.BrandFactory()
    # when staff open the brand's rotation timeline
    page = staff_client.get(reverse("admin:brands_brand_rotation", args=[brand.pk]))
    html = page.content.decode()
    # then every duration of the policy reads in words
    assert page.status_code == 200
    assert "Retention of retired keys: 1 day, 2 hours" in html
    assert "Leeway: 30 seconds" in html
    policy = html.split('id="rotation-policy"')[1].split("</ul>")[0]
    assert ":00:00" not in policy and "0:0" not in policy
