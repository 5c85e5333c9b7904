from django.apps import AppConfig
from django_otp.plugins.otp_static import apps as otp_static_apps
from django_otp.plugins.otp_totp import apps as otp_totp_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"


# django-otp's device apps under names staff understand in the admin: their labels, tables
# and migrations stay django-otp's own; only the heading of their admin section changes.
# ``default = False``: neither is a candidate when Django picks the ``accounts`` app's config.
class BackupCodesConfig(otp_static_apps.DefaultConfig):
    default = False
    verbose_name = "Second factor: backup codes"


class AuthenticatorAppsConfig(otp_totp_apps.DefaultConfig):
    default = False
    verbose_name = "Second factor: authenticator apps"
