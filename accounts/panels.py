"""Panels that other apps add to the customer's portal home, without accounts knowing them.

``accounts`` must not import ``messaging`` (docs/architecture.md, "Layers"), not even from a
template (``{% load messaging_tags %}``). So the home page renders whatever panels were
registered here: the messaging app registers its Chat with support panel in its
``AppConfig.ready()``, as it hands its platforms to ``brands.platforms``.

A panel is a callable ``(request, customer) -> SafeString``: HTML rendered by its own app's
template (``render_to_string``), which may also adjust the response (its Content-Security-
Policy). A plain ``str`` is escaped by the page like any other value.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

HomePanel = Callable[[HttpRequest, object], SafeString]

_home_panels: dict[str, HomePanel] = {}


def home_panel_register(name: str, panel: HomePanel) -> None:
    """Add (or replace) the home panel ``name``; panels render in registration order."""
    _home_panels[name] = panel


def home_panels_render(request: HttpRequest, customer) -> list[SafeString]:
    """The HTML of every registered panel for ``customer``."""
    return [panel(request, customer) for panel in _home_panels.values()]
