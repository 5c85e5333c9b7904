from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Authentication reports: reads ``messaging.AuthEvent`` and writes only its own tables:
    the daily rollups of it (``rollup_events`` and the receivers below) and the conversations
    imported from platforms' exports (``import_conversations``). Reading never writes."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self):
        from django.db.models.signals import post_save

        from messaging.events import events_rewritten
        from messaging.models import AuthEvent
        from reports import receivers

        post_save.connect(receivers.event_saved, sender=AuthEvent, weak=False)
        events_rewritten.connect(receivers.events_rewritten, weak=False)
