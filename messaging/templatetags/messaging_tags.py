"""``{% chat_launcher customer %}``: the portal's Chat with support panel.

Renders the brand/messenger choice, the chat container and the widget glue's configuration
(no token: tokens are only ever fetched when the customer clicks Chat). It also widens the
page's Content-Security-Policy with exactly the widget origins the customer's messengers
declare (``Messenger.allowed_origins``).
"""

from django import template
from django.urls import reverse

from config.security import csp_allow
from messaging import selectors

register = template.Library()

# Which browser adapter the glue uses per platform. Vendor adapters come with their profiles.
ADAPTERS = {"generic": "sandbox", "genesys": "sandbox"}


@register.inclusion_tag("messaging/chat_launcher.html", takes_context=True)
def chat_launcher(context, customer):
    request = context["request"]
    messengers = selectors.messengers_for_customer(customer) if customer else []
    for messenger in messengers:
        for origin in messenger.allowed_origins or []:
            for directive in ("script-src", "connect-src", "frame-src", "img-src", "style-src"):
                csp_allow(request, directive, origin)
    config = {
        "tokenUrl": reverse("messaging:token"),
        "authCodeUrl": reverse("messaging:auth-code"),
        "sandboxChatUrl": "/sandbox/chat/",
        "messengers": [
            {
                "slug": m.slug,
                "brand": m.brand.slug,
                "brandName": m.brand.name,
                "platform": m.platform,
                "adapter": ADAPTERS.get(m.platform, "sandbox"),
            }
            for m in messengers
        ],
    }
    return {
        "messengers": messengers,
        "chat_config": config,
        "csrf_token": context.get("csrf_token"),
    }
