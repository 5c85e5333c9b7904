"""How every request's user and verified second factor are loaded: Django's and django-otp's
own logic, with one query compiled once (``config.fastpath.Prepared``) for the session's user,
its customer record, tier and (PostgreSQL) brand ids, and the device the session names.

Loading the session's user and its device were more than half of the CPU that a token request
(and any logged-in page) spent before its own work began (docs/decisions/token-path-speed.md),
nearly all of it in building and compiling querysets and in the round trips. The answers are
the same objects from the same rows, read from the database on every request as before: a
deactivated user, a changed password or a deleted or unconfirmed device take effect at the
next request, as they do with Django's classes (tests/accounts/test_request_user.py).

How the device joins the user's query: ``OTPMiddleware`` (``config.fastpath``) names, while
it resolves the user, the device the session holds (``session_device_wanted``); the backend
reads the user with that device through a ``FilteredRelation`` on the device model's relation
to its user (a LEFT JOIN on the device's id *and* its user), and hands the device back
(``session_device_found``). django-otp's checks then run unchanged: the device must belong to
the user and be confirmed, else the session forgets it.
"""

from __future__ import annotations

from django.contrib.auth import backends, get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections
from django.db.models import FilteredRelation, OuterRef, Q

from config import fastpath


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


_users = fastpath.Prepared(_user_with_customer)
_users_with_device: dict[type, fastpath.Prepared] = {}


class ModelBackend(backends.ModelBackend):
    """Django's ``ModelBackend`` (passwords, permissions, ``is_active``), with ``get_user``
    (called for every request with a session) reading the user, its customer and the
    session's device (when ``OTPMiddleware`` names one) in one prepared query."""

    def get_user(self, user_id):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        wanted = fastpath.session_device_wanted()
        if wanted is None:
            user = _users.first(user_id)
        else:
            model, device_id = wanted
            prepared = _users_with_device.get(model)
            if prepared is None:
                prepared = _users_with_device.setdefault(
                    model, fastpath.Prepared(_with_device(model))
                )
            user = prepared.first(user_id, device_id)
            if user is not None:
                fastpath.session_device_found(user.__dict__.pop("session_device", None))
        return user if user is not None and self.user_can_authenticate(user) else None


# django-otp's middleware naming the session's device to ``ModelBackend`` (settings name it here)
OTPMiddleware = fastpath.OTPMiddleware
