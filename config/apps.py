from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """The Django admin, served by django-otp's site: staff need a verified device and log in
    through the portal's two steps (``config.admin_site``)."""

    default_site = "config.admin_site.PortalAdminSite"
