"""The token path's speed work: the one module that leans on Django's and django-otp's internals.

Everything here gives the same answers as the plain Django / django-otp code it stands for,
for less CPU per request; ``tests/test_fastpath.py`` pins each piece against that plain code
on SQLite and on PostgreSQL, and ``tests/test_private_names.py`` keeps every other module
off private Django and django-otp names. Each piece stays only while it saves at least 5 %
of the token API's CPU (measured in docs/decisions/token-path-speed.md); below that, the
plain code replaces it.

Contract, piece by piece (what goes in, what comes out, what it relies on):

``Prepared(build).first(*keys)``
    The first row of ``build(*keys)`` (a queryset of one model, each key used exactly once
    as a parameter, nothing else variable such as ``now()``) as the same model instance the
    ORM returns (``select_related``, annotations and field converters included), or None.
    The queryset is compiled once per thread and database connection; afterwards only the
    keys are swapped into its parameters. Relies on the SQL compiler's ``as_sql``,
    ``klass_info``, ``select``, converters and ``get_related_populators``.

``OTPMiddleware`` with ``session_device_wanted`` / ``session_device_found``
    django-otp's middleware (a device verifies the user only when it belongs to the user and
    is confirmed, else the session forgets it). While it resolves the session's user it names
    the device the session holds (``session_device_wanted()``: ``(device model, id)``), so
    the authentication backend can read that device in the user's own query and hand it back
    (``session_device_found(device or None)``); a backend that does not, or a user resolved
    earlier, gets django-otp's own device read. ``request.user`` stays one lazy object
    around the user. Relies on django-otp's ``_verify_user_sync``, ``_init_user_fields``,
    ``_normalize_persistent_id``, ``_finalize_device`` and ``LazyObject``'s ``_wrapped`` /
    ``_setup``.

``rows_insert_together(*(model, {attname: value}))``
    Inserts the rows all or none, with the model signals ``save()`` sends: ``post_save``
    (``created=True``, an instance with its primary key) for every row whose model has
    receivers, on every database. On PostgreSQL in one statement (``WITH a AS (INSERT ...
    RETURNING id) ...``), atomic on its own, each value through its field's
    ``get_db_prep_save``, fields left out at their default (``auto_now(_add)``: now); no
    instance is built unless a receiver listens. A model with ``pre_save`` receivers, and
    every other database, take ``save(force_insert=True)`` of each row in one transaction.
    Relies on ``django.db.models.sql.InsertQuery`` and its compiler.

``cache_read_ahead()`` / ``read_ahead_keep(values)`` / ``read_ahead_values()``
    A request scope (context manager) in which a caller that makes a shared-cache round trip
    anyway (the token API's throttles) keeps the values of keys the request reads next
    (``read_ahead_keep``); readers take them from ``read_ahead_values()`` (a dict, or None
    outside a scope or before anything was kept) instead of a round trip of their own.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import connections, router, transaction
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django_otp import DEVICE_ID_SESSION_KEY, middleware
from django_otp.models import Device

# --- Prepared -----------------------------------------------------------------------------

# Distinct values no real key takes (keys here are positive integers); each must appear in
# the compiled parameters exactly once.
_SENTINELS = (-730_100_001, -730_100_002, -730_100_003, -730_100_004)


@dataclass(frozen=True)
class _Compiled:
    connection: object
    compiler: object
    sql: str
    params: tuple
    positions: tuple[int, ...]
    model: type[Model]
    db: str
    init_list: list[str]
    start: int
    end: int
    populators: list
    annotations: dict
    converters: dict


class Prepared:
    """``Prepared(lambda pk: User.objects.filter(pk=pk)).first(42)``: the first row's model
    instance, or None (module docstring). ``build`` takes the keys as positional arguments."""

    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._arity = len(inspect.signature(build).parameters)
        if not 0 < self._arity <= len(_SENTINELS):
            raise ValueError(f"Prepared takes 1 to {len(_SENTINELS)} keys")
        self._local = threading.local()

    def _compiled(self) -> _Compiled:
        found = getattr(self._local, "compiled", None)
        if found is not None and connections[found.db] is found.connection:
            return found
        sentinels = _SENTINELS[: self._arity]
        queryset = self._build(*sentinels)
        db = queryset.db
        compiler = queryset.query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        positions = []
        for sentinel in sentinels:
            if list(params).count(sentinel) != 1:
                raise ValueError("each key must appear exactly once in the query's parameters")
            positions.append(list(params).index(sentinel))
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        found = _Compiled(
            connection=connections[db],
            compiler=compiler,
            sql=sql,
            params=tuple(params),
            positions=tuple(positions),
            model=klass_info["model"],
            db=db,
            init_list=[f[0].target.attname for f in select[start:end]],
            start=start,
            end=end,
            populators=get_related_populators(klass_info, select, db),
            annotations=dict(compiler.annotation_col_map or {}),
            converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
        )
        self._local.compiled = found
        return found

    def first(self, *keys) -> Model | None:
        if len(keys) != self._arity:
            raise TypeError(f"expected {self._arity} keys, got {len(keys)}")
        c = self._compiled()
        params = list(c.params)
        for position, key in zip(c.positions, keys, strict=True):
            params[position] = key
        with c.connection.cursor() as cursor:
            cursor.execute(c.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if c.converters:
            row = next(iter(c.compiler.apply_converters([row], c.converters)))
        obj = c.model.from_db(c.db, c.init_list, row[c.start : c.end])
        for populator in c.populators:
            populator.populate(row, obj)
        for name, position in c.annotations.items():
            setattr(obj, name, row[position])
        return obj


# --- OTPMiddleware ------------------------------------------------------------------------

_NOT_LOADED = object()
# Set by OTPMiddleware while it resolves the user: {"model", "id", "device"}.
_session_device: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "session_device", default=None
)


def session_device_wanted() -> tuple[type[Device], int] | None:
    """While ``OTPMiddleware`` resolves the session's user: the device model and id the
    session names (the backend may read it with the user); otherwise None."""
    wanted = _session_device.get()
    return None if wanted is None else (wanted["model"], wanted["id"])


def session_device_found(device: Device | None) -> None:
    """Hand back the device read for ``session_device_wanted()`` (None: there is none of
    this user). Outside the middleware's resolution it does nothing."""
    wanted = _session_device.get()
    if wanted is not None:
        wanted["device"] = device


def _device_model(label: str) -> type[Device] | None:
    try:
        model = apps.get_model(label)
    except (ValueError, LookupError):
        return None
    return model if issubclass(model, Device) else None


class OTPMiddleware(middleware.OTPMiddleware):
    """django-otp's middleware, naming the session's device to the backend (module docstring)."""

    def _verify_user_sync(self, request, user):
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        wanted = None
        if persistent_id:
            persistent_id = self._normalize_persistent_id(persistent_id)
            label, _, device_id = persistent_id.rpartition("/")
            model = _device_model(label) if device_id.isdigit() else None
            if model is not None:
                wanted = dict(model=model, id=int(device_id), device=_NOT_LOADED)
        # ``user`` is AuthenticationMiddleware's lazy user: resolve it here (with the device
        # named), so that ``request.user`` is one lazy object around the user, not two.
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
            else:  # the user was resolved earlier, or by a backend that does not read it
                device = Device.from_persistent_id(persistent_id)
            user.otp_device = self._finalize_device(request, user, device)
        return user


# --- rows_insert_together -----------------------------------------------------------------


def rows_insert_together(*rows: tuple[type[Model], dict]) -> None:
    """Insert ``rows`` (``(model, {attname: value})`` pairs) all or none (module docstring)."""
    connection = connections[router.db_for_write(rows[0][0])]
    if connection.vendor != "postgresql" or any(pre_save.has_listeners(m) for m, _ in rows):
        with transaction.atomic(using=connection.alias):
            for model, values in rows:
                model(**values).save(force_insert=True, using=connection.alias)
        return
    statements, params, complete = [], [], []
    for model, given in rows:
        sql, fields = _insert_statement(model, connection.alias)
        statements.append(sql)
        values = dict(given)
        for field in fields:
            if field.attname not in values:
                now = getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False)
                values[field.attname] = timezone.now() if now else field.get_default()
            params.append(field.get_db_prep_save(values[field.attname], connection=connection))
        complete.append((model, values))
    # Only compiler output and row numbers go into the text; every value is a parameter.
    ctes = ", ".join(f"row_{i} AS ({sql})" for i, sql in enumerate(statements))
    ids = ", ".join(f"(SELECT * FROM row_{i})" for i in range(len(statements)))  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes} SELECT {ids}", params)
        pks = cursor.fetchone()
    for (model, values), pk in zip(complete, pks, strict=True):
        if post_save.has_listeners(model):
            instance = model(**values, pk=pk)
            instance._state.adding, instance._state.db = False, connection.alias
            post_save.send(
                sender=model,
                instance=instance,
                created=True,
                update_fields=None,
                raw=False,
                using=connection.alias,
            )


@functools.cache
def _insert_statement(model: type[Model], alias: str) -> tuple[str, list]:
    """The INSERT of one ``model`` row as Django's compiler writes it, returning its primary
    key, and its fields in parameter order; compiled once per model and database."""
    connection = connections[alias]
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    query = InsertQuery(model)
    query.insert_values(fields, [model()])
    ((sql, _),) = query.get_compiler(connection=connection).as_sql()
    return f"{sql} RETURNING {connection.ops.quote_name(meta.pk.column)}", fields


# --- read-ahead ---------------------------------------------------------------------------

_read_ahead: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "read_ahead", default=None
)


@contextlib.contextmanager
def cache_read_ahead() -> Iterator[None]:
    """One request's scope for values read ahead (module docstring)."""
    token = _read_ahead.set({})
    try:
        yield
    finally:
        _read_ahead.reset(token)


def read_ahead_keep(values: dict) -> None:
    """Keep ``values`` (``{cache key: value}``, as ``cache.get_many`` answers) for the rest
    of the scope; outside a scope it does nothing."""
    kept = _read_ahead.get()
    if kept is not None:
        kept.setdefault("values", {}).update(values)


def read_ahead_values() -> dict | None:
    """What was kept in this scope (missing keys: not in the shared cache when read), or
    None when nothing was read ahead."""
    kept = _read_ahead.get()
    return None if kept is None else kept.get("values")
