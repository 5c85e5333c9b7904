#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import config.env  # noqa: F401  the environment, read once; refuses to run without secrets
    except ImproperlyConfigured as exc:
        # A missing setting is a message, not a traceback (a newcomer's first run).
        print(
            f"{exc}\nFor development on this machine run `make demo` once (it writes a .env "
            "with DEBUG=true), or put DEBUG=true in front of the command.",
            file=sys.stderr,
        )
        sys.exit(2)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
