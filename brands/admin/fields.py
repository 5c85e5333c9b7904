"""Form fields the brands admin screens share."""

from django import forms


def write_only(label: str, help_text: str, widget=None) -> forms.CharField:
    """An optional field for secret material: kept as typed, never rendered back."""
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=widget or forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=help_text,
    )
