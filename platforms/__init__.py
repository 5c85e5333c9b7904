"""The chat platforms, one package each, discovered here: the one registry of platforms.

A platform is a folder ``platforms/<name>/`` holding every part of it, and nothing else names
it (docs/platforms/adding-a-platform.md):

``profile.py``        ``PROFILE``: the issuer side, a ``messaging.profiles.base.ClaimProfile``
                      (claims from the customer record, algorithms, vendor settings and their
                      validation, setup rows, flags such as ``oidc`` or ``shared_secret``).
``emulation.py``      ``PROFILE``: the vendor side, a ``sandbox.verifier.profiles.base.Profile``
                      the sandbox verifies with, written from the vendor's documentation.
``static/adapter.js`` the browser adapter, served as ``messaging/adapters/<name>/adapter.js``.
``guide.md``          the administrator's setup guide, step by step in the vendor's console.
``export.py``         optional: ``COLUMNS``, which column of the vendor's conversation export
                      (CSV) holds each field the reports' handle-time import needs.

and its vendor-contract test is ``tests/platforms/test_<name>_contract.py``, which cites the
vendor's documentation. ``tests/platforms/test_conformance.py`` fails when a discovered
platform lacks any of these.

This module imports no app: ``messaging`` loads the profiles, ``sandbox`` the emulations
(import-linter keeps each side to its own part, pyproject.toml).
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PARTS = {
    "profile": "profile.py",
    "emulation": "emulation.py",
    "adapter": "static/adapter.js",
    "guide": "guide.md",
}


def names() -> list[str]:
    """Every platform package under ``platforms/``, sorted."""
    return sorted(info.name for info in pkgutil.iter_modules([str(ROOT)]) if info.ispkg)


def part_path(name: str, part: str) -> Path:
    """Where ``part`` (a key of ``PARTS``) of platform ``name`` lives."""
    return ROOT / name / PARTS[part]


def load(part: str) -> dict[str, object]:
    """``{name: PROFILE}`` of every platform's ``profile`` or ``emulation`` module."""
    return {name: import_module(f"{__name__}.{name}.{part}").PROFILE for name in names()}


def static_dirs() -> list[tuple[str, str]]:
    """``STATICFILES_DIRS`` entries serving each ``static/`` folder under its adapter path."""
    return [
        (f"messaging/adapters/{name}", str(ROOT / name / "static"))
        for name in names()
        if (ROOT / name / "static").is_dir()
    ]


def guide(name: str) -> str | None:
    """The repository path of platform ``name``'s setup guide, or None when it has none."""
    path = part_path(name, "guide")
    return f"platforms/{name}/guide.md" if path.is_file() else None


def conversation_exports() -> dict[str, dict[str, tuple[str, ...]]]:
    """``{name: COLUMNS}`` of every platform with an ``export.py`` (reports.conversations)."""
    found = {}
    for name in names():
        if (ROOT / name / "export.py").is_file():
            found[name] = import_module(f"{__name__}.{name}.export").COLUMNS
    return found
