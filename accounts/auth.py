"""How every request's user and verified second factor are loaded: Django's and django-otp's
own logic, with one query compiled once (``config.prepared``) for the session's user, its
customer record, tier and (PostgreSQL) brand ids, and the device the session names.

Loading the session's user and its device were more than half of the CPU that a token request
(and any logged-in page) spent before its own work began (docs/benchmarks.md), nearly all of
it in building and compiling querysets and in the round trips. The answers are the same
objects from the same rows, read from the database on every request as before: a deactivated
user, a changed password or a deleted or unconfirmed device take effect at the next request,
as they do with Django's classes (tests/accounts/test_request_user.py).

How the device joins the user's query: ``OTPMiddleware`` tells the backend, for the time it
resolves the user, which device the session names (``_session_device``, a context variable);
the backend then reads the user with that device through a ``FilteredRelation`` on the
device model's relation to its user (a LEFT JOIN on the device's id *and* its user), and
hands the device back the same way. django-otp's checks then run unchanged: the device must
belong to the user and be confirmed, else the session forgets it.
"""

from __future__ import annotations

import contextvars

from django.apps import apps
from django.contrib.auth import backends, get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections
from django.db.models import FilteredRelation, OuterRef, Q
from django.utils.functional import LazyObject, empty
from django_otp import DEVICE_ID_SESSION_KEY, middleware
from django_otp.models import Device

from config.prepared import Prepared

_NOT_LOADED = object()
# Set by OTPMiddleware while it resolves the user: {"label", "id", "device"}.
_session_device: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "session_device", default=None
)


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


def _with_device(model):
    """``_user_with_customer`` plus the session's device of ``model`` (``session_device``:
    the device with that id *of this user*, None when there is none)."""
    relation = model._meta.get_field("user").related_query_name()

    def build(pk, device_id):
        this_device = Q(**{f"{relation}__id": device_id})
        return (
            _user_with_customer(pk)
            .annotate(session_device=FilteredRelation(relation, condition=this_device))
            .select_related("session_device")
        )

    return build


_users = Prepared(_user_with_customer)
_users_with_device: dict[str, Prepared] = {}


def _device_model(label: str):
    """The Device subclass ``app_label.model_name``, or None."""
    try:
        model = apps.get_model(label)
    except (ValueError, LookupError):
        return None
    return model if issubclass(model, Device) else None


class ModelBackend(backends.ModelBackend):
    """Django's ``ModelBackend`` (passwords, permissions, ``is_active``), with ``get_user``
    (called for every request with a session) reading the user, its customer and the
    session's device (when ``OTPMiddleware`` names one) in one prepared query."""

    def get_user(self, user_id):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        wanted = _session_device.get()
        if wanted is None:
            user = _users.first(user_id)
        else:
            prepared = _users_with_device.get(wanted["label"])
            if prepared is None:
                prepared = _users_with_device.setdefault(
                    wanted["label"], Prepared(_with_device(wanted["model"]))
                )
            user = prepared.first(user_id, wanted["id"])
            if user is not None:
                wanted["device"] = user.__dict__.pop("session_device", None)
        return user if user is not None and self.user_can_authenticate(user) else None


class OTPMiddleware(middleware.OTPMiddleware):
    """django-otp's middleware (the device must belong to the user and be confirmed, else
    the session forgets it), with the device read in the user's query (module docstring)."""

    def _verify_user_sync(self, request, user):
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        wanted = None
        if persistent_id:
            persistent_id = self._normalize_persistent_id(persistent_id)
            label, _, device_id = persistent_id.rpartition("/")
            model = _device_model(label) if device_id.isdigit() else None
            if model is not None:
                # "device": filled in by the backend when it reads the user
                wanted = dict(label=label, model=model, id=int(device_id), device=_NOT_LOADED)
        # ``user`` is AuthenticationMiddleware's lazy user: resolve it here (with the device
        # joined), so that ``request.user`` is one lazy object around the user, not two.
        token = _session_device.set(wanted)
        try:
            if isinstance(user, LazyObject):
                if user._wrapped is empty:
                    user._setup()
                user = user._wrapped
        finally:
            _session_device.reset(token)
        self._init_user_fields(user)
        if user.is_authenticated and persistent_id:
            if wanted is not None and wanted["device"] is not _NOT_LOADED:
                device = wanted["device"]
            else:  # the user was resolved earlier, or by another backend
                device = Device.from_persistent_id(persistent_id)
            user.otp_device = self._finalize_device(request, user, device)
        return user
