"""The one way an app reads its own settings (``<app>/conf.py``).

Each app declares its ``PREFIX_NAME`` settings once, with a documented default, and reads them
with ``conf.get("NAME")``: looked up on every call, so ``override_settings`` works. Lifetimes
and periods are ``datetime.timedelta`` (CONVENTIONS: "Lifetimes are durations"); an ``int`` or
``float`` given in settings for one of them is read as seconds. A wrong type raises
``ImproperlyConfigured`` naming the setting.

Generic infrastructure with no knowledge of the portal's apps: the sandbox uses it too.
"""

from collections.abc import Iterable, Mapping
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class AppSettings:
    """``get(name)``: ``settings.<prefix>_<name>`` or its default; durations as timedelta."""

    def __init__(
        self, prefix: str, defaults: Mapping[str, object], *, durations: Iterable[str] = ()
    ):
        self.prefix = prefix
        self.defaults = dict(defaults)
        self.durations = frozenset(durations)
        unknown = self.durations - self.defaults.keys()
        if unknown:
            raise ValueError(f"durations without a default: {sorted(unknown)}")

    def get(self, name: str):
        value = getattr(settings, f"{self.prefix}_{name}", self.defaults[name])
        if name not in self.durations:
            return value
        if isinstance(value, timedelta):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return timedelta(seconds=value)
        raise ImproperlyConfigured(
            f"{self.prefix}_{name} must be a timedelta (or seconds), not {type(value).__name__}"
        )


_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def duration_text(value) -> str:
    """A duration as staff read it: "90 days", "1 hour, 30 minutes", "30 seconds" (not
    Python's "90 days, 0:00:00"). A number is seconds; anything else is shown as it is.
    Sub-second parts are dropped; zero is "0 seconds"."""
    if isinstance(value, bool) or not isinstance(value, timedelta | int | float):
        return str(value)
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    sign, seconds = ("minus ", -seconds) if seconds < 0 else ("", seconds)
    parts = []
    for name, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
    return sign + (", ".join(parts) or "0 seconds")
