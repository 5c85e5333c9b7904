from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Authentication reports: reads ``messaging.AuthEvent``, changes nothing (issue 11)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
