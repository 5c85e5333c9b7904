from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # brands must not import messaging: hand it the platforms that have a claim profile
        from brands.platforms import platform_register
        from messaging import profiles

        for profile in profiles.all_profiles():
            platform_register(profile.platform_spec())
