from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """The Django admin, served by django-otp's site: staff need a verified device."""

    default_site = "django_otp.admin.OTPAdminSite"
