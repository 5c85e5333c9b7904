from django.apps import AppConfig
from django.core.signals import setting_changed


def _settings_changed(*, setting: str, **kwargs) -> None:
    """Drop cached JWKS clients when the settings they depend on change (tests, mostly)."""
    if setting.startswith("SANDBOX_") or setting in ("PUBLIC_BASE_URL", "DEBUG"):
        from .verifier import reset_jwks_clients

        reset_jwks_clients()


class SandboxConfig(AppConfig):
    name = "sandbox"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Sandbox platform"

    def ready(self) -> None:
        setting_changed.connect(_settings_changed, dispatch_uid="sandbox-settings-changed")
