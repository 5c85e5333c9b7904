"""The Chat with support panel of the portal home, registered with ``accounts.panels`` at
start-up (``MessagingConfig.ready``): accounts never imports messaging."""

from django.template.loader import render_to_string

from messaging.templatetags.messaging_tags import chat_launcher_context


def chat_panel(request, customer) -> str:
    """The brand/messenger choice, the chat container and the widget glue's configuration."""
    return render_to_string(
        "messaging/chat_launcher.html", chat_launcher_context(request, customer), request=request
    )
