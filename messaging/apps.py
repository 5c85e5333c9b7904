from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from brands.selectors import discovery_extend
        from messaging.oidc.views import discovery_metadata

        # Each brand's discovery document announces its OpenID Connect endpoints.
        discovery_extend(discovery_metadata)
