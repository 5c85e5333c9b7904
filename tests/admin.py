"""Admin requests as staff make them: change-list actions and the signing-key add form."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

KEY_ADD = reverse("admin:brands_signingkey_add")
KEY_LIST = reverse("admin:brands_signingkey_changelist")


def action_payload(action: str, *objects, **extra) -> dict:
    """The POST body of the change-list action ``action`` on ``objects``."""
    return {
        "action": action,
        ACTION_CHECKBOX_NAME: [obj.pk for obj in objects],
        "index": 0,
        **extra,
    }


def run_action(client, changelist_url: str, action: str, *objects, follow=False, **extra):
    """POST the action to the change list; ``extra`` adds fields (``confirmed="yes"``)."""
    return client.post(changelist_url, action_payload(action, *objects, **extra), follow=follow)


def messages_of(response) -> list[str]:
    """The admin messages a followed response shows."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def key_add_payload(brand, *, source: str = "generate", algorithm: str = "RS256", **fields):
    """The POST body of the signing-key add form (``fields`` as the form names them)."""
    return {"brand": brand.pk, "algorithm": algorithm, "source": source, **fields}


MESSENGER_ADD = reverse("admin:brands_messenger_add")


def messenger_add_payload(brand, slug: str, platform: str = "generic", **fields) -> dict:
    """The POST body of the messenger add form: an active messenger with the form's defaults
    (RS256, five minutes, nothing else set) and ``fields`` as the form names them."""
    return {
        "brand": brand.pk,
        "slug": slug,
        "platform": platform,
        "is_active": "on",
        "audience": "",
        "algorithm": "RS256",
        "token_ttl": "00:05:00",
        "attributes": "",
        "allowed_origins": "",
        "vendor_settings": "",
        **fields,
    }
