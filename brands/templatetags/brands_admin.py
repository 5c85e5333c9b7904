"""Display filters of the brands admin's own pages (the rotation timeline)."""

from django import template

from config.appconf import duration_text

register = template.Library()
register.filter("duration", duration_text)
