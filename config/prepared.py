"""Lookups by key whose SQL is compiled once per thread, not on every request.

Building a queryset and compiling it costs more CPU than the database spends answering a
primary-key lookup (about 0.23 ms against 0.07 ms on the benchmark machine,
docs/benchmarks.md), and every logged-in request makes one (the session's user with its
customer and device, ``accounts.auth``). ``Prepared`` compiles a queryset once, with
sentinel values where the keys go, and afterwards only swaps the keys into the parameters.
Django's own compiler writes the SQL and Django's own converters and related-object
populators turn the row into model instances, exactly as iterating the queryset would
(``ModelIterable``): the result is the same object the ORM returns, ``select_related`` and
annotations included. ``tests/test_prepared.py`` compares the two on both databases.

Compiled per thread and per database connection object, because a compiler holds the
connection it was made for. The queryset must select one model (no ``values()``), take each
key exactly once as a parameter, and not depend on anything but its keys (no ``now()``).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

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
    instance, or None. ``build`` takes the keys as positional arguments."""

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
