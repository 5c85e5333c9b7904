"""The layer rules of docs/architecture.md ("Layers") for what import-linter cannot see:
templates. A template belongs to the app whose name starts its path (``accounts/home.html``)
and may not load another app's template tags, include or extend its templates, when the
app's code may not import that app. (Python imports: ``lint-imports``, pyproject.toml.)"""

import re
from pathlib import Path

import pytest
from django.template import engines

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]

# app -> apps whose code (hence templates and template tags) it must not use
FORBIDDEN = {
    "brands": {"accounts", "messaging", "reports", "sandbox"},
    "accounts": {"messaging", "reports", "sandbox"},
    "messaging": {"reports", "sandbox"},
    "reports": {"sandbox"},
    "sandbox": {"accounts", "brands", "messaging", "reports"},
}
LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")
INCLUDE = re.compile(r"{%\s*(?:include|extends)\s+[\"']([^\"']+)[\"']")


def _library_apps() -> dict[str, str]:
    """Template tag library name -> top-level package that defines it."""
    libraries = engines["django"].engine.libraries  # name -> dotted module path
    return {name: module.split(".")[0] for name, module in libraries.items()}


def _owned_templates():
    for base in TEMPLATE_DIRS:
        for path in sorted(base.rglob("*.html")):
            relative = path.relative_to(base)
            owner = relative.parts[0]
            if owner == "admin" and len(relative.parts) > 1 and relative.parts[1] in FORBIDDEN:
                owner = relative.parts[1]  # admin/brands/...: the brands app's admin pages
            if owner in FORBIDDEN:
                yield owner, relative, path.read_text()


def _violations(owner: str, text: str, library_apps: dict[str, str]) -> list[str]:
    found = []
    for names in LOAD.findall(text):
        for name in names.split():
            if name == "from":
                break
            if library_apps.get(name) in FORBIDDEN[owner]:
                found.append(f"loads {name} ({library_apps[name]})")
    for target in INCLUDE.findall(text):
        if target.split("/")[0] in FORBIDDEN[owner]:
            found.append(f"includes or extends {target}")
    return found


def test_no_template_uses_an_app_its_app_must_not_import():
    library_apps = _library_apps()
    assert library_apps["messaging_tags"] == "messaging"  # the rule can see what it checks
    broken = {
        str(relative): found
        for owner, relative, text in _owned_templates()
        if (found := _violations(owner, text, library_apps))
    }
    assert broken == {}


@pytest.mark.parametrize(
    "text",
    [
        "{% load messaging_tags %}",
        "{% load static messaging_tags %}",
        '{% include "messaging/chat_launcher.html" %}',
    ],
)
def test_the_template_rule_catches_an_accounts_page_using_messaging(text):
    assert _violations("accounts", text, _library_apps())
