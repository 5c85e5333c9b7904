"""``config.fastpath`` pinned against the plain Django / django-otp code it stands for: the same
objects, the same rows, the same signals and the same verified device, on SQLite and on
PostgreSQL."""

import threading
from decimal import Decimal
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_save, pre_save
from django.forms.models import model_to_dict
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as DjangoOtpMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Customer, Membership
from brands import keyset
from config import fastpath
from messaging import events
from messaging.models import AuthEvent, TokenIssue
from tests import factories

# --- Prepared -----------------------------------------------------------------------------

_customer_with_tier = fastpath.Prepared(
    lambda user_id, brand_id: Customer.objects.select_related("tier")
    .filter(user_id=user_id)
    .annotate(
        is_member=Exists(Membership.objects.filter(customer=OuterRef("pk"), brand_id=brand_id))
    )
)


@pytest.mark.django_db
def test_prepared_returns_the_orm_object_with_related_rows_and_annotations(customer, brand):
    customer.balance = Decimal("1234.56")
    customer.save()
    expected = Customer.objects.select_related("tier").get(pk=customer.pk)

    found = _customer_with_tier.first(customer.user_id, brand.pk)

    assert found == expected
    assert model_to_dict(found) == model_to_dict(expected)
    assert found.is_member is True
    assert found.balance == Decimal("1234.56")  # converters applied (SQLite stores text)
    assert found.created_at == expected.created_at and found.created_at.tzinfo is not None
    with CaptureQueriesContext(connection) as reads:
        assert found.tier.code == expected.tier.code  # select_related: no second query
    assert reads.captured_queries == []


@pytest.mark.django_db
def test_prepared_keys_change_between_calls(customer, brand, other_messenger):
    assert _customer_with_tier.first(customer.user_id, other_messenger.brand_id).is_member is False
    assert _customer_with_tier.first(customer.user_id, brand.pk).is_member is True
    assert _customer_with_tier.first(customer.user_id + 1000, brand.pk) is None


@pytest.mark.django_db(transaction=True)
def test_prepared_in_another_thread_compiles_its_own_and_gets_the_same_answer(customer, brand):
    assert _customer_with_tier.first(customer.user_id, brand.pk).pk == customer.pk
    found = []

    def other():
        try:
            found.append(_customer_with_tier.first(customer.user_id, brand.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert found and found[0].pk == customer.pk


def test_prepared_refuses_a_key_the_query_does_not_take_exactly_once():
    twice = fastpath.Prepared(
        lambda pk: Customer.objects.filter(pk=pk) | Customer.objects.filter(pk=pk)
    )
    with pytest.raises(ValueError, match="exactly once"):
        twice.first(1)
    with pytest.raises(TypeError):
        _customer_with_tier.first(1)


# --- rows_insert_together -----------------------------------------------------------------


def _event(customer, messenger, jti):
    model, values = events.event_values(
        kind="token_issued", messenger=messenger, customer=customer, jti=jti
    )
    del values["reason"], values["gap_ms"]  # left out: their defaults, as save() would
    return model, values


@pytest.mark.django_db
def test_rows_inserted_together_are_the_rows_save_writes(customer, messenger):
    model, values = _event(customer, messenger, "together")
    fastpath.rows_insert_together((model, values))
    AuthEvent(**{**values, "jti": "saved"}).save(force_insert=True)

    together = model_to_dict(AuthEvent.objects.get(jti="together"), exclude=["id", "jti"])
    saved = model_to_dict(AuthEvent.objects.get(jti="saved"), exclude=["id", "jti"])
    assert together == saved
    assert together["reason"] == "" and together["gap_ms"] is None


@pytest.mark.django_db
def test_rows_inserted_together_send_post_save_like_save_on_every_database(customer, messenger):
    # given a post_save receiver, as the reports' rollups have
    received = []

    def receiver(sender, instance, created, **kwargs):
        received.append((sender, instance.pk, created, instance.jti, kwargs["raw"]))

    post_save.connect(receiver, sender=AuthEvent)
    try:
        # when two events are inserted together
        fastpath.rows_insert_together(
            _event(customer, messenger, "first"), _event(customer, messenger, "second")
        )
    finally:
        post_save.disconnect(receiver, sender=AuthEvent)
    # then the receiver saw each row, with the primary key it was stored under
    rows = dict(AuthEvent.objects.values_list("jti", "pk"))
    assert received == [
        (AuthEvent, rows["first"], True, "first", False),
        (AuthEvent, rows["second"], True, "second", False),
    ]


@pytest.mark.django_db
def test_a_model_with_pre_save_receivers_sees_them_too(customer, messenger):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.jti)

    pre_save.connect(receiver, sender=AuthEvent)
    try:
        fastpath.rows_insert_together(_event(customer, messenger, "pre"))
    finally:
        pre_save.disconnect(receiver, sender=AuthEvent)
    assert seen == ["pre"]
    assert AuthEvent.objects.filter(jti="pre").exists()


@pytest.mark.django_db
def test_rows_insert_together_all_or_none(customer, messenger, verified_client):
    # given a token already audited under a jti
    assert (
        verified_client.post(
            "/api/v1/messaging/token",
            {"messenger": messenger.slug},
            content_type="application/json",
        ).status_code
        == 200
    )
    issued = TokenIssue.objects.get()
    values = {f.attname: getattr(issued, f.attname) for f in TokenIssue._meta.concrete_fields}
    del values["id"]
    events_before = AuthEvent.objects.count()
    # when an event and a second audit row with the same jti go in together
    with pytest.raises(IntegrityError), transaction.atomic():
        fastpath.rows_insert_together(_event(customer, messenger, "doomed"), (TokenIssue, values))
    # then neither row is there
    assert AuthEvent.objects.count() == events_before
    assert TokenIssue.objects.count() == 1


# --- OTPMiddleware ------------------------------------------------------------------------


def _session(user, device_id):
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if device_id is not None:
        session[DEVICE_ID_SESSION_KEY] = device_id
    session.save()
    return session.session_key


def _resolve(middleware, session_key):
    """What a view sees with ``middleware``: (user pk, verified device pk, session keeps it)."""
    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    AuthenticationMiddleware(lambda r: r).process_request(request)
    middleware(lambda r: r)(request)
    user = request.user
    device = getattr(user, "otp_device", None)
    return (
        user.pk,
        user.is_verified(),
        device.pk if device else None,
        DEVICE_ID_SESSION_KEY in request.session,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case", ["verified", "unconfirmed", "other_users", "deleted", "none", "junk"]
)
def test_otp_middleware_verifies_exactly_as_django_otps(customer, totp_device, case):
    device_id = totp_device.persistent_id
    if case == "unconfirmed":
        TOTPDevice.objects.filter(pk=totp_device.pk).update(confirmed=False)
    elif case == "other_users":
        other = factories.CustomerFactory().user
        TOTPDevice.objects.filter(pk=totp_device.pk).update(user=other)
    elif case == "deleted":
        totp_device.delete()
    elif case == "none":
        device_id = None
    elif case == "junk":
        device_id = "otp_totp.totpdevice/not-a-number"

    plain = _resolve(DjangoOtpMiddleware, _session(customer.user, device_id))
    seam = _resolve(fastpath.OTPMiddleware, _session(customer.user, device_id))

    assert seam == plain
    assert plain[1] is (case == "verified")


def test_session_device_hooks_do_nothing_outside_the_middleware():
    assert fastpath.session_device_wanted() is None
    fastpath.session_device_found(None)  # no error, no effect
    assert fastpath.session_device_wanted() is None


# --- read-ahead ---------------------------------------------------------------------------


def test_read_ahead_is_kept_for_its_scope_only():
    assert fastpath.read_ahead_values() is None
    fastpath.read_ahead_keep({"k": "outside"})  # no scope: nothing kept
    with fastpath.cache_read_ahead():
        assert fastpath.read_ahead_values() is None  # nothing read ahead yet
        fastpath.read_ahead_keep({"k": "v"})
        assert fastpath.read_ahead_values() == {"k": "v"}
        with fastpath.cache_read_ahead():
            assert fastpath.read_ahead_values() is None
        assert fastpath.read_ahead_values() == {"k": "v"}
    assert fastpath.read_ahead_values() is None


@pytest.mark.django_db
@override_settings(BRANDS_KEYSET_STORE="cache")
def test_the_key_set_version_read_ahead_is_the_one_in_the_cache():
    stored = keyset.current()
    with fastpath.cache_read_ahead():
        fastpath.read_ahead_keep(cache.get_many(keyset.version_keys()))
        assert keyset.current() == stored
        fastpath.read_ahead_keep({keyset.CACHE_KEY: "read-ahead"})
        assert keyset.current() == "read-ahead"  # taken from the scope, not read again
    assert keyset.current() == stored
