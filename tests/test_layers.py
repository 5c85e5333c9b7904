"""The layer rules of docs/architecture.md ("Layers").

Python imports are checked by ``lint-imports`` (contracts in pyproject.toml, run by CI); the
tests below prove that the layer and cycle contracts really refuse what they are meant to
refuse, on small import graphs built for the purpose. Templates are what import-linter cannot
see: a template belongs to the app whose name starts its path (``accounts/home.html``) and may
not load another app's template tags, include or extend its templates, when the app's code may
not import that app.
"""

import itertools
import re
import tomllib
from pathlib import Path

import grimp
import pytest
from django.template import engines
from importlinter import configuration
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parent.parent
IMPORTLINTER = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LAYERED_APPS = ("accounts", "brands", "messaging", "reports", "sandbox")
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


# --- Python imports: the contracts of pyproject.toml, checked against graphs made to break them


def _contract(kind: str, container: str | None = None) -> dict:
    [options] = [
        c
        for c in IMPORTLINTER["contracts"]
        if c["type"] == kind and (container is None or c.get("containers") == [container])
    ]
    return options


def _kept(options: dict, imports: list[tuple[str, str]]) -> bool:
    """Whether the contract ``options`` (its known exceptions left out) holds for a graph of
    the root packages, the modules its layers name, and ``imports``."""
    graph = grimp.ImportGraph()
    for package in IMPORTLINTER["root_packages"]:
        graph.add_module(package)
    for container in options.get("containers", []):
        for layer in options["layers"]:
            for name in re.split(r"[:|]", layer):
                graph.add_module(f"{container}.{name.strip().strip('()')}")
    for importer, imported in imports:
        for module in (importer, imported):  # and the packages that hold them, as on disk
            parts = module.split(".")
            for depth in range(1, len(parts)):
                graph.add_module(".".join(parts[:depth]))
        graph.add_import(importer=importer, imported=imported)
    kind = {"layers": LayersContract, "acyclic_siblings": AcyclicSiblingsContract}[options["type"]]
    options = {k: v for k, v in options.items() if k != "ignore_imports"}
    configuration.configure()  # what the lint-imports command does first (a timer, readers)
    contract = kind(name=options["name"], session_options=IMPORTLINTER, contract_options=options)
    return contract.check(graph, verbose=False).kept


@pytest.mark.parametrize("app", LAYERED_APPS)
def test_each_app_layers_its_callers_over_services_over_selectors_over_models(app):
    layers = _contract("layers", app)["layers"]
    assert layers[1:] == ["services", "selectors", "models"]
    assert "views" in layers[0] or "api" in layers[0]


@pytest.mark.parametrize("app", LAYERED_APPS)
def test_a_model_reaching_a_service_even_through_a_helper_breaks_the_layers(app):
    contract = _contract("layers", app)
    downwards = [(f"{app}.services", f"{app}.helper"), (f"{app}.helper", f"{app}.models")]
    upwards = [(f"{app}.models", f"{app}.helper"), (f"{app}.helper", f"{app}.services")]
    assert _kept(contract, downwards)
    assert not _kept(contract, upwards)
    assert not _kept(contract, [(f"{app}.selectors", f"{app}.services.rotation")])


@pytest.mark.parametrize(
    "cycle",
    [
        ["brands.keyset", "brands.models"],
        ["config.cache", "config.health", "config.env"],
        ["brands.services.rotation", "brands.services.key_lifecycle"],
        ["platforms.zendesk.profile", "platforms.zendesk.emulation"],
    ],
)
def test_an_import_cycle_inside_an_app_breaks_the_cycle_contract(cycle):
    contract = _contract("acyclic_siblings")
    chain = list(itertools.pairwise(cycle))
    assert _kept(contract, chain)
    assert not _kept(contract, [*chain, (cycle[-1], cycle[0])])


def test_imports_between_apps_are_not_cycles_inside_an_app():
    contract = _contract("acyclic_siblings")
    assert _kept(contract, [("accounts.models", "brands.models"), ("brands.admin", "config.env")])
