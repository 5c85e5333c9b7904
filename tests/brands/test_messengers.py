"""Messengers: validated fields, unique slug and audience, derived defaults."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from brands import services
from brands.errors import BrandsError
from brands.models import Messenger
from brands.platforms import vendor_settings_example

pytestmark = pytest.mark.django_db


def test_defaults(brand):
    messenger = services.messenger_create(brand=brand, slug="web")
    assert messenger.platform == "generic"
    assert messenger.algorithm == "RS256"
    assert messenger.token_ttl == timedelta(minutes=5)
    assert messenger.audience == "http://testserver/brands/acme/messengers/web"
    assert messenger.issuer == "http://testserver/brands/acme"
    assert messenger.jwks_url == "http://testserver/brands/acme/.well-known/jwks.json"
    assert (messenger.attributes, messenger.allowed_origins, messenger.vendor_settings) == (
        ["names", "tier", "vip", "balance"],
        [],
        {},
    )
    assert brand.messengers.get() == messenger


def test_every_platform_with_a_profile_is_offered_and_others_are_refused(brand):
    for platform in ("genesys", "salesforce", "zendesk", "liveperson", "d365", "intercom"):
        oidc = {"redirect_uris": ["https://x.example/cb"]} if platform == "genesys" else {}
        services.messenger_create(
            brand=brand,
            slug=f"m-{platform}",
            platform=platform,
            vendor_settings=vendor_settings_example(platform),
            **oidc,
        )
    assert Messenger.objects.count() == 6
    offered = {name for name, _ in Messenger._meta.get_field("platform").choices}
    assert offered == {
        "generic",
        "genesys",
        "salesforce",
        "zendesk",
        "liveperson",
        "d365",
        "intercom",
    }
    with pytest.raises(BrandsError) as caught:
        services.messenger_create(brand=brand, slug="fresh", platform="freshchat")
    assert "platform" in caught.value.detail


def test_origins_are_normalised(brand):
    messenger = services.messenger_create(
        brand=brand,
        slug="web",
        allowed_origins=[
            "https://Chat.Example.COM",
            "https://x.example:8443/",
            "http://localhost:8000",
        ],
    )
    assert messenger.allowed_origins == [
        "https://chat.example.com",
        "https://x.example:8443",
        "http://localhost:8000",
    ]


BAD = {
    "ttl too short": {"token_ttl": timedelta(seconds=59)},
    "ttl too long": {"token_ttl": timedelta(hours=1, seconds=1)},
    "unknown attribute": {"attributes": ["tier", "ssn"]},
    "repeated attribute": {"attributes": ["tier", "tier"]},
    "attributes not a list": {"attributes": "tier"},
    "http origin": {"allowed_origins": ["http://chat.example.com"]},
    "origin with path": {"allowed_origins": ["https://chat.example.com/widget"]},
    "wildcard origin": {"allowed_origins": ["https://*.example.com"]},
    "origin with credentials": {"allowed_origins": ["https://u:p@chat.example.com"]},
    "javascript origin": {"allowed_origins": ["javascript:alert(1)"]},
    "origins not a list": {"allowed_origins": "https://chat.example.com"},
    "vendor settings a list": {"vendor_settings": ["a"]},
    "secret in vendor settings": {"vendor_settings": {"nested": {"client_secret": "x"}}},
    "unknown platform": {"platform": "myspace"},
    "unknown algorithm": {"algorithm": "none"},
    "bad slug": {"slug": "not a slug"},
    "hs256 for a public-key platform": {"algorithm": "HS256", "platform": "generic"},
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_and_nothing_saved(brand, case):
    kwargs = {"slug": "web", **BAD[case]}
    with pytest.raises(BrandsError) as caught:
        services.messenger_create(brand=brand, **kwargs)
    assert caught.value.code == "invalid_messenger"
    assert not Messenger.objects.exists()


def test_ttl_is_bounded_by_the_max_token_lifetime_setting(brand, settings):
    settings.BRANDS_MAX_TOKEN_LIFETIME = timedelta(minutes=10)
    with pytest.raises(BrandsError):
        services.messenger_create(brand=brand, slug="web", token_ttl=timedelta(minutes=11))


def test_slug_is_unique_across_brands(brand, keyless_brand):
    services.messenger_create(brand=brand, slug="web")
    with pytest.raises(BrandsError) as caught:
        services.messenger_create(brand=keyless_brand, slug="web")
    assert "slug" in caught.value.detail


def test_a_duplicate_audience_is_refused(brand, keyless_brand):
    services.messenger_create(brand=brand, slug="web", audience="https://aud.example")
    with pytest.raises(BrandsError) as caught:
        services.messenger_create(brand=keyless_brand, slug="app", audience="https://aud.example")
    assert "audience" in caught.value.detail
    assert Messenger.objects.count() == 1


def test_the_database_enforces_unique_audience_and_ttl_bounds(brand):
    services.messenger_create(brand=brand, slug="web", audience="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Messenger.objects.create(brand=brand, slug="web2", audience="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Messenger.objects.create(brand=brand, slug="web3", token_ttl=timedelta(seconds=5))


def test_hs256_is_for_shared_secret_platforms(brand):
    messenger = services.messenger_create(
        brand=brand,
        slug="zen",
        platform="zendesk",
        vendor_settings=vendor_settings_example("zendesk"),
    )
    assert messenger.algorithm == "HS256"  # the platform's only algorithm is the default


def test_selectors_find_active_messengers_and_brands(brand):
    from brands import selectors
    from brands.errors import UnknownBrand, UnknownMessenger

    messenger = services.messenger_create(brand=brand, slug="web")
    assert selectors.messenger_get(slug="web") == messenger
    assert selectors.brand_get(slug="acme") == brand
    Messenger.objects.filter(pk=messenger.pk).update(is_active=False)
    with pytest.raises(UnknownMessenger) as caught:
        selectors.messenger_get(slug="web")
    assert (caught.value.code, caught.value.http_status) == ("unknown_messenger", 404)
    assert selectors.messenger_get(slug="web", active_only=False) == messenger
    with pytest.raises(UnknownBrand):
        selectors.brand_get(slug="nope")


@pytest.mark.parametrize(
    ("settings_doc", "ok"),
    [
        ({"token_url": "https://x.example/token", "deploymentId": "abc"}, True),
        ({"region": "eu", "features": {"typing": True}}, True),
        ({"accessToken": "abc"}, False),
        ({"list": [{"clientSecret": "x"}]}, False),
        ({"private_key": "-----BEGIN"}, False),
    ],
)
def test_vendor_settings_refuse_secret_looking_names_only(brand, settings_doc, ok):
    if ok:
        services.messenger_create(brand=brand, slug="web", vendor_settings=settings_doc)
        assert Messenger.objects.get().vendor_settings == settings_doc
    else:
        with pytest.raises(BrandsError):
            services.messenger_create(brand=brand, slug="web", vendor_settings=settings_doc)
