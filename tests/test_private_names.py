"""No code outside the seam (``config.fastpath``) leans on private Django or django-otp names.

What counts as private: a name that starts with one underscore (not a dunder) and that Django
or django-otp defines (module names, functions, methods, attributes), or anything from
``django.db.models.sql`` (the ORM's compiler internals, undocumented). A module that imports
such a name, reads or writes such an attribute on an object, or overrides such a method in
a subclass breaks here, with the file and line. Django's *documented* underscore API (the
``Model._meta`` API, ``_default_manager``/``_base_manager``, ``instance._state``, the
``_base_manager`` and ``_meta`` of the "Model _meta API" and "Managers" pages) is allowed.

The seam (``config/fastpath.py``) is the one place allowed to: its docstring says what it
relies on and ``tests/test_fastpath.py`` pins it against the plain ORM.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
from pathlib import Path

import django
import django_otp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accounts", "brands", "config", "messaging", "platforms", "reports", "sandbox")
SEAM = ROOT / "config" / "fastpath.py"
# Documented in Django's reference: "Model _meta API", "Managers" (_default_manager,
# _base_manager), "Model instance reference" (_state.adding, _state.db).
DOCUMENTED = {"_meta", "_default_manager", "_base_manager", "_state"}
# Names Django happens to define too, used here on other libraries' objects:
# ``rest_framework.request.Request._request`` is DRF's wrapped HttpRequest.
NOT_DJANGOS = {"_request"}
INTERNAL_MODULES = ("django.db.models.sql",)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _defined_names(tree: ast.AST) -> set[str]:
    """Every private name ``tree`` defines: functions, classes, assignments, attributes."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            found.add(node.attr)
    return {name for name in found if _private(name)}


@functools.cache
def _library_private_names() -> frozenset[str]:
    names: set[str] = set()
    for package in (django, django_otp):
        base = Path(package.__file__).parent
        for path in base.rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            try:
                names |= _defined_names(ast.parse(path.read_text()))
            except (SyntaxError, UnicodeDecodeError):
                continue
    return frozenset(names - DOCUMENTED - NOT_DJANGOS)


def _library_module(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in ("django", "django_otp")


def _violations(path: Path, private: frozenset[str]) -> list[str]:
    tree = ast.parse(path.read_text())
    own = _defined_names(tree)
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _library_module(node.module):
            for alias in node.names:
                if _private(alias.name) or node.module.startswith(INTERNAL_MODULES):
                    found.append(f"{where}:{node.lineno} imports {node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _library_module(alias.name) and (
                    any(_private(part) for part in alias.name.split("."))
                    or alias.name.startswith(INTERNAL_MODULES)
                ):
                    found.append(f"{where}:{node.lineno} imports {alias.name}")
    overridden = _overridden(path, tree, private)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in private:
            on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not (on_self and node.attr in own and node.attr not in overridden):
                found.append(f"{where}:{node.lineno} uses .{node.attr}")
    found += [f"{where}:{line} overrides {name}" for name, line in overridden.items()]
    return found


def _overridden(path: Path, tree: ast.Module, private: frozenset[str]) -> dict[str, int]:
    """Private methods of Django or django-otp classes that a top-level class of ``path``
    redefines (``{"Class._name": line}``): the module is imported to see its classes' bases."""
    candidates = [
        (node, item)
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        for item in node.body
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name in private
    ]
    if not candidates:
        return {}
    if path.is_relative_to(ROOT):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    else:  # the self-test's sample
        spec = importlib.util.spec_from_file_location(f"scanned_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    found = {}
    for node, item in candidates:
        cls = getattr(module, node.name)
        for base in cls.__mro__[1:]:
            if _library_module(base.__module__) and item.name in vars(base):
                found[f"{node.name}.{item.name}"] = item.lineno
    return found


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or path == SEAM:
                continue
            yield path


def test_no_private_django_or_django_otp_name_is_used_outside_the_seam():
    private = _library_private_names()
    found = [line for path in _sources() for line in _violations(path, private)]
    assert found == [], "private Django/django-otp names outside config/fastpath.py:\n" + (
        "\n".join(found)
    )


def test_the_scan_sees_what_it_forbids(tmp_path):
    # given a module with each kind of use the rule forbids
    sample = tmp_path / "sample.py"
    text = (
        "from django.db.models.sql import InsertQuery\n"
        "from django.utils.functional import LazyObject\n"
        "class Lazy(LazyObject):\n"
        "    def _setup(self):\n"
        "        pass\n"
        "def unwrap(user):\n"
        "    return user._wrapped\n"
        "def meta(model):\n"
        "    return model._meta.label\n"
    )
    sample.write_text(text)
    # when it is scanned
    found = _violations(sample, _library_private_names())
    # then every forbidden use is reported, and the documented ``_meta`` is not
    assert sorted(line.split(" ", 1)[1] for line in found) == [
        "imports django.db.models.sql.InsertQuery",
        "overrides Lazy._setup",
        "uses ._wrapped",
    ]
