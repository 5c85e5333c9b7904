"""The HSM key store in the admin: staff choose it per brand, the brand's keys are then made
in the token by the usual actions, and a key's page says where it lives."""

import pytest
from django.urls import reverse

from brands import services
from brands.keystores import pkcs11
from brands.models import Brand, SigningKey
from tests.admin import run_action

pytestmark = pytest.mark.django_db


def _change_form_data(page) -> dict:
    """What the browser would post back unchanged: the brand form and its inline formsets."""
    data = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        forms += inline.formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def test_staff_choose_the_hsm_for_a_brand_and_its_next_key_is_made_there(staff_client, brand, hsm):
    url = reverse("admin:brands_brand_change", args=[brand.pk])
    page = staff_client.get(url)
    assert b"Signing keys" in page.content and b"HSM (PKCS#11 token" in page.content

    response = staff_client.post(url, {**_change_form_data(page), "key_store": "pkcs11"})

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Brand.objects.get(pk=brand.pk).key_store == "pkcs11"
    run_action(staff_client, reverse("admin:brands_brand_changelist"), "generate_rs256_key", brand)
    key = SigningKey.objects.get(brand=brand)
    assert key.store == "pkcs11" and pkcs11.objects(handle=key.store_handle) == 2


def test_a_key_page_shows_its_store_and_hsm_object_never_private_material(staff_client, hsm_key):
    page = staff_client.get(reverse("admin:brands_signingkey_change", args=[hsm_key.pk]))

    text = page.content.decode()
    assert "HSM (PKCS#11 token, non-extractable)" in text
    assert hsm_key.store_handle in text
    assert '"d":' not in text and "PRIVATE KEY" not in text


def test_a_revoked_key_waiting_for_the_token_says_so(staff_client, hsm_key, settings):
    settings.PKCS11_TOKEN_LABEL = "away"
    services.signing_key_revoke(key=hsm_key)  # on-commit destruction: not run in this test

    page = staff_client.get(reverse("admin:brands_signingkey_change", args=[hsm_key.pk]))

    assert "to be destroyed at the next rotation run" in page.content.decode()
