from django.apps import AppConfig


class BrandsConfig(AppConfig):
    name = "brands"
    verbose_name = "Brands, signing keys and messengers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from brands import checks, signals  # noqa: F401  (registers checks and receivers)
