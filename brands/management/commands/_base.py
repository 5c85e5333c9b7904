"""Shared parsing for the brands commands: bad input is exit code 2, nothing saved."""

from django.core.management.base import CommandError

from brands import selectors
from brands.errors import UnknownBrand
from config.errors import DomainError


def bad_input(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def brand_or_exit(slug: str):
    try:
        return selectors.brand_get(slug=slug, active_only=False)
    except UnknownBrand as exc:
        raise bad_input(exc.detail) from exc


def domain_error(exc: DomainError) -> CommandError:
    return bad_input(f"{exc.detail} ({exc.code})")
