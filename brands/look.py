"""How a brand looks to its customers: logo and colours, validated so that every page stays
readable (WCAG 2.2 AA contrast). Used by the ``Brand`` fields and the portal's pages."""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_PRIMARY_COLOR = "#0b5fff"
DEFAULT_HEADER_COLOR = "#101828"
MIN_TEXT_CONTRAST = 4.5


def relative_luminance(color: str) -> float:
    """WCAG 2.x relative luminance of ``#RRGGBB``."""
    channels = []
    for i in (1, 3, 5):
        c = int(color[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#RRGGBB`` colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_text_color(background: str) -> str:
    """``#ffffff`` or ``#111111``, whichever contrasts more with ``background``."""
    white, black = "#ffffff", "#111111"
    if contrast_ratio(background, white) >= contrast_ratio(background, black):
        return white
    return black


def validate_hex_color(value: str) -> None:
    if value and not _HEX_COLOR.fullmatch(value):
        raise ValidationError(
            "Enter a colour as # and six hexadecimal digits, e.g. #0b5fff.", code="bad_color"
        )


def validate_primary_color(value: str) -> None:
    """A hex colour that white button text and links on white can both be read against."""
    validate_hex_color(value)
    if value and (ratio := contrast_ratio(value, "#ffffff")) < MIN_TEXT_CONTRAST:
        raise ValidationError(
            "This colour has a contrast of %(ratio).1f:1 against white; buttons and links "
            "need at least 4.5:1 (WCAG AA). Choose a darker shade.",
            code="low_contrast",
            params={"ratio": ratio},
        )


def validate_logo_url(value: str) -> None:
    """A path on this site or an https:// address; nothing that could run script."""
    if not value:
        return
    parts = urlsplit(value)
    if value.startswith("/") and not value.startswith("//") and not parts.scheme:
        return
    if parts.scheme == "https" and parts.netloc:
        return
    raise ValidationError(
        "Enter a path on this site (starting with /) or an https:// address.", code="bad_logo"
    )
