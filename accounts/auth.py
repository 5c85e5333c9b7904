"""How every request's user and verified second factor are loaded: Django's and django-otp's
own logic, with the two lookups by primary key compiled once (``config.prepared``), the user
together with its customer record, tier and (PostgreSQL) brand ids.

Loading the session's user and its device were more than half of the CPU that a token request
(and any logged-in page) spent before its own work began (docs/benchmarks.md), nearly all of
it in building and compiling the two querysets. The answers are the same objects from the
same rows, read from the database on every request as before: a deactivated user, a changed
password or a deleted or unconfirmed device take effect at the next request, as they do with
Django's classes.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import backends, get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections
from django.db.models import OuterRef
from django.utils.functional import LazyObject, empty
from django_otp import middleware
from django_otp.models import Device

from config.prepared import Prepared


def _user_with_customer(pk):
    """The user with its customer record and tier (``select_related``: None for staff
    without one) and, on PostgreSQL, the ids of the customer's brands
    (``member_brand_ids``): what the token API needs about the customer comes with the
    session's user, in the query every request makes anyway (``messaging.selectors``)."""
    users = get_user_model()._default_manager.select_related("customer__tier").filter(pk=pk)
    if connections[users.db].vendor != "postgresql":
        return users
    from accounts.models import Membership

    return users.annotate(
        member_brand_ids=ArraySubquery(
            Membership.objects.filter(customer__user=OuterRef("pk")).values("brand_id")
        )
    )


_users = Prepared(_user_with_customer)
_devices: dict[str, Prepared] = {}


class ModelBackend(backends.ModelBackend):
    """Django's ``ModelBackend`` (passwords, permissions, ``is_active``), with ``get_user``
    (called for every request with a session) reading the user through a prepared lookup."""

    def get_user(self, user_id):
        try:
            user = _users.first(int(user_id))
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None


def device_by_persistent_id(persistent_id: str) -> Device | None:
    """``Device.from_persistent_id`` (``app_label.model_name/id``) through a prepared lookup
    per device model; None for anything malformed or unknown, as django-otp answers."""
    try:
        label, device_id = persistent_id.rsplit("/", 1)
        prepared = _devices.get(label)
        if prepared is None:
            model = apps.get_model(label)
            if not issubclass(model, Device):
                return None
            prepared = _devices.setdefault(label, Prepared(lambda pk: model.objects.filter(id=pk)))
        return prepared.first(int(device_id))
    except (ValueError, LookupError):
        return None


class OTPMiddleware(middleware.OTPMiddleware):
    """django-otp's middleware (the device must belong to the user and be confirmed, else
    the session forgets it), loading the device through ``device_by_persistent_id``."""

    def _verify_user_sync(self, request, user):
        # ``user`` is AuthenticationMiddleware's lazy user: resolve it here, so that
        # ``request.user`` is one lazy object around the user, not two (every attribute read
        # of ``request.user`` went through both).
        if isinstance(user, LazyObject):
            if user._wrapped is empty:
                user._setup()
            user = user._wrapped
        return super()._verify_user_sync(request, user)

    def _device_from_persistent_id(self, persistent_id: str):
        return device_by_persistent_id(self._normalize_persistent_id(persistent_id))
