"""The brand screens, as a verified staff user: a brand's messengers inline, its key action,
and the rotation timeline (states, dates, the published JWKS, why each step is due)."""

import re

import pytest
from django.urls import reverse

from brands import services
from brands.models import SigningKey
from tests.admin import KEY_ADD, run_action

pytestmark = pytest.mark.django_db

BRAND_ADD = reverse("admin:brands_brand_add")


def test_brand_action_generates_a_key(staff_client, brand):
    response = run_action(
        staff_client, reverse("admin:brands_brand_changelist"), "generate_rs256_key", brand
    )
    assert response.status_code == 302
    assert SigningKey.objects.filter(brand=brand, state="pending").count() == 1


def test_rotation_timeline_shows_states_dates_and_the_published_jwks(staff_client, brand):
    retired = services.signing_key_generate(brand=brand, activate=True)
    active = services.signing_key_generate(brand=brand)
    services.signing_key_activate(key=active, force=True)
    revoked = services.signing_key_generate(brand=brand)
    services.signing_key_revoke(key=revoked)
    change = staff_client.get(reverse("admin:brands_brand_change", args=[brand.pk]))
    url = reverse("admin:brands_brand_rotation", args=[brand.pk])
    assert url in change.content.decode()
    page = staff_client.get(url).content.decode()
    for key in (retired, active, revoked):
        assert key.kid in page
    published = re.search(r'<pre id="published-jwks">(.*?)</pre>', page, re.S).group(1)
    assert retired.kid in published and active.kid in published
    assert revoked.kid not in published
    assert "leaves the JWKS" in page and "rotation due" in page


def test_rotation_timeline_of_an_unknown_brand_redirects(staff_client):
    response = staff_client.get(reverse("admin:brands_brand_rotation", args=[999]))
    assert response.status_code == 302


def test_the_timeline_links_to_adding_a_key_for_the_brand(staff_client, brand):
    page = staff_client.get(reverse("admin:brands_brand_rotation", args=[brand.pk])).content
    add_url = f"{KEY_ADD}?brand={brand.pk}"
    assert add_url.encode() in page
    form = staff_client.get(add_url).content.decode()
    assert f'<option value="{brand.pk}" selected>' in form


def test_help_texts_show_their_placeholders(staff_client):
    page = staff_client.get(BRAND_ADD).content.decode()
    # escaped once in the HTML, so the browser shows <PUBLIC_BASE_URL>/brands/<slug>
    assert "Empty means &lt;PUBLIC_BASE_URL&gt;/brands/&lt;slug&gt;." in page


def test_the_rotation_timeline_says_why_each_step_is_due(staff_client, brand):
    services.signing_key_generate(brand=brand, activate=True)
    page = staff_client.get(reverse("admin:brands_brand_rotation", args=[brand.pk]))
    html = page.content.decode()
    assert '<td class="reason">no pending key is published: a next key must be published' in html


def test_the_brand_page_lists_its_messengers_one_line_each_with_fixed_slugs(
    staff_client, messenger
):
    page = staff_client.get(f"/admin/brands/brand/{messenger.brand.pk}/change/").content.decode()
    slug_input = re.search(r'<input[^>]*name="messengers-0-slug"[^>]*>', page).group(0)
    assert f'value="{messenger.slug}"' in slug_input and "disabled" in slug_input
    assert 'name="messengers-0-label"' in page and 'name="messengers-0-platform"' in page
    # the rest is on the messenger's own page, linked from its line
    assert 'name="messengers-0-vendor_settings"' not in page
    assert f"/admin/brands/messenger/{messenger.pk}/change/" in page
    # a new line's slug can be typed
    assert "disabled" not in re.search(
        r'<input[^>]*name="messengers-__prefix__-slug"[^>]*>', page
    ).group(0)
