"""``{% chat_launcher customer %}``: the portal's Chat with support panel.

Renders the brand/messenger choice, the chat container and the widget glue's configuration
(docs/architecture.md, "Browser interfaces" 2; no token: tokens are only ever fetched when
the customer clicks Chat or the vendor widget asks). Each messenger names the browser adapter
chat.js loads:

- ``"sandbox"`` while the sandbox platform is served (``SANDBOX_ENABLED``) and the messenger's
  vendor setting ``"sandbox"`` is not ``false``. Decision: a messenger that does not say is
  verified locally while the sandbox is served (the demo and the tests verify everything
  locally; a messenger created before it had vendor settings still works); ``"sandbox":
  false`` tries the real vendor widget even then. With the sandbox off the setting is ignored.
- otherwise the profile's own ``adapter`` (messaging/static/messaging/adapters/<name>.js) with
  ``vendor`` = ``profile.vendor_config(m)``, the public settings its snippet needs.

With the sandbox off, nothing on the page names ``/sandbox/``: no ``sandboxChatUrl``, no frame.

It also widens the page's Content-Security-Policy with exactly the origins the customer's own
messengers need (``profile.origins(m)`` plus ``Messenger.allowed_origins``), for this response
only; the decision to do that from the panel that embeds the widgets is in
docs/decisions/settings-and-start-up.md (``csp_allow``).
"""

import logging
from collections import Counter

from django import template
from django.conf import settings
from django.urls import reverse

from accounts.selectors import user_has_passkey
from config.security import csp_allow
from messaging import profiles, selectors
from messaging.profiles.base import UnknownProfile

register = template.Library()
logger = logging.getLogger(__name__)

SANDBOX_CHAT_URL = "/sandbox/chat/"
CSP_DIRECTIVES = ("script-src", "connect-src", "frame-src", "img-src", "style-src", "font-src")


def _uses_sandbox(messenger) -> bool:
    if not settings.SANDBOX_ENABLED:
        return False  # production: the flag is ignored, the vendor widget is used
    return (messenger.vendor_settings or {}).get("sandbox") is not False


def messenger_entry(messenger, customer=None) -> tuple[dict, list[str]]:
    """The chat-config entry of one messenger and the origins its widget needs.

    A vendor widget's entry also says whether the vendor wants the identity set at every page
    load of a logged-in customer (``identifyOnLoad``, the profile's ``identify_on_load``) and
    what its page script must know of the customer before any token (``identity``, the
    profile's ``page_identity``: public values only)."""
    entry = {
        "slug": messenger.slug,
        "brand": messenger.brand.slug,
        "brandName": messenger.brand.name,
        "platform": messenger.platform,
    }
    if messenger.is_oidc_client:
        entry["oidc"] = True  # the page hands over auth codes, never tokens
    try:
        profile = profiles.get(messenger.platform)
    except UnknownProfile:
        logger.warning("Messenger %s: no profile for %r", messenger.slug, messenger.platform)
        return {**entry, "adapter": "unsupported", "vendor": {}}, []
    if _uses_sandbox(messenger):
        return {**entry, "adapter": "sandbox", "vendor": {}}, []
    entry.update(adapter=profile.adapter, vendor=profile.vendor_config(messenger))
    identity = profile.page_identity(customer=customer, messenger=messenger) if customer else None
    if identity:
        entry["identity"] = identity
    if profile.identify_on_load or identity:
        entry["identifyOnLoad"] = True
    return entry, list(profile.origins(messenger))


def choice_labels(messengers) -> list[tuple[str, str]]:
    """(slug, label) for the chat picker: the brand's name and, when the brand has several
    chats, the messenger's ``label`` or else its platform's name (a customer must be able to
    tell them apart). Two that would still read the same also show their slugs."""
    per_brand = Counter(messenger.brand_id for messenger in messengers)
    labels = []
    for messenger in messengers:
        label = messenger.brand.name
        if per_brand[messenger.brand_id] > 1:
            kind = messenger.label or (
                "web chat" if messenger.platform == "generic" else messenger.get_platform_display()
            )
            label = f"{label} · {kind}"
        labels.append(label)
    seen = Counter(labels)
    return [
        (messenger.slug, f"{label} ({messenger.slug})" if seen[label] > 1 else label)
        for messenger, label in zip(messengers, labels, strict=True)
    ]


@register.inclusion_tag("messaging/chat_launcher.html", takes_context=True)
def chat_launcher(context, customer):
    return {
        **chat_launcher_context(context["request"], customer),
        "csrf_token": context.get("csrf_token"),
    }


def chat_launcher_context(request, customer) -> dict:
    """The context of messaging/chat_launcher.html for ``customer`` (widens the response's
    Content-Security-Policy as the module docstring says)."""
    messengers = selectors.messengers_for_customer(customer) if customer else []
    entries = []
    for messenger in messengers:
        entry, origins = messenger_entry(messenger, customer)
        entries.append(entry)
        for origin in [*origins, *(messenger.allowed_origins or [])]:
            for directive in CSP_DIRECTIVES:
                csp_allow(request, directive, origin)
    config = {
        "tokenUrl": reverse("messaging:token"),
        "authCodeUrl": reverse("messaging:auth-code"),
        "logoutUrl": reverse("accounts:logout"),
        "messengers": entries,
        # what the step-up prompt offers when the agent asks (no "Use my passkey" without one)
        "stepUp": {"hasPasskey": bool(customer) and user_has_passkey(customer.user)},
    }
    if settings.SANDBOX_ENABLED:
        config["sandboxChatUrl"] = SANDBOX_CHAT_URL
    offered = picker_messengers(messengers)
    return {
        "messengers": offered,
        "choices": choice_labels(offered),
        "chat_config": config,
    }


def picker_messengers(messengers) -> list:
    """The chats the picker lists: per brand, those ``in_chat_picker``; a brand that offers
    none lists all of its own (a customer is never left without a chat). The others stay in
    the chat config, so ``/?chat=<slug>`` (a link from support or the admin) still opens them."""
    offering = {m.brand_id for m in messengers if m.in_chat_picker}
    return [m for m in messengers if m.in_chat_picker or m.brand_id not in offering]
