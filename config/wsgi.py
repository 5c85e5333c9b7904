import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: refuse to serve on a process-local cache outside DEBUG
# (brands.E020), where each worker would keep its own throttles.
from brands.checks import startup_errors  # noqa: E402

if errors := startup_errors():
    raise ImproperlyConfigured("; ".join(errors))
