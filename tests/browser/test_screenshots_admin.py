"""The brands admin at 1280 px in Chromium: every column of the Signing keys, Brands and
Messengers change lists is on screen (State and Created at were once clipped; Active of
the messengers later), the rotation timeline fits and says why, and the emergency actions stop
at a confirmation page. Screenshots go to docs/images/ with ``make screenshots``."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from brands import services
from messaging.services import token_issue
from tests import factories
from tests.browser.conftest import screenshot
from tests.sandbox.console_world import platform_conversation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shots(tmp_path) -> Path:
    """``make screenshots`` writes them to docs/images/ (``SCREENSHOTS_DIR``)."""
    return Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)


def _right_edges(page) -> dict[str, float]:
    """The right edge (px) of each column header of the change list, by its label."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#result_list thead th')]
            .map((th) => [th.innerText.trim(), th.getBoundingClientRect().right]))"""
    )


def _fits(page) -> dict[str, float]:
    edges = _right_edges(page)
    width = page.evaluate("() => document.documentElement.clientWidth")
    scrolls = page.evaluate(
        "() => document.querySelector('#changelist .results').scrollWidth"
        " > document.querySelector('#changelist .results').clientWidth"
    )
    assert not scrolls, edges  # no horizontal scrolling of the list
    assert all(right <= width for right in edges.values()), (width, edges)
    return edges


def test_the_signing_keys_and_brands_lists_show_every_column_at_1280_px(staff_page, shots):
    # given brands with long names and keys in every state
    brands = [
        factories.BrandFactory(slug=slug, name=name)
        for slug, name in (("northwind", "Northwind Trading Bank"), ("harbor", "Harbor Mutual"))
    ]
    for brand in brands:
        old = services.signing_key_generate(brand=brand, activate=True)
        services.signing_key_generate(brand=brand, activate=True, force=True)
        services.signing_key_revoke(key=old)
        services.signing_key_generate(brand=brand)
    # when staff open the lists at 1280 px
    staff_page.goto("/admin/brands/signingkey/")
    edges = _fits(staff_page)
    assert any(label.upper() == "STATE" for label in edges), edges
    screenshot(staff_page, shots / "admin-signing-keys-1280.png", full_page=True)
    staff_page.goto("/admin/brands/brand/")
    edges = _fits(staff_page)
    assert any(label.upper() == "CREATED AT" for label in edges), edges
    screenshot(staff_page, shots / "admin-brands-1280.png", full_page=True)


def test_the_messengers_list_shows_every_column_at_1280_px(staff_page, shots):
    # given a brand with a long name and messengers on long slugs, one inactive, one HS256
    brand = factories.BrandFactory(slug="northwind", name="Northwind Trading Bank")
    services.messenger_create(
        brand=brand, slug="northwind-web-customer-portal", platform="generic"
    )
    services.messenger_create(
        brand=brand, slug="northwind-widget-es", algorithm="ES256", is_active=False
    )
    services.messenger_create(
        brand=brand,
        slug="northwind-zendesk",
        platform="zendesk",
        vendor_settings={"snippet_key": "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9", "subdomain": "nw"},
    )
    # when staff open the list at 1280 px, the navigation sidebar open
    staff_page.goto("/admin/brands/messenger/")
    # then every column, Active the last, is on screen without scrolling the list
    edges = _fits(staff_page)
    assert [label.upper() for label in edges][-3:] == ["ALGORITHM", "TOKEN LIFETIME", "ACTIVE"]
    rows = staff_page.locator("#result_list tbody tr")
    assert "HS256" in rows.filter(has_text="northwind-zendesk").inner_text()
    assert "ES256" in rows.filter(has_text="northwind-widget-es").inner_text()
    assert "5 min" in rows.filter(has_text="northwind-web-customer-portal").inner_text()
    screenshot(staff_page, shots / "admin-messengers-1280.png", full_page=True)


def test_the_customer_user_token_and_conversation_lists_show_every_column_at_1280_px(
    staff_page, customer, messenger
):
    # given a customer with a long e-mail address, tokens issued to them, and a conversation
    customer.user.email = "alexandra.montgomery-whitfield@northwind-trading.example"
    customer.user.save()
    issued = token_issue(customer=customer, messenger=messenger)
    token_issue(customer=customer, messenger=messenger)
    platform_conversation(
        first="Alexandra", last="Whitfield", brand="acme", messenger="acme-web", minutes_ago=3
    )
    # when staff open each list at 1280 px, then it fits, with its last column on screen
    for path, last in (
        ("/admin/accounts/customer/", "SINCE"),
        ("/admin/accounts/user/", "ACTIVE"),
        ("/admin/messaging/tokenissue/", "JTI"),
        ("/admin/sandbox/conversation/", "CLICK TO VERIFIED"),
    ):
        staff_page.goto(path)
        edges = _fits(staff_page)
        assert [label.upper() for label in edges][-1] == last, (path, edges)
    # the long identifiers are cut, and whole in their tooltips
    staff_page.goto("/admin/messaging/tokenissue/")
    jti = staff_page.locator(f'#result_list code[title="{issued.jti}"]')
    assert jti.inner_text() == f"{issued.jti[:12]}…"


def test_the_rotation_timeline_fits_and_says_why(staff_page, shots):
    brand = factories.BrandFactory(slug="northwind", name="Northwind Trading Bank")
    old = services.signing_key_generate(brand=brand, activate=True)
    services.signing_key_generate(brand=brand, activate=True, force=True)
    services.signing_key_revoke(key=old)
    staff_page.goto(f"/admin/brands/brand/{brand.pk}/rotation/")
    assert "no pending key is published" in staff_page.inner_text("#rotation-plan")
    scrolls = staff_page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    assert not scrolls
    screenshot(staff_page, shots / "admin-rotation-timeline-1280.png", full_page=True)


def test_activate_now_shows_a_confirmation_page_before_acting(staff_page, shots):
    brand = factories.BrandFactory(slug="northwind", name="Northwind Trading Bank")
    services.signing_key_generate(brand=brand, activate=True)
    pending = services.signing_key_generate(brand=brand)
    staff_page.goto("/admin/brands/signingkey/?state__exact=pending")
    staff_page.check(f"input[name='_selected_action'][value='{pending.pk}']")
    staff_page.select_option("select[name='action']", "activate_now")
    staff_page.click("button[name='index']")
    staff_page.wait_for_selector("#confirm-warning")
    screenshot(staff_page, shots / "admin-confirm-activate-now-1280.png", full_page=True)
    pending.refresh_from_db()
    assert pending.state == "pending"
    staff_page.click("input[type='submit']")
    staff_page.wait_for_selector(".messagelist")
    assert f"Key {pending.kid}: activated." in staff_page.inner_text(".messagelist")
    pending.refresh_from_db()
    assert pending.state == "active"


def test_on_a_phone_a_change_list_still_sorts_from_a_sort_by_row(staff_page):
    # given keys in three states, listed on a phone, where the list is one card per key and
    # its header (Django's sort links) is hidden
    brand = factories.BrandFactory(slug="northwind")
    old = services.signing_key_generate(brand=brand, activate=True)
    services.signing_key_generate(brand=brand, activate=True, force=True)
    services.signing_key_revoke(key=old)
    services.signing_key_generate(brand=brand)
    staff_page.set_viewport_size({"width": 390, "height": 844})
    staff_page.goto("/admin/brands/signingkey/")
    expect(staff_page.locator("#result_list thead")).to_be_hidden()
    bar = staff_page.get_by_role("navigation", name="Sort the list")
    expect(bar).to_be_visible()
    # the sortable columns are offered, as the header offers them
    assert bar.get_by_role("link").all_inner_texts()[:4] == ["Kid", "Brand", "Alg", "State"]
    # when staff sort by state, the cards come in that order and the choice is marked
    bar.get_by_role("link", name="State", exact=True).click()
    staff_page.wait_for_url(re.compile(r"[?&]o=4\b"))
    # (Django keeps the earlier order as a second key; the bar marks the first only)
    expect(bar.locator("a[aria-current]")).to_have_accessible_name("State, sorted ascending")
    states = staff_page.locator("#result_list td.field-short_state").all_inner_texts()
    assert states == sorted(states) and len(set(states)) == 3
    # choosing it again reverses it, as the header's link does
    bar.get_by_role("link", name="State, sorted ascending").click()
    staff_page.wait_for_url(re.compile(r"[?&]o=-4\b"))
    states = staff_page.locator("#result_list td.field-short_state").all_inner_texts()
    assert states == sorted(states, reverse=True)
    # on a computer the header sorts, and the row is not shown
    staff_page.set_viewport_size({"width": 1280, "height": 900})
    expect(bar).to_be_hidden()
    expect(staff_page.locator("#result_list thead")).to_be_visible()
