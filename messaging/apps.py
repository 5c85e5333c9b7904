from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from brands.selectors import discovery_extend
        from messaging.oidc.services import grants_revoke_for_session
        from messaging.oidc.views import discovery_metadata

        # Each brand's discovery document announces its OpenID Connect endpoints.
        discovery_extend(discovery_metadata)

        # Logging out of the portal ends the platform's OpenID Connect grants of that session.
        def _revoke_at_logout(sender, request, user, **kwargs):
            grants_revoke_for_session(session_key=request.session.session_key)

        user_logged_out.connect(
            _revoke_at_logout, weak=False, dispatch_uid="messaging.oidc.logout"
        )

        # The token API's per-process copies follow every change of what they copy.
        from messaging import readcache

        readcache.connect_signals()

        # brands must not import messaging: hand it the platforms that have a claim profile
        from brands.platforms import platform_register
        from messaging import profiles

        for profile in profiles.all_profiles():
            platform_register(profile)

        # accounts must not import messaging: hand the portal home its Chat with support panel
        from accounts.panels import home_panel_register
        from messaging.panels import chat_panel

        home_panel_register("chat", chat_panel)
