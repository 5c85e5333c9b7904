"""The staff report pages: second factor required, filters with form errors, CSV, metrics."""

import csv
import io

import pytest
from django.test import Client

from tests import factories
from tests.reports.conftest import chat

pytestmark = pytest.mark.django_db

URL = "/admin/reports/"


def test_staff_with_a_verified_device_see_the_report_linked_from_the_admin_index(staff_client):
    index = staff_client.get("/admin/")
    assert URL in index.content.decode()
    response = staff_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Authentication report" in page and "<svg" in page


def test_staff_without_second_factor_and_customers_are_sent_to_log_in(staff_user, verified_client):
    password_only = Client()
    password_only.force_login(staff_user)
    for client in (Client(), password_only, verified_client):
        response = client.get(URL)
        assert response.status_code == 302
        assert "/login" in response["Location"] or "/verify" in response["Location"]
        assert client.get(URL + "events/").status_code == 302


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("brand=nope", "Select a valid choice"),
        ("messenger=nope", "Select a valid choice"),
        ("period=custom&since=2026-11-30&until=2026-11-01", "inverted"),
        ("period=custom&since=yesterday&until=2026-11-01", "not an ISO 8601"),
        ("period=custom&since=2026-11-01", "needs both"),
        ("period=fortnight", "Select a valid choice"),
    ],
)
def test_bad_filters_show_a_form_error(staff_client, query, message):
    response = staff_client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_messenger_of_another_brand_is_a_form_error(staff_client, brand, other_messenger):
    response = staff_client.get(f"{URL}?brand={brand.slug}&messenger={other_messenger.slug}")
    assert response.status_code == 400
    assert "is not a messenger of" in response.content.decode()


def test_an_empty_period_shows_zeros_and_dashes_not_made_up_figures(staff_client, brand):
    response = staff_client.get(f"{URL}?brand={brand.slug}&period=today")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="tile-attempts"><span class="value">0<' in page
    # no attempt: no success rate; no verified conversation: no click-to-verified time
    assert 'id="tile-success"><span class="value">\N{EN DASH}<' in page
    table = page[page.index('id="gap-table"') :]
    gaps = table[table.index("<tbody>") : table.index("</table>")]
    assert " ms" not in gaps and gaps.count("\N{EN DASH}</td>") == 3
    assert "No platform rejections in this period." in page
    assert 'id="outcomes-total">0<' in page
    assert "(none)" not in page  # no empty bar chart under the empty table
    assert page.count('<figure class="chart">') == 1  # the time series only


def test_a_period_with_conversations_shows_rate_and_times(staff_client, add_event, messenger):
    from django.utils import timezone

    from messaging.models import AuthEvent

    AuthEvent.objects.all().delete()
    chat(add_event, 1500, minutes_ago=0)
    add_event("chat_opened", minutes_ago=0)
    add_event("platform_rejected", minutes_ago=0, reason="expired")
    AuthEvent.objects.update(occurred_at=timezone.now())
    page = staff_client.get(f"{URL}?period=today").content.decode()
    assert 'id="tile-success"><span class="value">50&nbsp;%<' in page
    assert '<td class="" title="1500 ms">1.5 s</td>' in page  # humanised, exact on hover
    # the outcome table explains the attempt that did not end verified, and adds up
    outcomes = page[
        page.index('id="outcomes"') : page.index("</table>", page.index('id="outcomes"'))
    ]
    assert '<tr data-outcome="verified">' in outcomes
    assert "<td>1</td><td>50\N{NO-BREAK SPACE}%</td>" in outcomes
    assert '<tr data-outcome="rejected:expired"><td>Platform rejected: expired</td><td>1</td>' in (
        outcomes
    )
    assert 'id="outcomes-total">2<' in outcomes
    assert page.count('<figure class="chart">') == 3  # click-to-verified, over time, rejections


def test_the_csv_export_has_the_figures_and_the_drilldown_lists_events(
    staff_client, add_event, messenger
):
    from messaging.models import AuthEvent

    AuthEvent.objects.all().delete()
    chat(add_event, 1500, minutes_ago=0)
    add_event("platform_rejected", minutes_ago=0, reason="bad_signature")
    # the hand-made set is dated at conftest.NOW; move it to the present for "today"
    from django.utils import timezone

    AuthEvent.objects.update(occurred_at=timezone.now())
    response = staff_client.get(f"{URL}?period=today&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    figures = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert figures[("figure", "attempts")] == "1"
    assert figures[("figure", "verified")] == "1"
    assert figures[("gap_ms", "p50")] == "1500"
    assert figures[("rejected", "bad_signature")] == "1"
    events = staff_client.get(f"{URL}events/?period=today&kind=platform_rejected")
    assert events.status_code == 200
    assert "bad_signature" in events.content.decode()
    events_csv = staff_client.get(f"{URL}events/?period=today&kind=chat_opened&format=csv")
    lines = events_csv.content.decode().strip().splitlines()
    assert len(lines) == 2 and "chat_opened" in lines[1]
    assert staff_client.get(f"{URL}events/?kind=bogus").status_code == 400


def test_metrics_need_the_bearer_token_from_the_environment(client, settings, add_event):
    settings.REPORTS_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.REPORTS_METRICS_TOKEN = "s3cret-metrics-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    from django.utils import timezone

    from messaging.models import AuthEvent

    add_event("platform_rejected", reason="expired")
    AuthEvent.objects.update(occurred_at=timezone.now())
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'portal_auth_events_last_hour{brand="acme",kind="platform_rejected"} 1' in body
    assert 'portal_auth_rejections_last_hour{brand="acme",reason="expired"} 1' in body
    assert "s3cret" not in body


def test_a_staff_user_without_device_cannot_read_events(db):
    user = factories.UserFactory(username="nodevice", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get(URL).status_code == 302


# --- the attack trial: every staff account read the events and their CSV ---------------------


PERIOD = {"period": "custom", "since": "2026-11-20", "until": "2026-11-30"}  # around NOW


def _staff_client(*permissions: str) -> Client:
    from django.contrib.auth.models import Permission

    from tests.conftest import login_verified

    user = factories.UserFactory(username="clerk", is_staff=True, is_superuser=False)
    for name in permissions:
        app, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    return login_verified(Client(), user, factories.TOTPDeviceFactory(user=user))


def test_staff_without_the_report_permission_read_no_report_nor_csv(add_event):
    # given a staff member with a verified device and no permission, and one event
    add_event("token_issued", client_address="203.0.113.7", jti="jti-secret-1")
    client = _staff_client()
    # when it opens the pages and their CSV exports
    answers = [
        client.get(URL, PERIOD),
        client.get(URL, {**PERIOD, "format": "csv"}),
        client.get(URL + "events/", {**PERIOD, "kind": "token_issued"}),
        client.get(URL + "events/", {**PERIOD, "kind": "token_issued", "format": "csv"}),
    ]
    # then each is refused, nothing of the event shows, and the index does not link them
    assert [a.status_code for a in answers] == [403, 403, 403, 403]
    assert not [a for a in answers if b"203.0.113.7" in a.content or b"jti-secret-1" in a.content]
    assert URL not in client.get("/admin/").content.decode()


def test_staff_with_the_report_permission_read_the_events_csv(add_event):
    add_event("token_issued", client_address="203.0.113.7", jti="jti-secret-1")
    client = _staff_client("reports.view_report")
    assert URL in client.get("/admin/").content.decode()
    response = client.get(URL + "events/", {**PERIOD, "kind": "token_issued", "format": "csv"})
    assert response.status_code == 200 and b"jti-secret-1" in response.content


def test_a_period_of_ten_years_is_refused_with_a_clear_message(staff_client):
    response = staff_client.get(
        URL, {"period": "custom", "since": "2016-01-01", "until": "2025-12-31"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "covers 3653 days" in page and "at most 400 days" in page
    events = staff_client.get(
        URL + "events/", {"period": "custom", "since": "2016-01-01", "until": "2025-12-31"}
    )
    assert events.status_code == 400


def test_a_period_of_400_days_is_accepted(staff_client):
    response = staff_client.get(
        URL, {"period": "custom", "since": "2025-01-01", "until": "2026-02-04"}
    )
    assert response.status_code == 200
